//! The flake's checks built for real with this machine's `nix-build`, in the
//! build sandbox (no network, `HOME=/homeless-shelter`, the source read-only
//! in the store), with the stand-in nixpkgs of tests/nix/nixpkgs.nix: the
//! driver-provisioned venv and the driver under test imported into the
//! store, the codex wheel and the TypeScript SDK fetched by their pinned
//! hashes, the host's bash, coreutils and node visible read-only.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::nix::{nix_available, project_with_nix};
use crate::util::{TestProject, repo};

/// Builds a stand-in gate of one project: this flake's
/// (tests/nix/gate.nix), or that of a repository's flake made from this
/// flake's template (tests/nix/consumer_gate.nix).
pub struct Gate<'a> {
    project: &'a TestProject,
    /// The gate's file and its arguments but the common ones.
    file: &'static str,
    args: Vec<String>,
    venv: String,
    driver: String,
    /// The host's paths its builds see (`extra-sandbox-paths`).
    pub sandbox_paths: String,
    /// The environment of `nix-build` besides this process's.
    pub env: Vec<(String, String)>,
    /// Sets this run's derivations apart from an earlier run's.
    run: String,
}

impl<'a> Gate<'a> {
    fn new(project: &'a TestProject) -> Gate<'a> {
        let doctor: serde_json::Value = serde_json::from_str(
            &project
                .run(&["doctor", "--format", "json"])
                .expect(0)
                .stdout,
        )
        .unwrap();
        let venv = PathBuf::from(doctor["python"]["venv"].as_str().unwrap());
        let cfg = std::fs::read_to_string(venv.join("pyvenv.cfg")).unwrap();
        let home = cfg
            .lines()
            .find_map(|l| l.strip_prefix("home = "))
            .expect("pyvenv.cfg names the interpreter's home");
        // The interpreter the venv runs on, wherever the host installed it.
        let prefix = Path::new(home).parent().unwrap().display().to_string();
        let mut paths: Vec<String> = ["/bin", "/lib", "/lib64", "/usr", "/etc/ssl"]
            .iter()
            .filter(|p| Path::new(p).exists())
            .map(|p| p.to_string())
            .collect();
        if !prefix.starts_with("/usr/") {
            paths.push(prefix);
        }
        Gate {
            project,
            file: "tests/nix/gate.nix",
            args: vec![
                "--arg".into(),
                "root".into(),
                project.root().display().to_string(),
            ],
            venv: add_to_store(&venv),
            driver: add_to_store(Path::new(env!("CARGO_BIN_EXE_codex-harvest"))),
            sandbox_paths: paths.join(" "),
            env: Vec::new(),
            run: format!(
                "{:?}",
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
            ),
        }
    }

    /// The gate of a repository's flake (the consumer `project`, made a
    /// project with `init`) that takes this flake as its input.
    pub fn of_consumer(project: &'a TestProject) -> Gate<'a> {
        let mut gate = Gate::new(project);
        gate.file = "tests/nix/consumer_gate.nix";
        gate.args.extend([
            "--arg".into(),
            "harvest".into(),
            repo().display().to_string(),
        ]);
        gate
    }

    /// Whether this Nix builds in its sandbox here (as root, or through a
    /// daemon); a skip says why, unless CODEX_HARVEST_REQUIRE_NIX is set.
    pub fn sandbox_works(&self) -> bool {
        let out = Command::new("nix-build")
            .args(["--expr", r#"derivation { name = "sandbox-probe"; system = builtins.currentSystem; builder = "/bin/sh"; args = [ "-c" ": > $out" ]; run = builtins.toString builtins.currentTime; }"#])
            .args(["--no-out-link", "--option", "sandbox", "true"])
            .args(["--option", "substituters", ""])
            .args(["--option", "extra-sandbox-paths", &self.sandbox_paths])
            .output()
            .unwrap();
        if out.status.success() {
            return true;
        }
        let why = String::from_utf8_lossy(&out.stderr);
        if std::env::var_os("CODEX_HARVEST_REQUIRE_NIX").is_some() {
            panic!(
                "CODEX_HARVEST_REQUIRE_NIX is set but nix-build cannot build in its sandbox:\n{why}"
            );
        }
        crate::util::skipped(&format!(
            "nix-build cannot build in its sandbox here: the sandbox builds are skipped\n{why}"
        ));
        false
    }

    fn command(&self, attr: &str, extra: &[&str]) -> Command {
        let mut cmd = Command::new("nix-build");
        cmd.arg(repo().join(self.file))
            .args(&self.args)
            .args(["--argstr", "venv", &self.venv])
            .args(["--argstr", "driver", &self.driver])
            .args(["--argstr", "run", &self.run])
            .args(["-A", attr, "--no-out-link"])
            .args(["--option", "sandbox", "true"])
            .args(["--option", "substituters", ""])
            .args(["--option", "extra-sandbox-paths", &self.sandbox_paths])
            .args(extra)
            .envs(self.env.iter().map(|(k, v)| (k, v)));
        cmd
    }

    /// Builds `attr`; its log, whether it succeeded, and the most
    /// scenario checks seen running at one moment.
    pub fn build(&self, attr: &str, extra: &[&str]) -> (String, bool, usize) {
        let log = self.project.path(&format!("tmp/{attr}.log"));
        let mut child = self
            .command(attr, extra)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        let mut most = 0;
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            most = most.max(regenerations_running());
            std::thread::sleep(std::time::Duration::from_millis(100));
        };
        let log = format!("{status}\n{}", std::fs::read_to_string(&log).unwrap());
        (log, status.success(), most)
    }

    /// The derivations Nix reports it would build for `attr`, by name.
    fn planned(&self, attr: &str) -> Vec<String> {
        let out = self.command(attr, &["--dry-run"]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{text}");
        let mut names: Vec<String> = text
            .lines()
            .skip_while(|l| !l.contains("will be built"))
            .skip(1)
            .take_while(|l| l.starts_with("  /nix/store/"))
            .map(|l| {
                let name = l.trim().trim_end_matches(".drv");
                name.split_once('-').unwrap().1.to_string()
            })
            .collect();
        names.sort();
        names
    }
}

fn add_to_store(path: &Path) -> String {
    let out = Command::new("nix-store")
        .arg("--add")
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The `codex-harvest regenerate` processes alive now: one per scenario
/// check being built.
fn regenerations_running() -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .filter(|c| {
            c.split(|b| *b == 0)
                .collect::<Vec<_>>()
                .windows(2)
                .any(|w| w == [b"regenerate".as_slice(), b"--scenario".as_slice()])
        })
        .count()
}

/// The gate builds in the sandbox, every scenario of a four-scenario
/// catalogue (a shell tool, a fork, an MCP server, a plain turn) in a
/// derivation of its own and two at once with two builders; then a changed
/// model script or a hand-edited fixture makes Nix plan that scenario's
/// check (and the gate over them) and nothing else, and the hand edit fails
/// that check with the driver's drift report in the build log.
#[test]
fn the_gate_builds_each_scenario_in_the_sandbox_and_rebuilds_only_what_changed() {
    if !nix_available() {
        return;
    }
    let p = project_with_nix();
    let gate = Gate::new(&p);
    if !gate.sandbox_works() {
        return;
    }
    p.cut_catalogue(&[
        "thread_basic",
        "thread_fork",
        "thread_mcp_tool",
        "thread_tool_auto",
    ]);

    let (log, ok, most) = gate.build("reproducibility", &["--max-jobs", "2"]);
    assert!(ok, "{log}");
    assert!(
        log.contains("check: integration/fixtures matches what the pinned toolchain produces"),
        "{log}"
    );
    assert!(log.contains("thread_tool_auto                 ok"), "{log}");
    assert!(
        most >= 2,
        "never saw two scenario checks building at once\n{log}"
    );

    // packages.fixtures: the committed corpus, bundled in the sandbox, whole.
    let built = gate.command("package-fixtures", &[]).output().unwrap();
    assert!(
        built.status.success(),
        "{}",
        String::from_utf8_lossy(&built.stderr)
    );
    let corpus = String::from_utf8(built.stdout).unwrap();
    let verified = p.run(&["verify", "--bundle", corpus.trim()]).expect(0);
    assert!(
        verified.stdout.contains("matches SHA256SUMS"),
        "{}",
        verified.all()
    );
    assert!(Path::new(corpus.trim()).join("bin/codex-replay").is_file());

    let one_changed = [
        "codex-harvest-reproducibility",
        "codex-harvest-scenario-thread_fork",
    ];
    let script = "integration/scripts/thread_fork.json";
    let before = p.read(script);
    p.write(script, &format!("{before}\n"));
    assert_eq!(gate.planned("reproducibility"), one_changed);
    p.write(script, &before);
    assert_eq!(gate.planned("reproducibility"), Vec::<String>::new());

    let fixture = "integration/fixtures/python/thread_fork.jsonl";
    let committed = p.read(fixture);
    p.write(
        fixture,
        &format!("{committed}{{\"edited\": \"by hand\"}}\n"),
    );
    assert_eq!(gate.planned("reproducibility"), one_changed);
    let (log, ok, _) = gate.build("scenario-thread_fork", &[]);
    assert!(!ok, "{log}");
    assert!(log.contains("python/thread_fork.jsonl"), "{log}");
    assert!(log.contains("codex-harvest harvest"), "{log}");

    p.write(fixture, &committed);

    // A cell of the version matrix: codex 0.144.4 fetched by its own pin in
    // a fixed-output derivation, and the SDK's refusal to fork on it the
    // very failure its tree records.
    let cell = "\"codex-0.144.4-thread_fork\"";
    let (log, ok, _) = gate.build(cell, &[]);
    assert!(ok, "{log}");
    assert!(
        log.contains("running 1 scenario(s) with codex 0.144.4"),
        "{log}"
    );
    assert!(
        log.contains("thread_fork                      failed (recorded)"),
        "{log}"
    );
    // Its pin file moves its cells and none of the main pin's checks.
    let pin = "config/matrix/codex-0.144.4.exs";
    let pinned = p.read(pin);
    p.write(pin, &format!("# A note of ours.\n{pinned}"));
    assert_eq!(gate.planned("reproducibility"), Vec::<String>::new());
    assert_eq!(
        gate.planned(cell),
        ["codex-harvest-codex-0.144.4-thread_fork"]
    );
}

/// A repository made a project with `init` (the first consumer, its exec
/// lane's events at `python/<name>.jsonl`) gates its fixtures with a flake
/// made from this flake's template: `lib.mkGate` of its own config and pins
/// builds its scenario's check and the gate over it in the sandbox, with
/// its hand-written files kept (`unreferenced = "warn"`), and a hand edit
/// of its harvested fixture fails its check.
#[test]
fn a_repository_gates_its_fixtures_with_the_flakes_lib() {
    if !nix_available() {
        return;
    }
    let p = consumer_with_flake();
    let gate = Gate::of_consumer(&p);
    if !gate.sandbox_works() {
        return;
    }
    let (log, ok, _) = gate.build("reproducibility", &[]);
    assert!(ok, "{log}");
    assert!(
        log.contains("check: integration/fixtures matches what the pinned toolchain produces"),
        "{log}"
    );
    assert!(
        log.contains("warning: kept python/thread_mcp_rich.jsonl"),
        "{log}"
    );

    let fixture = "integration/fixtures/python/thread_basic.jsonl";
    let harvested = p.read(fixture);
    p.write(
        fixture,
        &harvested.replace("thread.started", "thread.begun"),
    );
    let (log, ok, _) = gate.build("scenario-thread_basic", &[]);
    assert!(!ok, "{log}");
    assert!(log.contains("python/thread_basic.jsonl"), "{log}");
}

/// The first consumer made a project with `init` (its exec lane's events
/// at `python/<name>.jsonl`, one scenario), harvested, with a flake made
/// from this flake's template that keeps its hand-written files.
pub fn consumer_with_flake() -> TestProject {
    let p = TestProject::consumer();
    crate::adopting::init(&p, &["thread_basic"]).expect(0);
    std::fs::remove_file(p.path("integration/fixtures/python/thread_basic.jsonl")).unwrap();
    p.run(&["harvest", "--unreferenced", "warn"]).expect(0);
    let template = std::fs::read_to_string(repo().join("nix/template/flake.nix")).unwrap();
    p.write(
        "flake.nix",
        &template.replace(r#"unreferenced = "reject";"#, r#"unreferenced = "warn";"#),
    );
    p
}

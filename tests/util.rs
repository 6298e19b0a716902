//! A temp copy of the project and a command helper that asserts exit codes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository this test binary was built from.
pub fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The venv cache shared by every test (and the developer), so the pinned
/// toolchain is provisioned once; concurrent runs serialise on a lock. Its
/// entries are the project's own pins, the ones `check` uses: the tests
/// add none of their own there (`other_pins_cache`).
pub fn shared_cache() -> PathBuf {
    if let Some(dir) = std::env::var_os("CODEX_HARVEST_CACHE") {
        return PathBuf::from(dir);
    }
    let home = std::env::var_os("HOME").expect("HOME is set");
    PathBuf::from(home).join(".cache/codex-harvest")
}

/// The cache of the tests that provision other pins than the project's (a
/// bump to another codex and SDK): kept with the build, in the target dir,
/// so that they add nothing to the user's cache, and provision only once
/// per build tree.
pub fn other_pins_cache() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("other-pins-cache")
}

/// The config of a test scenario that never starts codex: it has no wire
/// transcript.
pub const NO_CODEX: &str = "wire = []";

/// A temp copy of `config/` and `integration/`, without the version matrix
/// (`with_matrix` keeps it).
pub struct TestProject {
    dir: tempfile::TempDir,
}

/// What a run printed and how it exited.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(
            self.code, code,
            "expected exit {code}, got {}\n--- stdout\n{}\n--- stderr\n{}",
            self.code, self.stdout, self.stderr
        );
        self
    }

    /// stdout and stderr together.
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

impl TestProject {
    pub fn new() -> TestProject {
        let p = TestProject::with_matrix();
        for matrix in ["config/matrix", "integration/matrix"] {
            std::fs::remove_dir_all(p.path(matrix)).unwrap();
        }
        std::fs::remove_file(p.path("docs/codex-compat.md")).unwrap();
        p
    }

    /// The project's whole copy: every cell of the version matrix too.
    pub fn with_matrix() -> TestProject {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["config", "integration"] {
            copy_dir(&repo().join(sub), &dir.path().join(sub));
        }
        std::fs::create_dir(dir.path().join("docs")).unwrap();
        for generated in [
            "docs/python-parity-checklist.md",
            "docs/sdk-parity.md",
            "docs/codex-compat.md",
        ] {
            std::fs::copy(repo().join(generated), dir.path().join(generated)).unwrap();
        }
        std::fs::create_dir(dir.path().join("tmp")).unwrap();
        TestProject { dir }
    }

    /// Not a project yet: a copy of the first consumer's repository as
    /// tests/data/codex_sdk keeps it (its Elixir config, its formatter's
    /// config and its 28 hand-written fixtures).
    pub fn consumer() -> TestProject {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&repo().join("tests/data/codex_sdk"), dir.path());
        std::fs::create_dir(dir.path().join("tmp")).unwrap();
        TestProject { dir }
    }

    /// A project whose catalogue is `scenarios` alone, its tree harvested
    /// from them. A whole-catalogue run of it (a full harvest, check or
    /// pin) takes the path a run over every scenario takes, in the time
    /// of a few; the whole catalogue is harvested, byte for byte, by
    /// `end_to_end::harvest_from_nothing_reproduces_the_committed_tree_byte_for_byte`.
    pub fn with_catalogue(scenarios: &[&str]) -> TestProject {
        let p = TestProject::new();
        p.cut_catalogue(scenarios);
        p
    }

    /// Cuts the catalogue in `config/harvest.toml` to `scenarios` and
    /// harvests the main pin's tree from nothing; a version matrix's trees
    /// stay as committed, each a superset of what the catalogue names.
    pub fn cut_catalogue(&self, scenarios: &[&str]) {
        let config = self.read("config/harvest.toml");
        let mut kept = String::new();
        let mut keep = true;
        for line in config.split_inclusive('\n') {
            if line.starts_with('[') {
                keep = true;
            }
            if let Some(name) = line.strip_prefix("name = \"") {
                let name = name.trim_end().trim_end_matches('"');
                if kept.ends_with("[[scenario]]\n") && !scenarios.contains(&name) {
                    kept.truncate(kept.len() - "[[scenario]]\n".len());
                    keep = false;
                }
            }
            if keep {
                kept.push_str(line);
            }
        }
        self.write("config/harvest.toml", &kept);
        let listed: toml::Value = toml::from_str(&kept).unwrap();
        assert_eq!(
            listed["scenario"].as_array().unwrap().len(),
            scenarios.len(),
            "a scenario of {scenarios:?} is not in the catalogue"
        );
        std::fs::remove_dir_all(self.path("integration/fixtures")).unwrap();
        let main = self.codex_version();
        self.run(&["harvest", "--codex-version", &main, "--jobs", "1"])
            .expect(0);
    }

    /// The codex version `config/native.exs` pins.
    pub fn codex_version(&self) -> String {
        self.read("config/native.exs")
            .lines()
            .find_map(|l| l.strip_prefix("  version: \""))
            .and_then(|v| v.strip_suffix("\","))
            .expect("config/native.exs pins a codex version")
            .to_string()
    }

    /// Every file of the fixtures tree, by relative path.
    pub fn fixtures(&self) -> BTreeMap<String, Vec<u8>> {
        files(&self.path("integration/fixtures"))
    }

    /// This project's own TMPDIR: scratch dirs of its runs land here.
    pub fn tmp(&self) -> PathBuf {
        self.dir.path().join("tmp")
    }

    /// What is left in this project's TMPDIR.
    pub fn leftovers(&self) -> Vec<String> {
        std::fs::read_dir(self.tmp())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.path(rel)).unwrap()
    }

    pub fn write(&self, rel: &str, contents: &str) {
        let p = self.path(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, contents).unwrap();
    }

    /// Adds a scenario: its module body, its model script and a config entry.
    pub fn add_scenario(&self, name: &str, module: &str, script: &str, extra_config: &str) {
        self.write(&format!("integration/harvest_scenarios/{name}.py"), module);
        self.write(&format!("integration/scripts/{name}.json"), script);
        let mut config = self.read("config/harvest.toml");
        config.push_str(&format!(
            "\n[[scenario]]\nname = \"{name}\"\nabout = \"test scenario\"\noutputs = [\"python/{name}.jsonl\"]\n{extra_config}\n"
        ));
        self.write("config/harvest.toml", &config);
    }

    /// A command for the binary with a clean environment, in the project root.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_codex-harvest"));
        cmd.args(args)
            .current_dir(self.root())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", std::env::var("HOME").unwrap_or_default())
            .env("TMPDIR", self.tmp())
            .env("CODEX_HARVEST_CACHE", shared_cache());
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Run {
        run(self.command(args))
    }

    /// `run` with its own cache instead of the shared one (provisioning from
    /// nothing).
    pub fn run_with_cache(&self, args: &[&str], cache: &Path) -> Run {
        let mut cmd = self.command(args);
        cmd.env("CODEX_HARVEST_CACHE", cache);
        run(cmd)
    }
}

pub fn run(mut cmd: Command) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = cmd.output().expect("the binary runs");
    Run {
        code: status.code().expect("exited, not killed"),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "__pycache__" {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The sha256 of `bytes`, in hex as `sha256sum` prints it.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// Every file below `dir`, by relative path.
pub fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// Processes whose environment points into `dir` (every scenario process
/// has its HOME, TMPDIR and CODEX_HOME there).
fn processes_under(dir: &Path) -> Vec<String> {
    let needle = dir.display().to_string();
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.parse::<u32>().is_err() {
            continue;
        }
        if let Ok(env) = std::fs::read(e.path().join("environ"))
            && String::from_utf8_lossy(&env).contains(&needle)
        {
            let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            found.push(format!(
                "{name}: {}",
                String::from_utf8_lossy(&cmd).replace('\0', " ")
            ));
        }
    }
    found
}

/// Waits until no process has `dir` in its environment, for as long as a
/// stop may take to end what it started (2 s: a killed process is gone
/// only once the kernel has run it), then fails naming those left.
pub fn no_process_left(dir: &Path, what: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    loop {
        let left = processes_under(dir);
        if left.is_empty() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: processes left: {left:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A model script whose last message (a reply, or an item of one) says
/// `text` instead.
pub fn change_reply(p: &TestProject, scenario: &str, text: &str) {
    fn last_message(v: &mut serde_json::Value) -> Option<&mut serde_json::Value> {
        if v["kind"] == "message" {
            return Some(v);
        }
        match v {
            serde_json::Value::Array(items) => items.iter_mut().rev().find_map(last_message),
            serde_json::Value::Object(map) => map.values_mut().rev().find_map(last_message),
            _ => None,
        }
    }
    let path = format!("integration/scripts/{scenario}.json");
    let mut script: serde_json::Value = serde_json::from_str(&p.read(&path)).unwrap();
    let message = last_message(&mut script).expect("the script has a message");
    message["text"] = text.into();
    p.write(&path, &serde_json::to_string_pretty(&script).unwrap());
}

/// Sends `sig` to a child this test spawned.
pub fn signal(child: &std::process::Child, sig: libc::c_int) {
    // SAFETY: a signal to a child this test spawned.
    unsafe {
        libc::kill(child.id() as libc::pid_t, sig);
    }
}

/// Waits until the driver `child` has taken over the stop signals (blocked
/// them for its signal thread): a signal sent before that ends it the
/// default way, before its handling is set up, however long it takes a
/// busy machine to start it.
pub fn await_signal_handling(child: &std::process::Child) {
    let status = format!("/proc/{}/status", child.id());
    let term = 1u64 << (libc::SIGTERM - 1);
    loop {
        let text = std::fs::read_to_string(&status).unwrap();
        assert!(
            !text.contains("\nState:\tZ"),
            "the driver ended before it took the stop signals"
        );
        let blocked = text
            .lines()
            .find_map(|l| l.strip_prefix("SigBlk:"))
            .map(|mask| u64::from_str_radix(mask.trim(), 16).unwrap())
            .unwrap();
        if blocked & term != 0 {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// Says why a test skips where a new user sees it: on the process's own
/// stderr, which the test harness does not capture (`eprintln!` it does).
pub fn skipped(why: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "skipped: {why}");
}

/// Whether the test may do what needs root (mounts, namespaces); says why
/// not when it skips, and fails instead where root is required
/// (`CODEX_HARVEST_REQUIRE_ROOT=1`, as CI sets it).
pub fn as_root(what: &str) -> bool {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return true;
    }
    assert!(
        std::env::var_os("CODEX_HARVEST_REQUIRE_ROOT").is_none(),
        "{what} needs root, and CODEX_HARVEST_REQUIRE_ROOT is set"
    );
    skipped(&format!("{what} needs root (CI runs as root)"));
    false
}

/// A small pseudo-random sequence (no crate for it): moments to send a
/// signal at. The seed is printed, so a failing run can be replayed with
/// `CODEX_HARVEST_TEST_SEED`.
pub struct Moments(u64);

impl Moments {
    pub fn new() -> Moments {
        let seed = std::env::var("CODEX_HARVEST_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| {
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap()
                    .as_nanos() as u64
            });
        eprintln!("moments seeded with CODEX_HARVEST_TEST_SEED={seed}");
        Moments(seed | 1)
    }

    /// The next value in [lo, hi).
    pub fn next_in(&mut self, lo: f64, hi: f64) -> f64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let unit = (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 11) as f64 / (1u64 << 53) as f64;
        lo + unit * (hi - lo)
    }
}

/// Anything a harvest left beside the fixtures tree.
pub fn staging_leftovers(p: &TestProject) -> Vec<String> {
    std::fs::read_dir(p.path("integration"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("codex-harvest"))
        .collect()
}

//! The command line: flag definitions, reports, and the one place that
//! picks exit codes.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, anyhow};
use clap::{Args, Parser, Subcommand, ValueEnum};

use std::collections::BTreeMap;

use crate::checklist;
use crate::compare::{self, Drift};
use crate::config::HarvestConfig;
use crate::failure::{self, Kind};
use crate::harvest::{self, Session};
use crate::inputs;
use crate::interrupt::{self, Interrupted};
use crate::manifest::{Mismatch, Provenance, Sha256Sums};
use crate::pins::{self, Pins};
use crate::project::Project;
use crate::secrets;
use crate::toolchain::{self, Toolchain};
use crate::tree::{self, Tree};
use crate::tree_lock::TreeLock;

const EXIT_CODES: &str = "\
Exit codes:
  0  clean: fixtures match (check, verify) or were written (harvest)
  1  drift: committed fixtures differ from what the pins produce, or from SHA256SUMS
  2  usage or config error (flags, config/, integration/, CI=true harvest)
  3  toolchain error (python, the SDK, codex, provisioning the pins)
  4  scenario failure (crash, timeout, bad output, a secret in output)
  5  I/O error: the fixtures tree, the checklist or a temp dir could not be written
  129, 130, 143  interrupted (SIGHUP, SIGINT, SIGTERM): every scenario process is
     killed; the fixtures tree is entirely old or entirely new

One writer per fixtures tree: harvest takes an exclusive lock on it (check and
verify a shared one); a run that finds it taken prints a notice and waits.";

const EXAMPLES: &str = "\
Examples:
  codex-harvest check                           # regenerate all, compare, never write
  codex-harvest harvest --scenario thread_basic # rewrite one scenario's fixtures
  codex-harvest verify                          # hashes only, no regeneration
  codex-harvest --root ../codex_sdk check       # run on another repository
  codex-harvest --python-sdk ../codex/sdk/python check   # an unpinned SDK checkout";

/// Reproducible golden fixtures from the Python Codex SDK.
#[derive(Debug, Parser)]
#[command(name = "codex-harvest", version, about, after_help = format!("{EXAMPLES}\n\n{EXIT_CODES}"))]
pub struct Cli {
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Args)]
struct Global {
    /// Project root holding config/ and integration/ [default: .]
    #[arg(long, global = true, value_name = "DIR")]
    root: Option<PathBuf>,
    /// Only this scenario (repeatable) [default: all]
    #[arg(long = "scenario", global = true, value_name = "NAME")]
    scenarios: Vec<String>,
    /// Python with the SDK to use instead of the provisioned venv
    #[arg(long, global = true, env = "CODEX_HARVEST_PYTHON", value_name = "PATH")]
    python: Option<PathBuf>,
    /// SDK source checkout that replaces the pinned SDK (unpinned)
    #[arg(
        long,
        global = true,
        env = "CODEX_PYTHON_SDK_PATH",
        value_name = "PATH"
    )]
    python_sdk: Option<PathBuf>,
    /// codex binary that replaces the pinned one (unpinned)
    #[arg(long, global = true, value_name = "PATH")]
    codex_path: Option<PathBuf>,
    /// Fixtures tree to write (harvest) or compare (check, verify)
    /// [default: integration/fixtures]
    #[arg(long, global = true, value_name = "DIR")]
    output: Option<PathBuf>,
    /// Where the provisioned venv lives [default: ~/.cache/codex-harvest]
    #[arg(long, global = true, env = "CODEX_HARVEST_CACHE", value_name = "DIR")]
    cache_dir: Option<PathBuf>,
    /// Report format
    #[arg(long, global = true, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Keep each scenario's scratch dir (secrets redacted) and print where
    #[arg(long, global = true)]
    keep_scratch: bool,
    /// Scenarios run at once [default: the number of CPUs]
    #[arg(long, global = true, value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..=64))]
    jobs: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Regenerate fixtures and write them with SHA256SUMS and provenance
    #[command(
        long_about = "Runs the selected scenarios (all by default) against the scripted model with the pinned toolchain, normalises what they write and replaces the fixtures, SHA256SUMS and provenance.json. Nothing is written unless every selected scenario succeeds; each file is replaced atomically. Refused when CI=true."
    )]
    Harvest,
    /// Regenerate in a temp dir and compare with the committed fixtures
    #[command(
        long_about = "Regenerates the selected scenarios in temp dirs and compares the result with the committed fixtures: changed (down to the event line and JSON field), missing, extra and hand-edited files, and an out-of-date docs/python-parity-checklist.md. Never writes under the project root. Exit 1 on any drift."
    )]
    Check {
        /// Run each scenario N times; exit 4 where the runs differ
        #[arg(long, value_name = "N", default_value_t = 1,
              value_parser = clap::value_parser!(u32).range(1..=20))]
        repeat: u32,
    },
    /// Check the committed fixtures against SHA256SUMS only
    Verify,
    /// List the scenarios and their declared outputs
    List,
    /// Show the resolved toolchain and whether each part is pinned
    Doctor,
    /// Print the pins (config/native.exs and the Python lock)
    Pins,
    /// Bump codex (and the SDK): rewrite the pins, regenerate, report drift
    #[command(
        long_about = "Fetches the openai-codex-cli-bin wheel of VERSION for every platform config/native.exs pins and the openai-codex SDK wheel, hashes them, regenerates config/requirements.lock (pip-compile --generate-hashes) and rewrites config/native.exs. Then, unless --no-harvest, regenerates every scenario with the new toolchain, prints which fixtures drift from the old ones, event by event, and writes them. Refused when CI=true."
    )]
    Pin {
        /// The codex-rs version to pin, e.g. 0.164.0
        #[arg(long, value_name = "VERSION")]
        codex: String,
        /// The openai-codex SDK version [default: the codex version]
        #[arg(long, value_name = "VERSION")]
        sdk: Option<String>,
        /// Only rewrite the pins
        #[arg(long)]
        no_harvest: bool,
    },
}

/// How a run ended; the exit code follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Clean,
    Drift,
    Usage,
    Toolchain,
    Scenario,
    Io,
    Interrupted(Interrupted),
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Clean => 0,
            Exit::Drift => 1,
            Exit::Usage => 2,
            Exit::Toolchain => 3,
            Exit::Scenario => 4,
            Exit::Io => 5,
            Exit::Interrupted(i) => i.exit_code(),
        }
    }
}

/// A run that could not finish, with the exit code its phase implies.
#[derive(Debug)]
pub struct Failure {
    exit: Exit,
    error: anyhow::Error,
}

trait Phase<T> {
    fn or_exit(self, exit: Exit) -> Result<T, Failure>;
}

impl<T> Phase<T> for anyhow::Result<T> {
    /// `exit` unless the error says what kind it is where it arose.
    fn or_exit(self, exit: Exit) -> Result<T, Failure> {
        self.map_err(|error| Failure {
            exit: failure::kind_of(&error).map_or(exit, Exit::from),
            error,
        })
    }
}

impl From<Kind> for Exit {
    fn from(kind: Kind) -> Exit {
        match kind {
            Kind::Config => Exit::Usage,
            Kind::Toolchain => Exit::Toolchain,
            Kind::Scenario => Exit::Scenario,
            Kind::Io => Exit::Io,
        }
    }
}

/// Maps the outcome to an exit code, printing a failure once with its
/// causes. After a signal, the run failed because of it, whatever the error
/// says (a killed scenario reports its own death).
pub fn exit(outcome: Result<Exit, Failure>) -> ExitCode {
    if let Some(i) = interrupt::received() {
        eprintln!("{i}");
        return ExitCode::from(i.exit_code());
    }
    match outcome {
        Ok(code) => ExitCode::from(code.code()),
        Err(f) => {
            eprint!("{}", secrets::redact(&render_error(&f.error)));
            ExitCode::from(f.exit.code())
        }
    }
}

/// `error: …`, then `caused by: …` lines, then every `hint:` line last.
fn render_error(error: &anyhow::Error) -> String {
    let mut body = String::new();
    let mut hints = Vec::new();
    for (i, cause) in error.chain().enumerate() {
        let text = cause.to_string();
        let mut lines = Vec::new();
        for line in text.lines() {
            match line.strip_prefix("hint: ") {
                Some(h) => hints.push(h.to_string()),
                None => lines.push(line),
            }
        }
        let label = if i == 0 { "error: " } else { "  caused by: " };
        body.push_str(label);
        body.push_str(&lines.join("\n"));
        body.push('\n');
    }
    let mut seen = Vec::new();
    for h in hints {
        if !seen.contains(&h) {
            body.push_str(&format!("hint: {h}\n"));
            seen.push(h);
        }
    }
    body
}

fn progress(msg: &str) {
    eprintln!("{msg}");
}

struct Loaded {
    project: Project,
    config: HarvestConfig,
    pins: Pins,
}

impl Global {
    fn project(&self) -> Result<Project, Failure> {
        let root = self.root.clone().unwrap_or_else(|| PathBuf::from("."));
        Project::open(&root).or_exit(Exit::Usage)
    }

    fn load(&self) -> Result<Loaded, Failure> {
        let project = self.project()?;
        let config = HarvestConfig::load(&project.harvest_config()).or_exit(Exit::Usage)?;
        harvest::scanner(&config).or_exit(Exit::Usage)?.install();
        let pins =
            Pins::load(&project.native_exs(), &project.python_lock()).or_exit(Exit::Usage)?;
        Ok(Loaded {
            project,
            config,
            pins,
        })
    }

    fn request(&self) -> toolchain::Request {
        toolchain::Request {
            python: self.python.clone(),
            python_sdk: self.python_sdk.clone(),
            codex_path: self.codex_path.clone(),
            cache_dir: self.cache_dir.clone(),
        }
    }

    /// The toolchain; every component that is not the pinned one is named
    /// on stderr, on every run.
    fn toolchain(&self, pins: &Pins) -> Result<Toolchain, Failure> {
        let t = Toolchain::resolve(pins, &self.request(), &progress).or_exit(Exit::Toolchain)?;
        for w in t.unpinned(pins) {
            eprintln!("warning: {w}: this run is not a pinned reproduction");
        }
        Ok(t)
    }

    fn fixtures_dir(&self, project: &Project) -> PathBuf {
        self.output
            .clone()
            .unwrap_or_else(|| project.fixtures_dir())
    }
}

pub fn run(cli: Cli) -> Result<Exit, Failure> {
    let g = &cli.global;
    match cli.command {
        Command::Harvest => harvest_cmd(g),
        Command::Check { repeat } => check_cmd(g, repeat as usize),
        Command::Verify => verify_cmd(g),
        Command::List => list_cmd(g),
        Command::Doctor => doctor_cmd(g),
        Command::Pins => pins_cmd(g),
        Command::Pin {
            codex,
            sdk,
            no_harvest,
        } => pin_cmd(g, &codex, sdk.as_deref().unwrap_or(&codex), no_harvest),
    }
}

/// Loads everything and regenerates the selected scenarios.
fn regenerate(
    g: &Global,
    loaded: &Loaded,
    repeat: usize,
) -> Result<(harvest::Generated, bool), Failure> {
    let selected = loaded.config.select(&g.scenarios).or_exit(Exit::Usage)?;
    harvest::check_inputs(&loaded.project, &selected).or_exit(Exit::Usage)?;
    let toolchain = g.toolchain(&loaded.pins)?;
    let session = Session {
        project: &loaded.project,
        config: &loaded.config,
        pins: &loaded.pins,
        toolchain: &toolchain,
        progress: &progress,
        supervisor: supervisor().or_exit(Exit::Io)?,
        keep_scratch: g.keep_scratch,
    };
    let times = if repeat > 1 {
        format!(", {repeat} times each")
    } else {
        String::new()
    };
    progress(&format!(
        "running {} scenario(s) with codex {} and openai-codex {}{times}",
        selected.len(),
        toolchain.codex.version,
        toolchain.sdk.version
    ));
    let jobs = g.jobs.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |j| j as usize,
    );
    let generated =
        harvest::regenerate(&session, &selected, repeat, jobs).or_exit(Exit::Scenario)?;
    Ok((generated, g.scenarios.is_empty()))
}

/// This very binary, which supervises each scenario (`__reap`). On Linux
/// `/proc/self/exe` still runs it when the file was replaced meanwhile (a
/// rebuild during a run).
fn supervisor() -> anyhow::Result<PathBuf> {
    let own = PathBuf::from("/proc/self/exe");
    if own.exists() {
        return Ok(own);
    }
    std::env::current_exe().context("finding the codex-harvest binary, which supervises scenarios")
}

/// CI never writes. CI services set `CI` to `true`, `1`, `TRUE`, `yes`…;
/// only empty, `0`, `false` and `no` mean "not CI".
fn refuse_in_ci(command: &str) -> Result<(), Failure> {
    if let Ok(value) = std::env::var("CI")
        && is_ci(&value)
    {
        return Err(anyhow!(
            "CI={value}: {command} never writes in CI\nhint: run `codex-harvest check` to compare instead"
        ))
        .or_exit(Exit::Usage);
    }
    Ok(())
}

fn is_ci(value: &str) -> bool {
    !matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "" | "0" | "false" | "no"
    )
}

fn harvest_cmd(g: &Global) -> Result<Exit, Failure> {
    refuse_in_ci("harvest")?;
    let loaded = g.load()?;
    write_harvest(g, &loaded, false)
}

/// Regenerates, writes the tree and the checklist; with `report`, first
/// prints how the new tree drifts from the old one, event by event.
fn write_harvest(g: &Global, loaded: &Loaded, report: bool) -> Result<Exit, Failure> {
    let dir = g.fixtures_dir(&loaded.project);
    let (generated, full) = regenerate(g, loaded, 1)?;
    // The tree is read under the lock, after regenerating: a harvest that
    // committed meanwhile is the base this one builds on, not lost.
    let _lock = TreeLock::exclusive(&dir).or_exit(Exit::Io)?;
    let committed = tree::read(&dir).or_exit(Exit::Io)?;
    let new_tree = harvest::assemble(&committed, &generated, full).or_exit(Exit::Usage)?;
    if report {
        let drift = compare::compare(&new_tree, &committed);
        let streams: Vec<&str> = drift
            .changed
            .iter()
            .map(|f| f.path.as_str())
            .chain(drift.missing.iter().map(String::as_str))
            .filter(|p| p.ends_with(".jsonl"))
            .collect();
        let summary = match streams.len() {
            0 => "event streams: none changed (only the recorded versions and digests moved)"
                .to_string(),
            n => format!("event streams: {n} changed: {}", streams.join(", ")),
        };
        print_drift(&drift, &loaded.project.display(&dir), &summary);
    }
    let written: Vec<&String> = new_tree
        .iter()
        .filter(|(path, bytes)| committed.get(*path) != Some(*bytes))
        .map(|(path, _)| path)
        .chain(committed.keys().filter(|p| !new_tree.contains_key(*p)))
        .collect();
    if !written.is_empty() {
        tree::commit(&dir, &new_tree)
            .with_context(|| {
                format!(
                    "writing the fixtures under {}; the tree was left as it was",
                    dir.display()
                )
            })
            .or_exit(Exit::Io)?;
    }
    if g.output.is_none() {
        let path = loaded.project.checklist();
        let text = checklist_for(loaded, &new_tree)?;
        if std::fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
            tree::write_atomic(&path, text.as_bytes()).or_exit(Exit::Io)?;
            println!("harvest: wrote {}", loaded.project.display(&path));
        }
    }
    let shown = loaded.project.display(&dir);
    if written.is_empty() {
        println!("harvest: {shown} is unchanged");
    } else {
        println!("harvest: wrote {} file(s) under {shown}:", written.len());
        for w in &written {
            println!("  {w}");
        }
    }
    if full {
        let declared: Vec<&String> = generated.outputs.keys().collect();
        for extra in new_tree.keys().filter(|p| {
            !declared.contains(p)
                && p.as_str() != crate::config::MANIFEST_FILE
                && p.as_str() != crate::config::PROVENANCE_FILE
        }) {
            println!(
                "warning: kept {extra}, which no scenario produces; remove it (git rm) or declare it in config/harvest.toml"
            );
        }
    }
    Ok(Exit::Clean)
}

fn check_cmd(g: &Global, repeat: usize) -> Result<Exit, Failure> {
    let loaded = g.load()?;
    let dir = g.fixtures_dir(&loaded.project);
    let (generated, full) = regenerate(g, &loaded, repeat)?;
    let committed = read_locked(&dir)?;
    let base = if full { Tree::new() } else { committed.clone() };
    let expected = harvest::assemble(&base, &generated, full).or_exit(Exit::Usage)?;
    let mut drift = compare::compare(&expected, &committed);
    if g.output.is_none() {
        let path = loaded.project.checklist();
        let rel = loaded.project.display(&path);
        let want = checklist_for(&loaded, &expected)?;
        let have = std::fs::read(&path).ok();
        let mut ours = Tree::new();
        ours.insert(rel.clone(), want.into_bytes());
        let theirs: Tree = have.map(|h| (rel, h)).into_iter().collect();
        drift.merge(compare::compare(&ours, &theirs));
    }
    let shown = loaded.project.display(&dir);
    match g.format {
        Format::Json => print_json(&serde_json::json!({"clean": drift.is_clean(), "drift": drift})),
        Format::Text => print_drift(
            &drift,
            &shown,
            &format!(
                "hint: if this change is expected, run `codex-harvest harvest` and review `git diff {shown}`"
            ),
        ),
    }
    Ok(if drift.is_clean() {
        Exit::Clean
    } else {
        Exit::Drift
    })
}

/// The committed tree, read while no harvest is replacing it.
fn read_locked(dir: &std::path::Path) -> Result<Tree, Failure> {
    let _lock = TreeLock::shared(dir).or_exit(Exit::Io)?;
    tree::read(dir).or_exit(Exit::Io)
}

/// The checklist for `fixtures` with today's inputs.
fn checklist_for(loaded: &Loaded, fixtures: &Tree) -> Result<String, Failure> {
    let provenance = Provenance::from_tree(fixtures)
        .or_exit(Exit::Usage)?
        .unwrap_or_default();
    let mut current = BTreeMap::new();
    for s in &loaded.config.scenarios {
        let digests = inputs::digests(&loaded.project, &loaded.config, &loaded.pins.digest, s)
            .or_exit(Exit::Usage)?;
        current.insert(s.name.clone(), digests);
    }
    Ok(checklist::render(&loaded.config, &provenance, &current))
}

fn verify_cmd(g: &Global) -> Result<Exit, Failure> {
    let project = g.project()?;
    let dir = g.fixtures_dir(&project);
    let shown = project.display(&dir);
    let committed = read_locked(&dir)?;
    let mismatches = match Sha256Sums::from_tree(&committed) {
        Ok(Some(sums)) => sums.verify(&committed),
        Ok(None) => {
            return Err(anyhow!(
                "{shown}/SHA256SUMS does not exist\nhint: run `codex-harvest harvest` to write it"
            ))
            .or_exit(Exit::Drift)
        }
        Err(e) => {
            return Err(e.context(format!(
                "{shown}/SHA256SUMS is not a valid manifest\nhint: it is written by `codex-harvest harvest`; restore it with git or regenerate"
            )))
            .or_exit(Exit::Drift)
        }
    };
    match g.format {
        Format::Json => print_json(
            &serde_json::json!({"clean": mismatches.is_empty(), "mismatches": mismatches}),
        ),
        Format::Text if mismatches.is_empty() => {
            println!("verify: every file under {shown} matches SHA256SUMS")
        }
        Format::Text => {
            println!(
                "verify: {} file(s) under {shown} do not match SHA256SUMS",
                mismatches.len()
            );
            for m in &mismatches {
                let what = match m {
                    Mismatch::Changed { .. } => {
                        "changed: its bytes no longer match its manifest entry"
                    }
                    Mismatch::Missing { .. } => "missing: listed in the manifest but not there",
                    Mismatch::Unlisted { .. } => "unlisted: there but not in the manifest",
                };
                println!("  {}  {what}", m.path());
            }
            println!(
                "hint: fixtures change only through `codex-harvest harvest`; restore them with `git checkout -- {shown}` or regenerate"
            );
        }
    }
    Ok(if mismatches.is_empty() {
        Exit::Clean
    } else {
        Exit::Drift
    })
}

fn list_cmd(g: &Global) -> Result<Exit, Failure> {
    let project = g.project()?;
    let config = HarvestConfig::load(&project.harvest_config()).or_exit(Exit::Usage)?;
    let selected = config.select(&g.scenarios).or_exit(Exit::Usage)?;
    match g.format {
        Format::Json => print_json(&selected
            .iter()
            .map(|s| serde_json::json!({"name": s.name, "about": s.about, "outputs": s.outputs.iter().map(|o| o.to_string()).collect::<Vec<_>>()}))
            .collect::<Vec<_>>()),
        Format::Text => {
            for s in selected {
                println!("{}  {}", s.name, s.about);
                for o in &s.outputs {
                    println!("    {o}");
                }
            }
        }
    }
    Ok(Exit::Clean)
}

fn doctor_cmd(g: &Global) -> Result<Exit, Failure> {
    let loaded = g.load()?;
    let t = g.toolchain(&loaded.pins)?;
    let codex_sha = &t.codex_sha256;
    let platform = pins::current_platform();
    let pin_state = |pinned: bool, want: &str| {
        if pinned {
            "pinned".to_string()
        } else {
            format!("UNPINNED: the pin is {want}")
        }
    };
    let report = serde_json::json!({
        "platform": platform,
        "python": {"path": t.python, "version": t.python_version, "venv": t.venv},
        "python_sdk": {"version": t.sdk.version, "path": t.sdk.path, "pinned": t.sdk.pinned},
        "codex": {"version": t.codex.version, "path": t.codex.path, "sha256": codex_sha, "pinned": t.codex.pinned,
                  "pinned_artifact": loaded.pins.codex.artifacts.get(&platform)},
    });
    match g.format {
        Format::Json => print_json(&report),
        Format::Text => {
            println!("platform    {platform}");
            println!("python      {} ({})", t.python.display(), t.python_version);
            if let Some(v) = &t.venv {
                println!("venv        {}", v.display());
            }
            println!(
                "python-sdk  openai-codex {} at {}  [{}]",
                t.sdk.version,
                t.sdk.path.display(),
                pin_state(t.sdk.pinned, &loaded.pins.sdk().version)
            );
            println!(
                "codex       {} at {}  [{}]",
                t.codex.version,
                t.codex.path.display(),
                pin_state(t.codex.pinned, &loaded.pins.codex.version)
            );
            println!("codex sha256 {codex_sha}");
            if let Some(a) = loaded.pins.codex.artifacts.get(&platform) {
                println!("pinned      {} (binary sha256 {})", a.file, a.binary_sha256);
            }
        }
    }
    Ok(Exit::Clean)
}

fn pin_cmd(g: &Global, codex: &str, sdk: &str, no_harvest: bool) -> Result<Exit, Failure> {
    refuse_in_ci("pin")?;
    let loaded = g.load()?;
    let old = &loaded.pins;
    let bumped = toolchain::bump::fetch(old, codex, sdk, &g.request(), &progress)
        .or_exit(Exit::Toolchain)?;
    let native_exs = pins::render_native_exs(&bumped.codex, &bumped.python_sdk);
    // Check the new pins as a pair before either file is replaced.
    let staged = tempfile::tempdir()
        .context("staging the pins")
        .or_exit(Exit::Io)?;
    std::fs::write(staged.path().join("native.exs"), &native_exs)
        .and_then(|_| std::fs::write(staged.path().join("requirements.lock"), &bumped.lock))
        .context("staging the pins")
        .or_exit(Exit::Io)?;
    Pins::load(
        &staged.path().join("native.exs"),
        &staged.path().join("requirements.lock"),
    )
    .context("the fetched pins do not agree; nothing was written")
    .or_exit(Exit::Toolchain)?;
    let project = &loaded.project;
    for (path, text) in [
        (
            project.root().join("config/requirements.in"),
            &bumped.requirements_in,
        ),
        (project.python_lock(), &bumped.lock),
        (project.native_exs(), &native_exs),
    ] {
        tree::write_atomic(&path, text.as_bytes()).or_exit(Exit::Io)?;
    }
    println!(
        "pin: codex {} -> {codex}, {} {} -> {sdk}; wrote config/native.exs and config/requirements.lock",
        old.codex.version,
        pins::SDK_PACKAGE,
        old.sdk().version
    );
    if no_harvest {
        println!("hint: run `codex-harvest harvest` to regenerate the fixtures with the new pins");
        return Ok(Exit::Clean);
    }
    write_harvest(g, &g.load()?, true)
}

fn pins_cmd(g: &Global) -> Result<Exit, Failure> {
    let loaded = g.load()?;
    match g.format {
        Format::Json => print_json(&loaded.pins),
        Format::Text => {
            println!(
                "codex {} ({})",
                loaded.pins.codex.version, loaded.pins.codex.package
            );
            for (platform, a) in &loaded.pins.codex.artifacts {
                println!("  {platform:<15} {}  {}", a.sha256, a.file);
            }
            for r in &loaded.pins.python {
                println!("{}=={} ({} hashes)", r.name, r.version, r.hashes.len());
            }
        }
    }
    Ok(Exit::Clean)
}

fn print_json(value: &impl serde::Serialize) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("reports serialise")
    );
}

/// The drift report; `closing` is its last line (a hint or a summary).
fn print_drift(drift: &Drift, shown: &str, closing: &str) {
    if drift.is_clean() {
        println!("check: {shown} matches what the pinned toolchain produces");
        return;
    }
    let count = drift.changed.len() + drift.missing.len() + drift.extra.len();
    println!("check: {shown} drifts from what the toolchain produces ({count} file(s))");
    for f in &drift.changed {
        let edited = if drift.hand_edited.contains(&f.path) {
            " (hand-edited: it no longer matches its SHA256SUMS line)"
        } else {
            ""
        };
        println!("changed  {}{edited}", f.path);
        for d in &f.differences {
            print!("{d}");
        }
        if f.more > 0 {
            println!("  … and {} more difference(s)", f.more);
        }
    }
    for p in &drift.missing {
        println!("missing  {p}  (regenerated, not committed)");
    }
    for p in &drift.extra {
        println!("extra    {p}  (committed, but no scenario produces it)");
    }
    for p in drift
        .hand_edited
        .iter()
        .filter(|p| !drift.changed.iter().any(|f| &f.path == *p))
    {
        println!("hand-edited  {p}  (its bytes no longer match SHA256SUMS)");
    }
    println!("{closing}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_come_last_and_causes_are_labelled() {
        let err = anyhow!("inner fact\nhint: do this").context("outer");
        assert_eq!(
            render_error(&err),
            "error: outer\n  caused by: inner fact\nhint: do this\n"
        );
    }

    #[test]
    fn exit_codes_are_the_documented_ones() {
        for (exit, code) in [
            (Exit::Clean, 0),
            (Exit::Drift, 1),
            (Exit::Usage, 2),
            (Exit::Toolchain, 3),
            (Exit::Scenario, 4),
            (Exit::Io, 5),
        ] {
            assert_eq!(exit.code(), code);
            assert!(EXIT_CODES.contains(&format!("  {code}  ")));
        }
        for (signal, code) in [
            (libc::SIGHUP, 129),
            (libc::SIGINT, 130),
            (libc::SIGTERM, 143),
        ] {
            assert_eq!(Exit::Interrupted(Interrupted(signal)).code(), code);
            assert!(EXIT_CODES.contains(&code.to_string()));
        }
    }

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}

//! What the commands share: the loaded project, the toolchain, a
//! regeneration run, and reading a tree under its lock.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};

use super::args::{RunArgs, ToolchainArgs};
use super::exit::{Exit, Failure, Phase};
use crate::base::failure::hinted;
use crate::base::project::Project;
use crate::codex::pins::Pins;
use crate::codex::protocol::ExecTypes;
use crate::codex::toolchain::{self, Toolchain};
use crate::engine::tree::{self, Tree};
use crate::harvest::cells::Loaded;
use crate::harvest::config::HarvestConfig;
use crate::harvest::inputs;
use crate::harvest::jobs::{self, Generated, OnFailure};
use crate::harvest::lanes::Lanes;
use crate::harvest::plan::{self, Planned, Unreferenced};
use crate::harvest::protocol_check::ProtocolCheck;
use crate::harvest::provenance::Provenance;
use crate::harvest::reports::checklist;
use crate::harvest::reports::coverage::Coverage;
use crate::harvest::reports::sdk_parity;
use crate::harvest::run::{self, Session};
use crate::process::job_slots;

pub fn progress(msg: &str) {
    crate::errln!("{msg}");
}

pub fn project(root: &Option<PathBuf>) -> Result<Project, Failure> {
    let root = root.clone().unwrap_or_else(|| PathBuf::from("."));
    Project::open(&root).or_exit(Exit::Usage)
}

pub fn config(project: &Project) -> Result<HarvestConfig, Failure> {
    let config = HarvestConfig::load(&project.harvest_config()).or_exit(Exit::Usage)?;
    // From here on, every error printed is redacted with the config's patterns.
    run::scanner(&config).or_exit(Exit::Usage)?.install();
    Ok(config)
}

pub fn load(root: &Option<PathBuf>) -> Result<Loaded, Failure> {
    let project = project(root)?;
    let config = config(&project)?;
    let project = arrange(project, &config)?;
    let pins = Pins::load(&project.native_exs(), &project.python_lock()).or_exit(Exit::Usage)?;
    Ok(Loaded {
        project,
        config,
        pins,
    })
}

/// `project` as `config` lays it out: its generated docs where `docs`
/// says, and its modules and scripts read from a run's copy of the built-in
/// catalogue when it selects built-in scenarios.
fn arrange(project: Project, config: &HarvestConfig) -> Result<Project, Failure> {
    let project = match &config.docs {
        Some(dir) => project.with_docs(dir),
        None => project,
    };
    if config.builtin.is_empty() {
        return Ok(project);
    }
    let catalogue =
        crate::harvest::builtin::materialize(&project.integration_dir()).or_exit(Exit::Usage)?;
    Ok(project.with_catalogue(catalogue))
}

impl ToolchainArgs {
    pub fn request(&self) -> toolchain::Request {
        toolchain::Request {
            python: self.python.clone(),
            python_sdk: self.python_sdk.clone(),
            codex_path: self.codex_path.clone(),
            cache_dir: self.cache_dir.clone(),
        }
    }

    /// The TypeScript SDK as `config/typescript/` pins it: `--typescript-sdk`,
    /// or provisioned into the cache.
    pub fn typescript_sdk(
        &self,
        loaded: &Loaded,
        progress: &dyn Fn(&str),
    ) -> Result<toolchain::node::NodeSdk, Failure> {
        let pin_dir = loaded.project.typescript_pin_dir();
        match &self.typescript_sdk {
            Some(dir) => toolchain::node::installed(&pin_dir, dir),
            None => toolchain::cache_dir(&self.request())
                .and_then(|cache| toolchain::node::provision(&pin_dir, &cache, progress)),
        }
        .or_exit(Exit::Toolchain)
    }

    /// The coverage report over the committed trees (`harvest::cells::coverage`),
    /// each codex resolved as its pins say, the exec types from the pinned
    /// TypeScript SDK's declarations.
    pub fn coverage(&self, loaded: &Loaded) -> Result<(PathBuf, Coverage), Failure> {
        let sdk = self.typescript_sdk(loaded, &progress)?;
        let exec = sdk
            .declarations()
            .and_then(|text| ExecTypes::of_declarations(&text))
            .context("the pinned TypeScript SDK's types")
            .or_exit(Exit::Toolchain)?;
        let request = self.request();
        let codex_of =
            |pins: &Pins| Toolchain::resolve(pins, &request, &|_| {}).map(|t| t.codex.path);
        crate::harvest::cells::coverage(loaded, &codex_of, &exec).or_exit(Exit::Toolchain)
    }

    /// The toolchain; every component that is not the pinned one is named
    /// on stderr, on every run.
    pub fn resolve(&self, pins: &Pins) -> Result<Toolchain, Failure> {
        let t = Toolchain::resolve(pins, &self.request(), &progress).or_exit(Exit::Toolchain)?;
        for w in t.unpinned(pins) {
            crate::errln!("warning: {w}: this run is not a pinned reproduction");
        }
        Ok(t)
    }
}

/// What a regeneration made, and with what.
pub struct Regenerated {
    pub generated: Generated,
    /// Every scenario of the catalogue ran.
    pub full: bool,
    pub toolchain: Toolchain,
}

impl Regenerated {
    /// The tree this regeneration makes of `committed` (`harvest::plan`).
    pub fn plan(
        &self,
        loaded: &Loaded,
        committed: &Tree,
        policy: Unreferenced,
        declared: bool,
    ) -> Result<Planned, Failure> {
        plan::plan(
            &loaded.config,
            committed,
            &self.generated,
            self.full,
            policy,
            declared,
        )
        .or_exit(Exit::Usage)
    }
}

/// How a regeneration runs: each scenario `repeat` times, which lanes,
/// against replay of a tree's recordings or codex, and what a failed lane
/// does.
pub struct Mode {
    pub repeat: usize,
    pub lanes: Lanes,
    pub replay: Option<PathBuf>,
    pub failed: OnFailure,
    /// Each progress line says which codex it is of (several run at once).
    pub labelled: bool,
}

impl Mode {
    /// Every lane once against codex, as `harvest` runs.
    pub fn once(failed: OnFailure) -> Mode {
        Mode {
            repeat: 1,
            lanes: Lanes::ALL,
            replay: None,
            failed,
            labelled: false,
        }
    }
}

/// Regenerates `names` (all when empty) as `mode` says.
pub fn resolve_and_run(
    loaded: &Loaded,
    names: &[String],
    run: &RunArgs,
    toolchain: &ToolchainArgs,
    mode: Mode,
) -> Result<Regenerated, Failure> {
    let Mode {
        repeat,
        lanes,
        replay,
        failed,
        labelled,
    } = mode;
    let version = &loaded.pins.codex.version;
    let progress = |msg: &str| match labelled {
        true => progress(&format!("[codex {version}] {msg}")),
        false => progress(msg),
    };
    let selected = loaded.config.select(names).or_exit(Exit::Usage)?;
    inputs::check_inputs(&loaded.project, &selected).or_exit(Exit::Usage)?;
    crate::base::private_dir::sweep();
    let args = toolchain;
    let request = args.request();
    let mut toolchain = args.resolve(&loaded.pins)?;
    let pin_dir = loaded.project.typescript_pin_dir();
    let typescript_pin = match selected.iter().any(|s| !s.typescript.is_empty()) {
        true => Some(toolchain::node::pinned_sdk(&pin_dir).or_exit(Exit::Usage)?),
        false => None,
    };
    if lanes.typescript && typescript_pin.is_some() {
        toolchain.typescript = Some(args.typescript_sdk(loaded, &progress)?);
    }
    let protocol = ProtocolCheck::of(&toolchain.codex.path);
    let session = Session {
        project: &loaded.project,
        protocol: &protocol,
        config: &loaded.config,
        pins: &loaded.pins,
        toolchain: &toolchain,
        progress: &progress,
        supervisor: supervisor().or_exit(Exit::Io)?,
        keep_scratch: run.keep_scratch,
        cold: run.cold,
        lanes,
        replay,
        typescript_pin,
        durations: toolchain::cache_dir(&request)
            .ok()
            .map(|c| c.join("durations.json")),
    };
    let times = if repeat > 1 {
        format!(", {repeat} times each")
    } else {
        String::new()
    };
    let codex = match &session.replay {
        Some(_) => "codex-harvest replay of the committed recordings".to_string(),
        None => format!("codex {}", toolchain.codex.version),
    };
    progress(&format!(
        "running {} scenario(s) with {codex} and openai-codex {}{times}",
        selected.len(),
        toolchain.sdk.version
    ));
    let jobs = run.jobs.map_or_else(default_jobs, |j| j as usize);
    let generated = jobs::run_scenarios(&session, &selected, repeat, job_slots::init(jobs), failed)
        .or_exit(Exit::Scenario)?;
    Ok(Regenerated {
        generated,
        full: names.is_empty() && lanes == Lanes::ALL,
        toolchain,
    })
}

/// Two jobs a CPU: a job keeps about three quarters of a CPU busy (the rest
/// is codex waiting: its retry backoff, the model's replies, the pipes
/// between client and codex), and the jobs at a schedule's end are the
/// shortest, so with fewer the cores idle. A slot costs no import of the SDK
/// (the slots share one warm worker). Measured on 2 cores, 5 paired runs:
/// `check` 6.9 s with 3 jobs, 6.2 s with 4 and 5, the same CPU with 3 and 4.
fn default_jobs() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()) * 2
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

/// The tree at `dir`, read while no harvest is replacing it.
pub fn read_locked(dir: &Path) -> Result<Tree, Failure> {
    read_locked_with(dir, &[]).map(|(tree, _)| tree)
}

/// A file's bytes, `None` where there is no such file.
pub type Contents = Option<Vec<u8>>;

/// [`tree::read_locked`], its failure an I/O one.
pub fn read_locked_with(dir: &Path, docs: &[PathBuf]) -> Result<(Tree, Vec<Contents>), Failure> {
    tree::read_locked(dir, docs).or_exit(Exit::Io)
}

/// The fixtures tree a command reads: `--output`, made absolute, or the
/// project's.
pub fn fixtures_dir(project: &Project, output: &Option<PathBuf>) -> Result<PathBuf, Failure> {
    match output {
        Some(dir) => std::path::absolute(dir)
            .with_context(|| format!("resolving --output {}", dir.display()))
            .or_exit(Exit::Usage),
        None => Ok(project.fixtures_dir()),
    }
}

/// The fixtures tree a command replaces: `--output` checked to be a tree of
/// its own ([`Project::output_tree`]), or the project's.
pub fn output_dir(project: &Project, output: &Option<PathBuf>) -> Result<PathBuf, Failure> {
    match output {
        Some(dir) => project.output_tree(dir, "--output").or_exit(Exit::Usage),
        None => Ok(project.fixtures_dir()),
    }
}

/// CI never writes. CI services set `CI` to `true`, `1`, `TRUE`, `yes`…;
/// only empty, `0`, `false` and `no` mean "not CI".
pub fn refuse_in_ci(command: &str) -> Result<(), Failure> {
    if let Ok(value) = std::env::var("CI")
        && is_ci(&value)
    {
        return Err(hinted(
            anyhow!("CI={value}: {command} never writes in CI"),
            "run `codex-harvest check` to compare instead",
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

/// Each scenario's input digests, by scenario.
pub type Inputs = BTreeMap<String, BTreeMap<String, String>>;

/// Every scenario's input digests today.
pub fn current_inputs(loaded: &Loaded) -> Result<Inputs, Failure> {
    let mut current = BTreeMap::new();
    for s in &loaded.config.scenarios {
        let digests = inputs::digests(&loaded.project, &loaded.config, &loaded.pins.digest, s)
            .or_exit(Exit::Usage)?;
        current.insert(s.name.clone(), digests);
    }
    Ok(current)
}

/// The recorded inputs of `fixtures`' scenarios, but those in `except`.
pub fn recorded_inputs(
    fixtures: &Tree,
    except: &[String],
) -> Result<BTreeMap<String, BTreeMap<String, String>>, Failure> {
    let provenance = Provenance::from_tree(fixtures)
        .or_exit(Exit::Usage)?
        .unwrap_or_default();
    Ok(provenance
        .scenarios
        .into_iter()
        .filter(|(name, _)| !except.contains(name))
        .map(|(name, r)| (name, r.inputs))
        .collect())
}

/// The docs generated from a fixtures tree, with where they go: the
/// freshness checklist (with today's inputs, `current_inputs`) and the SDK
/// parity report. `harvest` writes them,
/// `check` fails when they are out of date.
pub fn generated_docs(
    loaded: &Loaded,
    fixtures: &Tree,
    current: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<Vec<(PathBuf, String)>, Failure> {
    let provenance = Provenance::from_tree(fixtures)
        .or_exit(Exit::Usage)?
        .unwrap_or_default();
    let parity = sdk_parity::compare(&loaded.config, fixtures).or_exit(Exit::Usage)?;
    let [checklist_path, parity_path] = generated_doc_paths(loaded);
    Ok(vec![
        (
            checklist_path,
            checklist::render(&loaded.config, &provenance, current),
        ),
        (parity_path, sdk_parity::render(&loaded.config, &parity)),
    ])
}

/// Where the generated docs go.
pub fn generated_doc_paths(loaded: &Loaded) -> [PathBuf; 2] {
    [loaded.project.checklist(), loaded.project.sdk_parity()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ci_is_any_value_but_the_false_ones() {
        for v in ["true", "1", "TRUE", "yes", "github"] {
            assert!(is_ci(v), "{v}");
        }
        for v in ["", "0", "false", "FALSE", "no"] {
            assert!(!is_ci(v), "{v}");
        }
    }
}

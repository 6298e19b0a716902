//! The arguments: what is global is global (`--root`), and each command
//! takes only the flags it reads, so a flag a command would ignore is an
//! error instead.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::harvest::lanes::Lanes;
use crate::harvest::plan::Unreferenced;

const EXIT_CODES: &str = "\
Exit codes:
  0  clean: fixtures match (check, verify) or were written (harvest)
  1  drift: committed fixtures differ from what the pins produce, or from SHA256SUMS
  2  usage or config error (flags, config/, integration/, harvest or pin in CI)
  3  toolchain error (python, the SDK, codex, provisioning the pins)
  4  scenario failure (crash, timeout, bad output, a secret in output)
  5  I/O error: the fixtures tree, the checklist or a temp dir could not be written
  6  replay: the client asked something the recording does not have (a diff on stderr);
     otherwise replay exits with the recorded exit code
  129, 130, 143  interrupted (SIGHUP, SIGINT, SIGTERM): every scenario process is
     killed; the fixtures tree is entirely old or entirely new

One writer per fixtures tree: harvest takes an exclusive lock on it (check and
verify a shared one); a run that finds it taken prints a notice and waits.";

const EXAMPLES: &str = "\
Examples:
  codex-harvest check                           # regenerate all, compare, never write
  codex-harvest harvest --scenario thread_basic # rewrite one scenario's fixtures
  codex-harvest verify                          # hashes only, no regeneration
  codex-harvest --root ../codex_sdk init --lane exec --layout exec=python   # make another repository a project
  codex-harvest --root ../codex_sdk check       # then run on it (docs/adopting.md)
  codex-harvest check --python-sdk ../codex/sdk/python   # an unpinned SDK checkout";

/// Reproducible golden fixtures from the Python Codex SDK.
#[derive(Debug, Parser)]
#[command(name = "codex-harvest", version, about, after_help = format!("{EXAMPLES}\n\n{EXIT_CODES}"))]
pub struct Cli {
    /// Project root holding config/ and integration/ [default: .]
    #[arg(long, global = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Regenerate fixtures and write them with SHA256SUMS and provenance
    #[command(
        long_about = "Runs the selected scenarios (all by default) against the scripted model with the pinned toolchain, normalises what they write and replaces the fixtures tree, SHA256SUMS and provenance.json in one step; then the same for each codex of the version matrix (config/matrix/, into integration/matrix/codex-<version>/, where a lane that codex cannot run is recorded as <lane>/<scenario>.failed) and rewrites docs/codex-compat.md. Nothing is written to the main pin's tree unless every selected scenario succeeds. Refused in CI."
    )]
    Harvest(HarvestArgs),
    /// Regenerate in a temp dir and compare with the committed fixtures
    #[command(
        long_about = "Regenerates the selected scenarios in temp dirs and compares the result with the committed fixtures: changed (down to the event line and JSON field), missing, extra and hand-edited files, and an out-of-date docs/python-parity-checklist.md or docs/sdk-parity.md (read as the last harvest committed them); the same for each codex of the version matrix (config/matrix/, --codex-version picks), and an out-of-date docs/codex-compat.md. Never writes under the project root. Exit 1 on any drift; a provenance.json that no longer reads is drift before anything runs."
    )]
    Check(CheckArgs),
    /// Check the committed fixtures against SHA256SUMS only
    Verify(VerifyArgs),
    /// List the scenarios and their declared outputs
    List(ListArgs),
    /// Show the resolved toolchain and whether each part is pinned
    Doctor(DoctorArgs),
    /// Print the pins (config/native.exs and the Python lock)
    Pins(FormatArgs),
    /// Compare the Python and TypeScript fixtures: where the SDKs agree
    #[command(
        long_about = "Reads the fixtures tree and compares, for every scenario harvested through both official SDKs, the Python fixture with its TypeScript twin on a common view: the turn's outcome and error, the final agent text, the completed items by kind with their key fields, the usage. Prints docs/sdk-parity.md as harvest writes it, or the same data with --format json."
    )]
    Parity(ParityArgs),
    /// Compare the fixtures of every codex of the version matrix
    #[command(
        long_about = "Reads the committed fixtures of the main pin (integration/fixtures) and of each codex of the version matrix (config/matrix/, integration/matrix/codex-<version>/) and prints, per scenario and version, whether its fixtures are the same as the previous version's or what changed, which lanes fail with what error, and per event field the first (and last) version that emits it: docs/codex-compat.md as harvest writes it, or the same data with --format json."
    )]
    Compat(FormatArgs),
    /// List every kind of message a client can be sent, and the fixtures that show it
    #[command(
        long_about = "Asks each codex of the run (the main pin and the version matrix) for its app-server schema (codex app-server generate-json-schema) and reads the pinned TypeScript SDK's item and event types, then lists every item type, server notification, server request and client request, and every exec item and event type, with the scenarios and lanes of the committed fixtures that show it, or why none can (config/coverage.toml), or that none does yet: docs/coverage.md as harvest writes it, or the same data with --format json."
    )]
    Coverage(CoverageArgs),
    /// The committed trees as one artifact to pin by hash: a tar, or unpacked
    #[command(
        long_about = "Gathers the main pin's fixtures tree and each matrix tree (each checked against its own SHA256SUMS first), config/harvest.toml (whose rules replay reads above a recording), a replay shim (bin/codex-replay) and BUNDLE.json, with a SHA256SUMS over every file, under one directory named after the main pin's codex: written as a tar whose bytes depend on those files alone (--output FILE; its sha256 is what a consumer pins) or unpacked (--into DIR). `codex-harvest verify --bundle DIR` checks an unpacked bundle; so does `sha256sum -c --strict SHA256SUMS` in it."
    )]
    Bundle(BundleArgs),
    /// Make a repository a project of built-in scenarios: config and pins
    #[command(
        long_about = "Writes config/harvest.toml, selecting scenarios of the catalogue that ships with codex-harvest by name (their modules, model scripts and rules are not copied: they come with the tool and move with its version), with the lanes to record and each lane's directory in the fixtures tree, and the pins the catalogue was harvested with (config/native.exs, config/pylock.toml, config/typescript/). Refuses to write over any file, and says what to run next.",
        after_help = init_catalogue_help()
    )]
    Init(InitArgs),
    /// Hold a repository's own fixtures against what codex really sends
    #[command(
        long_about = "Reads every .jsonl file of DIR (an SDK repository's hand-written fixtures) and holds each against the fixture of this project's main pin that shows its workflow: by the map of --map FILE, else the `[consumer]` map of config/coverage.toml, else by file name (exec/<name>.jsonl first, then typescript/, then python/). Per file it reports the event types and fields real codex never sends, the ones real codex sends that the file lacks, and values that look invented where codex sends an id. Exit 1 when any file differs or has no counterpart."
    )]
    Audit(AuditArgs),
    /// Show what the toolchain cache holds and which pin uses it; prune the rest
    #[command(
        long_about = "Lists each entry of the toolchain cache (a venv, the TypeScript SDK, a codex binary) with the room it takes and the pins of this project that use it on this machine: the main pin (config/native.exs), each codex of the version matrix (config/matrix/) and the TypeScript SDK (config/typescript/). With --prune, removes every entry no pin names (not one another run holds now). Only entries named as codex-harvest names them are listed or removed; a cache shared by several projects keeps what the others pin only if --prune runs from each."
    )]
    Cache(CacheArgs),
    /// Stand in for `codex`: play a recorded conversation or exec run back
    #[command(
        long_about = "Stands in for the codex executable. Given a wire transcript (integration/fixtures/wire/<name>.jsonl) it serves `codex app-server --listen stdio://`: each request the client sends is compared with the recorded one (method and params, after the fixtures' normalisation; ids are the client's) and answered with the recorded response, and the recorded notifications and server requests are sent in recorded order. Given an exec fixture (integration/fixtures/exec/<name>.jsonl) it serves `codex exec --json …`: when the client's arguments are exactly the recorded ones (<name>.command.json beside it) it prints the recorded lines and exits with the recorded exit code. Anything the recording does not have exits 6 with a diff on stderr. A client's tests point their codex path at a one-line shim: exec codex-harvest replay /path/to/<recording> -- \"$@\" (docs/replay.md)."
    )]
    Replay(ReplayArgs),
    /// Stand in for `codex`: the pinned codex against a scenario's scripted model
    #[command(
        long_about = "Runs the pinned codex with the client's arguments and stdio against the scripted model of --scenario, in a throwaway CODEX_HOME (or --codex-home DIR, kept with the replies taken across starts), offline and deterministic: for a client whose requests no recording holds. Exits with codex's exit code. What the client records can then be brought to the fixtures' form with `codex-harvest normalize` (docs/replay.md)."
    )]
    StandIn(StandInArgs),
    #[command(
        long_about = "Runs one scenario through every lane, as check would, and writes its fixtures into a directory of their own (with provenance.json and SHA256SUMS for that scenario alone); with --expect, first compares them with the scenario's committed files and fails with the drift. The Nix gate builds one such directory per scenario and `check --regenerated` compares them all with the committed tree (docs/nix.md). Never writes the committed tree or the generated docs."
    )]
    Regenerate(RegenerateArgs),
    /// Normalise a client's JSON Lines by the project's rules, to compare with a fixture
    Normalize(NormalizeArgs),
    /// Bump codex (and the SDK): rewrite the pins, regenerate, report drift
    #[command(
        long_about = "Fetches codex VERSION for every platform config/native.exs pins — the openai-codex-cli-bin wheel from PyPI, or where PyPI does not have it the @openai/codex platform build from npm — hashes each artifact and the codex binary inside it, resolves the SDK's Python lock for every platform (config/pylock.toml) and rewrites config/native.exs. Then, unless --no-harvest, regenerates every scenario with the new toolchain, prints which fixtures drift from the old ones, event by event, and writes them (with --dry-run: only reports). Refused in CI."
    )]
    Pin(PinArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, ValueEnum, Default)]
pub enum Format {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct FormatArgs {
    /// Report format
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

/// Where the toolchain comes from.
#[derive(Debug, Args)]
pub struct ToolchainArgs {
    /// Python with the SDK to use instead of the provisioned venv
    #[arg(long, env = "CODEX_HARVEST_PYTHON", value_name = "PATH")]
    pub python: Option<PathBuf>,
    /// SDK source checkout that replaces the pinned SDK (unpinned)
    #[arg(long, env = "CODEX_PYTHON_SDK_PATH", value_name = "PATH")]
    pub python_sdk: Option<PathBuf>,
    /// codex binary that replaces the pinned one (unpinned unless its bytes are the pin's)
    #[arg(long, value_name = "PATH", env = "CODEX_HARVEST_CODEX")]
    pub codex_path: Option<PathBuf>,
    /// A directory whose node_modules holds the pinned TypeScript SDK,
    /// installed by another tool from config/typescript/package-lock.json
    /// (the flake's), used instead of the cache's `npm ci`
    #[arg(long, env = "CODEX_HARVEST_TYPESCRIPT_SDK", value_name = "DIR")]
    pub typescript_sdk: Option<PathBuf>,
    /// Where the provisioned toolchain lives (venvs, codex binaries, the
    /// TypeScript SDK) [default: ~/.cache/codex-harvest]
    #[arg(long, env = "CODEX_HARVEST_CACHE", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
}

/// How scenarios run.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenarios run at once [default: twice the number of CPUs]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    pub jobs: Option<u32>,
    /// Keep each scenario's scratch dir (secrets redacted) and print where
    #[arg(long)]
    pub keep_scratch: bool,
    /// Start every scenario in a fresh interpreter instead of forking it
    /// from a warm worker that imported the SDK once (slower; the results are
    /// the same)
    #[arg(long)]
    pub cold: bool,
}

/// Which scenarios, into or against which tree.
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Only this scenario (repeatable) [default: all]
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenarios: Vec<String>,
    /// Fixtures tree to write or compare [default: integration/fixtures,
    /// and integration/matrix/codex-<version>/ for each codex of the matrix]
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// Only this codex (repeatable): the main pin's version
    /// (config/native.exs) or one of the matrix (config/matrix/) [default:
    /// every one]
    #[arg(
        long = "codex-version",
        value_name = "VERSION",
        conflicts_with = "output"
    )]
    pub codex_versions: Vec<String>,
    /// Files in the tree that no scenario produces: refuse to harvest and
    /// report them as drift (reject), drop them on harvest (delete), or keep
    /// them with a warning (warn). Use the same value for harvest and check.
    #[arg(long, value_enum, default_value_t = UnreferencedArg::Reject, value_name = "POLICY")]
    pub unreferenced: UnreferencedArg,
}

#[derive(Debug, Clone, Copy, PartialEq, ValueEnum)]
pub enum UnreferencedArg {
    Reject,
    Delete,
    Warn,
}

impl From<UnreferencedArg> for Unreferenced {
    fn from(a: UnreferencedArg) -> Unreferenced {
        match a {
            UnreferencedArg::Reject => Unreferenced::Reject,
            UnreferencedArg::Delete => Unreferenced::Delete,
            UnreferencedArg::Warn => Unreferenced::Warn,
        }
    }
}

#[derive(Debug, Args)]
pub struct HarvestArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub toolchain: ToolchainArgs,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub toolchain: ToolchainArgs,
    /// Run each scenario N times; exit 4 where the runs differ
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=20))]
    pub repeat: u32,
    /// Only this lane (repeatable) [default: all]
    #[arg(long = "lane", value_enum, value_name = "LANE")]
    pub lanes: Vec<LaneArg>,
    /// Drive the Python SDK against `codex-harvest replay` of the committed
    /// wire transcripts instead of codex, and compare its fixtures (the
    /// proof that replay is faithful), and the TypeScript SDK against replay
    /// of the typescript lane's codex runs: the python and typescript lanes)
    #[arg(long, conflicts_with = "lanes")]
    pub against_replay: bool,
    /// Run nothing: compare what `regenerate --into DIR` wrote (repeatable,
    /// one DIR per scenario) with the committed tree, as a full check would
    /// (the Nix gate's aggregate, over its per-scenario builds)
    #[arg(long, value_name = "DIR", conflicts_with_all = ["against_replay", "repeat", "scenarios", "lanes"])]
    pub regenerated: Vec<PathBuf>,
    #[command(flatten)]
    pub format: FormatArgs,
}

/// One scenario, every lane, into a directory of its own.
#[derive(Debug, Args)]
pub struct RegenerateArgs {
    /// The scenario to run
    #[arg(long, value_name = "NAME")]
    pub scenario: String,
    /// Where its fixtures go, with their own provenance.json and SHA256SUMS
    /// (a new or empty directory)
    #[arg(long, value_name = "DIR")]
    pub into: PathBuf,
    /// The scenario's committed fixtures at their paths under DIR (a whole
    /// fixtures tree, or just its files; no other scenario's are read):
    /// drift from them is printed, exit 1, nothing written
    #[arg(long, value_name = "DIR")]
    pub expect: Option<PathBuf>,
    /// The codex to run: the main pin's version or one of the matrix's
    /// (config/matrix/) [default: the main pin]
    #[arg(long, value_name = "VERSION")]
    pub codex_version: Option<String>,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub toolchain: ToolchainArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, ValueEnum)]
pub enum LaneArg {
    /// The Python SDK's turn notifications (fixtures/python/)
    Python,
    /// The app-server JSON-RPC conversation, both directions (fixtures/wire/)
    Wire,
    /// `codex exec --json` (fixtures/exec/)
    Exec,
    /// The TypeScript SDK's `runStreamed()` events (fixtures/typescript/)
    Typescript,
}

impl CheckArgs {
    /// The lanes to record: those named, or all.
    pub fn lanes(&self) -> Lanes {
        if self.lanes.is_empty() {
            return Lanes::ALL;
        }
        Lanes {
            python: self.lanes.contains(&LaneArg::Python),
            wire: self.lanes.contains(&LaneArg::Wire),
            exec: self.lanes.contains(&LaneArg::Exec),
            typescript: self.lanes.contains(&LaneArg::Typescript),
        }
    }
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Fixtures tree to verify [default: integration/fixtures]
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    /// An unpacked bundle to verify instead (`codex-harvest bundle`): no
    /// project needed
    #[arg(long, value_name = "DIR", conflicts_with = "output")]
    pub bundle: Option<PathBuf>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct CoverageArgs {
    #[command(flatten)]
    pub format: FormatArgs,
    #[command(flatten)]
    pub toolchain: ToolchainArgs,
}

#[derive(Debug, Args)]
pub struct ParityArgs {
    /// Fixtures tree to read [default: integration/fixtures]
    #[arg(long, value_name = "DIR")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Only this scenario (repeatable) [default: all]
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenarios: Vec<String>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    #[command(flatten)]
    pub toolchain: ToolchainArgs,
    #[command(flatten)]
    pub format: FormatArgs,
}

/// The built-in scenarios, for `init --help`.
fn init_catalogue_help() -> String {
    let catalogue =
        crate::harvest::config::HarvestConfig::parse(crate::harvest::builtin::harvest_toml())
            .expect("the built-in catalogue parses (a unit test proves it)");
    let mut out = String::from("Built-in scenarios (--scenario):\n");
    for s in &catalogue.scenarios {
        out.push_str(&format!("  {:<34} {}\n", s.name, s.about));
    }
    out
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// A built-in scenario (repeatable) [default: every one with a lane recorded]
    #[arg(long = "scenario", value_name = "NAME")]
    pub scenarios: Vec<String>,
    /// A lane to record (repeatable) [default: all]
    #[arg(long = "lane", value_enum, value_name = "LANE")]
    pub lanes: Vec<LaneArg>,
    /// A lane's directory in the fixtures tree, e.g. exec=python (repeatable)
    /// [default: the lane's name]
    #[arg(long = "layout", value_name = "LANE=DIR", value_parser = lane_dir)]
    pub layout: Vec<(String, String)>,
    /// Where harvest writes the generated reports, relative to the root
    #[arg(long, value_name = "DIR", default_value = "docs/codex-harvest")]
    pub docs: String,
}

fn lane_dir(raw: &str) -> Result<(String, String), String> {
    raw.split_once('=')
        .map(|(l, d)| (l.to_string(), d.to_string()))
        .ok_or_else(|| format!("{raw:?}: write LANE=DIR, e.g. exec=python"))
}

#[derive(Debug, Args)]
#[group(required = true, multiple = false)]
pub struct BundleArgs {
    /// The tar to write (a new file)
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// A new or empty directory to write the bundle's files into
    #[arg(long, value_name = "DIR")]
    pub into: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The directory of fixtures to audit
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// A TOML file whose `[consumer.fixtures]` maps each file to ours
    /// (`name = { fixture = "exec/x.jsonl" }` or `{ why_not = "…" }`)
    #[arg(long, value_name = "FILE")]
    pub map: Option<PathBuf>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct CacheArgs {
    /// Remove the entries no pin of this project names
    #[arg(long)]
    pub prune: bool,
    /// Where the provisioned toolchain lives [default: ~/.cache/codex-harvest]
    #[arg(long, env = "CODEX_HARVEST_CACHE", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    #[command(flatten)]
    pub format: FormatArgs,
}

#[derive(Debug, Args)]
pub struct StandInArgs {
    /// The scenario whose scripted model answers
    #[arg(long, value_name = "NAME")]
    pub scenario: String,
    /// CODEX_HOME to use and keep (with the replies taken) across starts
    #[arg(long, value_name = "DIR")]
    pub codex_home: Option<PathBuf>,
    /// Write every request codex made to the scripted model to FILE, as
    /// JSON Lines (a new file: an existing one is refused)
    #[arg(long, value_name = "FILE")]
    pub model_requests: Option<PathBuf>,
    #[command(flatten)]
    pub toolchain: ToolchainArgs,
    /// The arguments the client gave codex (after `--`)
    #[arg(last = true, value_name = "CODEX ARGS", allow_hyphen_values = true)]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
pub struct NormalizeArgs {
    /// The .jsonl (or .json) a client wrote
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The client's working directory while it ran
    #[arg(long, value_name = "DIR")]
    pub workdir: Option<PathBuf>,
    /// The CODEX_HOME codex ran with (the stand-in's --codex-home)
    #[arg(long, value_name = "DIR")]
    pub codex_home: Option<PathBuf>,
    /// The HOME codex ran with
    #[arg(long, value_name = "DIR")]
    pub home: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The wire transcript or exec fixture to play; several play one per
    /// start of replay, in order (with --sequence)
    #[arg(value_name = "RECORDING", required = true)]
    pub recordings: Vec<PathBuf>,
    /// A directory remembering how many of several recordings were played
    #[arg(long, value_name = "DIR")]
    pub sequence: Option<PathBuf>,
    /// Seconds to wait for each message the recording expects from the client
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub patience: u64,
    /// The global --root in replay's place, out of its help: replay reads
    /// the project above its recording and refuses one
    #[arg(long, hide = true, value_name = "DIR")]
    pub root: Option<PathBuf>,
    /// The arguments the client gave codex (after `--`)
    #[arg(last = true, value_name = "CODEX ARGS", allow_hyphen_values = true)]
    pub args: Vec<String>,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["codex", "matrix"])))]
pub struct PinArgs {
    /// The codex-rs version to pin, e.g. 0.164.0
    #[arg(long, value_name = "VERSION")]
    pub codex: Option<String>,
    /// The version matrix, replacing the one pinned: the codex versions
    /// harvested besides the main pin, comma-separated (the SDKs stay as
    /// pinned), e.g. 0.144.4,0.155.1,0.160.1,0.169.0,0.171.0
    #[arg(long, value_name = "VERSIONS", value_delimiter = ',',
          conflicts_with_all = ["sdk", "dry_run", "drift_report"])]
    pub matrix: Vec<String>,
    /// The openai-codex SDK version [default: the codex version if PyPI has
    /// that SDK, else the SDK pinned now]
    #[arg(long, value_name = "VERSION")]
    pub sdk: Option<String>,
    /// Only rewrite the pins
    #[arg(long, conflicts_with = "dry_run")]
    pub no_harvest: bool,
    /// Fetch the new pins and report the drift they cause, writing neither
    /// the pins nor the fixtures
    #[arg(long)]
    pub dry_run: bool,
    /// Also write the drift report as DIR/<old>-to-<new>.md and .json
    #[arg(long, value_name = "DIR", conflicts_with = "no_harvest")]
    pub drift_report: Option<PathBuf>,
    #[command(flatten)]
    pub run: RunArgs,
    #[command(flatten)]
    pub toolchain: ToolchainArgs,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cli_definition_is_consistent() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }

    #[test]
    fn a_flag_a_command_would_ignore_is_refused() {
        for args in [
            ["codex-harvest", "verify", "--jobs", "3"],
            ["codex-harvest", "verify", "--scenario", "x"],
            ["codex-harvest", "harvest", "--format", "json"],
            ["codex-harvest", "pins", "--python", "/x"],
        ] {
            assert!(Cli::try_parse_from(args).is_err(), "{args:?} was accepted");
        }
        assert!(
            Cli::try_parse_from(["codex-harvest", "check", "--root", "x", "--jobs", "1"]).is_ok()
        );
    }

    /// The help's table of exit codes lists exactly the codes the exits
    /// produce: every outcome's, and a stop signal's for each signal the
    /// driver stops on.
    #[test]
    fn the_help_lists_exactly_the_exit_codes_there_are() {
        use super::super::exit::Exit;
        use crate::base::interrupt::{Interrupted, SIGNALS};
        let documented: std::collections::BTreeSet<u8> = EXIT_CODES
            .lines()
            .filter_map(|l| l.strip_prefix("  "))
            .filter_map(|l| l.split("  ").next())
            .flat_map(|codes| codes.split(", "))
            .filter_map(|c| c.trim().parse().ok())
            .collect();
        let mut produced: std::collections::BTreeSet<u8> = [
            Exit::Clean,
            Exit::Drift,
            Exit::Usage,
            Exit::Toolchain,
            Exit::Scenario,
            Exit::Io,
            Exit::Diverged,
        ]
        .iter()
        .map(|e| e.code())
        .collect();
        produced.extend(SIGNALS.map(|s| Exit::Interrupted(Interrupted(s)).code()));
        assert_eq!(documented, produced);
    }
}

//! `pin`: move the codex (and SDK) pins, then harvest with a drift report.

use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::Serialize;

use super::args::{PinArgs, SelectArgs, ToolchainArgs, UnreferencedArg};
use super::exit::{Exit, Failure, Phase};
use super::harvest::DriftHook;
use super::report::drift_report;
use super::setup::{self, progress};
use crate::codex::pins::{self, Pins};
use crate::codex::protocol::ProtocolTypes;
use crate::codex::toolchain;
use crate::engine::compare::Drift;
use crate::engine::drift_text::Style;
use crate::engine::tree::Tree;
use crate::harvest::cells::Loaded;
use crate::harvest::cells::Target;
use crate::harvest::jobs::OnFailure;
use crate::harvest::reports::coverage;

/// The drift report `--drift-report` keeps: what moved, where it came
/// from, and the drift itself (the JSON form of what `pin` prints).
#[derive(Serialize)]
struct DriftRecord<'a> {
    /// The command that wrote the report.
    command: String,
    codex_from: &'a str,
    codex_to: &'a str,
    sdk_from: &'a str,
    sdk_to: &'a str,
    /// Per platform, the artifact and the registry it came from.
    sources: &'a [String],
    /// The codex the SDK bundles, when the pinned codex is another one.
    sdk_bundled_codex: Option<&'a str>,
    /// What the new codex's schema adds that no fixture shows yet
    /// (`section: type`).
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    unshown_new_types: &'a [String],
    summary: &'a str,
    drift: &'a Drift,
}

pub fn run(root: &Option<PathBuf>, args: &PinArgs) -> Result<Exit, Failure> {
    setup::refuse_in_ci("pin")?;
    let Some(codex) = args.codex.as_deref() else {
        return super::pin_matrix::run(root, args);
    };
    let loaded = setup::load(root)?;
    let old = &loaded.pins;
    let bumped = toolchain::bump::fetch(old, codex, args.sdk.as_deref(), &progress)
        .or_exit(Exit::Toolchain)?;
    let native_exs = pins::render_native_exs(&bumped.codex, &bumped.python_sdk);
    let new = staged_pins(&native_exs, &bumped.lock)?;
    let sdk = new.python_sdk.version.clone();
    for s in &bumped.sources {
        crate::outln!("pin: codex {codex} for {s}");
    }
    let project = &loaded.project;
    let next = apply(root, &loaded, new, &native_exs, &bumped.lock, args.dry_run)?;
    if let Some(bundled) = next.pins.sdk_runtime_differs() {
        crate::outln!(
            "pin: the SDK {sdk} bundles codex {bundled}; every lane runs the pinned codex {codex} instead"
        );
    }
    if args.no_harvest {
        crate::outln!(
            "hint: run `codex-harvest harvest` to regenerate the fixtures with the new pins"
        );
        return Ok(Exit::Clean);
    }
    let reporter = Reporter {
        args,
        loaded: &loaded,
        next: &next,
        codex,
        sdk: &sdk,
        sources: &bumped.sources,
        shown: project.display(&project.fixtures_dir()),
        schemas: (
            protocol_types(&args.toolchain, old)?,
            protocol_types(&args.toolchain, &next.pins)?,
        ),
    };
    let report = |drift: &Drift, summary: &str, tree: &Tree| reporter.report(drift, summary, tree);
    let every_scenario = SelectArgs {
        scenarios: Vec::new(),
        output: None,
        codex_versions: Vec::new(),
        unreferenced: UnreferencedArg::Reject,
    };
    let main = Target {
        dir: project.fixtures_dir(),
        docs: true,
        failed: OnFailure::Fail,
        declared: true,
    };
    super::harvest::write(
        &next,
        &main,
        &every_scenario,
        &args.run,
        &args.toolchain,
        Some(DriftHook {
            report: &report,
            commit: !args.dry_run,
        }),
    )
}

/// What `pin` says of the new toolchain's drift, and keeps with
/// `--drift-report`.
struct Reporter<'a> {
    args: &'a PinArgs,
    loaded: &'a Loaded,
    next: &'a Loaded,
    codex: &'a str,
    sdk: &'a str,
    sources: &'a [String],
    /// The fixtures tree, as messages name it.
    shown: String,
    /// The old codex's message types, and the new one's.
    schemas: (ProtocolTypes, ProtocolTypes),
}

impl Reporter<'_> {
    fn report(&self, drift: &Drift, summary: &str, tree: &Tree) -> Result<(), Failure> {
        let (old, codex) = (&self.loaded.pins, self.codex);
        crate::out!(
            "{}",
            drift_report(drift, &self.shown, summary, Style::for_stdout())
        );
        let (before, after) = &self.schemas;
        let unshown = coverage::unshown_additions(&self.loaded.config, before, after, tree);
        if !unshown.is_empty() {
            crate::outln!(
                "pin: codex {codex} adds {} message type(s) no scenario shows yet (a scenario for each, or a reason in config/coverage.toml):\n  {}",
                unshown.len(),
                unshown.join("\n  ")
            );
        }
        let Some(dir) = &self.args.drift_report else {
            return Ok(());
        };
        let record = DriftRecord {
            command: command_line(codex, self.args, dir),
            codex_from: &old.codex.version,
            codex_to: codex,
            sdk_from: &old.sdk().version,
            sdk_to: self.sdk,
            sources: self.sources,
            sdk_bundled_codex: self.next.pins.sdk_runtime_differs(),
            unshown_new_types: &unshown,
            summary,
            drift,
        };
        write_report(
            dir,
            &record,
            &drift_report(drift, &self.shown, summary, Style::PLAIN),
        )
        .or_exit(Exit::Io)
    }
}

/// The message types the codex `pins` name generates in its schema.
fn protocol_types(toolchain: &ToolchainArgs, pins: &Pins) -> Result<ProtocolTypes, Failure> {
    let resolved = toolchain.resolve(pins)?;
    ProtocolTypes::of(&resolved.codex.path).or_exit(Exit::Toolchain)
}

/// The new pins, read as a pair from a staging dir before either file is
/// replaced.
fn staged_pins(native_exs: &str, lock: &str) -> Result<Pins, Failure> {
    let staged = tempfile::tempdir()
        .context("staging the pins")
        .or_exit(Exit::Io)?;
    let (staged_exs, staged_lock) = (
        staged.path().join("native.exs"),
        staged.path().join("pylock.toml"),
    );
    std::fs::write(&staged_exs, native_exs)
        .and_then(|_| std::fs::write(&staged_lock, lock))
        .context("staging the pins")
        .or_exit(Exit::Io)?;
    Pins::load(&staged_exs, &staged_lock)
        .context("the fetched pins do not agree; nothing was written")
        .or_exit(Exit::Toolchain)
}

/// What the harvest runs with: the new pins in memory for a dry run, or
/// written and loaded again.
fn apply(
    root: &Option<PathBuf>,
    loaded: &Loaded,
    new: Pins,
    native_exs: &str,
    lock: &str,
    dry_run: bool,
) -> Result<Loaded, Failure> {
    let project = &loaded.project;
    if dry_run {
        return Ok(Loaded {
            project: project.clone(),
            config: loaded.config.clone(),
            pins: new,
        });
    }
    let (old, sdk) = (&loaded.pins, &new.python_sdk.version);
    for (path, text) in [
        (project.python_lock(), lock),
        (project.native_exs(), native_exs),
    ] {
        crate::base::fs::write_atomic(&path, text.as_bytes()).or_exit(Exit::Io)?;
    }
    crate::outln!(
        "pin: codex {} -> {}, {} {} -> {sdk}; wrote config/native.exs and config/pylock.toml",
        old.codex.version,
        new.codex.version,
        pins::SDK_PACKAGE,
        old.sdk().version
    );
    setup::load(root)
}

/// The `pin` invocation, as a report records it.
fn command_line(codex: &str, args: &PinArgs, dir: &Path) -> String {
    let mut out = format!("codex-harvest pin --codex {codex}");
    if let Some(sdk) = &args.sdk {
        out.push_str(&format!(" --sdk {sdk}"));
    }
    if args.dry_run {
        out.push_str(" --dry-run");
    }
    out.push_str(&format!(" --drift-report {}", dir.display()));
    out
}

/// `<dir>/<from>-to-<to>.md` (the printed report) and `.json` (its data).
fn write_report(dir: &Path, record: &DriftRecord, text: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let stem = format!("{}-to-{}", record.codex_from, record.codex_to);
    let (md, json_path) = (
        dir.join(format!("{stem}.md")),
        dir.join(format!("{stem}.json")),
    );
    let bundled = record
        .sdk_bundled_codex
        .map(|b| {
            format!(
                "The SDK {} bundles codex {b}; every lane ran the pinned codex {} instead.\n\n",
                record.sdk_to, record.codex_to
            )
        })
        .unwrap_or_default();
    let sources: String = record.sources.iter().map(|s| format!("- {s}\n")).collect();
    let unshown = match record.unshown_new_types {
        [] => String::new(),
        types => format!(
            "## What codex {} adds that no scenario shows yet\n\n{}\n",
            record.codex_to,
            types
                .iter()
                .map(|t| format!("- `{t}`\n"))
                .collect::<String>()
        ),
    };
    let markdown = format!(
        "# Drift: codex {from} → {to} (openai-codex {sdk_from} → {sdk_to})\n\n\
         Written by `{command}`: every scenario \
         regenerated with the new pins and compared with the fixtures of the old ones, \
         event by event. The JSON form is `{stem}.json`.\n\n\
         ## Where the new codex came from\n\n{sources}\n{bundled}{unshown}\
         ## The drift, as `pin` prints it\n\n```text\n{text}```\n",
        from = record.codex_from,
        to = record.codex_to,
        sdk_from = record.sdk_from,
        sdk_to = record.sdk_to,
        command = record.command,
    );
    crate::base::fs::write_atomic(&md, markdown.as_bytes())?;
    let json = serde_json::to_string_pretty(record).context("serialising the drift report")? + "\n";
    crate::base::fs::write_atomic(&json_path, json.as_bytes())?;
    crate::outln!(
        "pin: wrote the drift report {} and {}",
        md.display(),
        json_path.display()
    );
    Ok(())
}

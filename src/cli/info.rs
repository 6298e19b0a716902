//! `list`, `doctor`, `pins`, `parity`, `compat` and `coverage`: what the project, the
//! toolchain and the fixtures are.

use std::path::PathBuf;

use super::args::{CoverageArgs, DoctorArgs, Format, FormatArgs, ListArgs, ParityArgs};
use super::exit::{Exit, Failure, Phase};
use super::report::{
    CodexReport, ComponentReport, DoctorReport, ListEntry, PythonReport, TypescriptReport,
    print_json, print_list, print_pins,
};
use super::setup;
use crate::codex::{pins, toolchain};
use crate::harvest::reports::sdk_parity;

pub fn list(root: &Option<PathBuf>, args: &ListArgs) -> Result<Exit, Failure> {
    let project = setup::project(root)?;
    let config = setup::config(&project)?;
    let entries: Vec<ListEntry> = config
        .select(&args.scenarios)
        .or_exit(Exit::Usage)?
        .into_iter()
        .map(|s| ListEntry {
            name: s.name.clone(),
            about: s.about.clone(),
            outputs: s.all_outputs().map(|o| o.to_string()).collect(),
        })
        .collect();
    match args.format.format {
        Format::Json => print_json(&entries),
        Format::Text => print_list(&entries),
    }
    Ok(Exit::Clean)
}

pub fn doctor(root: &Option<PathBuf>, args: &DoctorArgs) -> Result<Exit, Failure> {
    let loaded = setup::load(root)?;
    let t = args.toolchain.resolve(&loaded.pins)?;
    let platform = pins::current_platform();
    let typescript = toolchain::cache_dir(&args.toolchain.request())
        .and_then(|cache| {
            toolchain::node::provision(&loaded.project.typescript_pin_dir(), &cache, &|m| {
                crate::errln!("{m}")
            })
        })
        .map(|ts| TypescriptReport {
            node: ts.node,
            node_version: ts.node_version,
            sdk_version: ts.pin.version,
            sdk_integrity: ts.pin.integrity,
            install: ts.dir,
        })
        .map_err(|e| format!("{e:#}"))
        .into();
    let report = DoctorReport {
        python: PythonReport {
            path: t.python.clone(),
            version: t.python_version.clone(),
            pinned_minor: loaded.pins.python.python_minor().to_string(),
            pinned: t.python_pinned(&loaded.pins),
            venv: t.venv.clone(),
        },
        sdk_bundled_codex: loaded.pins.sdk_runtime_differs().map(str::to_string),
        python_sdk: ComponentReport {
            version: t.sdk.version.clone(),
            path: t.sdk.path.clone(),
            pinned: t.sdk.pinned,
            pin: loaded.pins.sdk().version.clone(),
        },
        codex: CodexReport {
            version: t.codex.version.clone(),
            path: t.codex.path.clone(),
            sha256: t.codex_sha256.clone(),
            pinned: t.codex.pinned,
            pinned_artifact: loaded.pins.codex.artifacts.get(&platform).cloned(),
            pin: loaded.pins.codex.version.clone(),
        },
        platform,
        typescript,
    };
    match args.format.format {
        Format::Json => print_json(&report),
        Format::Text => report.print_text(),
    }
    Ok(Exit::Clean)
}

/// `parity`: where the Python and TypeScript fixtures of the tree agree.
pub fn parity(root: &Option<PathBuf>, args: &ParityArgs) -> Result<Exit, Failure> {
    let project = setup::project(root)?;
    let config = setup::config(&project)?;
    let dir = setup::fixtures_dir(&project, &args.output)?;
    let fixtures = setup::read_locked(&dir)?;
    let report = sdk_parity::compare(&config, &fixtures).or_exit(Exit::Usage)?;
    match args.format.format {
        Format::Json => print_json(&report),
        Format::Text => crate::out!("{}", sdk_parity::render(&config, &report)),
    }
    Ok(Exit::Clean)
}

/// `compat`: the compatibility report over the committed trees of the main
/// pin and the version matrix, as `docs/codex-compat.md` or its data.
pub fn compat(root: &Option<PathBuf>, args: &FormatArgs) -> Result<Exit, Failure> {
    let loaded = setup::load(root)?;
    // A committed tree that is missing or unreadable is drift.
    let Some((_, compat)) = crate::harvest::cells::compat(&loaded).or_exit(Exit::Drift)? else {
        return Err(crate::base::failure::hinted(
            anyhow::anyhow!(
                "config/matrix/ pins no codex besides the main pin: there is nothing to compare"
            ),
            "pin a version matrix with `codex-harvest pin --matrix <version>,<version>,...`",
        ))
        .or_exit(Exit::Usage);
    };
    match args.format {
        Format::Json => print_json(&compat),
        Format::Text => crate::out!("{}", crate::harvest::reports::codex_compat::render(&compat)),
    }
    Ok(Exit::Clean)
}

/// `coverage`: every kind of message a client can be sent and the fixtures
/// that show it, as `docs/coverage.md` or its data.
pub fn coverage(root: &Option<PathBuf>, args: &CoverageArgs) -> Result<Exit, Failure> {
    let loaded = setup::load(root)?;
    let (_, coverage) = args.toolchain.coverage(&loaded)?;
    match args.format.format {
        Format::Json => print_json(&coverage),
        Format::Text => crate::out!("{}", crate::harvest::reports::coverage::render(&coverage)),
    }
    Ok(Exit::Clean)
}

/// `pins --format json`: the pins as read, and the wheels each pinned
/// system installs (what the Nix flake must install too).
#[derive(serde::Serialize)]
struct PinsView<'a> {
    #[serde(flatten)]
    pins: &'a pins::Pins,
    wheels: std::collections::BTreeMap<String, Vec<pins::pylock::Selected>>,
}

pub fn pins(root: &Option<PathBuf>, args: &FormatArgs) -> Result<Exit, Failure> {
    let loaded = setup::load(root)?;
    match args.format {
        Format::Json => print_json(&PinsView {
            pins: &loaded.pins,
            wheels: loaded.pins.wheels().or_exit(Exit::Usage)?,
        }),
        Format::Text => print_pins(&loaded.pins),
    }
    Ok(Exit::Clean)
}

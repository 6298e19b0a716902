//! `pin`: move the codex (and SDK) pins, then harvest with a drift report.

use std::path::PathBuf;

use anyhow::Context;

use super::args::{PinArgs, SelectArgs, UnreferencedArg};
use super::exit::{Exit, Failure, Phase};
use super::session::{self, progress};
use crate::pins::{self, Pins};
use crate::toolchain;
use crate::tree;

pub fn run(root: &Option<PathBuf>, args: &PinArgs) -> Result<Exit, Failure> {
    session::refuse_in_ci("pin")?;
    let loaded = session::load(root)?;
    let old = &loaded.pins;
    let codex = args.codex.as_str();
    let sdk = args.sdk.as_deref().unwrap_or(codex);
    let bumped = toolchain::bump::fetch(old, codex, sdk, &args.toolchain.request(), &progress)
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
    if args.no_harvest {
        println!("hint: run `codex-harvest harvest` to regenerate the fixtures with the new pins");
        return Ok(Exit::Clean);
    }
    let every_scenario = SelectArgs {
        scenarios: Vec::new(),
        output: None,
        unreferenced: UnreferencedArg::Reject,
    };
    super::harvest::write(
        &session::load(root)?,
        &every_scenario,
        &args.run,
        &args.toolchain,
        true,
    )
}

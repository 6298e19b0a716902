//! The typescript lane: the scenario's module in
//! `integration/harvest_scenarios_ts/`, driving the pinned
//! `@openai/codex-sdk` with the pinned codex binary (`codexPathOverride`).

use std::path::Path;

use anyhow::{Context, Result, anyhow};
use serde_json::Value;

use super::{Session, environment, output_paths, record_kwargs};
use crate::base::failure::hinted;
use crate::codex::exec::tap;
use crate::harvest::config::Scenario;
use crate::process::scenario::{self, Program};
use crate::process::scratch::Scratch;

pub(super) fn run_node(session: &Session, s: &Scenario, scratch: &Scratch) -> Result<()> {
    let t = session.toolchain;
    let sdk = t
        .typescript
        .as_ref()
        .ok_or_else(|| anyhow!("the typescript lane runs without Node and the TypeScript SDK"))?;
    let outputs = output_paths(scratch, &s.typescript)?;
    let runs = scratch.path("exec-tap");
    std::fs::create_dir_all(&runs).with_context(|| format!("creating {}", runs.display()))?;
    // Against replay, the SDK's codex plays each turn's recorded run back.
    let recorded: Option<Vec<std::path::PathBuf>> = session.replay.as_ref().map(|tree| {
        s.typescript_codex
            .iter()
            .map(|[stream, _]| tree.join(stream.as_str()))
            .collect()
    });
    let shim = match &recorded {
        None => crate::codex::shim::exec_shim(&scratch.path("bin"), &t.codex.path, &runs)?,
        Some(recorded) => crate::codex::shim::replay_shim(&scratch.path("bin"), recorded, &runs)?,
    };
    let kwargs = record_kwargs(session, s, "codexPath", &shim, &outputs);
    let scenarios = session.project.typescript_scenarios_dir();
    scenario::run_program(&Program {
        what: "record() (TypeScript)".into(),
        supervisor: session.supervisor.clone(),
        program: sdk.node.clone(),
        args: vec![
            scenarios.join("_run.mjs").into(),
            sdk.entry()
                .context("finding the TypeScript SDK's entry point")?
                .into(),
            session.project.typescript_module(&s.name).into(),
            Value::Object(kwargs).to_string().into(),
        ],
        cwd: scratch.path("work"),
        env: environment(t, scratch),
        timeout: s.timeout,
        stdout: None,
        exit_code: 0,
    })?;
    match &recorded {
        None => keep_codex_runs(s, &runs, &scratch.path("out")),
        Some(recorded) => crate::codex::runs::sequence_played(&runs, recorded)
            .context("the TypeScript SDK against replay of the codex runs"),
    }
}

/// Each codex run the exec tap recorded, as the exec fixture of the turn it
/// served: one run per typescript stream, in order.
fn keep_codex_runs(s: &Scenario, runs: &Path, out: &Path) -> Result<()> {
    let started = (1..)
        .take_while(|&n| tap::stdout_path(runs, n).exists())
        .count();
    if started != s.typescript_codex.len() {
        return Err(hinted(
            anyhow!(
                "the TypeScript SDK started codex {started} time(s), but the scenario records {} turn(s) (one typescript stream each)",
                s.typescript_codex.len()
            ),
            "give the scenario one typescript stream per turn it runs",
        ));
    }
    for (n, [stream, command]) in s.typescript_codex.iter().enumerate() {
        for (from, to) in [
            (tap::stdout_path(runs, n + 1), stream),
            (tap::record_path(runs, n + 1), command),
        ] {
            let to = out.join(to.as_str());
            std::fs::copy(&from, &to)
                .with_context(|| format!("keeping {} as {}", from.display(), to.display()))?;
        }
    }
    Ok(())
}

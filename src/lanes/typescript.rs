//! The typescript lane: the scenario's module in
//! `integration/harvest_scenarios_ts/`, driving the pinned
//! `@openai/codex-sdk` with the pinned codex binary (`codexPathOverride`).

use anyhow::{Context, Result, anyhow};
use serde_json::Value;

use super::{Session, environment, output_paths, record_kwargs};
use crate::config::Scenario;
use crate::scenario::{self, Program};
use crate::scratch::Scratch;

pub(super) fn run_node(session: &Session, s: &Scenario, scratch: &Scratch) -> Result<()> {
    let t = session.toolchain;
    let sdk = t
        .typescript
        .as_ref()
        .ok_or_else(|| anyhow!("the typescript lane runs without Node and the TypeScript SDK"))?;
    let outputs = output_paths(scratch, &s.typescript)?;
    let kwargs = record_kwargs(session, s, "codexPath", &t.codex.path, &outputs);
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
    })
}

//! The exec lane: the same conversation through the pinned binary's
//! `codex exec --json`, one process per recipe step.

use anyhow::{Context, Result, anyhow};
use serde_json::Value;

use super::{Session, environment};
use crate::base::failure::hinted;
use crate::harvest::config::Scenario;
use crate::harvest::exec_recipe::ExecRecipe;
use crate::process::scenario::{self, Program};
use crate::process::scratch::Scratch;

/// The exec lane: each step one `codex exec --json` of the pinned binary in
/// the scratch workdir, its stdout the step's fixture and its arguments and
/// exit code the step's command record; a `resume` step continues the thread
/// the first step started.
pub(super) fn run_exec(
    session: &Session,
    s: &Scenario,
    recipe: &ExecRecipe,
    scratch: &Scratch,
) -> Result<()> {
    let t = session.toolchain;
    let work = scratch.path("work");
    for (name, module) in &recipe.files {
        let from = session.project.scenarios_dir().join(module);
        std::fs::copy(&from, work.join(name))
            .with_context(|| format!("copying {} into the workdir", from.display()))?;
    }
    let mut thread_id: Option<String> = None;
    for (i, step) in recipe.steps.iter().enumerate() {
        let output = scratch.path("out").join(step.output.as_str());
        std::fs::create_dir_all(output.parent().expect("outputs have a parent"))?;
        let mut args: Vec<String> = vec![
            "exec".into(),
            "--json".into(),
            "--skip-git-repo-check".into(),
            "-m".into(),
            session.config.model.clone(),
        ];
        args.extend(step.args.iter().cloned());
        let schema = match step.output_schema {
            false => None,
            true => {
                let schema = s.kwargs.get("output_schema").ok_or_else(|| {
                    hinted(
                        anyhow!("step {}: output_schema = true, but the scenario has no output_schema kwarg", i + 1),
                        "give the scenario `kwargs = { output_schema = { … } }`",
                    )
                })?;
                std::fs::write(work.join(SCHEMA_FILE), serde_json::to_vec(schema)?)
                    .with_context(|| format!("writing {SCHEMA_FILE}"))?;
                args.extend(["--output-schema".into(), SCHEMA_FILE.into()]);
                Some(schema)
            }
        };
        if step.resume {
            let id = thread_id
                .clone()
                .ok_or_else(|| anyhow!("step {}: no thread.started to resume", i + 1))?;
            args.extend(["resume".into(), id]);
        }
        args.push(step.prompt.clone());
        let mut record = serde_json::json!({"args": args, "exit_code": step.exit_code});
        if let Some(schema) = schema {
            record["output_schema"] = schema.clone();
        }
        let command = scratch.path("out").join(step.command.as_str());
        std::fs::write(&command, serde_json::to_vec(&record)?)
            .with_context(|| format!("writing {}", command.display()))?;
        scenario::run_program(&Program {
            what: format!("codex exec (step {})", i + 1),
            supervisor: session.supervisor.clone(),
            program: t.codex.path.clone(),
            args: args.into_iter().map(Into::into).collect(),
            cwd: work.clone(),
            env: environment(t, scratch),
            timeout: s.timeout,
            stdout: Some(output.clone()),
            exit_code: step.exit_code,
        })?;
        if thread_id.is_none() {
            thread_id = first_thread_id(&output)?;
        }
    }
    Ok(())
}

/// Where an exec step's output schema is written, relative to its workdir
/// (the recorded arguments hold this name, never a scratch path).
const SCHEMA_FILE: &str = "output-schema.json";

/// The `thread_id` of the first `thread.started` event of an exec stream.
fn first_thread_id(stream: &std::path::Path) -> Result<Option<String>> {
    let text =
        std::fs::read_to_string(stream).with_context(|| format!("reading {}", stream.display()))?;
    Ok(text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|e| e["type"] == "thread.started")
        .and_then(|e| e["thread_id"].as_str().map(str::to_string)))
}

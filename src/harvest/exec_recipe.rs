//! The exec lane's recipe for a scenario (`exec = { steps = [...] }` in
//! `config/harvest.toml`): one `codex exec --json` per step, each step's
//! stdout one fixture, its command record beside it.

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::engine::fixture_path::FixturePath;

/// How the exec lane runs a scenario: one `codex exec --json` per step,
/// each step's stdout one fixture.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExecRecipe {
    pub steps: Vec<ExecStep>,
    /// Files put into the workdir before the first step, by name there,
    /// each a support module of `integration/harvest_scenarios/` (what the
    /// Python lane's module copies itself: the local MCP server).
    pub files: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ExecStep {
    pub prompt: String,
    /// Flags before the prompt (e.g. `--sandbox read-only`).
    pub args: Vec<String>,
    /// `codex exec resume <the first step's thread id>` instead of a new thread.
    pub resume: bool,
    /// `--output-schema` with the scenario's `output_schema` kwarg.
    pub output_schema: bool,
    pub output: FixturePath,
    /// `<output>.command.json` beside it: the arguments and exit code, what
    /// `codex-harvest replay` checks a client against.
    pub command: FixturePath,
    /// What `codex exec` exits with (1 when the turn fails).
    pub exit_code: i32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExec {
    steps: Vec<RawExecStep>,
    #[serde(default)]
    files: std::collections::BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExecStep {
    prompt: String,
    #[serde(default)]
    args: Vec<String>,
    #[serde(default)]
    resume: bool,
    #[serde(default)]
    output_schema: bool,
    output: String,
    #[serde(default)]
    exit_code: i32,
}

pub(crate) fn exec_recipe(raw: RawExec, python_outputs: &[FixturePath]) -> Result<ExecRecipe> {
    if raw.steps.is_empty() {
        bail!("needs at least one step");
    }
    let mut steps: Vec<ExecStep> = Vec::new();
    for (i, step) in raw.steps.into_iter().enumerate() {
        let output =
            FixturePath::parse(&step.output).with_context(|| format!("steps[{i}]: output"))?;
        if !output.is_jsonl() {
            bail!("steps[{i}]: output {output} must be a .jsonl event stream");
        }
        if python_outputs.contains(&output) || steps.iter().any(|s| s.output == output) {
            bail!("steps[{i}]: output {output} is declared twice");
        }
        if step.resume && i == 0 {
            bail!("steps[0]: the first step has no thread to resume");
        }
        if step.args.iter().any(|a| a == "--json" || a == "resume") {
            bail!("steps[{i}]: `--json` and `resume` are the driver's; set `resume = true`");
        }
        let command = FixturePath::parse(&format!(
            "{}.command.json",
            output.as_str().trim_end_matches(".jsonl")
        ))?;
        steps.push(ExecStep {
            prompt: step.prompt,
            args: step.args,
            resume: step.resume,
            output_schema: step.output_schema,
            output,
            command,
            exit_code: step.exit_code,
        });
    }
    let files = raw
        .files
        .into_iter()
        .map(|(name, module)| {
            let plain = |n: &str| !n.is_empty() && !n.contains('/') && n != "." && n != "..";
            if !plain(&name) {
                bail!("files: {name:?} is not a plain file name in the workdir");
            }
            if !(plain(&module) && module.starts_with('_') && module.ends_with(".py")) {
                bail!(
                    "files: {module:?} is not a support module of integration/harvest_scenarios/ (`_<name>.py`)"
                );
            }
            Ok((name, module))
        })
        .collect::<Result<_>>()?;
    Ok(ExecRecipe { steps, files })
}

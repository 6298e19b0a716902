//! The lanes: each a real client of the pinned codex, run against its own
//! scripted model in its own scratch dir, its recordings normalised in one
//! pass and scanned. A new lane is one more runner here (`python.rs`,
//! `exec.rs`), not a branch through the engine.

mod exec;
mod python;
mod typescript;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use serde_json::{Map, Value};

use crate::base::failure::{Kind, hinted, kind_of};
use crate::codex::model::{Script, ScriptedModel, Transcript, codex_home};
use crate::codex::toolchain::Toolchain;
use crate::engine::fixture_path::FixturePath;
use crate::engine::normalize::{Locations, Normalizer, host_spellings, spellings};
use crate::engine::secrets::Scanner;
use crate::engine::tree::Tree;
use crate::harvest::config::Scenario;
use crate::harvest::run::{Session, scanner};
use crate::process::scratch::Scratch;

pub(crate) use crate::harvest::lane::{Lane, Lanes, lanes_of, scope};
pub(crate) use python::{Runner, Workers, needs_worker};

/// Runs one lane of `s`, in its own scratch dir with its own scripted model
/// playing the scenario's script.
pub(crate) fn run_lane(runner: &mut Runner, s: &Scenario, which: Lane) -> Result<Tree> {
    let session = runner.session;
    let lanes = session.lanes;
    crate::base::interrupt::check()?;
    match which {
        Lane::Python => {
            let mut python: Vec<&FixturePath> = s.outputs.iter().collect();
            if session.replay.is_none() {
                python.extend(&s.wire);
            }
            let recorded = lane(session, s, &python, |scratch| {
                python::run_process(runner, s, scratch)
            })?;
            let keep = |path: &str| {
                let wire = s.wire.iter().any(|w| w.as_str() == path);
                if wire { lanes.wire } else { lanes.python }
            };
            Ok(recorded.into_iter().filter(|(p, _)| keep(p)).collect())
        }
        Lane::Exec => {
            let recipe = s
                .exec
                .as_ref()
                .expect("only a scenario with a recipe has the lane");
            let outputs: Vec<&FixturePath> = recipe
                .steps
                .iter()
                .flat_map(|st| [&st.output, &st.command])
                .collect();
            lane(session, s, &outputs, |scratch| {
                exec::run_exec(session, s, recipe, scratch)
            })
            .context("the exec lane (codex exec --json)")
        }
        Lane::Typescript => {
            // Against replay, the codex runs are the input, not an output.
            let runs = s.typescript_codex.iter().flatten();
            let outputs: Vec<&FixturePath> = match session.replay {
                None => s.typescript.iter().chain(runs).collect(),
                Some(_) => s.typescript.iter().collect(),
            };
            lane(session, s, &outputs, |scratch| {
                typescript::run_node(session, s, scratch)
            })
            .context("the typescript lane (@openai/codex-sdk)")
        }
    }
}

/// One lane's run: a scratch dir, the scripted model, `body` (which makes
/// the lane's client write `outputs` under `out/`), the model's transcript
/// checked, the outputs normalised and scanned; the scratch dir removed or
/// kept (redacted) as asked.
fn lane(
    session: &Session,
    s: &Scenario,
    outputs: &[&FixturePath],
    body: impl FnOnce(&Scratch) -> Result<()>,
) -> Result<Tree> {
    let script_path = session.project.model_script(&s.name);
    let script = Script::load(&script_path)?;
    let scratch = Scratch::new()?;
    let model = ScriptedModel::start(script.clone())?;
    let result = codex_home::write(
        &scratch.path("codex-home"),
        &model.base_url(),
        &s.model_provider,
    )
    .and_then(|_| body(&scratch));
    let transcript = model.finish();
    let logged = std::fs::write(scratch.path("requests.jsonl"), transcript.to_jsonl());
    let scanner = scanner(session.config)?;
    let result = result
        .and_then(|_| logged.context("writing requests.jsonl"))
        .and_then(|_| match session.replay {
            // Replay answers for codex; the model is never asked.
            Some(_) => Ok(()),
            None => check_transcript(&transcript, &session.project.display(&script_path)),
        })
        .and_then(|_| collect(session, s, outputs, &scratch, &scanner, &script.texts()))
        .map_err(|e| scratch.or_out_of_space(e));
    if crate::base::interrupt::received().is_some() {
        return result;
    }
    match (result, session.keep_scratch) {
        (Ok(tree), false) => Ok(tree),
        (Ok(tree), true) => {
            let path = scratch.keep(|dir| scanner.redact_dir(dir))?;
            (session.progress)(&format!(
                "  {:<32} scratch kept: {}",
                s.name,
                path.display()
            ));
            Ok(tree)
        }
        // A want of room has its own hint; a kept scratch dir would not help.
        (Err(e), false) if kind_of(&e) == Some(Kind::Io) => Err(e),
        (Err(e), false) => Err(hinted(
            e,
            "rerun with --keep-scratch to keep its scratch dir (requests.jsonl holds every model request)",
        )),
        (Err(e), true) => {
            let path = scratch.keep(|dir| scanner.redact_dir(dir))?;
            Err(e.context(format!(
                "its scratch dir is kept, secrets redacted: {} (requests.jsonl holds every model request)",
                path.display()
            )))
        }
    }
}

/// Where a client writes `outputs`: below the scratch dir's `out/`, their
/// dirs made.
fn output_paths(scratch: &Scratch, outputs: &[FixturePath]) -> Result<Vec<PathBuf>> {
    let paths: Vec<PathBuf> = outputs
        .iter()
        .map(|o| scratch.path("out").join(o.as_str()))
        .collect();
    for p in &paths {
        let dir = p.parent().expect("outputs have a parent");
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    Ok(paths)
}

/// A client's `record()` arguments: the scenario's kwargs, the codex it is
/// to run under the client's name for it (`codex_key`), the model slug, and
/// where to write `outputs`.
fn record_kwargs(
    session: &Session,
    s: &Scenario,
    codex_key: &str,
    codex: &Path,
    outputs: &[PathBuf],
) -> Map<String, Value> {
    let mut kwargs = s.kwargs.clone();
    kwargs.insert(codex_key.into(), codex.display().to_string().into());
    kwargs.insert("model".into(), session.config.model.clone().into());
    kwargs.insert(
        "outputs".into(),
        outputs
            .iter()
            .map(|o| Value::from(o.display().to_string()))
            .collect(),
    );
    kwargs
}

/// The whole environment of a scenario: nothing of the caller's but PATH.
fn environment(t: &Toolchain, scratch: &Scratch) -> Vec<(String, String)> {
    let dir = |sub: &str| scratch.path(sub).display().to_string();
    let mut env = base_environment(t);
    env.extend(
        [
            ("HOME", dir("home")),
            ("CODEX_HOME", dir("codex-home")),
            ("TMPDIR", dir("tmp")),
            (codex_home::API_KEY_VAR, codex_home::API_KEY.to_string()),
        ]
        .map(|(k, v)| (k.to_string(), v)),
    );
    env.sort();
    env
}

/// What every scenario's environment holds, and a warm worker's.
fn base_environment(t: &Toolchain) -> Vec<(String, String)> {
    let python_bin = t
        .python
        .parent()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let path = match std::env::var("PATH") {
        Ok(p) if !p.is_empty() => format!("{python_bin}:{p}"),
        _ => format!("{python_bin}:/usr/local/bin:/usr/bin:/bin"),
    };
    [
        ("PATH", path),
        ("TZ", "UTC".into()),
        ("LC_ALL", "C.UTF-8".into()),
        ("LANG", "C.UTF-8".into()),
        ("TERM", "dumb".into()),
        ("NO_COLOR", "1".into()),
        ("PYTHONHASHSEED", "0".into()),
        ("PYTHONDONTWRITEBYTECODE", "1".into()),
        ("PYTHONNOUSERSITE", "1".into()),
        ("PYTHONUNBUFFERED", "1".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

fn check_transcript(t: &Transcript, script: &str) -> Result<()> {
    if !t.protocol_errors.is_empty() {
        return Err(hinted(
            anyhow!(
                "the scripted model refused {} request(s) it could not read as codex should send them: {}",
                t.protocol_errors.len(),
                t.protocol_errors.join("; ")
            ),
            "see requests.jsonl (--keep-scratch) for what codex sent",
        ));
    }
    if t.overruns > 0 {
        return Err(hinted(
            anyhow!(
                "codex made {} model request(s) more than {script} has replies for",
                t.overruns
            ),
            "add replies to the script, or see requests.jsonl for what codex asked",
        ));
    }
    if !t.unplayed.is_empty() {
        return Err(hinted(
            anyhow!(
                "replies {:?} of {script} were never requested (codex made {} model request(s))",
                t.unplayed,
                t.requests.iter().filter(|r| r.reply.is_some()).count()
            ),
            "remove them, or fix the scenario so it reaches them",
        ));
    }
    Ok(())
}

/// Reads, normalises and scans what the scenario wrote.
fn collect(
    session: &Session,
    s: &Scenario,
    outputs: &[&FixturePath],
    scratch: &Scratch,
    scanner: &Scanner,
    model_texts: &[String],
) -> Result<Tree> {
    let out_dir = scratch.path("out");
    let written = crate::engine::tree::read(&out_dir)?;
    if let Some(extra) = written
        .keys()
        .find(|p| !outputs.iter().any(|o| o.as_str() == p.as_str()))
    {
        return Err(hinted(
            anyhow!("it wrote {extra}, which it does not declare"),
            "add it to the scenario's outputs in config/harvest.toml",
        ));
    }
    let normalizer = Normalizer::new(
        &session.config.rules,
        &locations(session.toolchain, scratch),
    )?;
    for text in model_texts {
        if let Some(rule) = normalizer.rule_rewriting(text) {
            return Err(hinted(
                anyhow!(
                    "rule {rule} of config/harvest.toml would rewrite the model's own words {text:?} from {}: normalisation never changes what the script says",
                    session
                        .project
                        .display(&session.project.model_script(&s.name))
                ),
                "reword the reply in the script, or narrow the rule so it cannot match it",
            ));
        }
    }
    let mut pass = normalizer.pass();
    let mut tree = Tree::new();
    for out in outputs {
        let raw = written
            .get(out.as_str())
            .ok_or_else(|| anyhow!("it ended without writing its declared output {out}"))?;
        let canonical = if out.is_jsonl() {
            pass.jsonl(raw)
        } else {
            pass.json(raw)
        }
        .with_context(|| format!("output {out}"))?;
        let text = String::from_utf8(canonical.clone()).expect("canonical JSON is UTF-8");
        if let Some(found) = scanner.scan(&text) {
            return Err(hinted(
                anyhow!("output {out} {found} (after normalisation); nothing was written"),
                "keep credentials out of what the scenario records, or add a normalisation rule that replaces it",
            ));
        }
        // A scenario that starts no codex (`wire = []`) has no message of
        // codex's to check.
        if !s.wire.is_empty() {
            session.protocol.check(out, &canonical)?;
        }
        tree.insert(out.to_string(), canonical);
    }
    Ok(tree)
}

fn locations(t: &Toolchain, scratch: &Scratch) -> Locations {
    Locations::from([
        ("workdir".into(), spellings(&scratch.path("work"))),
        ("codex_home".into(), spellings(&scratch.path("codex-home"))),
        ("home".into(), spellings(&scratch.path("home"))),
        ("scratch".into(), spellings(scratch.root())),
        ("python_prefix".into(), spellings(&t.python_prefix)),
        ("host".into(), host_spellings()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcript_overruns_and_unplayed_replies_fail() {
        let t = Transcript {
            requests: Vec::new(),
            unplayed: vec![1],
            skipped: vec![2],
            overruns: 0,
            protocol_errors: Vec::new(),
        };
        assert!(
            check_transcript(&t, "s.json")
                .unwrap_err()
                .to_string()
                .contains("replies [1] of s.json")
        );
        let t = Transcript {
            requests: Vec::new(),
            unplayed: Vec::new(),
            skipped: Vec::new(),
            overruns: 2,
            protocol_errors: Vec::new(),
        };
        assert!(
            check_transcript(&t, "s.json")
                .unwrap_err()
                .to_string()
                .contains("2 model request(s) more")
        );
    }
}

//! Orchestration, where the engine meets the codex side: run the selected
//! scenarios against the scripted model, normalise and scan what they wrote,
//! and assemble the fixtures tree with its manifest and provenance.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Instant;

use anyhow::{Context, Result, anyhow};
use serde_json::Value;

use crate::compare;
use crate::config::{
    ExecRecipe, FixturePath, HarvestConfig, MANIFEST_FILE, PROVENANCE_FILE, Scenario,
};
use crate::drift_text;
use crate::failure::{Classify, Kind, hinted};
use crate::inputs;
use crate::manifest::{ComponentRecord, Provenance, ScenarioRecord, Sha256Sums};
use crate::model::{Script, ScriptedModel, Transcript, codex_home};
use crate::normalize::{Locations, Normalizer};
use crate::pins::Pins;
use crate::project::Project;
use crate::scenario::{self, Invocation, Program};
use crate::secrets::Scanner;
use crate::toolchain::Toolchain;
use crate::tree::Tree;
use crate::warm::WarmWorker;

/// Everything a run needs, resolved once.
pub struct Session<'a> {
    pub project: &'a Project,
    pub config: &'a HarvestConfig,
    pub pins: &'a Pins,
    pub toolchain: &'a Toolchain,
    pub progress: &'a (dyn Fn(&str) + Sync),
    /// The `codex-harvest` binary, which supervises each scenario.
    pub supervisor: PathBuf,
    /// Keep every scratch dir (redacted), not only none.
    pub keep_scratch: bool,
    /// Run every scenario cold (a fresh interpreter each), not in a warm worker.
    pub cold: bool,
}

/// What a set of scenarios produced: normalised outputs and their records.
#[derive(Debug, Default)]
pub struct Generated {
    pub outputs: Tree,
    pub records: BTreeMap<String, ScenarioRecord>,
}

/// Checks that each selected scenario has its module and model script, so a
/// typo is a config error before anything runs.
pub fn check_inputs(project: &Project, scenarios: &[&Scenario]) -> Result<()> {
    for s in scenarios {
        for (path, what) in [
            (project.scenario_module(&s.name), "module"),
            (project.model_script(&s.name), "model script"),
        ] {
            if !path.is_file() {
                return Err(hinted(
                    anyhow!(
                        "scenario {:?} has no {what}: {} is missing",
                        s.name,
                        project.display(&path)
                    ),
                    "create it, or remove the scenario from config/harvest.toml",
                ));
            }
        }
        Script::load(&project.model_script(&s.name))?;
    }
    Ok(())
}

/// Runs every scenario in `scenarios` `repeat` times (at least once), `jobs`
/// at a time; all of them run even if one fails, and any failure, or any
/// difference between a scenario's runs, fails the whole set. Results keep
/// catalogue order whatever order the runs finish in.
pub fn regenerate(
    session: &Session,
    scenarios: &[&Scenario],
    repeat: usize,
    jobs: usize,
) -> Result<Generated> {
    let next = AtomicUsize::new(0);
    let results: Vec<Mutex<Option<Result<Tree>>>> =
        scenarios.iter().map(|_| Mutex::new(None)).collect();
    // Progress lines in catalogue order: a finished scenario's line waits
    // for the ones before it.
    let lines: Mutex<(usize, Vec<Option<String>>)> = Mutex::new((0, vec![None; scenarios.len()]));
    thread::scope(|scope| {
        for _ in 0..jobs.clamp(1, scenarios.len().max(1)) {
            scope.spawn(|| {
                let mut runner = Runner {
                    session,
                    warm: None,
                };
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(s) = scenarios.get(i) else { break };
                    let start = Instant::now();
                    let result = run_repeated(&mut runner, s, repeat);
                    let line = match &result {
                        Ok(_) => format!(
                            "  {:<32} ok ({:.1} s)",
                            s.name,
                            start.elapsed().as_secs_f64()
                        ),
                        Err(_) => format!("  {:<32} FAILED", s.name),
                    };
                    *results[i].lock().expect("result slot") = Some(result);
                    let mut guard = lines.lock().expect("progress lines");
                    let (printed, pending) = &mut *guard;
                    pending[i] = Some(line);
                    while let Some(line) = pending.get_mut(*printed).and_then(Option::take) {
                        (session.progress)(&line);
                        *printed += 1;
                    }
                }
            });
        }
    });
    let mut generated = Generated::default();
    let mut failures = Vec::new();
    for (s, slot) in scenarios.iter().zip(results) {
        match slot
            .into_inner()
            .expect("result slot")
            .expect("every scenario ran")
        {
            Ok(files) => {
                let record = ScenarioRecord::new(
                    s.all_outputs().map(|o| o.to_string()).collect(),
                    inputs::digests(session.project, session.config, &session.pins.digest, s)?,
                    toolchain_record(session.toolchain),
                );
                generated.outputs.extend(files);
                generated.records.insert(s.name.clone(), record);
            }
            Err(e) => failures.push(e.context(format!("scenario {} failed", s.name))),
        }
    }
    match failures.len() {
        0 => Ok(generated),
        1 => Err(failures.remove(0)),
        n => {
            // One cause a line, so a hint stays a line of its own.
            let all: Vec<String> = failures
                .iter()
                .map(|e| {
                    e.chain()
                        .map(|c| c.to_string())
                        .collect::<Vec<_>>()
                        .join("\n  ")
                })
                .collect();
            Err(anyhow!("{n} scenarios failed:\n\n{}", all.join("\n\n")))
        }
    }
}

/// Runs `s` `repeat` times and fails naming the file, line and field where
/// a later run differs from the first: a missing normalisation rule.
fn run_repeated(runner: &mut Runner, s: &Scenario, repeat: usize) -> Result<Tree> {
    let first = run_one(runner, s)?;
    for run in 2..=repeat {
        let again = run_one(runner, s)?;
        let drift = compare::compare(&again, &first);
        if !drift.is_clean() {
            let mut report = String::new();
            for f in &drift.changed {
                report.push_str(&format!("{}\n", f.path));
                for d in &f.differences {
                    report.push_str(&drift_text::render(d, drift_text::Style::PLAIN));
                }
            }
            return Err(hinted(
                anyhow!(
                    "nondeterministic: run {run} differs from run 1 (\"committed\" is run 1)\n{}",
                    report.trim_end()
                ),
                "add a normalisation rule for the varying value in config/harvest.toml, or make the scenario deterministic",
            ));
        }
    }
    Ok(first)
}

fn toolchain_record(t: &Toolchain) -> BTreeMap<String, ComponentRecord> {
    let record = |c: &crate::toolchain::Component| ComponentRecord {
        version: c.version.clone(),
        pinned: c.pinned,
        digest: c.digest.clone(),
        commit: c.commit.clone(),
    };
    BTreeMap::from([
        ("codex".into(), record(&t.codex)),
        ("python-sdk".into(), record(&t.sdk)),
    ])
}

/// The free space below which a scratch dir is refused up front: codex
/// writes its state database there, and a full disk would surface as a
/// traceback about sqlite.
const MIN_SCRATCH_SPACE: u64 = 64 << 20;

/// The directories of one run, all inside one scratch dir (mode 0700), which
/// is removed on every path unless `--keep-scratch` asks to keep it.
struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn new() -> Result<Scratch> {
        Self::create().kind(Kind::Io)
    }

    fn create() -> Result<Scratch> {
        let tmp = std::env::temp_dir();
        let where_ = || format!("{} (TMPDIR)", tmp.display());
        let free =
            free_space(&tmp).with_context(|| format!("reading the free space of {}", where_()))?;
        if free < MIN_SCRATCH_SPACE {
            return Err(hinted(
                anyhow!(
                    "no space left on {}: {} MiB free, a scenario needs at least {} MiB",
                    where_(),
                    free >> 20,
                    MIN_SCRATCH_SPACE >> 20
                ),
                "free some space, or point TMPDIR at another file system",
            ));
        }
        let dir = tempfile::Builder::new()
            .prefix("codex-harvest-")
            .tempdir()
            .with_context(|| format!("creating a scratch dir in {}", where_()))?;
        std::fs::set_permissions(
            dir.path(),
            std::os::unix::fs::PermissionsExt::from_mode(0o700),
        )
        .with_context(|| format!("restricting {}", dir.path().display()))?;
        let scratch = Scratch { dir };
        for sub in ["home", "codex-home", "work", "out", "tmp"] {
            std::fs::create_dir(scratch.path(sub))
                .with_context(|| format!("creating a scratch dir in {}", where_()))?;
        }
        Ok(scratch)
    }

    fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    /// Keeps the dir, every secret in it redacted; returns where it is.
    fn keep(self, scanner: &Scanner) -> Result<PathBuf> {
        let path = self.dir.keep();
        scanner.redact_dir(&path)?;
        Ok(path)
    }
}

fn free_space(dir: &std::path::Path) -> Result<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes())?;
    // SAFETY: a valid path and a zeroed struct for statvfs to fill.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut st) } != 0 {
        return Err(std::io::Error::last_os_error().into());
    }
    Ok(st.f_bavail as u64 * st.f_frsize as u64)
}

/// Every secret the runs know of: the config's patterns, the scripted
/// model's key (if it shows up, codex leaked its credential) and the
/// caller's own key.
pub fn scanner(config: &HarvestConfig) -> Result<Scanner> {
    let mut literals = vec![(
        "the scripted model's API key".to_string(),
        codex_home::API_KEY.to_string(),
    )];
    literals.extend(crate::secrets::caller_key());
    Scanner::new(&config.secrets, literals)
}

/// Runs every lane of `s`: the Python SDK's, then `codex exec`'s when the
/// scenario has an exec recipe. Each lane has its own scratch dir and its
/// own scripted model playing the same script.
fn run_one(runner: &mut Runner, s: &Scenario) -> Result<Tree> {
    let session = runner.session;
    let python: Vec<&FixturePath> = s.outputs.iter().collect();
    let mut tree = lane(session, s, &python, |scratch| {
        run_process(runner, s, scratch)
    })?;
    if let Some(recipe) = &s.exec {
        let outputs: Vec<&FixturePath> = recipe
            .steps
            .iter()
            .flat_map(|st| [&st.output, &st.command])
            .collect();
        let exec = lane(session, s, &outputs, |scratch| {
            run_exec(session, s, recipe, scratch)
        })
        .context("the exec lane (codex exec --json)")?;
        tree.extend(exec);
    }
    Ok(tree)
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
        .and_then(|_| check_transcript(&transcript, &session.project.display(&script_path)))
        .and_then(|_| collect(session, s, outputs, &scratch, &scanner, &script.texts()));
    if crate::interrupt::received().is_some() {
        return result;
    }
    match (result, session.keep_scratch) {
        (Ok(tree), false) => Ok(tree),
        (Ok(tree), true) => {
            let path = scratch.keep(&scanner)?;
            (session.progress)(&format!(
                "  {:<32} scratch kept: {}",
                s.name,
                path.display()
            ));
            Ok(tree)
        }
        (Err(e), false) => Err(hinted(
            e,
            "rerun with --keep-scratch to keep its scratch dir (requests.jsonl holds every model request)",
        )),
        (Err(e), true) => {
            let path = scratch.keep(&scanner)?;
            Err(e.context(format!(
                "its scratch dir is kept, secrets redacted: {} (requests.jsonl holds every model request)",
                path.display()
            )))
        }
    }
}

/// The exec lane: each step one `codex exec --json` of the pinned binary in
/// the scratch workdir, its stdout the step's fixture and its arguments and
/// exit code the step's command record; a `resume` step continues the thread
/// the first step started.
fn run_exec(session: &Session, s: &Scenario, recipe: &ExecRecipe, scratch: &Scratch) -> Result<()> {
    let t = session.toolchain;
    let work = scratch.path("work");
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

fn run_process(runner: &mut Runner, s: &Scenario, scratch: &Scratch) -> Result<()> {
    let session = runner.session;
    let t = session.toolchain;
    let outputs: Vec<PathBuf> = s
        .outputs
        .iter()
        .map(|o| scratch.path("out").join(o.as_str()))
        .collect();
    for o in &outputs {
        std::fs::create_dir_all(o.parent().expect("outputs have a parent"))?;
    }
    let mut kwargs = s.kwargs.clone();
    kwargs.insert(
        "codex_path".into(),
        t.codex.path.display().to_string().into(),
    );
    kwargs.insert("model".into(), session.config.model.clone().into());
    kwargs.insert(
        "outputs".into(),
        outputs
            .iter()
            .map(|o| Value::from(o.display().to_string()))
            .collect(),
    );
    let mut sys_path = vec![session.project.integration_dir()];
    sys_path.extend(t.sys_path.iter().cloned());
    let invocation = Invocation {
        supervisor: session.supervisor.clone(),
        python: t.python.clone(),
        sys_path,
        module: format!("harvest_scenarios.{}", s.name),
        output: outputs[0].clone(),
        kwargs,
        cwd: scratch.path("work"),
        env: environment(t, scratch),
        timeout: s.timeout,
    };
    runner.run(s, &invocation, &scratch.path("output.log"))
}

/// Runs one worker thread's scenarios: in its warm worker (started on first
/// use, replaced if it breaks), or cold when the run or the scenario says so.
struct Runner<'a> {
    session: &'a Session<'a>,
    warm: Option<WarmWorker>,
}

impl Runner<'_> {
    fn run(&mut self, s: &Scenario, inv: &Invocation, log: &std::path::Path) -> Result<()> {
        if self.session.cold || s.cold {
            return scenario::run(inv);
        }
        let worker = match &mut self.warm {
            Some(w) => w,
            None => self.warm.insert(
                WarmWorker::start(
                    &inv.supervisor,
                    &inv.python,
                    &inv.sys_path,
                    &base_environment(self.session.toolchain),
                )
                .kind(Kind::Toolchain)?,
            ),
        };
        let result = worker.run(inv, log);
        if worker.broken {
            self.warm = None;
        }
        result
    }
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
    let written = crate::tree::read(&out_dir)?;
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
                anyhow!(
                    "output {out} line {}: contains {} (after normalisation); nothing was written",
                    found.line,
                    found.name
                ),
                "keep credentials out of what the scenario records, or add a normalisation rule that replaces it",
            ));
        }
        tree.insert(out.to_string(), canonical);
    }
    Ok(tree)
}

fn locations(t: &Toolchain, scratch: &Scratch) -> Locations {
    let spell = |p: PathBuf| {
        let mut v = vec![p.display().to_string()];
        if let Ok(c) = p.canonicalize() {
            v.push(c.display().to_string());
        }
        v.dedup();
        v
    };
    Locations::from([
        ("workdir".into(), spell(scratch.path("work"))),
        ("codex_home".into(), spell(scratch.path("codex-home"))),
        ("home".into(), spell(scratch.path("home"))),
        ("scratch".into(), spell(scratch.dir.path().to_path_buf())),
        ("python_prefix".into(), spell(t.python_prefix.clone())),
    ])
}

/// What to do with committed files that no scenario of the catalogue
/// produces (a scenario removed, a stray `notes.txt`). `harvest` and `check`
/// take the same policy, so a harvest is always followed by a clean check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Unreferenced {
    /// `harvest` refuses to write; `check` reports them as drift.
    #[default]
    Reject,
    /// `harvest` drops them from the new tree; `check` reports them as drift.
    Delete,
    /// Both keep them (and `SHA256SUMS` lists them), with a warning.
    Warn,
}

/// The tree a run should leave, and what it did with unreferenced files.
#[derive(Debug)]
pub struct Planned {
    pub tree: Tree,
    pub unreferenced: Vec<String>,
}

/// The fixtures tree that `generated` makes of `committed`: the regenerated
/// outputs, the outputs of the scenarios not run this time (`full` = every
/// scenario ran), the unreferenced files as `policy` says, and provenance
/// and `SHA256SUMS` recomputed.
pub fn plan(
    config: &HarvestConfig,
    committed: &Tree,
    generated: &Generated,
    full: bool,
    policy: Unreferenced,
) -> Result<Planned> {
    let referenced = |path: &str| {
        path == MANIFEST_FILE
            || path == PROVENANCE_FILE
            || config
                .scenarios
                .iter()
                .any(|s| s.all_outputs().any(|o| o.as_str() == path))
    };
    let unreferenced: Vec<String> = committed
        .keys()
        .filter(|p| !referenced(p))
        .cloned()
        .collect();
    let base: Tree = committed
        .iter()
        .filter(|(p, _)| {
            if referenced(p) {
                !full
            } else {
                policy == Unreferenced::Warn
            }
        })
        .map(|(p, b)| (p.clone(), b.clone()))
        .collect();
    Ok(Planned {
        tree: assemble(&base, generated, full)?,
        unreferenced,
    })
}

/// `tree` with each scenario's recorded toolchain taken from `committed`:
/// what `check` compares when a component is not the pinned one (an SDK
/// checkout, another codex), so that the fixtures are compared and the
/// toolchain difference is reported apart, not as drift.
pub fn keep_recorded_toolchains(tree: &Tree, committed: &Tree) -> Result<Tree> {
    let (Some(mut provenance), Some(recorded)) = (
        Provenance::from_tree(tree)?,
        Provenance::from_tree(committed)?,
    ) else {
        return Ok(tree.clone());
    };
    for (name, record) in provenance.scenarios.iter_mut() {
        if let Some(old) = recorded.scenarios.get(name) {
            record.toolchain = old.toolchain.clone();
        }
    }
    let mut out = tree.clone();
    out.insert(PROVENANCE_FILE.into(), provenance.render());
    out.insert(
        MANIFEST_FILE.into(),
        Sha256Sums::of(&out).render().into_bytes(),
    );
    Ok(out)
}

/// Builds a whole fixtures tree: `base` with `generated` laid over it, the
/// provenance updated and the manifest recomputed. With `replace_records`,
/// provenance keeps only the generated scenarios' records.
fn assemble(base: &Tree, generated: &Generated, replace_records: bool) -> Result<Tree> {
    let mut tree = base.clone();
    tree.remove(MANIFEST_FILE);
    let mut provenance = if replace_records {
        Provenance::default()
    } else {
        Provenance::from_tree(base)?.unwrap_or_default()
    };
    provenance.scenarios.extend(
        generated
            .records
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    tree.extend(
        generated
            .outputs
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    tree.insert(PROVENANCE_FILE.into(), provenance.render());
    tree.insert(
        MANIFEST_FILE.into(),
        Sha256Sums::of(&tree).render().into_bytes(),
    );
    Ok(tree)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(name: &str, body: &str) -> Generated {
        Generated {
            outputs: Tree::from([(format!("python/{name}.jsonl"), body.as_bytes().to_vec())]),
            records: BTreeMap::from([(
                name.to_string(),
                ScenarioRecord::new(
                    vec![format!("python/{name}.jsonl")],
                    BTreeMap::new(),
                    BTreeMap::new(),
                ),
            )]),
        }
    }

    #[test]
    fn assemble_lays_outputs_over_the_base_and_rehashes() {
        let first = assemble(&Tree::new(), &generated("a", "{}\n"), true).unwrap();
        assert!(
            Sha256Sums::from_tree(&first)
                .unwrap()
                .unwrap()
                .verify(&first)
                .is_empty()
        );
        let second = assemble(&first, &generated("b", "[]\n"), false).unwrap();
        let p = Provenance::from_tree(&second).unwrap().unwrap();
        assert_eq!(p.scenarios.keys().collect::<Vec<_>>(), ["a", "b"]);
        assert!(second.contains_key("python/a.jsonl") && second.contains_key("python/b.jsonl"));
        let replaced = assemble(&second, &generated("b", "[]\n"), true).unwrap();
        let p = Provenance::from_tree(&replaced).unwrap().unwrap();
        assert_eq!(p.scenarios.keys().collect::<Vec<_>>(), ["b"]);
    }

    #[test]
    fn plan_keeps_or_drops_unreferenced_files_by_policy() {
        let config = HarvestConfig::parse(
            "model = \"m\"\ntimeout_secs = 5\n[[scenario]]\nname = \"a\"\nabout = \"\"\noutputs = [\"python/a.jsonl\"]\n[[scenario]]\nname = \"b\"\nabout = \"\"\noutputs = [\"python/b.jsonl\"]\n",
        )
        .unwrap();
        let first = plan(
            &config,
            &Tree::new(),
            &generated("a", "{}\n"),
            false,
            Unreferenced::Reject,
        )
        .unwrap()
        .tree;
        let second = plan(
            &config,
            &first,
            &generated("b", "{}\n"),
            false,
            Unreferenced::Reject,
        )
        .unwrap()
        .tree;
        let mut committed = second.clone();
        committed.insert("notes.txt".into(), b"mine".to_vec());
        for (policy, kept) in [
            (Unreferenced::Reject, false),
            (Unreferenced::Delete, false),
            (Unreferenced::Warn, true),
        ] {
            let planned =
                plan(&config, &committed, &generated("a", "[]\n"), false, policy).unwrap();
            assert_eq!(planned.unreferenced, ["notes.txt"]);
            assert_eq!(planned.tree.contains_key("notes.txt"), kept, "{policy:?}");
            assert!(
                planned.tree.contains_key("python/b.jsonl"),
                "a partial run keeps b"
            );
            assert_eq!(
                Sha256Sums::from_tree(&planned.tree)
                    .unwrap()
                    .unwrap()
                    .verify(&planned.tree),
                []
            );
        }
        let full = plan(
            &config,
            &committed,
            &generated("a", "[]\n"),
            true,
            Unreferenced::Warn,
        )
        .unwrap();
        assert!(
            !full.tree.contains_key("python/b.jsonl"),
            "a full run keeps only what it made"
        );
    }

    #[test]
    fn transcript_overruns_and_unplayed_replies_fail() {
        let t = Transcript {
            requests: Vec::new(),
            unplayed: vec![1],
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

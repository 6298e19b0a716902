//! `stand-in`: the pinned real codex for a client's own tests, where a
//! recording cannot serve the client (it makes other requests than the
//! recorded client did). It runs codex with the client's arguments and
//! stdio against the scenario's scripted model, in a throwaway
//! `CODEX_HOME`, offline and deterministic; `--codex-home DIR` keeps that
//! home, and which replies were taken, across the starts of one scenario
//! (a thread resumed by a second process). `normalize` then brings what the
//! client recorded to the fixtures' form.

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, anyhow};

use super::args::{NormalizeArgs, StandInArgs};
use super::exit::{Exit, Failure, Phase};
use super::setup;
use crate::base::failure::hinted;
use crate::base::interrupt;
use crate::base::private_dir::PrivateDir;
use crate::codex::model::{Script, ScriptedModel, codex_home};
use crate::engine::normalize::{Locations, Normalizer, host_spellings, spellings};

/// Which replies of the script earlier starts took, kept in the home.
const PLAYED: &str = ".codex-harvest-stand-in.json";

pub fn run(root: &Option<PathBuf>, args: &StandInArgs) -> Result<Exit, Failure> {
    let loaded = setup::load(root)?;
    let names = std::slice::from_ref(&args.scenario);
    let scenario = loaded.config.select(names).or_exit(Exit::Usage)?[0];
    let script_path = loaded.project.model_script(&scenario.name);
    let script = Script::load(&script_path).or_exit(Exit::Usage)?;
    let requests_file = args.model_requests.as_deref().map(new_file).transpose()?;
    let toolchain = args.toolchain.resolve(&loaded.pins)?;
    let throwaway;
    let home = match &args.codex_home {
        Some(dir) => {
            own_home(dir)?;
            dir.clone()
        }
        None => {
            throwaway = tempfile::tempdir()
                .context("creating a throwaway CODEX_HOME")
                .or_exit(Exit::Io)?;
            throwaway.path().to_path_buf()
        }
    };
    let played: Vec<usize> = std::fs::read(home.join(PLAYED))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    let replies = script.replies.len();
    let model = ScriptedModel::start_after(script, &played).or_exit(Exit::Io)?;
    codex_home::write(&home, &model.base_url(), &scenario.model_provider).or_exit(Exit::Io)?;
    let code = run_codex(&toolchain.codex.path, &home, &args.args).or_exit(Exit::Toolchain)?;
    let transcript = model.finish();
    let taken: Vec<usize> = (0..replies)
        .filter(|i| !transcript.unplayed.contains(i) && !transcript.skipped.contains(i))
        .collect();
    std::fs::write(
        home.join(PLAYED),
        serde_json::to_vec(&taken).expect("indexes serialise"),
    )
    .with_context(|| format!("writing {}", home.join(PLAYED).display()))
    .or_exit(Exit::Io)?;
    if let Some(mut file) = requests_file {
        use std::io::Write;
        file.write_all(transcript.to_jsonl().as_bytes())
            .with_context(|| {
                format!(
                    "writing {}",
                    args.model_requests.as_ref().expect("given").display()
                )
            })
            .or_exit(Exit::Io)?;
    }
    if transcript.overruns > 0 {
        crate::errln!(
            "codex-harvest stand-in: codex made {} model request(s) more than {} has replies for; the client asked more of it than the scenario does",
            transcript.overruns,
            loaded.project.display(&script_path)
        );
    }
    Ok(Exit::Recorded(code))
}

/// Makes `dir` a home of stand-in's, or finds it one already: it writes
/// `config.toml` there on every start, so a directory that holds anything
/// stand-in did not make (a user's real `~/.codex`) is refused before
/// anything runs. The marker is the file of replies taken, written first.
fn own_home(dir: &Path) -> Result<(), Failure> {
    let marker = dir.join(PLAYED);
    if marker.is_file() {
        return Ok(());
    }
    let held: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
        Err(e) => {
            return Err(e)
                .with_context(|| format!("reading --codex-home {}", dir.display()))
                .or_exit(Exit::Io);
        }
    };
    if !held.is_empty() {
        let mut held = held;
        held.sort();
        return Err(hinted(
            anyhow!(
                "--codex-home {} holds files stand-in did not make ({}); stand-in writes its own config.toml there, so nothing was run or written",
                dir.display(),
                held.join(", ")
            ),
            "give --codex-home a new or empty directory; stand-in keeps that one across starts",
        ))
        .or_exit(Exit::Usage);
    }
    std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(&marker, b"[]"))
        .with_context(|| format!("making {} a stand-in's CODEX_HOME", dir.display()))
        .or_exit(Exit::Io)
}

/// `--model-requests FILE`, created before codex runs: a file that is
/// there already is not stand-in's to replace.
fn new_file(path: &Path) -> Result<std::fs::File, Failure> {
    std::fs::File::options()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("creating --model-requests {}", path.display()))
        .map_err(|e| hinted(e, "give --model-requests a path where no file is yet"))
        .or_exit(Exit::Usage)
}

/// The pinned codex with the client's arguments and stdio, pointed at the
/// scripted model through `home`; its exit code. Its TMPDIR is a private
/// dir of this run's, as a lane's codex has one: what codex keeps there
/// while a sandboxed command runs (bubblewrap's mount targets) is removed
/// with it, even when a stop signal ends codex first.
fn run_codex(codex: &Path, home: &Path, args: &[String]) -> anyhow::Result<u8> {
    interrupt::check()?;
    let tmp = PrivateDir::new("stand-in").context("creating codex's TMPDIR")?;
    let mut command = Command::new(codex);
    let mut child = interrupt::unblocked(command.args(args))
        .env("CODEX_HOME", home)
        .env("TMPDIR", tmp.path())
        .env(codex_home::API_KEY_VAR, codex_home::API_KEY)
        .process_group(0)
        .spawn()
        .with_context(|| format!("starting {}", codex.display()))?;
    let _group = interrupt::stop_with_run(child.id());
    let status = child.wait().context("waiting for codex")?;
    interrupt::check()?;
    Ok(crate::base::child_exit::shell_code(status))
}

/// `normalize FILE`: the file in the fixtures' form, by the project's rules,
/// with the locations the run that wrote it used.
pub fn normalize(root: &Option<PathBuf>, args: &NormalizeArgs) -> Result<Exit, Failure> {
    let loaded = setup::load(root)?;
    let raw = std::fs::read(&args.file)
        .with_context(|| format!("reading {}", args.file.display()))
        .or_exit(Exit::Io)?;
    let spell = |p: &Option<PathBuf>| p.as_deref().map(spellings).unwrap_or_default();
    let locations = Locations::from([
        ("workdir".to_string(), spell(&args.workdir)),
        ("codex_home".to_string(), spell(&args.codex_home)),
        ("home".to_string(), spell(&args.home)),
        ("scratch".to_string(), Vec::new()),
        ("python_prefix".to_string(), Vec::new()),
        ("host".to_string(), host_spellings()),
    ]);
    let normalizer = Normalizer::new(&loaded.config.rules, &locations).or_exit(Exit::Usage)?;
    let mut pass = normalizer.pass();
    // A `.json` file is one document; anything else a client writes (a
    // `.jsonl`, a `.log`, a file without an extension) is read as JSON Lines.
    let is_document = args.file.extension().is_some_and(|e| e == "json");
    let canonical = match is_document {
        true => pass.json(&raw),
        false => pass.jsonl(&raw),
    }
    .map_err(|e| {
        hinted(
            e.context(format!(
                "{} is not what a client records",
                args.file.display()
            )),
            "normalize takes the JSON Lines a client wrote (one JSON value a line), or a .json file holding one JSON document",
        )
    })
    .or_exit(Exit::Usage)?;
    use std::io::Write;
    std::io::stdout()
        .lock()
        .write_all(&canonical)
        .map_err(|e| anyhow!("writing to stdout: {e}"))
        .or_exit(Exit::Io)?;
    Ok(Exit::Clean)
}

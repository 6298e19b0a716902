//! `codex-harvest __exec-tap LOG_DIR CODEX ARGS…`: what a client that runs
//! `codex exec` (the TypeScript SDK) actually asked, recorded. It reads the
//! client's stdin to its end (where the SDK writes the prompt), starts the
//! real codex with the same arguments and that stdin, passes codex's stdout
//! through while keeping a copy, and when codex exits writes
//! `<n>.command.json` beside `<n>.stdout`: the arguments, the stdin, the
//! environment that names the client, the exit code and the output
//! schema's JSON; the same record the exec lane writes, so replay serves it.
//! Runs are numbered in start order. Stop signals are passed on to codex.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde::Serialize;

/// The hidden first argument that runs the exec tap instead of the CLI.
pub const ARG: &str = "__exec-tap";

/// The environment a client sets to say who it is, recorded (not compared
/// by replay: it changes what codex tells the model, not what it prints).
const RECORDED_ENV: [&str; 1] = ["CODEX_INTERNAL_ORIGINATOR_OVERRIDE"];

/// `<n>.command.json`.
#[derive(Debug, Serialize)]
pub struct Record {
    pub args: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stdin: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub env: BTreeMap<String, String>,
    pub exit_code: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<serde_json::Value>,
}

pub fn main(args: &[OsString]) -> ! {
    let [log_dir, codex, rest @ ..] = args else {
        crate::errln!("codex-harvest {ARG}: usage: {ARG} LOG_DIR CODEX ARGS…");
        std::process::exit(2);
    };
    match run(Path::new(log_dir), Path::new(codex), rest) {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            crate::errln!("codex-harvest {ARG}: {e:#}");
            std::process::exit(70);
        }
    }
}

fn run(log_dir: &Path, codex: &Path, rest: &[OsString]) -> anyhow::Result<i32> {
    use anyhow::Context;
    let (n, _, mut copy) =
        crate::codex::runs::claim_next(log_dir, "stdout").context("claiming a record number")?;
    let args: Vec<String> = rest
        .iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let mut stdin = Vec::new();
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        std::io::stdin()
            .read_to_end(&mut stdin)
            .context("reading the client's stdin")?;
    }
    // The schema file may be gone when codex is: read it now.
    let output_schema = crate::codex::exec::args::ExecCall::parse(&args)
        .ok()
        .and_then(|c| c.output_schema)
        .and_then(|path| std::fs::read(path).ok())
        .and_then(|b| serde_json::from_slice(&b).ok());
    let signals = crate::base::interrupt::block(&crate::base::interrupt::SIGNALS);
    let mut command = Command::new(codex);
    let mut child = crate::base::interrupt::unblocked(command.args(rest))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .with_context(|| format!("starting {}", codex.display()))?;
    let pid = child.id() as libc::pid_t;
    crate::base::interrupt::forward_to(signals, pid);
    let mut to_codex = child.stdin.take().expect("piped");
    let written = stdin.clone();
    // Codex may stop reading early; that is its business, not a failure.
    std::thread::spawn(move || {
        let _ = to_codex.write_all(&written);
    });
    let mut from_codex = child.stdout.take().expect("piped");
    let mut out = std::io::stdout().lock();
    let mut buf = [0u8; 8192];
    loop {
        let got = from_codex
            .read(&mut buf)
            .context("reading codex's stdout")?;
        if got == 0 {
            break;
        }
        copy.write_all(&buf[..got])
            .context("keeping a copy of codex's stdout")?;
        // A client that stopped reading still gets its codex run recorded.
        let _ = out.write_all(&buf[..got]).and_then(|_| out.flush());
    }
    let status = child.wait().context("waiting for codex")?;
    let code = crate::base::child_exit::shell_code(status);
    let record = Record {
        args,
        stdin: (!stdin.is_empty()).then(|| String::from_utf8_lossy(&stdin).into_owned()),
        env: RECORDED_ENV
            .iter()
            .filter_map(|k| Some((k.to_string(), std::env::var(k).ok()?)))
            .collect(),
        exit_code: code,
        output_schema,
    };
    let path = record_path(log_dir, n);
    let json = serde_json::to_vec_pretty(&record).expect("a record serialises");
    std::fs::write(&path, json).with_context(|| format!("writing {}", path.display()))?;
    Ok(i32::from(code))
}

pub(crate) fn stdout_path(dir: &Path, n: usize) -> PathBuf {
    dir.join(format!("{n}.stdout"))
}

pub(crate) fn record_path(dir: &Path, n: usize) -> PathBuf {
    dir.join(format!("{n}.command.json"))
}

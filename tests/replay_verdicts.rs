//! What replay leaves for a suite that reads its verdicts (`--sequence`):
//! a verdict for every start, the one past the last recording too, the
//! right one when a stop signal ends a start that was writing its answer,
//! and nothing else; and an exec client that never reads is told so after
//! the patience (issue 35, items 2 to 5).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::repo;

const EXEC_ARGS: [&str; 6] = [
    "exec",
    "--json",
    "--skip-git-repo-check",
    "-m",
    "gpt-5.5",
    "Say hello.",
];

/// thread_basic's exec recording in `dir`, its agent message `pad` bytes
/// longer: an answer too large for a pipe nobody reads.
fn exec_recording(dir: &Path, pad: usize) -> PathBuf {
    let exec = repo().join("integration/fixtures/exec");
    let copy = dir.join("thread_basic.jsonl");
    std::fs::copy(
        exec.join("thread_basic.command.json"),
        dir.join("thread_basic.command.json"),
    )
    .unwrap();
    let mut text = String::new();
    for line in std::fs::read_to_string(exec.join("thread_basic.jsonl"))
        .unwrap()
        .lines()
    {
        let mut event: serde_json::Value = serde_json::from_str(line).unwrap();
        if event["item"]["type"] == "agent_message" {
            let said = event["item"]["text"].as_str().unwrap().to_string();
            event["item"]["text"] = format!("{said}{}", "x".repeat(pad)).into();
        }
        text.push_str(&format!("{event}\n"));
    }
    std::fs::write(&copy, text).unwrap();
    copy
}

fn replay(recording: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_codex-harvest"));
    cmd.arg("replay")
        .args(extra)
        .arg(recording)
        .arg("--")
        .args(EXEC_ARGS)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Waits for `child`, killing it and failing if it is still running
/// long after it should have ended.
fn ended(mut child: Child, what: &str) -> std::process::Output {
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("{what}: replay still running after 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Every file in the sequence dir, sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    out.sort();
    out
}

/// Item 2: a client that never reads codex's stdout is told so after the
/// patience, however large the answer.
#[test]
fn an_exec_client_that_never_reads_is_a_divergence_after_the_patience() {
    let dir = tempfile::tempdir().unwrap();
    let recording = exec_recording(dir.path(), 2 << 20);
    let mut child = replay(&recording, &["--patience", "3"])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let _unread = child.stdout.take();
    let out = ended(child, "a client that never reads");
    assert_eq!(out.status.code(), Some(6), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("within 3 s (--patience): it left codex's stdout unread"),
        "{err}"
    );
}

/// Items 3 and 5: the client's request was whole when a stop signal ends
/// replay while it writes the answer: the verdict says it played, and no
/// temp file is left beside it.
#[test]
fn a_stop_while_the_answer_is_written_keeps_the_played_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let recording = exec_recording(dir.path(), 2 << 20);
    let state = dir.path().join("sequence");
    let mut child = replay(&recording, &["--sequence", state.to_str().unwrap()])
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    // The first bytes of the answer: the request is read and matched.
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    stdout.read_exact(&mut first).unwrap();
    crate::util::signal(&child, libc::SIGTERM);
    let out = ended(child, "a stop during the answer");
    assert_eq!(out.status.code(), Some(143), "{out:?}");
    assert_eq!(
        std::fs::read_to_string(state.join("1.verdict")).unwrap(),
        "played\n"
    );
    assert_eq!(names(&state), ["1.played", "1.verdict"]);
}

/// Item 3: a client that closes stdin and ends codex with SIGTERM as soon
/// as it has read the answer (as the Python SDK does) leaves the verdict
/// and the claim only, run after run.
#[test]
fn a_client_that_ends_codex_on_the_last_line_leaves_no_temp_file() {
    let dir = tempfile::tempdir().unwrap();
    let recording = exec_recording(dir.path(), 0);
    let whole = std::fs::read(&recording).unwrap();
    for run in 0..20 {
        let state = dir.path().join(format!("sequence-{run}"));
        let mut child = replay(&recording, &["--sequence", state.to_str().unwrap()])
            .spawn()
            .unwrap();
        drop(child.stdin.take());
        let mut read = vec![0u8; whole.len()];
        child.stdout.take().unwrap().read_exact(&mut read).unwrap();
        crate::util::signal(&child, libc::SIGTERM);
        let out = ended(child, "a client that ends codex at once");
        assert!(
            matches!(out.status.code(), Some(0) | Some(143)),
            "run {run}: {out:?}"
        );
        assert_eq!(names(&state), ["1.played", "1.verdict"], "run {run}");
        assert_eq!(
            std::fs::read_to_string(state.join("1.verdict")).unwrap(),
            "played\n",
            "run {run}"
        );
    }
}

/// Item 4: a start past the last recording exits 6 and leaves its verdict
/// beside the others, and a suite that reads them learns of it.
#[test]
fn a_start_past_the_last_recording_leaves_its_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let recording = exec_recording(dir.path(), 0);
    let state = dir.path().join("sequence");
    let sequence = ["--sequence", state.to_str().unwrap()];
    for expected in [0, 6] {
        let mut child = replay(&recording, &sequence).spawn().unwrap();
        drop(child.stdin.take());
        let out = ended(child, "a start of the sequence");
        assert_eq!(out.status.code(), Some(expected), "{out:?}");
    }
    assert_eq!(
        names(&state),
        ["1.played", "1.verdict", "2.played", "2.verdict"]
    );
    let beyond = std::fs::read_to_string(state.join("2.verdict")).unwrap();
    assert!(
        beyond.contains("the client started codex once more than the 1 recordings"),
        "{beyond}"
    );
    let mut again = replay(&recording, &sequence).spawn().unwrap();
    again.stdin.take().unwrap().write_all(b"").unwrap();
    assert_eq!(ended(again, "a third start").status.code(), Some(6));
    assert!(state.join("3.verdict").is_file());
}

//! The scenario runner on its own, with the system python3 as a stand-in
//! interpreter (the other tests run real scenarios with the real SDK): the
//! environment, failures, and the timeout that ends the whole process tree,
//! children that left the group or the session included.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use codex_harvest::process::scenario::{Invocation, run};

fn invocation(dir: &Path, body: &str, timeout: Duration) -> Invocation {
    let pkg = dir.join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("__init__.py"), "").unwrap();
    std::fs::write(pkg.join("mod.py"), body).unwrap();
    Invocation {
        supervisor: PathBuf::from(env!("CARGO_BIN_EXE_codex-harvest")),
        python: real_python(),
        sys_path: vec![dir.to_path_buf()],
        module: "pkg.mod".into(),
        output: dir.join("out.jsonl"),
        kwargs: serde_json::from_str(r#"{"word": "hi"}"#).unwrap(),
        job: dir.join("job.json"),
        cwd: dir.to_path_buf(),
        env: vec![("MARK".into(), "set".into())],
        timeout,
    }
}

/// The interpreter itself, not a shim script (pyenv's sets variables).
fn real_python() -> PathBuf {
    let out = Command::new("python3")
        .args(["-c", "import sys; print(sys.executable)"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().into()
}

fn alive(pid: libc::pid_t) -> bool {
    // SAFETY: signal 0 only checks that the process exists.
    unsafe { libc::kill(pid, 0) == 0 }
}

fn pid_in(path: &Path) -> libc::pid_t {
    std::fs::read_to_string(path)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// A kwarg larger than one command-line argument may be (128 KiB on
/// Linux) reaches `record()` whole: a cold run reads its job from a file,
/// as the warm worker reads it from its channel.
#[test]
fn a_kwarg_larger_than_an_argument_reaches_record() {
    let dir = tempfile::tempdir().unwrap();
    let mut inv = invocation(
        dir.path(),
        "def record(out, word):\n    open(out, 'w').write(str(len(word)) + word[-3:])\n",
        Duration::from_secs(20),
    );
    let word = format!("{}end", "x".repeat(200_000));
    inv.kwargs.insert("word".into(), word.into());
    run(&inv).unwrap();
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out.jsonl")).unwrap(),
        "200003end"
    );
}

#[test]
fn passes_kwargs_and_only_the_given_environment() {
    let dir = tempfile::tempdir().unwrap();
    let inv = invocation(
        dir.path(),
        "import os\ndef record(out, word):\n    open(out, 'w').write(word + ' ' + os.environ['MARK'] + ' ' + str(len(os.environ)))\n",
        Duration::from_secs(20),
    );
    run(&inv).unwrap();
    let written = std::fs::read_to_string(dir.path().join("out.jsonl")).unwrap();
    // Python may add LC_CTYPE itself; nothing from the caller leaks in.
    assert!(written.starts_with("hi set "), "{written}");
    assert!(
        written.ends_with(" 1") || written.ends_with(" 2"),
        "{written}"
    );
}

#[test]
fn a_raising_scenario_shows_its_traceback() {
    let dir = tempfile::tempdir().unwrap();
    let inv = invocation(
        dir.path(),
        "def record(out, word):\n    raise RuntimeError('scenario broke')\n",
        Duration::from_secs(20),
    );
    let err = run(&inv).unwrap_err().to_string();
    assert!(err.contains("record() failed"), "{err}");
    assert!(err.contains("RuntimeError: scenario broke"), "{err}");
}

/// A child in a session of its own escapes `killpg` and holds the output
/// pipes; the timeout still ends the run on time, and the child with it.
#[test]
fn the_timeout_ends_children_that_left_the_session_even_holding_the_pipes() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("escaped.pid");
    let inv = invocation(
        dir.path(),
        &format!(
            "import subprocess, time\ndef record(out, word):\n    p = subprocess.Popen(['sleep', '45'], start_new_session=True)\n    open({:?}, 'w').write(str(p.pid))\n    time.sleep(600)\n",
            pid_file.display()
        ),
        Duration::from_secs(2),
    );
    let start = Instant::now();
    let err = run(&inv).unwrap_err().to_string();
    assert!(err.contains("timed out after 2 s"), "{err}");
    assert!(
        start.elapsed() < Duration::from_secs(15),
        "the run waited for the escaped child: {:?}",
        start.elapsed()
    );
    assert!(!alive(pid_in(&pid_file)), "the escaped child survived");
}

/// An orphan that does not hold the pipes (its parent exited, it started a
/// session of its own) is killed when the scenario ends, successfully too.
#[test]
fn a_daemonised_grandchild_dies_with_a_successful_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("daemon.pid");
    let inv = invocation(
        dir.path(),
        &format!(
            "import subprocess\ndef record(out, word):\n    p = subprocess.Popen(['sleep', '45'], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n    open({:?}, 'w').write(str(p.pid))\n    open(out, 'w').write('{{}}\\n')\n",
            pid_file.display()
        ),
        Duration::from_secs(20),
    );
    run(&inv).unwrap();
    let pid = pid_in(&pid_file);
    assert!(!alive(pid), "the daemonised grandchild {pid} survived");
}

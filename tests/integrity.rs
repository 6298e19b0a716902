//! The gate never lies and never leaks: one writer per tree, whole-tree
//! commits whatever fails or arrives part way, every process of a scenario
//! gone, the pinned bytes and nothing secret printed or kept.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::util::{
    NO_CODEX, TestProject, as_root, change_reply, files, no_process_left, run, signal,
};

/// A mount made by a test, undone when dropped (a failing assertion too):
/// whatever is mounted below `under`, wherever a rename moved it.
struct Mounted {
    under: PathBuf,
}

impl Mounted {
    /// Mounts with `args`, or says why the test is skipped.
    fn new(args: &[&str], under: &Path) -> Option<Mounted> {
        if !as_root("mounting") {
            return None;
        }
        let ok = Command::new("mount")
            .args(args)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            crate::util::skipped(&format!("`mount {}` is not allowed here", args.join(" ")));
            return None;
        }
        Some(Mounted {
            under: under.to_path_buf(),
        })
    }
}

impl Drop for Mounted {
    fn drop(&mut self) {
        let prefix = self.under.display().to_string();
        let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
        let mut points: Vec<&str> = mounts
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1))
            .filter(|point| point.starts_with(&prefix))
            .collect();
        // The deepest first.
        points.sort_by_key(|p| std::cmp::Reverse(p.len()));
        for point in points {
            let _ = Command::new("umount").arg(point).status();
        }
    }
}

/// Two harvests of different scenarios at once, started in both orders:
/// each one's update survives, and the tree agrees with its manifest.
#[test]
fn concurrent_harvests_lose_no_update() {
    let p = TestProject::new();
    for (round, order) in [
        ["thread_basic", "thread_reasoning_usage"],
        ["thread_reasoning_usage", "thread_basic"],
    ]
    .iter()
    .enumerate()
    {
        change_reply(&p, "thread_basic", &format!("Hello, round {round}."));
        change_reply(
            &p,
            "thread_reasoning_usage",
            &format!("Done, round {round}."),
        );
        let spawned: Vec<_> = order
            .iter()
            .map(|s| {
                p.command(&["harvest", "--scenario", s])
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for c in spawned {
            let out = c.wait_with_output().unwrap();
            assert_eq!(out.status.code(), Some(0), "{out:?}");
        }
        p.run(&["verify"]).expect(0);
        p.run(&[
            "check",
            "--scenario",
            "thread_basic",
            "--scenario",
            "thread_reasoning_usage",
        ])
        .expect(0);
        let basic = p.read("integration/fixtures/python/thread_basic.jsonl");
        assert!(basic.contains(&format!("Hello, round {round}.")), "{basic}");
    }
}

/// Ctrl-C, SIGTERM (CI cancellation) and SIGHUP (a closed terminal) stop a
/// run alike: every scenario process is gone (one that left its session
/// too), nothing is written, exit 130, 143 and 129.
#[test]
fn every_stop_signal_kills_every_scenario_process_and_writes_nothing() {
    let p = TestProject::new();
    let flags = tempfile::tempdir().unwrap();
    let started = flags.path().join("started");
    p.add_scenario(
        "slow",
        &format!(
            "import pathlib, subprocess, time\n\n\ndef record(output_path, **_):\n    subprocess.Popen(['sleep', '60'], start_new_session=True)\n    pathlib.Path('{}').touch()\n    time.sleep(60)\n",
            started.display()
        ),
        r#"{"replies": []}"#,
        "",
    );
    let before = p.fixtures();
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        let _ = std::fs::remove_file(&started);
        let mut child = p
            .command(&["harvest", "--scenario", "slow"])
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        while !started.exists() {
            assert!(child.try_wait().unwrap().is_none(), "harvest ended early");
            std::thread::sleep(Duration::from_millis(50));
        }
        signal(&child, sig);
        assert_eq!(child.wait().unwrap().code(), Some(128 + sig));
        no_process_left(&p.tmp(), &format!("signal {sig}"));
        assert_eq!(p.leftovers(), Vec::<String>::new());
        assert_eq!(p.fixtures(), before, "signal {sig}: the tree changed");
    }
}

/// A write that fails part way (a read-only part of the tree, a full disk)
/// leaves the tree as it was, passing `verify`, with nothing beside it.
#[test]
fn a_failed_write_leaves_the_old_tree_whole() {
    let p = TestProject::new();
    change_reply(&p, "thread_basic", "Hello, read-only world.");
    let python = p.path("integration/fixtures/python");
    let Some(read_only) = Mounted::new(
        &[
            "--bind",
            "-o",
            "ro",
            python.to_str().unwrap(),
            python.to_str().unwrap(),
        ],
        p.root(),
    ) else {
        return;
    };
    let before = p.fixtures();
    let out = p.run(&["harvest", "--scenario", "thread_basic"]);
    // The swap moves the mount with the old tree, beside the new one.
    drop(read_only);
    let after = p.fixtures();
    // Either the old tree stays (the swap was refused) or the new one is
    // whole; never a mix, and the manifest always agrees.
    assert!(out.code == 0 || out.code == 5, "{}", out.all());
    if out.code == 5 {
        assert_eq!(after, before, "{}", out.all());
    }
    p.run(&["verify"]).expect(0);

    // Room for the tree as it is (tmpfs takes whole pages, a page per
    // directory too) and a few pages more: not for a second copy of it.
    let pages = |n: usize| n.div_ceil(4096) * 4096;
    let tree_bytes: usize = p.fixtures().values().map(|b| pages(b.len())).sum::<usize>() + 8 * 4096;
    let size = format!("size={}", tree_bytes + 4 * 4096);
    let small = tempfile::tempdir().unwrap();
    let Some(full) = Mounted::new(
        &[
            "-t",
            "tmpfs",
            "-o",
            &size,
            "tmpfs",
            small.path().to_str().unwrap(),
        ],
        small.path(),
    ) else {
        return;
    };
    let tree = small.path().join("fixtures");
    let copied = Command::new("cp")
        .arg("-r")
        .arg(p.path("integration/fixtures"))
        .arg(&tree)
        .status()
        .unwrap();
    assert!(copied.success());
    let before = files(&tree);
    change_reply(&p, "thread_basic", "Hello, full disk.");
    let out = p.run(&[
        "harvest",
        "--scenario",
        "thread_basic",
        "--output",
        tree.to_str().unwrap(),
    ]);
    let after = files(&tree);
    let leftovers: Vec<_> = std::fs::read_dir(small.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    drop(full);
    out.expect(5);
    assert_eq!(after, before);
    assert_eq!(leftovers, ["fixtures"]);
}

/// A codex whose bytes are not the pinned binary's is refused, naming both
/// hashes; given with --codex-path it runs, and every run says it is not a
/// pinned reproduction.
#[test]
fn pinned_means_the_bytes() {
    let p = TestProject::new();
    let doctor = p.run(&["doctor", "--format", "json"]).expect(0);
    let report: serde_json::Value = serde_json::from_str(&doctor.stdout).unwrap();
    let site = PathBuf::from(report["python_sdk"]["path"].as_str().unwrap())
        .parent()
        .unwrap()
        .to_path_buf();
    let pinned = report["codex"]["sha256"].as_str().unwrap().to_string();

    // A Python whose bundled codex has one byte more: a venv whose own
    // codex_cli_bin shadows the pinned venv's site-packages.
    let dir = tempfile::tempdir().unwrap();
    let venv = dir.path().join("venv");
    assert!(
        Command::new("python3")
            .args(["-m", "venv", "--without-pip"])
            .arg(&venv)
            .status()
            .unwrap()
            .success()
    );
    let own_site = std::fs::read_dir(venv.join("lib"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path()
        .join("site-packages");
    assert!(
        Command::new("cp")
            .arg("-r")
            .arg(site.join("codex_cli_bin"))
            .arg(&own_site)
            .status()
            .unwrap()
            .success()
    );
    std::fs::write(own_site.join("pinned.pth"), format!("{}\n", site.display())).unwrap();
    let tampered = own_site.join("codex_cli_bin/bin/codex");
    std::fs::OpenOptions::new()
        .append(true)
        .open(&tampered)
        .map(|mut f| std::io::Write::write_all(&mut f, b"\0"))
        .unwrap()
        .unwrap();

    let python = venv.join("bin/python");
    let refused = p
        .run(&[
            "check",
            "--scenario",
            "thread_basic",
            "--python",
            python.to_str().unwrap(),
        ])
        .expect(3);
    assert!(
        refused.stderr.contains("is not the pinned binary"),
        "{}",
        refused.all()
    );
    assert!(refused.stderr.contains(&pinned), "{}", refused.all());
    let doctor = p
        .run(&["doctor", "--python", python.to_str().unwrap()])
        .expect(3);
    assert!(!doctor.stdout.contains("[pinned]"), "{}", doctor.all());

    let unpinned = p
        .run(&[
            "check",
            "--scenario",
            "thread_basic",
            "--codex-path",
            tampered.to_str().unwrap(),
        ])
        .expect(0);
    assert!(
        unpinned.stderr.contains("is not the pinned binary")
            && unpinned
                .stderr
                .contains("this run is not a pinned reproduction"),
        "{}",
        unpinned.all()
    );
    assert!(
        unpinned
            .stdout
            .contains("note: not a pinned reproduction: codex at"),
        "{}",
        unpinned.all()
    );
}

/// Secrets in a non-JSON line, in a failing scenario's output and in a kept
/// scratch dir never reach the terminal or the disk.
#[test]
fn secrets_are_redacted_everywhere_they_could_leak() {
    let p = TestProject::new();
    let key = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx0123";
    p.add_scenario(
        "noisy_secret",
        &format!(
            "def record(output_path, **_):\n    open(output_path, 'w').write('token {key}\\n')\n"
        ),
        r#"{"replies": []}"#,
        crate::util::NO_CODEX,
    );
    p.add_scenario(
        "crash_secret",
        &format!("import sys\n\n\ndef record(output_path, **_):\n    print('using {key}', file=sys.stderr)\n    raise SystemExit(3)\n"),
        r#"{"replies": []}"#,
        "",
    );
    for scenario in ["noisy_secret", "crash_secret"] {
        let out = p.run(&["harvest", "--scenario", scenario]).expect(4);
        assert!(
            !out.all().contains(key),
            "{scenario} printed the key: {}",
            out.all()
        );
        assert!(
            out.all().contains("[redacted: an OpenAI API key]"),
            "{}",
            out.all()
        );
        assert!(out.stderr.contains("--keep-scratch"), "{}", out.all());
        assert_eq!(
            p.leftovers(),
            Vec::<String>::new(),
            "a scratch dir was kept"
        );
    }
    let mut cmd = p.command(&["harvest", "--scenario", "crash_secret", "--keep-scratch"]);
    cmd.env("OPENAI_API_KEY", "caller-secret-value-123");
    let out = run(cmd).expect(4);
    let kept = p.leftovers();
    assert_eq!(kept.len(), 1, "{}", out.all());
    let dir = p.tmp().join(&kept[0]);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    for (path, bytes) in files(&dir) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(key) && !text.contains("caller-secret-value-123"),
            "{path} keeps a secret"
        );
    }
}

/// The small holes: each is refused with a message that names it.
#[test]
fn small_holes_are_closed() {
    let p = TestProject::new();
    // Any CI value but false-ish is CI.
    for value in ["1", "TRUE", "yes"] {
        let mut cmd = p.command(&["harvest"]);
        cmd.env("CI", value);
        let out = run(cmd).expect(2);
        assert!(
            out.stderr.contains("never writes in CI"),
            "CI={value}: {}",
            out.all()
        );
    }
    // --python names the flag.
    let out = p
        .run(&["check", "--python", "/nonexistent/python"])
        .expect(3);
    assert!(
        out.stderr
            .contains("--python /nonexistent/python does not exist"),
        "{}",
        out.all()
    );
    // A FIFO in the tree is refused, not read (it would block forever).
    let fifo = p.path("integration/fixtures/pipe");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid path in the test's own tree.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let out = p.run(&["verify"]).expect(5);
    assert!(
        out.stderr.contains("pipe is not a regular file (a FIFO)"),
        "{}",
        out.all()
    );
    std::fs::remove_file(&fifo).unwrap();
    // check does not write the caller's HOME, nor create a missing one.
    let home = tempfile::tempdir().unwrap();
    let missing = home.path().join("missing-home");
    for h in [home.path().to_path_buf(), missing.clone()] {
        let mut cmd = p.command(&["check", "--scenario", "thread_basic"]);
        cmd.env("HOME", &h);
        run(cmd).expect(0);
    }
    let written: Vec<_> = std::fs::read_dir(home.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(written.is_empty(), "check wrote into HOME: {written:?}");
    // Harvested files follow the umask.
    change_reply(&p, "thread_basic", "Hello, mode.");
    p.run(&["harvest", "--scenario", "thread_basic"]).expect(0);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(p.path("integration/fixtures/python/thread_basic.jsonl"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o044, 0o044, "{mode:o}");
}

/// A TMPDIR with no room is named as such, not as a traceback about
/// sqlite; with two scenarios failing so, the run still exits as an I/O
/// error, each failure named and the hint said once.
#[test]
fn a_full_tmpdir_is_named() {
    let p = TestProject::new();
    let Some(full) = Mounted::new(
        &[
            "-t",
            "tmpfs",
            "-o",
            "size=1m",
            "tmpfs",
            p.tmp().to_str().unwrap(),
        ],
        &p.tmp(),
    ) else {
        return;
    };
    let one = p.run(&["check", "--scenario", "thread_basic"]);
    let two = p.run(&[
        "check",
        "--scenario",
        "thread_basic",
        "--scenario",
        "thread_structured",
    ]);
    drop(full);
    let one = one.expect(5);
    assert!(one.stderr.contains("no space left on"), "{}", one.all());
    assert!(one.stderr.contains("(TMPDIR)"), "{}", one.all());
    let two = two.expect(5);
    assert!(
        two.stderr.contains("error: 2 scenarios failed:")
            && two.stderr.contains("scenario thread_basic failed")
            && two.stderr.contains("scenario thread_structured failed"),
        "{}",
        two.all()
    );
    let hint = "hint: free some space, or point TMPDIR at another file system";
    assert_eq!(two.stderr.matches(hint).count(), 1, "{}", two.all());
}

/// A TMPDIR that fills up while a scenario runs (the scenario's own
/// failure says nothing of it, as codex's does not) is an I/O error, exit
/// 5, naming the cause, not a scenario failure (issue 35, item 11).
#[test]
fn a_tmpdir_that_fills_during_a_scenario_is_named() {
    let p = TestProject::new();
    p.add_scenario(
        "fills_tmp",
        "import os, sys\n\n\ndef record(output_path, **_):\n    try:\n        with open(os.path.join(os.environ['TMPDIR'], 'fill'), 'wb') as f:\n            while True:\n                f.write(bytes(1 << 20))\n    except OSError:\n        pass\n    sys.exit(1)\n",
        r#"{"replies": []}"#,
        crate::util::NO_CODEX,
    );
    let Some(full) = Mounted::new(
        &[
            "-t",
            "tmpfs",
            "-o",
            "size=80m",
            "tmpfs",
            p.tmp().to_str().unwrap(),
        ],
        &p.tmp(),
    ) else {
        return;
    };
    let out = p.run(&["check", "--scenario", "fills_tmp", "--cold"]);
    drop(full);
    let out = out.expect(5);
    assert!(
        out.stderr
            .contains("(TMPDIR) ran out of space while it ran"),
        "{}",
        out.all()
    );
    assert!(
        out.stderr
            .contains("hint: free some space, or point TMPDIR at another file system"),
        "{}",
        out.all()
    );
}

/// A `.git` (or `.codex`, `.agents`) in TMPDIR or above it would make codex
/// take every scenario's workdir for part of a repository: refused before
/// any scenario runs, naming it, as an I/O error.
#[test]
fn a_codex_marker_above_tmpdir_is_refused() {
    let p = TestProject::new();
    for marker in [".git", ".codex", ".agents"] {
        let found = p.root().join(marker);
        std::fs::create_dir(&found).unwrap();
        let out = p
            .run(&["check", "--scenario", "thread_basic", "--lane", "exec"])
            .expect(5);
        std::fs::remove_dir(&found).unwrap();
        assert!(
            out.stderr.contains(&format!(
                "{} is in TMPDIR ({}) or above it",
                found.display(),
                p.tmp().display()
            )),
            "{marker}: {}",
            out.stderr
        );
        assert!(out.stderr.contains("hint: point TMPDIR at a directory"));
    }
}

/// In the warm worker too, a scenario's escaped child (its own session) is
/// gone when the scenario ends, and a hung one is cut at its timeout while
/// the worker goes on serving the next scenario.
#[test]
fn a_warm_worker_leaves_no_escaped_child_and_survives_a_timeout() {
    let p = TestProject::new();
    p.add_scenario(
        "escapes",
        "import json, subprocess\n\n\ndef record(output_path, **_):\n    subprocess.Popen(['sleep', '45'], start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)\n    open(output_path, 'w').write(json.dumps({'method': 'escaped', 'params': {}}) + '\\n')\n",
        r#"{"replies": []}"#,
        "",
    );
    p.add_scenario(
        "hangs",
        "import subprocess, time\n\n\ndef record(output_path, **_):\n    subprocess.Popen(['sleep', '45'], start_new_session=True)\n    time.sleep(600)\n",
        r#"{"replies": []}"#,
        "timeout_secs = 2",
    );
    let out = p
        .run(&[
            "check",
            "--jobs",
            "1",
            "--scenario",
            "escapes",
            "--scenario",
            "hangs",
            "--scenario",
            "thread_basic",
        ])
        .expect(4);
    assert!(
        out.stderr
            .contains("timed out after 2 s; its whole process tree was killed"),
        "{}",
        out.all()
    );
    assert!(
        out.stderr.contains("thread_basic                     ok"),
        "the worker served the next scenario: {}",
        out.all()
    );
    no_process_left(&p.tmp(), "after the run");
    assert_eq!(p.leftovers(), Vec::<String>::new());
}

/// Scenarios run at once in the one warm worker (each waits for the other
/// to have started): what a scenario leaves behind (an orphan in a session
/// of its own) is killed when that scenario ends, and only then: another
/// scenario's end leaves it running.
#[test]
fn a_scenarios_orphans_are_its_own_to_end_while_others_run() {
    let p = TestProject::new();
    let orphan = |pid_file: &Path| {
        format!(
            "    subprocess.run(['bash', '-c', 'setsid sleep 45 >/dev/null 2>&1 & echo $! > {0}.new && mv {0}.new {0}'], check=True)\n",
            pid_file.display()
        )
    };
    let quick_pid = p.root().join("quick.pid");
    let slow_pid = p.root().join("slow.pid");
    p.add_scenario(
        "quick",
        &format!(
            "import json, os, subprocess, time\n\n\ndef record(output_path, **_):\n{}    deadline = time.time() + 30\n    while not os.path.exists({:?}) and time.time() < deadline:\n        time.sleep(0.05)\n    open(output_path, 'w').write(json.dumps({{'method': 'quick', 'params': {{}}}}) + '\\n')\n",
            orphan(&quick_pid),
            slow_pid.display().to_string(),
        ),
        r#"{"replies": []}"#,
        NO_CODEX,
    );
    p.add_scenario(
        "slow",
        &format!(
            "import json, os, subprocess, time\n\n\ndef alive(pid):\n    try:\n        os.kill(pid, 0)\n        return True\n    except ProcessLookupError:\n        return False\n\n\ndef record(output_path, **_):\n{}    mine = int(open({:?}).read())\n    deadline = time.time() + 30\n    while not os.path.exists({:?}) and time.time() < deadline:\n        time.sleep(0.05)\n    theirs = int(open({:?}).read())\n    while alive(theirs) and time.time() < deadline:\n        time.sleep(0.05)\n    seen = {{'theirs_gone': not alive(theirs), 'mine_alive': alive(mine)}}\n    open(output_path, 'w').write(json.dumps({{'method': 'slow', 'params': seen}}) + '\\n')\n",
            orphan(&slow_pid),
            slow_pid.display().to_string(),
            quick_pid.display().to_string(),
            quick_pid.display().to_string(),
        ),
        r#"{"replies": []}"#,
        NO_CODEX,
    );
    p.run(&[
        "harvest",
        "--jobs",
        "2",
        "--scenario",
        "slow",
        "--scenario",
        "quick",
    ])
    .expect(0);
    let seen: serde_json::Value =
        serde_json::from_str(p.read("integration/fixtures/python/slow.jsonl").trim()).unwrap();
    assert_eq!(
        seen["params"],
        serde_json::json!({"theirs_gone": true, "mine_alive": true})
    );
    no_process_left(&p.tmp(), "after the run");
    assert_eq!(p.leftovers(), Vec::<String>::new());
}

/// A tap that cannot write a line of its log stops the conversation and
/// says why beside the log, so the wire lane never keeps a transcript with
/// a line missing. (`cat` stands in for codex: this is the tap alone; the
/// file size limit makes the log's writes fail with EFBIG.)
#[test]
fn a_tap_that_cannot_write_its_log_fails_and_says_why() {
    let logs = tempfile::tempdir().unwrap();
    let line = format!(
        "{{\"method\":\"x\",\"params\":{{\"pad\":\"{}\"}}}}\n",
        "p".repeat(300)
    );
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#"trap "" XFSZ; ulimit -f 1; exec "$0" __tap "$1" cat"#)
        .arg(env!("CARGO_BIN_EXE_codex-harvest"))
        .arg(logs.path())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        for _ in 0..4 {
            if stdin.write_all(line.as_bytes()).is_err() {
                break;
            }
        }
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(70), "{out:?}");
    let why = std::fs::read_to_string(logs.path().join("1.failed")).unwrap();
    assert!(
        why.contains("could not write the transcript log") && why.contains("1.log"),
        "{why}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains(&why));
    // What reached the client is at most what was logged.
    let logged = std::fs::read_to_string(logs.path().join("1.log")).unwrap();
    let relayed = String::from_utf8_lossy(&out.stdout).lines().count();
    assert!(
        relayed <= logged.lines().count(),
        "{relayed} relayed, log:\n{logged}"
    );
}

//! How a run stops: a stop signal at any moment ends it at once, by the
//! signal, with a message that says what was written, leaving no process
//! and no dir behind; a closed output pipe is no stop at all; the driver
//! may be PID 1; provisioning stops too; a commit killed part way is
//! finished by the next writer.

use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::{
    Moments, TestProject, as_root, change_reply, no_process_left, run, signal, staging_leftovers,
};

const GENERATED_DOCS: [&str; 2] = ["docs/python-parity-checklist.md", "docs/sdk-parity.md"];

/// The harvest the stop trials interrupt: more scenarios than jobs.
const HARVEST: [&str; 7] = [
    "harvest",
    "--jobs",
    "1",
    "--scenario",
    "thread_basic",
    "--scenario",
    "thread_structured",
];

/// How many runs the stop trials interrupt: every signal with each command
/// at least twice, their moments drawn anew each run
/// (`CODEX_HARVEST_TEST_SEED` replays one draw).
const TRIALS: usize = 16;

/// The check the stop trials interrupt.
const CHECK: [&str; 13] = [
    "check",
    "--jobs",
    "1",
    "--lane",
    "python",
    "--lane",
    "exec",
    "--scenario",
    "thread_basic",
    "--scenario",
    "thread_structured",
    "--scenario",
    "thread_reasoning_usage",
];

/// What a harvest commits: the fixtures tree and the generated docs.
type Committed = (BTreeMap<String, Vec<u8>>, Vec<Vec<u8>>);

/// The fixtures tree and the generated docs: what a harvest commits.
fn committed(p: &TestProject) -> Committed {
    let docs = GENERATED_DOCS
        .iter()
        .map(|d| std::fs::read(p.path(d)).unwrap())
        .collect();
    (p.fixtures(), docs)
}

fn restore(p: &TestProject, (tree, docs): &Committed) {
    std::fs::remove_dir_all(p.path("integration/fixtures")).unwrap();
    for (rel, bytes) in tree {
        let path = p.path(&format!("integration/fixtures/{rel}"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }
    for (doc, bytes) in GENERATED_DOCS.iter().zip(docs) {
        std::fs::write(p.path(doc), bytes).unwrap();
    }
}

/// One run of `args` stopped by `sig` `at` into it: how it exited, how long
/// it took after the signal, and its last stderr line.
fn stop(p: &TestProject, args: &[&str], sig: libc::c_int, at: Duration) -> (i32, Duration, String) {
    let child = p
        .command(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(at);
    signal(&child, sig);
    let sent = Instant::now();
    let out = child.wait_with_output().unwrap();
    let took = sent.elapsed();
    // A signal that lands before main has set up its handling (the
    // process is still starting) ends it the default way, by the signal.
    let code = out.status.code().unwrap_or_else(|| {
        use std::os::unix::process::ExitStatusExt;
        128 + out.status.signal().expect("exited or killed")
    });
    let stderr = String::from_utf8_lossy(&out.stderr);
    let last = stderr.lines().last().unwrap_or_default().to_string();
    (code, took, last)
}

/// SIGINT, SIGTERM and SIGHUP at sampled moments of a harvest and of a
/// check, each with more scenarios than jobs: the run ends within two
/// seconds, with 128 + N and a message that says truly whether the new
/// tree was written; the tree and its docs are all old or all new and
/// verify; no process, scratch dir or staging dir is left.
#[test]
fn a_stop_signal_at_any_moment_ends_the_run_at_once_and_leaves_nothing() {
    let p = TestProject::new();
    let old = committed(&p);
    change_reply(&p, "thread_basic", "Hello from the new tree.");
    let start = Instant::now();
    p.run(&HARVEST).expect(0);
    let took = start.elapsed();
    let new = committed(&p);
    assert!(
        old.0 != new.0 && old.1 != new.1,
        "the new tree has new docs"
    );
    // Each command's moments scale with its own run time.
    let start = Instant::now();
    p.run(&CHECK).expect(0);
    let took_check = start.elapsed();
    let signals = [libc::SIGINT, libc::SIGTERM, libc::SIGHUP];
    let mut moments = Moments::new();
    // How long each command runs, as last seen: a signal that came after
    // the run's end (exit 0) shows the run is shorter now than measured
    // (a machine less busy than at the measuring), so its length is taken
    // down and the trial tried again. Load makes runs longer, never the
    // signals fewer.
    let mut lengths = [took, took_check];
    for trial in 0..TRIALS {
        let sig = signals[trial % signals.len()];
        let is_harvest = trial % 2 == 0;
        let length = &mut lengths[usize::from(!is_harvest)];
        let mut attempts = 0;
        while !stopped_at_a_moment(&p, (&old, &new), is_harvest, sig, length, &mut moments) {
            attempts += 1;
            assert!(
                attempts < 8,
                "trial {trial}: the run ended before the signal {attempts} times, down to a moment of {length:?}"
            );
        }
    }
}

/// Trial: `sig` at a moment of a harvest (a third of them near its end,
/// where the commit is) or of a check whose run lasts about `length`. True
/// when the signal landed during the run and the run stopped as it must;
/// false when the run had ended first, `length` then taken down below
/// the moment.
fn stopped_at_a_moment(
    p: &TestProject,
    (old, new): (&Committed, &Committed),
    is_harvest: bool,
    sig: libc::c_int,
    length: &mut Duration,
    moments: &mut Moments,
) -> bool {
    let at = match is_harvest && moments.next_in(0.0, 1.0) < 1.0 / 3.0 {
        true => length.mul_f64(moments.next_in(0.8, 1.05)),
        false => length.mul_f64(moments.next_in(0.02, 1.0)),
    };
    let what = format!(
        "{} signal {sig} at {:.2} s",
        if is_harvest { "harvest" } else { "check" },
        at.as_secs_f64()
    );
    // The scripts say what the new tree holds: a harvest starts from the
    // old tree, a check from the new one (clean when it finishes).
    restore(p, if is_harvest { old } else { new });
    let args: &[&str] = if is_harvest { &HARVEST } else { &CHECK };
    let (code, after, last) = stop(p, args, sig, at);
    let now = committed(p);
    assert!(now == *old || now == *new, "{what}: a mixed tree or docs");
    assert!(is_harvest || now == *new, "{what}: check wrote");
    let landed = match code {
        0 => {
            assert!(
                !is_harvest || now == *new,
                "{what}: exit 0, but not the new tree"
            );
            *length = at.mul_f64(0.8);
            false
        }
        c if c == 128 + sig => {
            assert!(after < Duration::from_secs(2), "{what}: took {after:?}");
            let said = if is_harvest && now == *new {
                "after the new tree under integration/fixtures and its generated docs were written; every process it started was stopped"
            } else {
                "every process it started was stopped and nothing was written"
            };
            assert!(
                last.starts_with("interrupted by ") && last.ends_with(said),
                "{what}: {last}"
            );
            true
        }
        c => panic!("{what}: exit {c}: {last}"),
    };
    p.run(&["verify"]).expect(0);
    assert_eq!(staging_leftovers(p), Vec::<String>::new(), "{what}");
    assert_eq!(p.leftovers(), Vec::<String>::new(), "{what}: dirs left");
    no_process_left(&p.tmp(), &what);
    landed
}

/// A reader that goes away (`check | head -2`) does not stop the run: it
/// ends with its verdict, every dir removed.
#[test]
fn check_into_a_closed_pipe_still_ends_with_its_verdict() {
    let p = TestProject::new();
    let piped = || {
        let mut cmd = Command::new("bash");
        cmd.arg("-c")
            .arg(r#""$0" check --scenario thread_basic --scenario thread_structured 2>&1 | head -2; exit "${PIPESTATUS[0]}""#)
            .arg(env!("CARGO_BIN_EXE_codex-harvest"))
            .current_dir(p.root())
            .env_clear()
            .envs(p.command(&[]).get_envs().filter_map(|(k, v)| Some((k, v?))));
        run(cmd)
    };
    let out = piped().expect(0);
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.all());
    assert_eq!(p.leftovers(), Vec::<String>::new());
    no_process_left(&p.tmp(), "check | head");
    // Drift still fails it, read or not.
    change_reply(&p, "thread_basic", "Hello, unread.");
    let out = piped().expect(1);
    assert_eq!(out.stdout.lines().count(), 2, "{}", out.all());
}

/// In a container without an init the driver is PID 1: its supervisors
/// must not take that for their parent's death.
#[test]
fn check_runs_as_pid_1_of_a_pid_namespace() {
    if !as_root("a PID namespace") {
        return;
    }
    let p = TestProject::new();
    let cmd = p.command(&[]);
    let mut unshare = Command::new("unshare");
    unshare
        .args(["--pid", "--fork", "--mount-proc"])
        .arg(env!("CARGO_BIN_EXE_codex-harvest"))
        .args(["check", "--scenario", "thread_basic"])
        .current_dir(p.root())
        .env_clear()
        .envs(cmd.get_envs().filter_map(|(k, v)| Some((k, v?))));
    let out = run(unshare).expect(0);
    assert!(
        out.stdout
            .contains("integration/fixtures matches what the pinned toolchain produces"),
        "{}",
        out.all()
    );
    assert_eq!(p.leftovers(), Vec::<String>::new());
}

/// Waits until the child's stderr has said `line`, then returns the
/// reader's thread, which keeps collecting what it says.
fn after_saying(child: &mut std::process::Child, line: &str) -> std::thread::JoinHandle<String> {
    use std::io::BufRead;
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let line = line.to_string();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for l in std::io::BufReader::new(stderr).lines() {
            let l = l.unwrap();
            if l.contains(&line) {
                let _ = tx.send(());
            }
            all.push_str(&l);
            all.push('\n');
        }
        all
    });
    rx.recv_timeout(Duration::from_secs(120))
        .expect("the run said what was awaited");
    reader
}

/// A registry that takes every connection and never answers: a client of
/// it waits until it is stopped. `contacted` hears of the first connection,
/// the moment that client is certainly at work.
struct SilentRegistry {
    url: String,
    contacted: std::sync::mpsc::Receiver<()>,
}

impl SilentRegistry {
    fn start() -> SilentRegistry {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/", listener.local_addr().unwrap());
        let (tx, contacted) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                held.push(stream);
                let _ = tx.send(());
            }
        });
        SilentRegistry { url, contacted }
    }
}

/// A stop while pip or npm installs the pins ends them too (no orphan
/// writing into the cache after the lock is released), nothing runs after
/// it, nothing of theirs is left in TMPDIR, and the next run builds the
/// entry afresh. Each installer is stopped while it waits on a registry
/// that never answers, so the stop lands mid-install however fast the
/// machine or its network is.
#[test]
fn an_interrupted_provisioning_leaves_no_process_and_is_rebuilt() {
    let p = TestProject::new();
    let cache = tempfile::tempdir().unwrap();
    for (args, awaited, registry_var) in [
        (
            vec!["doctor"],
            "provisioning the pinned Python SDK and codex",
            "PIP_INDEX_URL",
        ),
        (
            vec![
                "check",
                "--scenario",
                "thread_basic",
                "--lane",
                "typescript",
            ],
            "provisioning the pinned TypeScript SDK",
            "npm_config_registry",
        ),
    ] {
        let registry = SilentRegistry::start();
        let mut child = p
            .command(&args)
            .env("CODEX_HARVEST_CACHE", cache.path())
            .env(registry_var, &registry.url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let reader = after_saying(&mut child, awaited);
        registry
            .contacted
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|_| panic!("{args:?}: the installer never asked {registry_var}"));
        signal(&child, libc::SIGTERM);
        let sent = Instant::now();
        let status = child.wait().unwrap();
        let took = sent.elapsed();
        let stderr = reader.join().unwrap();
        assert_eq!(status.code(), Some(143), "{args:?}: {stderr}");
        assert!(took < Duration::from_secs(2), "{args:?}: took {took:?}");
        assert!(
            stderr.ends_with("every process it started was stopped and nothing was written\n")
                && !stderr.contains(" ok ("),
            "{args:?}: {stderr}"
        );
        no_process_left(&p.tmp(), awaited);
        // What pip and npm keep while they work (pip-unpack-*, a
        // cacert.pem) is theirs to remove: a stop leaves none of it.
        assert_eq!(p.leftovers(), Vec::<String>::new(), "{args:?}");
    }
    let doctor = p
        .run_with_cache(&["doctor", "--format", "json"], cache.path())
        .expect(0);
    let report: serde_json::Value = serde_json::from_str(&doctor.stdout).unwrap();
    assert_eq!(report["python_sdk"]["pinned"], true, "{}", doctor.all());
    assert_eq!(
        report["typescript"]["sdk_version"],
        "0.163.0",
        "{}",
        doctor.all()
    );
}

/// What a SIGKILL right after the swap leaves: the new tree in place, its
/// docs staged but not yet renamed. `check` reads the docs as that commit
/// left them, and the next harvest, even one that changes nothing, puts
/// them in place and removes a stale staging dir.
#[test]
fn a_commit_killed_after_the_swap_is_finished_by_the_next_writer() {
    let p = TestProject::new();
    let old = committed(&p);
    change_reply(&p, "thread_basic", "Hello, killed after the swap.");
    p.run(&["harvest", "--scenario", "thread_basic"]).expect(0);
    let new = committed(&p);
    assert_ne!(old.1, new.1);
    // The docs as the killed run left them: old in place, new staged under
    // the new manifest's digest (the commit protocol, docs/architecture.md).
    let sums = std::fs::read(p.path("integration/fixtures/SHA256SUMS")).unwrap();
    let key = sha256_hex(&sums)[..16].to_string();
    for ((doc, old_bytes), new_bytes) in GENERATED_DOCS.iter().zip(&old.1).zip(&new.1) {
        let path = p.path(doc);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        std::fs::write(
            path.with_file_name(format!(".{name}.codex-harvest-for-{key}")),
            new_bytes,
        )
        .unwrap();
        std::fs::write(&path, old_bytes).unwrap();
    }
    let stale = p.path("integration/.fixtures.codex-harvest-new-999999");
    std::fs::create_dir_all(stale.join("python")).unwrap();
    p.run(&["check", "--scenario", "thread_basic"]).expect(0);
    let out = p.run(&["harvest", "--scenario", "thread_basic"]).expect(0);
    assert!(
        out.stdout.contains("integration/fixtures is unchanged"),
        "{}",
        out.all()
    );
    assert_eq!(committed(&p), new);
    assert_eq!(staging_leftovers(&p), Vec::<String>::new());
    let docs_dir: Vec<String> = std::fs::read_dir(p.path("docs"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert_eq!(docs_dir, Vec::<String>::new());
}

fn sha256_hex(bytes: &[u8]) -> String {
    let out = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().unwrap().write_all(bytes)?;
            c.wait_with_output()
        })
        .unwrap();
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

/// SIGKILL removes nothing: the scratch and worker dirs it leaves (private,
/// 0700, named after its pid) are removed by the next run, which leaves a
/// live run's dirs alone.
#[test]
fn the_dirs_of_a_killed_run_are_swept_by_the_next() {
    use std::os::unix::fs::PermissionsExt;
    let p = TestProject::new();
    let mut child = p
        .command(&["check", "--jobs", "1", "--lane", "python"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while p.leftovers().len() < 2 {
        assert!(Instant::now() < deadline, "no scratch dirs appeared");
        std::thread::sleep(Duration::from_millis(50));
    }
    for dir in p.leftovers() {
        let mode = std::fs::metadata(p.tmp().join(&dir))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "{dir}");
    }
    signal(&child, libc::SIGKILL);
    child.wait().unwrap();
    no_process_left(&p.tmp(), "after SIGKILL");
    let left = p.leftovers();
    assert!(
        !left.is_empty(),
        "SIGKILL removed nothing, so something is left"
    );
    p.run(&["check", "--scenario", "thread_basic", "--lane", "exec"])
        .expect(0);
    assert_eq!(p.leftovers(), Vec::<String>::new(), "left: {left:?}");
}

/// Issue 35, item 8: a run waiting for another's lock on the tree stops
/// at a signal as any run does, not when the grace after it runs out.
#[test]
fn a_run_waiting_on_the_tree_lock_stops_at_once() {
    use std::io::Read;
    let p = TestProject::new();
    let held = std::fs::File::open(p.path("integration")).unwrap();
    held.lock().unwrap();
    for args in [&["verify"][..], &["check", "--scenario", "thread_basic"]] {
        let mut child = p
            .command(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = child.stderr.take().unwrap();
        let mut said = Vec::new();
        let mut byte = [0u8; 1];
        while !String::from_utf8_lossy(&said).contains("waiting: another codex-harvest") {
            assert_eq!(
                stderr.read(&mut byte).unwrap(),
                1,
                "{args:?} ended without waiting"
            );
            said.push(byte[0]);
        }
        let sent = Instant::now();
        signal(&child, libc::SIGINT);
        let status = child.wait().unwrap();
        let after = sent.elapsed();
        stderr.read_to_end(&mut said).unwrap();
        let said = String::from_utf8_lossy(&said);
        assert_eq!(status.code(), Some(130), "{args:?}: {said}");
        assert!(after < Duration::from_secs(2), "{args:?}: took {after:?}");
        assert!(said.contains("nothing was written"), "{args:?}: {said}");
    }
}

/// A stand-in stopped while codex runs a sandboxed command leaves nothing
/// in TMPDIR: codex's bubblewrap mount targets are in a dir of the run's
/// (issue 35, item 10).
#[test]
fn a_stopped_stand_in_leaves_nothing_in_tmpdir() {
    use std::io::BufRead;
    let p = TestProject::new();
    let work = tempfile::tempdir().unwrap();
    let mut child = p
        .command(&[
            "--root",
            p.root().to_str().unwrap(),
            "stand-in",
            "--scenario",
            "thread_interrupt",
            "--",
            "exec",
            "--json",
            "--skip-git-repo-check",
            "-m",
            "gpt-5.5",
            "Run the long command.",
        ])
        .current_dir(work.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let started = stdout
        .lines()
        .map(Result::unwrap)
        .find(|l| l.contains("\"item.started\"") && l.contains("command_execution"));
    assert!(started.is_some(), "codex never started the command");
    signal(&child, libc::SIGTERM);
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143), "{out:?}");
    no_process_left(&p.tmp(), "stand-in");
    assert_eq!(p.leftovers(), Vec::<String>::new());
}

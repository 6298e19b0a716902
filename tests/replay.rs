//! `codex-harvest replay` stands in for codex: every exec fixture plays back
//! byte for byte for its recorded command line, through a one-line shim as a
//! client would call it, and any other request fails at once with a diff.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::repo;

/// Each exec fixture with the arguments a client would give (a recorded
/// `--output-schema` file written where the client keeps it, `schemas`)
/// and the recorded exit code.
fn recordings(schemas: &Path) -> Vec<(PathBuf, Vec<String>, i32)> {
    let dir = repo().join("integration/fixtures/exec");
    let mut out = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if let Some(stem) = name.strip_suffix(".command.json") {
            let command: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let mut args: Vec<String> = command["args"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a.as_str().unwrap().to_string())
                .collect();
            if let Some(at) = args.iter().position(|a| a == "--output-schema") {
                let file = schemas.join(format!("{stem}.schema.json"));
                std::fs::write(&file, command["output_schema"].to_string()).unwrap();
                args[at + 1] = file.display().to_string();
            }
            let code = command["exit_code"].as_i64().unwrap() as i32;
            out.push((dir.join(format!("{stem}.jsonl")), args, code));
        }
    }
    out.sort();
    out
}

/// A one-line shim, as a client's test suite would put in place of codex.
fn shim(dir: &Path, recording: &Path) -> PathBuf {
    let path = dir.join("codex");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nexec {} replay {} -- \"$@\"\n",
            env!("CARGO_BIN_EXE_codex-harvest"),
            recording.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn every_exec_fixture_plays_back_byte_for_byte_through_a_shim() {
    let dir = tempfile::tempdir().unwrap();
    let all = recordings(dir.path());
    assert!(all.len() >= 12, "{} exec recordings", all.len());
    for (recording, args, code) in all {
        let codex = shim(dir.path(), &recording);
        let out = Command::new(&codex).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(code), "{}", recording.display());
        assert_eq!(
            out.stdout,
            std::fs::read(&recording).unwrap(),
            "{}",
            recording.display()
        );
    }
}

#[test]
fn another_request_fails_at_once_with_a_diff() {
    let dir = tempfile::tempdir().unwrap();
    let all = recordings(dir.path());
    let (recording, mut args, _) = all
        .iter()
        .find(|(r, ..)| r.ends_with("thread_basic.jsonl"))
        .cloned()
        .unwrap();
    let last = args.len() - 1;
    args[last] = "Say goodbye.".into();
    args.push("--ephemeral".into());
    let out = Command::new(shim(dir.path(), &recording))
        .args(&args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the prompt:\n    recorded: \"Say hello.\"\n    received: \"Say goodbye.\"")
            && err.contains("--ephemeral:\n    recorded: (absent)\n    received: []"),
        "{err}"
    );
}

/// thread_structured's exec recording, its arguments (its schema written
/// into `dir`), its exit code and where in the arguments the schema file is.
fn structured(dir: &Path) -> (PathBuf, Vec<String>, i32, usize) {
    let (recording, args, code) = recordings(dir)
        .into_iter()
        .find(|(r, ..)| r.ends_with("thread_structured.jsonl"))
        .unwrap();
    let at = args.iter().position(|a| a == "--output-schema").unwrap() + 1;
    (recording, args, code, at)
}

/// A schema file with other contents than the recorded one is another request.
#[test]
fn another_output_schema_is_another_request() {
    let dir = tempfile::tempdir().unwrap();
    let (recording, args, _, at) = structured(dir.path());
    std::fs::write(&args[at], r#"{"type": "object"}"#).unwrap();
    let out = Command::new(shim(dir.path(), &recording))
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
}

/// The recorded schema with every object's keys reversed: what a client
/// that writes its caller's key order (the TypeScript SDK) may send.
fn reversed_keys(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.iter()
                .rev()
                .map(|(k, v)| (k.clone(), reversed_keys(v)))
                .collect(),
        ),
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.iter().map(reversed_keys).collect())
        }
        other => other.clone(),
    }
}

/// Issue 35, item 6: the recorded schema with its keys in another order
/// is the recorded request. The real codex prints the same events for both
/// and hands the model the same schema, as a JSON value (in the file's
/// order: the scripted model's answer is the same for any), so replay
/// plays it.
#[test]
fn a_schema_with_its_keys_in_another_order_is_the_recorded_request() {
    let dir = tempfile::tempdir().unwrap();
    let (recording, args, code, at) = structured(dir.path());
    let recorded: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&args[at]).unwrap()).unwrap();
    let reordered = reversed_keys(&recorded);
    assert_ne!(recorded.to_string(), reordered.to_string());
    let real = |schema: &serde_json::Value, name: &str| {
        let p = crate::util::TestProject::new();
        let work = dir.path().join(name);
        std::fs::create_dir(&work).unwrap();
        let file = work.join("schema.json");
        std::fs::write(&file, schema.to_string()).unwrap();
        let requests = work.join("requests.jsonl");
        let mut real_args = args.clone();
        real_args[at] = file.display().to_string();
        let mut cmd = p.command(&[
            "--root",
            p.root().to_str().unwrap(),
            "stand-in",
            "--scenario",
            "thread_structured",
            "--model-requests",
            requests.to_str().unwrap(),
            "--",
        ]);
        let out = crate::util::run({
            cmd.args(&real_args).current_dir(&work);
            cmd
        })
        .expect(code);
        let events: Vec<serde_json::Value> = out
            .stdout
            .lines()
            .map(|l| {
                let mut e: serde_json::Value = serde_json::from_str(l).unwrap();
                e.as_object_mut().unwrap().remove("thread_id");
                e
            })
            .collect();
        let sent: serde_json::Value = serde_json::from_str(
            std::fs::read_to_string(&requests)
                .unwrap()
                .lines()
                .next()
                .unwrap(),
        )
        .unwrap();
        (events, sent["body"]["text"]["format"]["schema"].clone())
    };
    let (as_recorded, as_reordered) = (real(&recorded, "recorded"), real(&reordered, "reordered"));
    assert_eq!(as_recorded.0, as_reordered.0, "codex prints otherwise");
    assert_eq!(
        as_recorded.1, recorded,
        "the model is handed the file's schema"
    );
    assert_eq!(
        as_reordered.1, reordered,
        "the model is handed the file's schema"
    );
    std::fs::write(&args[at], reordered.to_string()).unwrap();
    let out = Command::new(shim(dir.path(), &recording))
        .args(&args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.stdout, std::fs::read(&recording).unwrap());
}

/// The client's lines of a wire transcript, and the server's.
pub(crate) fn sides(transcript: &Path) -> (String, String) {
    let (mut client, mut server) = (String::new(), String::new());
    for line in std::fs::read_to_string(transcript).unwrap().lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let side = if v["dir"] == "c2s" {
            &mut client
        } else {
            &mut server
        };
        side.push_str(&v["msg"].to_string());
        side.push('\n');
    }
    (client, server)
}

/// Runs `replay` on `recordings` as a client would start codex, the client's
/// lines given on stdin at once.
pub(crate) fn replay_app_server(
    recordings: &[PathBuf],
    extra: &[&str],
    stdin: &str,
) -> std::process::Output {
    use std::io::Write;
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_codex-harvest"));
    cmd.arg("replay")
        .args(extra)
        .args(recordings)
        .args(["--", "app-server", "--listen", "stdio://"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn wire_transcripts() -> Vec<PathBuf> {
    let dir = repo().join("integration/fixtures/wire");
    let mut all: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    all.sort();
    all
}

/// Every transcript, given exactly its recorded client, answers with exactly
/// its recorded server lines, in order.
#[test]
fn every_wire_transcript_plays_its_server_side_to_its_recorded_client() {
    let all = wire_transcripts();
    assert!(all.len() >= 16, "{} wire transcripts", all.len());
    for transcript in all {
        let (client, server) = sides(&transcript);
        let out = replay_app_server(std::slice::from_ref(&transcript), &[], &client);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            transcript.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            server,
            "{}",
            transcript.display()
        );
    }
}

/// A request the recording does not have fails at that request with a
/// diff, and nothing after it is sent.
#[test]
fn a_client_asking_another_prompt_fails_at_the_request_with_a_diff() {
    let transcript = repo().join("integration/fixtures/wire/thread_basic.jsonl");
    let (client, server) = sides(&transcript);
    assert!(client.contains(r#""text":"Say hello.""#), "{client}");
    let other = client.replace(r#""text":"Say hello.""#, r#""text":"Say goodbye.""#);
    let out = replay_app_server(std::slice::from_ref(&transcript), &[], &other);
    assert_eq!(out.status.code(), Some(6));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the client sent a message the recording does not have here"),
        "{err}"
    );
    assert!(
        err.contains("-        \"text\": \"Say hello.\",\n+        \"text\": \"Say goodbye.\","),
        "{err}"
    );
    // The recorded lines before the request, then the request's answer: an
    // error naming the divergence.
    let sent = String::from_utf8_lossy(&out.stdout);
    let (played, answer) = sent.trim_end().rsplit_once('\n').unwrap();
    assert!(
        server.starts_with(played),
        "only the lines before the request: {sent}"
    );
    assert!(!sent.contains("turn/started"), "{sent}");
    let answer: serde_json::Value = serde_json::from_str(answer).unwrap();
    let message = answer["error"]["message"].as_str().unwrap();
    assert!(message.contains("the client diverged from"), "{message}");
    assert!(
        message.contains("+        \"text\": \"Say goodbye.\","),
        "{message}"
    );
}

/// A client that stops where the recording expects a message is told
/// which one; a client that goes on past the end is told so too.
#[test]
fn a_client_that_stops_early_or_goes_on_is_a_divergence() {
    let transcript = repo().join("integration/fixtures/wire/thread_basic.jsonl");
    let (client, _) = sides(&transcript);
    let first = client.lines().next().unwrap();
    let out = replay_app_server(
        std::slice::from_ref(&transcript),
        &[],
        &format!("{first}\n"),
    );
    assert_eq!(out.status.code(), Some(6));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the client closed its input; the recording expects"),
        "{err}"
    );
    let more = format!("{client}{first}\n");
    let out = replay_app_server(&[transcript], &[], &more);
    assert_eq!(out.status.code(), Some(6));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("the client sent more than the recording has"),
        "{err}"
    );
}

/// Several transcripts play one per start, in order, with --sequence, and
/// each start's verdict is kept in the sequence dir; a start past the last
/// is a divergence.
#[test]
fn a_sequence_plays_one_transcript_per_start() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("played");
    let wire = repo().join("integration/fixtures/wire");
    let steps = [
        wire.join("thread_tool_auto_step1.jsonl"),
        wire.join("thread_tool_auto_step2.jsonl"),
    ];
    let sequence = ["--sequence", state.to_str().unwrap()];
    for step in &steps {
        let (client, server) = sides(step);
        let out = replay_app_server(&steps, &sequence, &client);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), server);
    }
    for n in [1, 2] {
        let verdict = std::fs::read_to_string(state.join(format!("{n}.verdict"))).unwrap();
        assert_eq!(verdict, "played\n");
    }
    let out = replay_app_server(&steps, &sequence, "");
    assert_eq!(out.status.code(), Some(6));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("the client started codex once more than the 2 recordings it is given hold")
    );
}

/// The proof: every scenario module, run with the real Python SDK against
/// replay of its committed transcripts instead of codex, records its
/// committed notification fixtures byte for byte; a transcript that says
/// otherwise shows in the fixture, and a recorded request the SDK does not
/// make fails the scenario with replay's diff.
#[test]
fn the_real_python_sdk_against_replay_records_the_committed_fixtures() {
    let p = crate::util::TestProject::new();
    let run = p
        .run(&["check", "--against-replay", "--jobs", "1"])
        .expect(0);
    let scenarios = crate::end_to_end::catalogue_size(&p);
    assert!(
        run.all().contains(&format!(
            "running {scenarios} scenario(s) with codex-harvest replay"
        )),
        "{}",
        run.all()
    );
    assert!(
        run.all()
            .contains("matches what the pinned toolchain produces"),
        "{}",
        run.all()
    );

    let basic = "integration/fixtures/wire/thread_basic.jsonl";
    let recorded = p.read(basic);
    p.write(basic, &recorded.replace("Hello from t", "Hello FROM t"));
    let drift = p
        .run(&["check", "--against-replay", "--scenario", "thread_basic"])
        .expect(1);
    assert!(
        drift.stdout.contains("changed  python/thread_basic.jsonl"),
        "{}",
        drift.all()
    );
    assert!(
        drift.stdout.contains("regenerated: \"Hello FROM t\""),
        "{}",
        drift.all()
    );

    p.write(
        basic,
        &recorded.replace(r#""text":"Say hello.""#, r#""text":"Say goodbye.""#),
    );
    let diverged = p
        .run(&["check", "--against-replay", "--scenario", "thread_basic"])
        .expect(4);
    assert!(
        diverged
            .stderr
            .contains("JSON-RPC error -32600: codex-harvest replay: the client diverged from"),
        "{}",
        diverged.all()
    );
    assert!(
        diverged
            .stderr
            .contains("+        \"text\": \"Say hello.\","),
        "{}",
        diverged.all()
    );
    assert!(p.leftovers().is_empty(), "{:?}", p.leftovers());
}

/// The real TypeScript SDK, its `codexPathOverride` pointed at replay of
/// the codex runs the typescript lane recorded, yields every committed
/// typescript fixture byte for byte (the same `check --against-replay`);
/// another word in a recorded run shows in its fixture, and a recorded
/// prompt the SDK does not send fails the scenario with replay's diff, not
/// a broken pipe.
#[test]
fn the_real_typescript_sdk_against_replay_records_the_committed_fixtures() {
    let p = crate::util::TestProject::new();
    p.run(&["check", "--against-replay"]).expect(0);
    let run = "integration/fixtures/typescript/thread_basic.codex.jsonl";
    let recorded = p.read(run);
    p.write(run, &recorded.replace("Hello from t", "Hello FROM t"));
    let drift = p
        .run(&["check", "--against-replay", "--scenario", "thread_basic"])
        .expect(1);
    assert!(
        drift
            .stdout
            .contains("changed  typescript/thread_basic.jsonl")
            && drift.stdout.contains("regenerated: \"Hello FROM t"),
        "{}",
        drift.all()
    );
    p.write(run, &recorded);
    let command = "integration/fixtures/typescript/thread_structured.codex.command.json";
    let text = p.read(command);
    p.write(
        command,
        &text.replace("\"Answer as JSON.\"", "\"Answer as YAML.\""),
    );
    let diverged = p
        .run(&[
            "check",
            "--against-replay",
            "--scenario",
            "thread_structured",
        ])
        .expect(4);
    assert!(
        diverged.stderr.contains("Codex Exec exited with code 6: codex-harvest replay: the client asked codex exec for another request than")
            && diverged.stderr.contains("the prompt:\n        recorded: \"Answer as YAML.\"\n        received: \"Answer as JSON.\""),
        "{}",
        diverged.all()
    );
    assert!(!diverged.stderr.contains("EPIPE"), "{}", diverged.all());
}

/// Replay's table of `codex exec` options is the pinned binary's: every
/// option `exec --help` and `exec resume --help` list, with its short
/// form, whether it takes a value, and whether `resume` takes it.
#[test]
fn the_exec_grammar_is_the_pinned_codexs_help() {
    use codex_harvest::codex::exec::args::{OPTIONS, Scope};
    use std::collections::BTreeMap;
    let p = crate::util::TestProject::new();
    let doctor = p.run(&["doctor", "--format", "json"]).expect(0);
    let report: serde_json::Value = serde_json::from_str(&doctor.stdout).unwrap();
    let codex = report["codex"]["path"].as_str().unwrap().to_string();
    let home = tempfile::tempdir().unwrap();
    let help = |args: &[&str]| -> BTreeMap<String, (Option<char>, bool)> {
        let out = std::process::Command::new(&codex)
            .args(args)
            .env_clear()
            .env("HOME", home.path())
            .env("CODEX_HOME", home.path())
            .output()
            .unwrap();
        let line = regex::Regex::new(r"^\s+(?:-(\w), )?--([a-z0-9-]+)( <[^>]+>)?").unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| line.captures(l))
            .map(|c| {
                let short = c.get(1).and_then(|s| s.as_str().chars().next());
                (c[2].to_string(), (short, c.get(3).is_some()))
            })
            .filter(|(long, _)| long != "help" && long != "version")
            .collect()
    };
    let table = |resume: bool| -> BTreeMap<String, (Option<char>, bool)> {
        let excluded = if resume { Scope::Parent } else { Scope::Resume };
        OPTIONS
            .iter()
            .filter(|o| o.scope != excluded)
            .map(|o| (o.long.to_string(), (o.short, o.takes_value)))
            .collect()
    };
    assert_eq!(help(&["exec", "--help"]), table(false), "exec --help");
    assert_eq!(
        help(&["exec", "resume", "--help"]),
        table(true),
        "exec resume --help"
    );
}

/// What a hostile or broken client meets: one that sends `initialize` and
/// closes both pipes, a recording that is not one, a stop signal while the
/// client says nothing, and an exec client that never closes stdin; each
/// ends at once, as a divergence (6), a usage error (2) or by the signal.
#[test]
fn replay_ends_every_hostile_run_with_a_verdict() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let transcript = repo().join("integration/fixtures/wire/thread_basic.jsonl");
    let (client, _) = sides(&transcript);
    let first = client.lines().next().unwrap();
    let replay = |recording: &Path, args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_codex-harvest"));
        cmd.arg("replay")
            .arg(recording)
            .arg("--patience")
            .arg("2")
            .arg("--")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    };
    // initialize, then both pipes closed.
    let mut child = replay(&transcript, &["app-server"]).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{first}").unwrap();
    drop(stdin);
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(6), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("the client closed its input; the recording expects"),
        "{out:?}"
    );
    // Not a recording at all: named, with what replay takes.
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in [
        ("empty.jsonl", ""),
        ("cut.jsonl", "{\"dir\":\"s2c\",\"msg\":{"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let out = replay(&path, &["app-server"]).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(name) && err.contains("hint: replay takes a wire transcript"),
            "{err}"
        );
    }
    // A stop signal while the client is silent (its input held open until
    // replay has ended): at once, by the signal.
    let mut child = replay(&transcript, &["app-server"]).spawn().unwrap();
    let _silent = child.stdin.take();
    crate::util::await_signal_handling(&child);
    crate::util::signal(&child, libc::SIGTERM);
    let sent = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(143), "{out:?}");
    assert!(
        sent.elapsed() < std::time::Duration::from_secs(1),
        "{:?}",
        sent.elapsed()
    );
    // An exec client that leaves stdin open is told so after the patience.
    let exec = repo().join("integration/fixtures/exec/thread_basic.jsonl");
    let mut child = replay(
        &exec,
        &[
            "exec",
            "--json",
            "--skip-git-repo-check",
            "-m",
            "gpt-5.5",
            "Say hello.",
        ],
    )
    .spawn()
    .unwrap();
    let _open = child.stdin.take();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(6), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("the client kept stdin open for 2 s"),
        "{out:?}"
    );
    // A damaged exec recording (its command record intact) is refused,
    // never played: truncated, emptied, overwritten.
    let whole = std::fs::read(&exec).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("exec/thread_basic.jsonl");
    std::fs::create_dir_all(copy.parent().unwrap()).unwrap();
    std::fs::copy(
        exec.with_file_name("thread_basic.command.json"),
        copy.with_file_name("thread_basic.command.json"),
    )
    .unwrap();
    for damaged in [&whole[..120], &[][..], &b"not json at all\n"[..]] {
        std::fs::write(&copy, damaged).unwrap();
        let out = replay(
            &copy,
            &[
                "exec",
                "--json",
                "--skip-git-repo-check",
                "-m",
                "gpt-5.5",
                "Say hello.",
            ],
        )
        .stdin(Stdio::null())
        .output()
        .unwrap();
        assert_eq!(out.status.code(), Some(2), "{out:?}");
        assert!(out.stdout.is_empty(), "{out:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("is not a whole exec recording"),
            "{out:?}"
        );
    }
}

/// Another client than the recorded one (the Elixir SDK's identity: its
/// own `clientInfo`, no title, no `capabilities`, a `jsonrpc` member) is
/// served every wire transcript: it hears codex name it (the user agent,
/// the threads' originator), and codex's experimental-only notifications
/// are left out, as codex leaves them out for it.
#[test]
fn another_client_identity_is_served_every_transcript() {
    let foreign = |line: &str| -> String {
        let mut msg: serde_json::Value = serde_json::from_str(line).unwrap();
        if msg["method"] == "initialize" {
            msg["params"] =
                serde_json::json!({"clientInfo": {"name": "codex_sdk", "version": "0.9.0"}});
        }
        msg["jsonrpc"] = "2.0".into();
        msg.to_string()
    };
    for transcript in wire_transcripts() {
        let (client, server) = sides(&transcript);
        let theirs: String = client.lines().map(|l| foreign(l) + "\n").collect();
        let out = replay_app_server(std::slice::from_ref(&transcript), &[], &theirs);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}: {}",
            transcript.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            !stdout.contains("codex_python_sdk"),
            "{}",
            transcript.display()
        );
        if server.contains("\"userAgent\"") {
            assert!(
                stdout.contains("codex_sdk/0.163.0 (Linux 0.0.0; x86_64) dumb (codex_sdk; 0.9.0)"),
                "{}: {stdout}",
                transcript.display()
            );
        }
        for method in ["thread/settings/updated", "thread/readState/changed"] {
            assert!(
                !stdout.contains(method),
                "{}: {method}",
                transcript.display()
            );
        }
    }
}

/// The live stand-in: the real Python SDK and the real TypeScript SDK,
/// their codex the pinned one through `codex-harvest stand-in` against the
/// scenario's scripted model, record what `normalize` brings byte for byte
/// to the committed fixtures; a thread resumed by a second codex process
/// (the TypeScript SDK's second turn) continues through `--codex-home`.
#[test]
fn the_real_sdks_through_the_stand_in_record_the_committed_fixtures() {
    use std::process::Command;
    let p = crate::util::TestProject::new();
    let doctor = p.run(&["doctor", "--format", "json"]).expect(0);
    let report: serde_json::Value = serde_json::from_str(&doctor.stdout).unwrap();
    let python = report["python"]["path"].as_str().unwrap().to_string();
    let sdk = PathBuf::from(report["typescript"]["install"].as_str().unwrap())
        .join("node_modules/@openai/codex-sdk/dist/index.js");
    let bin = env!("CARGO_BIN_EXE_codex-harvest");
    let run = |scenario: &str, lane: &str, outputs: &[&str], kwargs: serde_json::Value| {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("codex-home");
        let work = dir.path().join("work");
        std::fs::create_dir_all(&work).unwrap();
        let shim = dir.path().join("codex");
        std::fs::write(
            &shim,
            format!(
                "#!/bin/sh\nexec {bin} --root {} stand-in --scenario {scenario} --codex-home {} -- \"$@\"\n",
                p.root().display(),
                home.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
        let files: Vec<PathBuf> = outputs
            .iter()
            .map(|o| work.join(o.replace('/', "_")))
            .collect();
        let mut kwargs = kwargs;
        kwargs["model"] = "gpt-5.5".into();
        kwargs["outputs"] = files.iter().map(|f| f.display().to_string()).collect();
        let mut cmd = match lane {
            "python" => {
                kwargs["codex_path"] = shim.display().to_string().into();
                let mut c = Command::new(&python);
                c.arg("-c")
                    .arg(format!(
                        "import json, sys, harvest_scenarios.{scenario} as m\nk = json.loads(sys.argv[1])\nm.record(k['outputs'][0], **k)"
                    ))
                    .arg(kwargs.to_string())
                    .env("PYTHONPATH", p.path("integration"));
                c
            }
            _ => {
                kwargs["codexPath"] = shim.display().to_string().into();
                let mut c = Command::new("node");
                c.arg(p.path("integration/harvest_scenarios_ts/_run.mjs"))
                    .arg(&sdk)
                    .arg(p.path(&format!("integration/harvest_scenarios_ts/{scenario}.mjs")))
                    .arg(kwargs.to_string());
                c
            }
        };
        cmd.current_dir(&work)
            .env("PATH", std::env::var("PATH").unwrap())
            .env("CODEX_HARVEST_CACHE", crate::util::shared_cache());
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{scenario} ({lane}): {out:?}");
        for (file, committed) in files.iter().zip(outputs) {
            let normalized = Command::new(bin)
                .args(["--root", p.root().to_str().unwrap(), "normalize"])
                .arg(file)
                .arg("--codex-home")
                .arg(&home)
                .arg("--workdir")
                .arg(&work)
                .output()
                .unwrap();
            assert!(normalized.status.success(), "{normalized:?}");
            assert_eq!(
                String::from_utf8_lossy(&normalized.stdout),
                p.read(&format!("integration/fixtures/{committed}")),
                "{scenario} ({lane}): {committed}"
            );
        }
    };
    run(
        "thread_basic",
        "python",
        &["python/thread_basic.jsonl"],
        serde_json::json!({"prompt": "Say hello."}),
    );
    run(
        "thread_basic",
        "typescript",
        &["typescript/thread_basic.jsonl"],
        serde_json::json!({"prompt": "Say hello."}),
    );
    // A client that answers otherwise than the scenario's recording: the
    // stand-in serves it, and normalize makes of it the fixture of the
    // scenario that answers so.
    run(
        "thread_user_approval_accept",
        "python",
        &["python/thread_user_approval_decline.jsonl"],
        serde_json::json!({"prompt": "Run the fixture command outside the sandbox.", "answers": [{"decision": "decline"}]}),
    );
    run(
        "thread_auto_run",
        "typescript",
        &[
            "typescript/thread_auto_run_step1.jsonl",
            "typescript/thread_auto_run_step2.jsonl",
        ],
        serde_json::json!({"prompt": "Find the config file.", "follow_up": "Yes, continue with the second one."}),
    );
}

/// Every spelling replay takes for the recorded exec request makes the real
/// pinned codex print the same (normalised) events with the same exit code:
/// the aliases and the defaults of the table (`exec_args::EQUIVALENT`, read
/// here, so an entry added there is proven here), option order, `=`, and the
/// prompt on stdin. A bump that breaks one fails here, naming it.
#[test]
fn every_equivalence_replay_accepts_holds_for_the_real_codex() {
    use codex_harvest::codex::exec::args::{EQUIVALENT, ExecCall};
    use std::io::Write;
    use std::process::Stdio;
    let p = crate::util::TestProject::new();
    let base: Vec<String> = [
        "exec",
        "--json",
        "--skip-git-repo-check",
        "-m",
        "gpt-5.5",
        "Say hello.",
    ]
    .map(String::from)
    .into();
    let run = |args: &[String], stdin: &str| -> (Option<i32>, String) {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("codex-home");
        let mut child = p
            .command(&[
                "--root",
                p.root().to_str().unwrap(),
                "stand-in",
                "--scenario",
                "thread_basic",
                "--codex-home",
                home.to_str().unwrap(),
                "--",
            ])
            .args(args)
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        let file = dir.path().join("out.jsonl");
        std::fs::write(&file, &out.stdout).unwrap();
        let normalized = p
            .run(&[
                "normalize",
                file.to_str().unwrap(),
                "--codex-home",
                home.to_str().unwrap(),
                "--workdir",
                dir.path().to_str().unwrap(),
            ])
            .expect(0);
        (out.status.code(), normalized.stdout)
    };
    let expected = run(&base, "");
    assert_eq!(
        expected.1,
        p.read("integration/fixtures/exec/thread_basic.jsonl")
    );
    let with = |from: usize, extra: &[&str]| -> Vec<String> {
        let mut v = base[..from].to_vec();
        v.extend(extra.iter().map(|s| s.to_string()));
        v.extend(base[from..].iter().cloned());
        v
    };
    let mut spellings: Vec<(String, Vec<String>, &str)> = vec![
        (
            "--experimental-json".into(),
            [
                "exec",
                "--experimental-json",
                "--skip-git-repo-check",
                "-m",
                "gpt-5.5",
                "Say hello.",
            ]
            .map(String::from)
            .into(),
            "",
        ),
        (
            "--model=".into(),
            [
                "exec",
                "--json",
                "--model=gpt-5.5",
                "--skip-git-repo-check",
                "Say hello.",
            ]
            .map(String::from)
            .into(),
            "",
        ),
        (
            "-c model=".into(),
            [
                "exec",
                "--skip-git-repo-check",
                "-c",
                "model=\"gpt-5.5\"",
                "--json",
                "Say hello.",
            ]
            .map(String::from)
            .into(),
            "",
        ),
        (
            "the prompt on stdin".into(),
            base[..5].to_vec(),
            "Say hello.",
        ),
    ];
    for (key, value) in EQUIVALENT {
        let extra = match *key {
            "sandbox" => vec!["--sandbox".to_string(), value.to_string()],
            _ => vec!["-c".to_string(), format!("{key}=\"{value}\"")],
        };
        let extra: Vec<&str> = extra.iter().map(String::as_str).collect();
        spellings.push((format!("{key} = {value}"), with(1, &extra), ""));
    }
    let recorded = ExecCall::parse(&base).unwrap();
    for (name, args, stdin) in &spellings {
        let call = ExecCall::parse(args).unwrap();
        assert_eq!(
            (call.options, call.config, call.resume),
            (
                recorded.options.clone(),
                recorded.config.clone(),
                recorded.resume.clone()
            ),
            "{name}: replay takes it for another request"
        );
        assert_eq!(
            run(args, stdin),
            expected,
            "{name}: the real codex answers otherwise"
        );
    }
}

/// The Elixir SDK's default lane, as its source spells it (`--model`, the
/// prompt on stdin, `--config model_reasoning_effort="medium"`), is served
/// every exec fixture.
#[test]
fn the_elixir_sdks_exec_spelling_is_served_every_exec_fixture() {
    use std::io::Write;
    use std::process::Stdio;
    let dir = tempfile::tempdir().unwrap();
    for (recording, args, code) in recordings(dir.path()) {
        let prompt = args.last().unwrap().clone();
        let mut theirs: Vec<String> = args[..args.len() - 1]
            .iter()
            .map(|a| {
                if a == "-m" {
                    "--model".into()
                } else {
                    a.clone()
                }
            })
            .collect();
        let at = theirs
            .iter()
            .position(|a| a == "resume")
            .unwrap_or(theirs.len());
        theirs.insert(at, "--config".into());
        theirs.insert(at + 1, "model_reasoning_effort=\"medium\"".into());
        let mut child = Command::new(shim(dir.path(), &recording))
            .args(&theirs)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(prompt.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(code),
            "{}: {}",
            recording.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            out.stdout,
            std::fs::read(&recording).unwrap(),
            "{}",
            recording.display()
        );
    }
}

/// Every turn the TypeScript SDK runs asks codex what the scenario's exec
/// recipe asks (after replay's equivalences): the two lanes record one
/// conversation. A typescript module that drifts from the recipe (another
/// sandbox, another policy) fails here, even when the scripted model's
/// events happen to come out the same.
#[test]
fn the_typescript_lane_asks_what_the_exec_recipe_asks() {
    use codex_harvest::codex::exec::args::{ExecCall, Prompt};
    let fixtures = repo().join("integration/fixtures");
    let read = |path: &Path| -> serde_json::Value {
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    };
    let request = |record: &serde_json::Value| {
        let args: Vec<String> = serde_json::from_value(record["args"].clone()).unwrap();
        let call = ExecCall::parse(&args).unwrap();
        let stdin = record["stdin"].as_str().map(|s| s.as_bytes().to_vec());
        let prompt = Prompt::of(&call, stdin);
        (
            call.options,
            call.config,
            call.resume,
            prompt,
            record["output_schema"].clone(),
        )
    };
    let mut compared = 0;
    for entry in std::fs::read_dir(fixtures.join("exec")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".command.json") else {
            continue;
        };
        let typescript = fixtures.join(format!("typescript/{stem}.codex.command.json"));
        if !typescript.exists() {
            continue;
        }
        assert_eq!(
            request(&read(&typescript)),
            request(&read(&path)),
            "{stem}: the typescript lane asks otherwise than the exec recipe"
        );
        compared += 1;
    }
    assert!(compared >= 12, "{compared} turns compared");
}

/// `--approve-for-me` is the auto reviewer with on-request approvals in the
/// workspace-write sandbox: a command that writes under the workspace runs,
/// and the real codex prints the same events, either way; without the
/// sandbox (the typescript lane's old spelling) it does not.
#[test]
fn approve_for_me_is_the_auto_reviewer_in_the_workspace_write_sandbox() {
    use std::process::Stdio;
    let p = crate::util::TestProject::new();
    p.add_scenario(
        "write_file",
        "from ._failing_turn import record  # noqa: F401\n",
        r#"{"replies": [
  {"kind": "function_call", "name": "exec_command", "call_id": "call_write", "arguments": {"cmd": "echo made > made-by-codex.txt && echo wrote", "login": false}},
  {"kind": "message", "text": "Done writing."}
]}"#,
        "kwargs = { prompt = \"Write the file.\" }",
    );
    let run = |extra: &[&str]| -> (String, bool) {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("codex-home");
        let mut args = vec![
            "--root",
            p.root().to_str().unwrap(),
            "stand-in",
            "--scenario",
            "write_file",
            "--codex-home",
            home.to_str().unwrap(),
            "--",
            "exec",
            "--json",
            "--skip-git-repo-check",
            "-m",
            "gpt-5.5",
        ];
        args.extend(extra);
        args.push("Write the file.");
        let out = p
            .command(&args)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{extra:?}: {out:?}");
        let file = dir.path().join("out.jsonl");
        std::fs::write(&file, &out.stdout).unwrap();
        let normalized = p
            .run(&[
                "normalize",
                file.to_str().unwrap(),
                "--codex-home",
                home.to_str().unwrap(),
                "--workdir",
                dir.path().to_str().unwrap(),
            ])
            .expect(0);
        (
            normalized.stdout,
            dir.path().join("made-by-codex.txt").exists(),
        )
    };
    let recipe = run(&["--approve-for-me"]);
    assert!(recipe.1, "--approve-for-me wrote no file");
    let reviewer = [
        "-c",
        "approvals_reviewer=\"auto_review\"",
        "-c",
        "approval_policy=\"on-request\"",
    ];
    let mut typescript = reviewer.to_vec();
    typescript.extend(["--sandbox", "workspace-write"]);
    assert_eq!(run(&typescript), recipe);
    assert_ne!(
        run(&reviewer),
        recipe,
        "without the sandbox it is another run"
    );
}

/// The recorded client of `scenario`'s wire transcript, each message
/// respelled by `spell`, played to the real pinned codex (`stand-in`, a
/// fresh `CODEX_HOME`) one request at a time, the thread and turn ids
/// codex makes put where the recording has its placeholders. Returns
/// codex's messages up to the turn's end, without the ones `[wire]
/// unordered` says come in no fixed order, with codex's echoes of the
/// client's identity put back to the recorded client's (as replay does),
/// normalised as the fixtures are.
pub(crate) fn converse(
    scenario: &str,
    spell: &dyn Fn(&mut serde_json::Value, &Path),
) -> Vec<String> {
    use codex_harvest::codex::wire::canonical::{Dir, Line, canonical};
    use codex_harvest::codex::wire::identity::{EXPERIMENTAL_ONLY, Identity};
    use serde_json::Value;
    use std::io::{BufRead, Write};
    let p = crate::util::TestProject::new();
    let transcript: Vec<Value> = p
        .read(&format!("integration/fixtures/wire/{scenario}.jsonl"))
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let config: toml::Value = toml::from_str(&p.read("config/harvest.toml")).unwrap();
    let unordered: Vec<String> = config["wire"]["unordered"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect();
    let (workdir, home) = (p.path("tmp/work"), p.path("tmp/codex-home"));
    std::fs::create_dir_all(&workdir).unwrap();
    let mut child = p
        .command(&[
            "--root",
            p.root().to_str().unwrap(),
            "stand-in",
            "--scenario",
            scenario,
            "--codex-home",
            home.to_str().unwrap(),
            "--",
            "app-server",
            "--listen",
            "stdio://",
        ])
        .current_dir(&workdir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<Value>();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(serde_json::from_str(&line).unwrap()).is_err() {
                break;
            }
        }
    });
    let next = || {
        rx.recv_timeout(std::time::Duration::from_secs(60))
            .expect("codex answered within 60 s")
    };
    let mut stdin = child.stdin.take().unwrap();
    let mut live: std::collections::BTreeMap<String, String> = Default::default();
    let mut heard: Vec<Line> = Vec::new();
    let heard_msg = |l: &Line, method: &str| l.dir == Dir::S2c && l.msg["method"] == method;
    let (mut recorded_identity, mut identity) = (None, None);
    for (i, entry) in transcript.iter().enumerate() {
        if entry["dir"] != "c2s" {
            continue;
        }
        let mut msg = entry["msg"].clone();
        substitute(&mut msg, &live);
        if msg["method"] == "initialize" {
            recorded_identity = Some(Identity::of(&msg, None));
        }
        spell(&mut msg, &workdir);
        if msg["method"] == "initialize" {
            identity = Some(Identity::of(&msg, None));
        }
        // An answer to a request of codex's is sent once codex has asked it
        // (its ids are its own count, the same live as recorded), and
        // nothing answers it in turn.
        let answer = msg.get("method").is_none();
        let asked = |heard: &[Line]| {
            heard.iter().any(|l| {
                l.dir == Dir::S2c && l.msg.get("method").is_some() && l.msg["id"] == msg["id"]
            })
        };
        while answer && !asked(&heard) {
            heard.push(Line {
                dir: Dir::S2c,
                msg: next(),
            });
        }
        writeln!(stdin, "{msg}").unwrap();
        heard.push(Line {
            dir: Dir::C2s,
            msg: msg.clone(),
        });
        let Some(id) = msg.get("id").cloned().filter(|_| !answer) else {
            continue;
        };
        let recorded_answer = transcript[i..]
            .iter()
            .find(|e| e["dir"] == "s2c" && e["msg"]["id"] == entry["msg"]["id"])
            .map(|e| e["msg"].clone());
        loop {
            let m = next();
            let answers = m.get("method").is_none() && m["id"] == id;
            if answers && let Some(recorded) = &recorded_answer {
                learn(recorded, &m, &mut live);
            }
            heard.push(Line {
                dir: Dir::S2c,
                msg: m,
            });
            if answers {
                break;
            }
        }
    }
    while !heard.iter().any(|l| heard_msg(l, "turn/completed")) {
        heard.push(Line {
            dir: Dir::S2c,
            msg: next(),
        });
    }
    drop(stdin);
    let _ = child.kill();
    let _ = child.wait();
    let (recorded_identity, identity) = (recorded_identity.unwrap(), identity.unwrap());
    let mut raw = String::new();
    for line in canonical(&heard, &unordered) {
        let mut m = line.msg;
        let method = m["method"].as_str().unwrap_or_default();
        if line.dir == Dir::C2s || unordered.iter().any(|u| u == method) {
            continue;
        }
        if !recorded_identity.experimental
            && identity.experimental
            && EXPERIMENTAL_ONLY.contains(&method)
        {
            continue;
        }
        recorded_identity.rewrite(&identity, &mut m);
        raw.push_str(&format!("{m}\n"));
    }
    let file = p.path("tmp/heard.jsonl");
    std::fs::write(&file, raw).unwrap();
    let out = p
        .run(&[
            "normalize",
            file.to_str().unwrap(),
            "--workdir",
            workdir.to_str().unwrap(),
            "--codex-home",
            home.to_str().unwrap(),
            "--home",
            &std::env::var("HOME").unwrap(),
        ])
        .expect(0);
    out.stdout.lines().map(String::from).collect()
}

/// Learns which live value stands where the recording has a placeholder,
/// from a recorded answer and codex's live one.
fn learn(
    recorded: &serde_json::Value,
    live: &serde_json::Value,
    map: &mut std::collections::BTreeMap<String, String>,
) {
    use serde_json::Value;
    match (recorded, live) {
        (Value::String(r), Value::String(l)) if r.starts_with("00000000-0000-7000-8000-") => {
            map.insert(r.clone(), l.clone());
        }
        (Value::Object(r), Value::Object(l)) => {
            for (k, v) in r {
                if let Some(w) = l.get(k) {
                    learn(v, w, map);
                }
            }
        }
        (Value::Array(r), Value::Array(l)) => {
            for (v, w) in r.iter().zip(l) {
                learn(v, w, map);
            }
        }
        _ => {}
    }
}

/// Puts the live values in place of the recording's placeholders.
fn substitute(msg: &mut serde_json::Value, map: &std::collections::BTreeMap<String, String>) {
    use serde_json::Value;
    match msg {
        Value::String(s) => {
            if let Some(l) = map.get(s.as_str()) {
                *s = l.clone();
            }
        }
        Value::Object(o) => o.values_mut().for_each(|v| substitute(v, map)),
        Value::Array(a) => a.iter_mut().for_each(|v| substitute(v, map)),
        _ => {}
    }
}

/// Respells one client message.
type Spelling = dyn Fn(&mut serde_json::Value);

/// Every equivalence replay accepts for an app-server client
/// (`wire::identity::EQUIVALENCES`, read here, so an entry added there is
/// proven here) makes the real pinned codex hold the same conversation as
/// the recorded spelling, and replay serves it; the spellings that are not
/// equivalent (`serviceTier: null`, an explicit read-only sandbox, no
/// approvals reviewer) make codex answer otherwise, and replay refuses them
/// with a diff. A bump that breaks one fails here, naming it.
#[test]
fn every_app_server_equivalence_holds_for_the_real_codex() {
    use codex_harvest::codex::wire::identity::EQUIVALENCES;
    let scenario = "thread_basic";
    let transcript = repo().join(format!("integration/fixtures/wire/{scenario}.jsonl"));
    let (client, _) = sides(&transcript);
    let respelled = |spell: &dyn Fn(&mut serde_json::Value)| -> String {
        client
            .lines()
            .map(|l| {
                let mut m: serde_json::Value = serde_json::from_str(l).unwrap();
                spell(&mut m);
                format!("{m}\n")
            })
            .collect()
    };
    let reference = converse(scenario, &|_, _| {});
    assert!(
        reference.iter().any(|l| l.contains("turn/completed")),
        "{reference:?}"
    );
    for e in EQUIVALENCES {
        assert_eq!(
            converse(scenario, &e.spell),
            reference,
            "the real codex answers otherwise to {}",
            e.name
        );
        // Replay runs where the test does: its cwd is codex's default there.
        let here = std::env::current_dir().unwrap();
        let out = replay_app_server(
            std::slice::from_ref(&transcript),
            &[],
            &respelled(&|m| (e.spell)(m, &here)),
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "replay refuses {}: {}",
            e.name,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let thread_start = |change: fn(&mut serde_json::Map<String, serde_json::Value>)| {
        move |m: &mut serde_json::Value| {
            if m["method"] == "thread/start" {
                change(m["params"].as_object_mut().unwrap());
            }
        }
    };
    let not_equivalent: [(&str, &str, &Spelling); 3] = [
        (
            "serviceTier: null",
            "\"serviceTier\": null",
            &thread_start(|p| {
                p.insert("serviceTier".into(), serde_json::Value::Null);
            }),
        ),
        (
            "an explicit read-only sandbox",
            "\"sandbox\": \"read-only\"",
            &thread_start(|p| {
                p.insert("sandbox".into(), "read-only".into());
            }),
        ),
        (
            "no approvals reviewer",
            "-    \"approvalsReviewer\": \"auto_review\"",
            &thread_start(|p| {
                p.remove("approvalsReviewer");
            }),
        ),
    ];
    for (name, diff, spell) in not_equivalent {
        assert_ne!(
            converse(scenario, &|m, _| spell(m)),
            reference,
            "{name} is equivalent for the real codex: replay could accept it"
        );
        let out = replay_app_server(std::slice::from_ref(&transcript), &[], &respelled(spell));
        assert_eq!(out.status.code(), Some(6), "replay accepts {name}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(diff),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Changes a wire transcript's lines (each `{dir, msg}`).
type TranscriptEdit = dyn Fn(&mut Vec<serde_json::Value>);

/// A wire transcript with `edit` applied to its lines.
fn edit_transcript(p: &crate::util::TestProject, rel: &str, edit: &TranscriptEdit) {
    let mut lines: Vec<serde_json::Value> = p
        .read(rel)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    edit(&mut lines);
    p.write(
        rel,
        &lines.iter().map(|l| format!("{l}\n")).collect::<String>(),
    );
}

/// The client's recorded request of `method` in a transcript.
fn request<'a>(lines: &'a mut [serde_json::Value], method: &str) -> &'a mut serde_json::Value {
    &mut lines
        .iter_mut()
        .find(|l| l["dir"] == "c2s" && l["msg"]["method"] == method)
        .unwrap()["msg"]
}

/// Renames the schema's `answer` property `reply`.
fn another_schema(schema: &mut serde_json::Value) {
    let answer = schema["properties"]
        .as_object_mut()
        .unwrap()
        .remove("answer")
        .unwrap();
    schema["properties"]["reply"] = answer;
    schema["required"] = serde_json::json!(["reply", "confidence"]);
}

/// Divergence is caught through each real client, however the SDK treats
/// codex's exit: a recording that asks another prompt, model or schema
/// than the real Python SDK and the real TypeScript SDK send, one request
/// more than they make (missing), one fewer (extra), each fails the
/// scenario with replay's account of it.
#[test]
fn every_divergence_fails_each_real_client_with_replays_account() {
    let p = crate::util::TestProject::new();
    let diverges = |scenario: &str, what: &str, expected: &str| {
        let out = p
            .run(&["check", "--against-replay", "--scenario", scenario])
            .expect(4);
        assert!(
            out.stderr.contains(expected),
            "{what}: expected {expected:?} in\n{}",
            out.all()
        );
    };
    let wire = "integration/fixtures/wire/thread_structured.jsonl";
    let recorded = p.read(wire);
    let python: [(&str, &TranscriptEdit, &str); 5] = [
        (
            "another prompt",
            &|l| request(l, "turn/start")["params"]["input"][0]["text"] = "Answer as YAML.".into(),
            "\"text\": \"Answer as YAML.\"",
        ),
        (
            "another model",
            &|l| request(l, "thread/start")["params"]["model"] = "gpt-5.4".into(),
            "\"model\": \"gpt-5.4\"",
        ),
        (
            "another schema",
            &|l| another_schema(&mut request(l, "turn/start")["params"]["outputSchema"]),
            "\"reply\"",
        ),
        (
            "a request the client never makes",
            &|l| {
                let mut more = request(l, "turn/start").clone();
                more["id"] = "00000000-0000-7000-8000-0000000000ff".into();
                l.push(serde_json::json!({"dir": "c2s", "msg": more}));
            },
            "00000000-0000-7000-8000-0000000000ff",
        ),
        (
            "a request the recording does not have",
            &|l| {
                let at = l
                    .iter()
                    .position(|e| e["dir"] == "c2s" && e["msg"]["method"] == "turn/start")
                    .unwrap();
                l.truncate(at);
            },
            "the client sent more than the recording has",
        ),
    ];
    for (what, edit, expected) in python {
        edit_transcript(&p, wire, edit);
        diverges("thread_structured", &format!("python: {what}"), expected);
        p.write(wire, &recorded);
    }

    let command = "integration/fixtures/typescript/thread_structured.codex.command.json";
    let recorded = p.read(command);
    let typescript: [(&str, &Spelling, &str); 3] = [
        (
            "another prompt",
            &|c| c["stdin"] = "Answer as YAML.".into(),
            "recorded: \"Answer as YAML.\"",
        ),
        (
            "another model",
            &|c| c["args"][3] = "gpt-5.4".into(),
            "gpt-5.4",
        ),
        (
            "another schema",
            &|c| another_schema(&mut c["output_schema"]),
            "reply",
        ),
    ];
    for (what, edit, expected) in typescript {
        let mut c: serde_json::Value = serde_json::from_str(&recorded).unwrap();
        edit(&mut c);
        p.write(command, &c.to_string());
        diverges(
            "thread_structured",
            &format!("typescript: {what}"),
            expected,
        );
        p.write(command, &recorded);
    }

    let config = p.read("config/harvest.toml");
    for ext in ["codex.jsonl", "codex.command.json"] {
        let recorded = p.read(&format!(
            "integration/fixtures/typescript/thread_basic.{ext}"
        ));
        p.write(
            &format!("integration/fixtures/typescript/thread_basic_again.{ext}"),
            &recorded,
        );
    }
    p.write(
        "config/harvest.toml",
        &config.replace(
            r#"typescript = ["typescript/thread_basic.jsonl"]"#,
            r#"typescript = ["typescript/thread_basic.jsonl", "typescript/thread_basic_again.jsonl"]"#,
        ),
    );
    diverges(
        "thread_basic",
        "typescript: a run the client never makes",
        "thread_basic_again.codex.jsonl was never asked for",
    );
    p.write(
        "config/harvest.toml",
        &config.replace(
            r#"typescript = ["typescript/thread_auto_run_step1.jsonl", "typescript/thread_auto_run_step2.jsonl"]"#,
            r#"typescript = ["typescript/thread_auto_run_step1.jsonl"]"#,
        ),
    );
    diverges(
        "thread_auto_run",
        "typescript: a run the recordings do not have",
        "the client started codex once more than the 1 recordings it is given hold",
    );
}

/// The Elixir SDK's app-server requests for one turn on a new thread, as
/// its source (`nshkrdotcom/codex_sdk` 0.18.1, `Codex.AppServer.Connection`
/// and `Codex.Transport.AppServer`) builds them with `model: "gpt-5.5"`:
/// its own identity and no capabilities, and a `thread/start` with the
/// model and the reasoning effort it always sets, nothing else.
fn elixir(msg: &mut serde_json::Value) {
    match msg["method"].as_str() {
        Some("initialize") => {
            msg["params"] =
                serde_json::json!({"clientInfo": {"name": "codex_sdk", "version": "0.18.1"}})
        }
        Some("thread/start") => {
            msg["params"] = serde_json::json!({"model": "gpt-5.5", "config": {"model_reasoning_effort": "medium"}})
        }
        _ => {}
    }
}

/// The Elixir SDK's app-server lane asks for another thread than the
/// Python SDK recorded (no approval policy or reviewer, not ephemeral, a
/// reasoning effort codex echoes): replay refuses it with a diff, and the
/// stand-in serves it with the real codex, which echoes the effort.
#[test]
fn the_elixir_sdks_app_server_requests_are_served_by_the_stand_in_not_replay() {
    let transcript = repo().join("integration/fixtures/wire/thread_basic.jsonl");
    let (client, _) = sides(&transcript);
    let respelled: String = client
        .lines()
        .map(|l| {
            let mut m: serde_json::Value = serde_json::from_str(l).unwrap();
            elixir(&mut m);
            format!("{m}\n")
        })
        .collect();
    let out = replay_app_server(std::slice::from_ref(&transcript), &[], &respelled);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(stderr.contains("model_reasoning_effort"), "{stderr}");

    let heard = converse("thread_basic", &|m, _| elixir(m));
    let started = heard
        .iter()
        .find(|l| l.contains("\"activePermissionProfile\""))
        .expect("thread/start answered");
    assert!(
        started.contains("\"reasoningEffort\":\"medium\""),
        "{started}"
    );
    assert!(started.contains("\"ephemeral\":false"), "{started}");
    assert!(
        heard
            .iter()
            .any(|l| l.contains("turn/completed") && l.contains("Hello from the Python Codex SDK!")),
        "{heard:?}"
    );
}

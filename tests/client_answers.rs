//! Requests codex asks of its client (approvals, questions, a client's own
//! tools, MCP elicitations), answered by the client: recorded both ways,
//! replayed both ways, the answer compared like any client message.

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;

use crate::replay::{converse, replay_app_server, sides};
use crate::util::{TestProject, repo};

/// The server requests the committed wire transcripts of the main pin
/// hold, each with the client's answer and codex's word that it was
/// resolved where codex sends one.
#[test]
fn the_wire_transcripts_hold_the_requests_a_client_answers() {
    let mut asked = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(repo().join("integration/fixtures/wire")).unwrap() {
        let path = entry.unwrap().path();
        let lines: Vec<serde_json::Value> = std::fs::read_to_string(&path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        for (i, line) in lines.iter().enumerate() {
            let msg = &line["msg"];
            if line["dir"] != "s2c" || msg.get("method").is_none() || msg.get("id").is_none() {
                continue;
            }
            let answered = lines[i..].iter().any(|l| {
                l["dir"] == "c2s" && l["msg"].get("method").is_none() && l["msg"]["id"] == msg["id"]
            });
            assert!(answered, "{}: {msg} is never answered", path.display());
            asked.insert(msg["method"].as_str().unwrap().to_string());
        }
    }
    let want = [
        "item/commandExecution/requestApproval",
        "item/fileChange/requestApproval",
        "item/permissions/requestApproval",
        "item/tool/call",
        "item/tool/requestUserInput",
        "mcpServer/elicitation/request",
    ];
    for method in want {
        assert!(
            asked.contains(method),
            "no transcript holds {method}: {asked:?}"
        );
    }
}

/// The recorded client of `scenario` with `edit` applied to each of its
/// messages, and its transcript.
fn client_edited(scenario: &str, edit: &dyn Fn(&mut serde_json::Value)) -> (PathBuf, String) {
    let transcript = repo().join(format!("integration/fixtures/wire/{scenario}.jsonl"));
    let (client, _) = sides(&transcript);
    let edited = client
        .lines()
        .map(|l| {
            let mut m: serde_json::Value = serde_json::from_str(l).unwrap();
            edit(&mut m);
            format!("{m}\n")
        })
        .collect();
    (transcript, edited)
}

/// The same, `edit` applied to its answers only (its lines without a
/// method).
fn answers_edited(scenario: &str, edit: &dyn Fn(&mut serde_json::Value)) -> (PathBuf, String) {
    client_edited(scenario, &|m| {
        if m.get("method").is_none() {
            edit(m);
        }
    })
}

/// Replay holds a client's answer to the recorded one: its recorded
/// answer plays; another decision, an answer to a request the recording
/// does not hold, or no answer within `--patience` end in exit 6 with a
/// diff naming what the recording expected.
#[test]
fn replay_compares_the_clients_answer_with_the_recorded_one() {
    let scenario = "thread_user_approval_accept";
    let (transcript, recorded) = answers_edited(scenario, &|_| {});
    let out = replay_app_server(std::slice::from_ref(&transcript), &[], &recorded);
    assert_eq!(out.status.code(), Some(0), "{out:?}");

    let (_, declined) = answers_edited(scenario, &|m| m["result"]["decision"] = "decline".into());
    let out = replay_app_server(std::slice::from_ref(&transcript), &[], &declined);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{said}");
    assert!(
        said.contains("-    \"decision\": \"accept\"")
            && said.contains("+    \"decision\": \"decline\""),
        "{said}"
    );

    let (_, other_id) = answers_edited(scenario, &|m| m["id"] = 41.into());
    let out = replay_app_server(std::slice::from_ref(&transcript), &[], &other_id);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{said}");
    assert!(said.contains("\"id\": 41"), "{said}");

    let unanswered: String = recorded
        .lines()
        .filter(|l| l.contains("\"method\""))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_codex-harvest"))
        .args(["replay", "--patience", "1"])
        .arg(&transcript)
        .args(["--", "app-server"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // stdin stays open: the client says nothing more, it does not leave.
    let mut stdin = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut stdin, unanswered.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    drop(stdin);
    let said = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{said}");
    assert!(
        said.contains("the client sent nothing for 1 s")
            && said.contains("\"decision\": \"accept\""),
        "{said}"
    );
}

/// The real Python SDK, its approval handler declining what the recording
/// accepted, against replay: replay exits 6 naming the decision, and the
/// SDK fails with codex gone. (The SDK's own error carries replay's words
/// only when its stderr reader got them first, so replay's are read here.)
#[test]
fn the_real_python_sdk_declining_a_recorded_acceptance_is_told_so() {
    let p = TestProject::new();
    let doctor = p.run(&["doctor", "--format", "json"]).expect(0);
    let report: serde_json::Value = serde_json::from_str(&doctor.stdout).unwrap();
    let python = report["python"]["path"].as_str().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let exit = dir.path().join("replay-exit");
    let replay_said = dir.path().join("replay-stderr");
    let shim = dir.path().join("codex");
    std::fs::write(
        &shim,
        format!(
            "#!/bin/sh\n{} replay {} -- \"$@\" 2> {}\ncode=$?\necho $code > {}\nexit $code\n",
            env!("CARGO_BIN_EXE_codex-harvest"),
            p.path("integration/fixtures/wire/thread_user_approval_accept.jsonl")
                .display(),
            replay_said.display(),
            exit.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&shim, std::fs::Permissions::from_mode(0o755)).unwrap();
    let kwargs = serde_json::json!({
        "codex_path": shim.display().to_string(),
        "model": "gpt-5.5",
        "prompt": "Run the fixture command outside the sandbox.",
        "answers": [{"decision": "decline"}],
    });
    let out = Command::new(&python)
        .arg("-c")
        .arg("import json, sys, harvest_scenarios.thread_user_approval_accept as m\nm.record(sys.argv[2], **json.loads(sys.argv[1]))")
        .arg(kwargs.to_string())
        .arg(dir.path().join("out.jsonl"))
        .env("PYTHONPATH", p.path("integration"))
        .current_dir(dir.path())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert_eq!(
        std::fs::read_to_string(&exit).unwrap().trim(),
        "6",
        "{said}"
    );
    assert!(said.contains("TransportClosedError"), "{said}");
    let replay = std::fs::read_to_string(&replay_said).unwrap();
    assert!(
        replay.contains("+    \"decision\": \"decline\"") && replay.contains("the client diverged"),
        "{replay}"
    );
}

/// Against replay, a scenario whose client answers otherwise than its
/// recording fails, with replay's diff of the answer.
#[test]
fn check_against_replay_fails_a_scenario_that_answers_otherwise() {
    let p = TestProject::new();
    let config = p.read("config/harvest.toml").replace(
        "answers = [{ decision = \"accept\" }]",
        "answers = [{ decision = \"acceptForSession\" }]",
    );
    p.write("config/harvest.toml", &config);
    let out = p
        .run(&[
            "check",
            "--against-replay",
            "--scenario",
            "thread_user_approval_accept",
        ])
        .expect(4);
    assert!(
        out.all()
            .contains("+    \"decision\": \"acceptForSession\""),
        "{}",
        out.all()
    );
}

/// Every spelling replay accepts for a client's answer is one the real
/// pinned codex holds the same conversation for (`EQUIVALENCES`, proven
/// on a conversation with an answer in it); the v1 protocol's word for an
/// accepted command (`approved`) looks alike and is not: codex goes
/// another way, and replay refuses it with a diff.
#[test]
fn an_answer_is_equivalent_only_where_the_real_codex_treats_it_alike() {
    use codex_harvest::codex::wire::identity::EQUIVALENCES;
    let scenario = "thread_user_approval_accept";
    let reference = converse(scenario, &|_, _| {});
    assert!(
        reference
            .iter()
            .any(|l| l.contains("item/commandExecution/requestApproval")),
        "{reference:?}"
    );
    for e in EQUIVALENCES {
        assert_eq!(
            converse(scenario, &e.spell),
            reference,
            "the real codex answers otherwise to {}",
            e.name
        );
        let here = std::env::current_dir().unwrap();
        let (transcript, spelled) = client_edited(scenario, &|m| (e.spell)(m, &here));
        let out = replay_app_server(std::slice::from_ref(&transcript), &[], &spelled);
        assert_eq!(
            out.status.code(),
            Some(0),
            "replay refuses {}: {out:?}",
            e.name
        );
    }
    let approved = |m: &mut serde_json::Value| {
        if m.get("method").is_none() && m["result"]["decision"] == "accept" {
            m["result"]["decision"] = "approved".into();
        }
    };
    assert_ne!(
        converse(scenario, &|m, _| approved(m)),
        reference,
        "`approved` is accepted by the real codex: replay could accept it"
    );
    let (transcript, spelled) = answers_edited(scenario, &approved);
    let out = replay_app_server(std::slice::from_ref(&transcript), &[], &spelled);
    assert_eq!(out.status.code(), Some(6), "replay accepts `approved`");
    assert!(String::from_utf8_lossy(&out.stderr).contains("\"decision\": \"approved\""));
}

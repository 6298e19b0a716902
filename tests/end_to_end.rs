//! The user's path: check, harvest, sha256sum, mutate, check and verify again.

use std::process::Command;

use crate::util::{NO_CODEX, TestProject, repo};

const FIXTURE: &str = "integration/fixtures/python/thread_basic.jsonl";

#[test]
fn committed_fixtures_are_what_the_pins_produce() {
    let p = TestProject::new();
    // Whole-catalogue runs take one job: cargo already runs tests side by side.
    let run = p.run(&["check", "--jobs", "1"]).expect(0);
    assert!(
        run.stdout
            .contains("matches what the pinned toolchain produces"),
        "{}",
        run.all()
    );
    assert!(run.stderr.contains("thread_basic"), "{}", run.all());
}

#[test]
fn harvest_from_nothing_reproduces_the_committed_tree_byte_for_byte() {
    let p = TestProject::new();
    std::fs::remove_dir_all(p.path("integration/fixtures")).unwrap();
    let run = p.run(&["harvest", "--jobs", "1"]).expect(0);
    assert!(
        run.stdout.contains("python/thread_basic.jsonl"),
        "{}",
        run.all()
    );
    for rel in ["python/thread_basic.jsonl", "SHA256SUMS", "provenance.json"] {
        let fresh = std::fs::read(p.path(&format!("integration/fixtures/{rel}"))).unwrap();
        let committed = std::fs::read(repo().join("integration/fixtures").join(rel)).unwrap();
        assert!(fresh == committed, "{rel} differs from the committed one");
    }
    let sums = Command::new("sha256sum")
        .args(["-c", "--strict", "SHA256SUMS"])
        .current_dir(p.path("integration/fixtures"))
        .output()
        .unwrap();
    assert!(
        sums.status.success(),
        "{}",
        String::from_utf8_lossy(&sums.stdout)
    );
    // The tree is the committed one byte for byte, so a second whole harvest
    // would prove it twice; one scenario again rewrites its manifest and
    // provenance, which must stay as they are.
    let again = p.run(&["harvest", "--scenario", "thread_basic"]).expect(0);
    assert!(again.stdout.contains("is unchanged"), "{}", again.all());
}

#[test]
fn a_changed_byte_is_found_by_check_and_verify_and_check_writes_nothing() {
    let p = TestProject::new();
    let edited = p.read(FIXTURE).replace("Hello from", "Hellp from");
    p.write(FIXTURE, &edited);

    let check = p.run(&["check", "--scenario", "thread_basic"]).expect(1);
    let out = &check.stdout;
    assert!(
        out.contains("changed  python/thread_basic.jsonl (hand-edited"),
        "{out}"
    );
    // The first delta of the streamed reply is the first line that differs.
    assert!(out.contains("line 5 (item/agentMessage/delta)"), "{out}");
    assert!(out.contains("params.delta"), "{out}");
    assert!(out.contains("committed:   \"Hellp from"), "{out}");
    assert!(out.contains("regenerated: \"Hello from"), "{out}");
    assert_eq!(p.read(FIXTURE), edited, "check must not write");

    let json = p
        .run(&["check", "--scenario", "thread_basic", "--format", "json"])
        .expect(1);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(report["clean"], false);
    assert_eq!(
        report["drift"]["changed"][0]["path"],
        "python/thread_basic.jsonl"
    );
    assert_eq!(
        report["drift"]["hand_edited"][0],
        "python/thread_basic.jsonl"
    );
    assert_eq!(
        report["drift"]["changed"][0]["differences"][0]["fields"][0]["path"],
        "params.delta"
    );

    let verify = p.run(&["verify"]).expect(1);
    assert!(
        verify.stdout.contains(
            "python/thread_basic.jsonl  changed: its bytes no longer match its manifest entry"
        ),
        "{}",
        verify.all()
    );

    p.run(&["harvest", "--scenario", "thread_basic"]).expect(0);
    p.run(&["verify"]).expect(0);
    assert_eq!(
        p.read(FIXTURE),
        std::fs::read_to_string(repo().join(FIXTURE)).unwrap()
    );
}

#[test]
fn extra_and_missing_files_are_drift() {
    let p = TestProject::new();
    p.write("integration/fixtures/python/stale.jsonl", "{}\n");
    std::fs::remove_file(p.path("integration/fixtures/provenance.json")).unwrap();
    let check = p.run(&["check", "--scenario", "thread_basic"]).expect(1);
    assert!(
        check.stdout.contains("extra    python/stale.jsonl"),
        "{}",
        check.all()
    );
    assert!(
        check.stdout.contains("missing  provenance.json"),
        "{}",
        check.all()
    );
    let verify = p.run(&["verify"]).expect(1);
    assert!(
        verify.stdout.contains("provenance.json  missing"),
        "{}",
        verify.all()
    );
    assert!(
        verify.stdout.contains("python/stale.jsonl  unlisted"),
        "{}",
        verify.all()
    );
    // One policy for files no scenario produces, shared by harvest and check:
    // a harvest is always followed by a clean check.
    let one = ["--scenario", "thread_basic", "--jobs", "1"];
    let with = |cmd: &str, policy: &str| {
        let mut args = vec![cmd, "--unreferenced", policy];
        args.extend(one);
        args.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = |args: Vec<String>| p.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let refused = run(with("harvest", "reject")).expect(1);
    assert!(
        refused.stderr.contains("python/stale.jsonl")
            && refused.stderr.contains("nothing was run or written")
            && !refused.stderr.contains("running "),
        "{}",
        refused.all()
    );
    let kept = run(with("harvest", "warn")).expect(0);
    assert!(
        kept.stdout.contains("warning: kept python/stale.jsonl"),
        "{}",
        kept.all()
    );
    run(with("check", "warn")).expect(0);
    p.run(&["verify"]).expect(0);
    run(with("check", "reject")).expect(1);
    let dropped = run(with("harvest", "delete")).expect(0);
    assert!(
        dropped.stdout.contains("python/stale.jsonl (removed)"),
        "{}",
        dropped.all()
    );
    assert!(!p.path("integration/fixtures/python/stale.jsonl").exists());
    run(with("check", "reject")).expect(0);
}

/// `--output DIR` does not adopt what is already in DIR.
#[test]
fn output_dir_contents_are_not_adopted() {
    let p = TestProject::new();
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("tree");
    std::fs::create_dir_all(target.join("sub")).unwrap();
    std::fs::write(target.join("notes.txt"), "mine").unwrap();
    std::fs::write(target.join("sub/blob.bin"), [0u8, 1, 2]).unwrap();
    let args = [
        "harvest",
        "--scenario",
        "thread_basic",
        "--output",
        target.to_str().unwrap(),
    ];
    let refused = p.run(&args).expect(1);
    assert!(
        refused.stderr.contains("notes.txt, sub/blob.bin"),
        "{}",
        refused.all()
    );
    assert!(!target.join("SHA256SUMS").exists());
}

#[test]
fn output_dir_receives_the_tree_and_the_project_is_untouched() {
    let p = TestProject::new();
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("tree");
    let before = p.read(FIXTURE);
    let project_files = [
        "integration/fixtures/SHA256SUMS",
        "integration/fixtures/provenance.json",
        "docs/python-parity-checklist.md",
        "docs/sdk-parity.md",
    ]
    .map(|f| (f, p.read(f)));
    p.run(&[
        "harvest",
        "--scenario",
        "thread_basic",
        "--output",
        target.to_str().unwrap(),
    ])
    .expect(0);
    assert_eq!(
        std::fs::read_to_string(target.join("python/thread_basic.jsonl")).unwrap(),
        before
    );
    assert!(target.join("SHA256SUMS").exists());
    p.run(&["verify", "--output", target.to_str().unwrap()])
        .expect(0);
    for (f, contents) in project_files {
        assert_eq!(p.read(f), contents, "{f} changed");
    }
}

#[test]
fn verify_needs_no_toolchain() {
    let p = TestProject::new();
    let mut cmd = p.command(&["verify"]);
    cmd.env("PATH", "/nonexistent");
    let run = crate::util::run(cmd).expect(0);
    assert!(run.stdout.contains("matches SHA256SUMS"), "{}", run.all());
}

#[test]
fn every_fixture_line_decodes_with_the_sdks_typed_models() {
    let p = TestProject::new();
    let doctor = p.run(&["doctor", "--format", "json"]).expect(0);
    let report: serde_json::Value = serde_json::from_str(&doctor.stdout).unwrap();
    let python = report["python"]["path"].as_str().unwrap();
    let script = r#"
import json, pathlib, sys
from openai_codex.generated import v2_all
from openai_codex.generated.notification_registry import NOTIFICATION_MODELS
# A request's response as thread_requests records it, by the SDK's own model.
RESPONSES = {
    "thread/name/set": v2_all.ThreadSetNameResponse,
    "thread/read": v2_all.ThreadReadResponse,
    "thread/list": v2_all.ThreadListResponse,
}
checked = 0
for path in sorted(pathlib.Path(sys.argv[1]).glob("python/*.jsonl")):
    for n, line in enumerate(path.read_text().splitlines(), 1):
        event = json.loads(line)
        if "approval_handler" in event:
            # The SDK hands a server request's params to the handler as
            # plain JSON: it has no model to hold them to.
            call = event["approval_handler"]
            if not (isinstance(call["method"], str) and isinstance(call["params"], dict)):
                sys.exit(f"{path}:{n}: a handler call without a method and params")
            checked += 1
            continue
        if "request" in event:
            RESPONSES[event["request"]].model_validate(event["response"])
            checked += 1
            continue
        model = NOTIFICATION_MODELS.get(event["method"])
        if model is None:
            sys.exit(f"{path}:{n}: no typed model for {event['method']}")
        model.model_validate(event["params"])
        checked += 1
print(checked)
"#;
    let out = Command::new(python)
        .args(["-c", script])
        .arg(repo().join("integration/fixtures"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let checked: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    let lines: usize = std::fs::read_dir(repo().join("integration/fixtures/python"))
        .unwrap()
        .map(|e| {
            std::fs::read_to_string(e.unwrap().path())
                .unwrap()
                .lines()
                .count()
        })
        .sum();
    assert_eq!(
        checked, lines,
        "every line of every notification fixture is decoded"
    );
}

#[test]
fn help_documents_commands_and_exit_codes() {
    let p = TestProject::new();
    let help = p.run(&["--help"]).expect(0);
    for needle in [
        "harvest",
        "check",
        "verify",
        "list",
        "doctor",
        "Exit codes:",
        "4  scenario failure",
        "Examples:",
    ] {
        assert!(help.stdout.contains(needle), "{needle}: {}", help.stdout);
    }
    // Every command's help offers only what it takes: replay reads the
    // project above its recording and refuses --root (issue 35, item 15).
    assert!(
        p.run(&["check", "--help"])
            .expect(0)
            .stdout
            .contains("--root <DIR>")
    );
    let replay = p.run(&["replay", "--help"]).expect(0);
    assert!(!replay.stdout.contains("--root"), "{}", replay.stdout);
    let usage = p.run(&["check", "--no-such-flag"]).expect(2);
    assert!(usage.stderr.contains("--no-such-flag"), "{}", usage.all());
}

#[test]
fn list_shows_the_catalogue() {
    let p = TestProject::new();
    let list = p.run(&["list"]).expect(0);
    assert!(
        list.stdout
            .contains("thread_basic  One turn, one assistant message."),
        "{}",
        list.all()
    );
    assert!(
        list.stdout.contains("    python/thread_basic.jsonl"),
        "{}",
        list.all()
    );
}

#[test]
fn a_stale_checklist_is_drift_and_harvest_rewrites_it() {
    let p = TestProject::new();
    let path = "docs/python-parity-checklist.md";
    let committed = p.read(path);
    p.write(path, &committed.replace("| fresh |", "| stale |"));
    let check = p.run(&["check", "--scenario", "thread_basic"]).expect(1);
    assert!(
        check
            .stdout
            .contains("changed  docs/python-parity-checklist.md"),
        "{}",
        check.all()
    );
    p.run(&["harvest", "--scenario", "thread_basic"]).expect(0);
    assert_eq!(p.read(path), committed);
}

#[test]
fn harvesting_one_scenario_keeps_the_others() {
    let p = TestProject::new();
    let script = "integration/scripts/thread_basic.json";
    p.write(
        script,
        &p.read(script)
            .replace("Hello from the Python Codex SDK!", "Hi again."),
    );
    let harvest = p.run(&["harvest", "--scenario", "thread_basic"]).expect(0);
    assert!(
        harvest.stdout.contains("python/thread_basic.jsonl"),
        "{}",
        harvest.all()
    );
    assert!(p.read(FIXTURE).contains("Hi again."));
    let provenance: serde_json::Value =
        serde_json::from_str(&p.read("integration/fixtures/provenance.json")).unwrap();
    assert!(provenance["scenarios"]["thread_fork"]["input_digest"].is_string());
    let committed_fork =
        std::fs::read_to_string(repo().join("integration/fixtures/python/thread_fork.jsonl"))
            .unwrap();
    assert_eq!(
        p.read("integration/fixtures/python/thread_fork.jsonl"),
        committed_fork
    );
    p.run(&["verify"]).expect(0);
    p.run(&["check", "--scenario", "thread_basic"]).expect(0);
}

/// A reply streams as a model's does, through the real SDK and codex: the
/// item starts empty, the deltas are the script's pieces (split inside a
/// grapheme cluster when asked), and the completed item has the whole text.
#[test]
fn replies_stream_in_the_scripted_pieces() {
    let p = TestProject::new();
    let module =
        std::fs::read_to_string(repo().join("integration/harvest_scenarios/thread_basic.py"))
            .unwrap();
    let script = r#"{"replies": [{"kind": "message", "text": "Cafe\u0301 \ud83d\udc68\u200d\ud83d\udc69 ok", "chunk_size": 4, "split_graphemes": true}]}"#;
    p.add_scenario(
        "streamed",
        &module,
        script,
        "kwargs = { prompt = \"Stream.\" }",
    );
    p.run(&["harvest", "--scenario", "streamed"]).expect(0);
    let events: Vec<serde_json::Value> = p
        .read("integration/fixtures/python/streamed.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let agent = |e: &&serde_json::Value| e["params"]["item"]["type"] == "agentMessage";
    let started = events
        .iter()
        .find(|e| e["method"] == "item/started" && agent(e))
        .unwrap();
    assert_eq!(started["params"]["item"]["text"], "");
    let deltas: Vec<&str> = events
        .iter()
        .filter(|e| e["method"] == "item/agentMessage/delta")
        .map(|e| e["params"]["delta"].as_str().unwrap())
        .collect();
    let text = "Cafe\u{301} \u{1F468}\u{200D}\u{1F469} ok";
    let chars: Vec<char> = text.chars().collect();
    let want: Vec<String> = chars.chunks(4).map(|c| c.iter().collect()).collect();
    assert_eq!(deltas, want);
    let completed = events
        .iter()
        .find(|e| e["method"] == "item/completed" && agent(e))
        .unwrap();
    assert_eq!(completed["params"]["item"]["text"], text);
}

/// The README's steps for a new scenario that brings a rule of its own:
/// check says the new fixture is missing; harvesting it says once that the
/// rules changed for every other scenario; a full harvest makes check clean.
#[test]
fn adding_a_scenario_with_a_rule_as_the_readme_says() {
    let p = TestProject::new();
    let module =
        std::fs::read_to_string(repo().join("integration/harvest_scenarios/thread_basic.py"))
            .unwrap();
    p.add_scenario(
        "greeting",
        &module,
        r#"{"replies": [{"kind": "message", "text": "Good morning."}]}"#,
        "kwargs = { prompt = \"Greet me.\" }",
    );
    let mut config = p.read("config/harvest.toml");
    config.push_str("\n[[rule]]\nkind = \"regex\"\npattern = \"Session token [0-9]+\"\nreplacement = \"Session token 0\"\n");
    p.write("config/harvest.toml", &config);
    let first = p
        .run(&["check", "--scenario", "greeting", "--repeat", "3"])
        .expect(1);
    assert!(
        first.stdout.contains("missing  python/greeting.jsonl"),
        "{}",
        first.all()
    );
    let one = p.run(&["harvest", "--scenario", "greeting"]).expect(0);
    let others = catalogue_size(&p) - 1;
    assert!(
        one.stdout.contains(&format!(
            "note: the normalisation rules changed: {others} other scenario(s) are stale"
        )),
        "{}",
        one.all()
    );
    // The note is the run's, whichever lanes it runs.
    let stale = p
        .run(&["check", "--jobs", "1", "--lane", "python"])
        .expect(1);
    assert_eq!(
        stale
            .stdout
            .matches(&format!(
                "note: the normalisation rules changed since {others} scenario(s)"
            ))
            .count(),
        1,
        "{}",
        stale.all()
    );
    p.run(&["harvest", "--jobs", "1"]).expect(0);
    p.run(&["check", "--jobs", "1"]).expect(0);
}

/// Warm (forked from a worker that imported the SDK once) and cold (a
/// fresh interpreter) cannot be told apart: by a scenario that looks at its
/// own process, nor in what check finds.
#[test]
fn warm_and_cold_runs_are_indistinguishable() {
    let p = TestProject::new();
    let module = "import json, os, sys\nimport openai_codex\n\n\ndef record(output_path, **_):\n    seen = {\n        'cwd': os.getcwd(),\n        'env': {k: v for k, v in os.environ.items() if k != 'CODEX_HARVEST_API_KEY'},\n        'env_keys': sorted(os.environ),\n        'modules': sorted(m for m in sys.modules if not m.startswith('harvest_scenarios')),\n        'path': sys.path,\n        'own_group': os.getpgrp() == os.getpid(),\n        'stdin_is_devnull': os.path.samestat(os.fstat(0), os.stat(os.devnull)),\n    }\n    with open(output_path, 'w') as f:\n        f.write(json.dumps({'method': 'probe', 'params': seen}) + '\\n')\n";
    p.add_scenario("probe", module, r#"{"replies": []}"#, NO_CODEX);
    let seen = |mode: &[&str]| {
        let mut args = vec!["harvest", "--scenario", "probe"];
        args.extend(mode);
        p.run(&args).expect(0);
        let line = p.read("integration/fixtures/python/probe.jsonl");
        let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
        v["params"].clone()
    };
    let warm = seen(&[]);
    let cold = seen(&["--cold"]);
    assert_eq!(warm, cold);
    assert_eq!(warm["own_group"], true);
    assert_eq!(warm["stdin_is_devnull"], true);
    // Warm or cold is the Python lane's alone (its tap records the wire).
    for mode in [None, Some("--cold")] {
        let mut args = vec![
            "check",
            "--scenario",
            "thread_basic",
            "--scenario",
            "thread_tool_auto",
            "--lane",
            "python",
            "--lane",
            "wire",
        ];
        args.extend(mode);
        p.run(&args).expect(0);
    }
}

/// A failing scenario's traceback starts in the scenario, warm or cold: a
/// failure record (a matrix cell's `.failed`) does not say how it was run.
#[test]
fn a_failing_scenarios_traceback_is_the_same_warm_or_cold() {
    let p = TestProject::new();
    let module = "def record(output_path, **_):\n    raise RuntimeError('scenario broke')\n";
    p.add_scenario("boom", module, r#"{"replies": []}"#, NO_CODEX);
    let traceback = |mode: &[&str]| {
        let mut args = vec!["check", "--scenario", "boom"];
        args.extend(mode);
        let out = p.run(&args).expect(4);
        let from = out.stderr.find("Traceback").expect("a traceback");
        let to = out.stderr.find("hint:").unwrap_or(out.stderr.len());
        out.stderr[from..to].to_string()
    };
    let warm = traceback(&[]);
    assert_eq!(warm, traceback(&["--cold"]));
    assert!(
        warm.starts_with("Traceback (most recent call last):\n      File \""),
        "{warm}"
    );
    assert!(warm.contains("boom.py\", line 2, in record"), "{warm}");
    assert!(!warm.contains("<string>"), "{warm}");
}

/// The exec lane is the pinned binary's own `codex exec --json` output for
/// the same script: a changed reply shows up in every lane's fixtures, each
/// in its own shape, and in the SDK parity report.
#[test]
fn a_changed_reply_shows_in_every_lane_and_the_sdk_parity_report() {
    let p = TestProject::new();
    p.write(
        "integration/scripts/thread_basic.json",
        r#"{"replies": [{"kind": "message", "text": "Hello from both lanes."}]}"#,
    );
    let check = p.run(&["check", "--scenario", "thread_basic"]).expect(1);
    assert!(
        check.stdout.contains("changed  python/thread_basic.jsonl"),
        "{}",
        check.all()
    );
    assert!(
        check.stdout.contains("changed  exec/thread_basic.jsonl"),
        "{}",
        check.all()
    );
    for other in [
        "wire/thread_basic.jsonl",
        "typescript/thread_basic.jsonl",
        "docs/sdk-parity.md",
    ] {
        assert!(
            check.stdout.contains(&format!("changed  {other}")),
            "{other}: {}",
            check.all()
        );
    }
    p.run(&["harvest", "--scenario", "thread_basic"]).expect(0);
    p.run(&["check", "--scenario", "thread_basic"]).expect(0);
    let report = p.read("docs/sdk-parity.md");
    let row = report
        .lines()
        .find(|l| l.starts_with("| `thread_basic` |"))
        .unwrap();
    assert!(row.contains("\"Hello from both lanes.\" | yes |"), "{row}");
    let exec: Vec<serde_json::Value> = p
        .read("integration/fixtures/exec/thread_basic.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let types: Vec<&str> = exec.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        types,
        [
            "thread.started",
            "turn.started",
            "item.completed",
            "turn.completed"
        ]
    );
    assert_eq!(exec[2]["item"]["type"], "agent_message");
    assert_eq!(exec[2]["item"]["text"], "Hello from both lanes.");
}

/// `parity --format json` is the report's data: every scenario with a
/// TypeScript lane, the two views agreeing or the first difference with
/// both values.
#[test]
fn parity_json_is_the_reports_data() {
    let p = TestProject::new();
    let run = p.run(&["parity", "--format", "json"]).expect(0);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let comparisons = report["comparisons"].as_array().unwrap();
    let text = p.run(&["parity"]).expect(0).stdout;
    assert_eq!(text, p.read("docs/sdk-parity.md"));
    for c in comparisons {
        let row = format!(
            "| `{}` | `{}` | `{}` |",
            c["scenario"].as_str().unwrap(),
            c["python"].as_str().unwrap(),
            c["typescript"].as_str().unwrap()
        );
        let line = text.lines().find(|l| l.starts_with(&row)).unwrap();
        match &c["difference"] {
            serde_json::Value::Null => assert!(line.contains("| yes |"), "{line}"),
            d => {
                assert!(line.contains("| **no** |"), "{line}");
                assert!(line.contains(d["at"].as_str().unwrap()), "{line}");
                assert_ne!(d["python"], d["typescript"]);
            }
        }
    }
    let typescript: Vec<String> = p
        .fixtures()
        .into_keys()
        .filter(|k| k.starts_with("typescript/") && !k.contains(".codex."))
        .collect();
    assert!(!typescript.is_empty());
    for t in &typescript {
        assert_eq!(
            comparisons
                .iter()
                .filter(|c| c["typescript"] == t.as_str())
                .count(),
            1,
            "{t}: {}",
            run.stdout
        );
    }
    assert_eq!(comparisons.len(), typescript.len(), "{}", run.stdout);
}

/// `check --lane` regenerates only the lanes named: the committed tree is
/// clean for any subset (the Nix gate leaves the typescript lane out), and a
/// changed reply shows in the named lane's fixtures only.
#[test]
fn a_check_of_some_lanes_regenerates_only_those() {
    let p = TestProject::new();
    let some = [
        "check",
        "--lane",
        "python",
        "--lane",
        "wire",
        "--lane",
        "exec",
        "--scenario",
        "thread_basic",
        "--scenario",
        "thread_tool_auto",
    ];
    p.run(&some).expect(0);
    p.write(
        "integration/scripts/thread_basic.json",
        r#"{"replies": [{"kind": "message", "text": "Only one lane looks."}]}"#,
    );
    let check = p
        .run(&[
            "check",
            "--lane",
            "typescript",
            "--scenario",
            "thread_basic",
        ])
        .expect(1);
    assert!(
        check
            .stdout
            .contains("changed  typescript/thread_basic.jsonl"),
        "{}",
        check.all()
    );
    for other in ["python/", "wire/", "exec/"] {
        assert!(
            !check
                .stdout
                .contains(&format!("changed  {other}thread_basic")),
            "{other}: {}",
            check.all()
        );
    }
}

/// `[wire] unordered` decides how every wire transcript reads, so it is an
/// input of each scenario that has one: changing it makes them stale, said
/// once as the shared input that moved, and check fails until a harvest.
#[test]
fn the_wire_order_is_an_input_of_every_wire_scenario() {
    let p = TestProject::new();
    let config = p.read("config/harvest.toml");
    let changed = config.replacen("unordered = [", "unordered = [\"x/never\", ", 1);
    assert_ne!(
        changed, config,
        "config/harvest.toml has a [wire] unordered list"
    );
    p.write("config/harvest.toml", &changed);
    let out = p
        .run(&["check", "--scenario", "thread_basic", "--lane", "exec"])
        .expect(1);
    assert!(
        out.stdout.contains(
            "note: the wire lane's unordered methods ([wire] in config/harvest.toml) changed since"
        ),
        "{}",
        out.all()
    );
    assert!(out.stdout.contains("stale (wire changed)"), "{}", out.all());
}

/// One scenario regenerated into a directory of its own (what each Nix
/// scenario check builds) matches its committed files, and `check
/// --regenerated` finds the committed tree clean with it; a hand edit of
/// one of its fixtures fails `regenerate --expect` with the drift, writing
/// nothing.
#[test]
fn a_scenario_regenerated_alone_is_compared_with_its_committed_files() {
    let p = TestProject::new();
    let regenerate_into = |dir: &str| {
        p.run(&[
            "regenerate",
            "--scenario",
            "thread_fork",
            "--into",
            dir,
            "--expect",
            "integration/fixtures",
        ])
    };
    let out = regenerate_into("tmp/fork").expect(0);
    assert!(
        out.stdout.contains("of thread_fork under"),
        "{}",
        out.stdout
    );
    let out = p.run(&["check", "--regenerated", "tmp/fork"]).expect(0);
    assert!(out.stdout.contains("matches"), "{}", out.stdout);

    let fixture = "integration/fixtures/python/thread_fork.jsonl";
    let committed = p.read(fixture);
    p.write(
        fixture,
        &format!("{committed}{{\"edited\": \"by hand\"}}\n"),
    );
    let out = regenerate_into("tmp/fork-again").expect(1);
    assert!(
        out.stdout.contains("python/thread_fork.jsonl"),
        "{}",
        out.stdout
    );
    assert!(!p.path("tmp/fork-again").exists());
    let out = p.run(&["check", "--regenerated", "tmp/fork"]).expect(1);
    assert!(
        out.stdout.contains("python/thread_fork.jsonl"),
        "{}",
        out.stdout
    );
}

/// How many scenarios the project's catalogue holds.
pub(crate) fn catalogue_size(p: &TestProject) -> usize {
    let config: toml::Value = toml::from_str(&p.read("config/harvest.toml")).unwrap();
    config["scenario"].as_array().unwrap().len()
}

/// `normalize` reads a client's JSON Lines whatever the file is called
/// (issue 35, item 16): only a `.json` file is one document.
#[test]
fn normalize_reads_json_lines_whatever_their_name() {
    let p = TestProject::new();
    let fixture = p.read("integration/fixtures/exec/thread_basic.jsonl");
    let mut outs = Vec::new();
    for name in ["out.jsonl", "out.log", "events"] {
        p.write(&format!("tmp/{name}"), &fixture);
        let out = p.run(&["normalize", &format!("tmp/{name}")]).expect(0);
        outs.push(out.stdout);
    }
    assert_eq!(outs[0], fixture);
    assert!(outs.iter().all(|o| o == &fixture), "{outs:?}");
    p.write("tmp/doc.json", "{\"b\": 1, \"a\": [2]}");
    let out = p.run(&["normalize", "tmp/doc.json"]).expect(0);
    assert_eq!(out.stdout, "{\n  \"a\": [\n    2\n  ],\n  \"b\": 1\n}\n");
}

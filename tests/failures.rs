//! Unhappy paths: each fails with the documented exit code, names what
//! failed, and leaves the fixtures exactly as they were.

use crate::util::{TestProject, no_process_left, run};

const BASIC_MODULE: &str = "from ._record import open_codex, stream, write_jsonl\n\n\ndef record(output_path, *, codex_path, model, **_):\n    with open_codex(codex_path) as codex:\n        thread = codex.thread_start(model=model, ephemeral=True)\n        events = stream(thread.turn(\"hi\"))\n    write_jsonl(output_path, events)\n";
const ONE_MESSAGE: &str = r#"{"replies": [{"kind": "message", "text": "hello"}]}"#;

/// Runs `harvest` on `scenario` and thread_basic, expects `code`, checks
/// nothing under the fixtures changed, and returns the output.
fn harvest_fails(p: &TestProject, scenario: &str, code: i32) -> String {
    let before = p.fixtures();
    let run = p
        .run(&[
            "harvest",
            "--scenario",
            "thread_basic",
            "--scenario",
            scenario,
        ])
        .expect(code);
    assert_eq!(
        p.fixtures(),
        before,
        "a failed harvest changed the fixtures"
    );
    run.all()
}

#[test]
fn a_scenario_that_raises_fails_with_its_traceback() {
    let p = TestProject::new();
    p.add_scenario(
        "boom",
        "def record(output_path, **_):\n    raise RuntimeError('the scenario broke')\n",
        r#"{"replies": []}"#,
        "",
    );
    let out = harvest_fails(&p, "boom", 4);
    assert!(out.contains("scenario boom failed"), "{out}");
    assert!(out.contains("RuntimeError: the scenario broke"), "{out}");
    assert!(
        out.contains("thread_basic                     ok"),
        "the other scenarios still run: {out}"
    );
    assert!(
        out.contains("hint: rerun with --keep-scratch to keep its scratch dir"),
        "{out}"
    );
    assert_eq!(
        p.leftovers(),
        Vec::<String>::new(),
        "no scratch dir is kept"
    );
}

#[test]
fn a_hanging_scenario_is_killed_at_its_timeout() {
    let p = TestProject::new();
    p.add_scenario(
        "hang",
        "import time\n\n\ndef record(output_path, **_):\n    time.sleep(600)\n",
        r#"{"replies": []}"#,
        "timeout_secs = 2",
    );
    let out = harvest_fails(&p, "hang", 4);
    assert!(out.contains("scenario hang failed"), "{out}");
    assert!(
        out.contains("timed out after 2 s; its whole process tree was killed"),
        "{out}"
    );
    // Killed, not abandoned: nothing of the run is left.
    no_process_left(p.root(), "after the timeout");
}

#[test]
fn a_non_json_line_names_scenario_file_and_line() {
    let p = TestProject::new();
    p.add_scenario(
        "noisy",
        &format!("{BASIC_MODULE}    with open(output_path, 'a') as f:\n        f.write('debug: done\\n')\n"),
        ONE_MESSAGE,
        "",
    );
    let out = harvest_fails(&p, "noisy", 4);
    assert!(out.contains("scenario noisy failed"), "{out}");
    assert!(out.contains("output python/noisy.jsonl"), "{out}");
    // 8 events (the reply streams in one delta), then the stray line.
    assert!(out.contains("line 9: not JSON"), "{out}");
    assert!(out.contains("\"debug: done\""), "{out}");
}

#[test]
fn a_secret_in_output_is_refused_without_echoing_it() {
    let p = TestProject::new();
    let key = "sk-proj-AbCdEfGhIjKlMnOpQrStUvWx0123";
    p.add_scenario(
        "leaky",
        BASIC_MODULE,
        &format!(r#"{{"replies": [{{"kind": "message", "text": "your key is {key}"}}]}}"#),
        "",
    );
    let out = harvest_fails(&p, "leaky", 4);
    assert!(out.contains("scenario leaky failed"), "{out}");
    assert!(
        // The deltas carry the key in pieces too short to match; the
        // completed item (line 9) carries it whole.
        out.contains("output python/leaky.jsonl line 9: contains an OpenAI API key"),
        "{out}"
    );
    assert!(!out.contains(key), "the secret was echoed: {out}");
    assert!(!p.path("integration/fixtures/python/leaky.jsonl").exists());
}

#[test]
fn a_model_request_beyond_the_script_fails_the_scenario() {
    let p = TestProject::new();
    p.add_scenario("short_script", BASIC_MODULE, r#"{"replies": []}"#, "");
    let out = harvest_fails(&p, "short_script", 4);
    assert!(out.contains("scenario short_script failed"), "{out}");
    assert!(
        out.contains("more than integration/scripts/short_script.json has replies for"),
        "{out}"
    );
}

#[test]
fn an_output_outside_the_fixtures_tree_is_a_config_error() {
    let p = TestProject::new();
    let mut config = p.read("config/harvest.toml");
    config = config.replace(
        "outputs = [\"python/thread_basic.jsonl\"]",
        "outputs = [\"../../escape.jsonl\"]",
    );
    p.write("config/harvest.toml", &config);
    let out = harvest_fails(&p, "thread_basic", 2);
    assert!(out.contains("config/harvest.toml"), "{out}");
    assert!(
        out.contains("\"../../escape.jsonl\" is outside the fixtures tree"),
        "{out}"
    );
}

#[test]
fn config_errors_name_the_file_and_what_to_do() {
    let p = TestProject::new();
    let unknown = p.run(&["check", "--scenario", "nope"]).expect(2);
    assert!(
        unknown.stderr.contains("no scenario named \"nope\""),
        "{}",
        unknown.all()
    );
    assert!(
        unknown.stderr.contains("hint: `codex-harvest list`"),
        "{}",
        unknown.all()
    );

    p.add_scenario("no_module", "", ONE_MESSAGE, "");
    std::fs::remove_file(p.path("integration/harvest_scenarios/no_module.py")).unwrap();
    let missing = p.run(&["check", "--scenario", "no_module"]).expect(2);
    assert!(
        missing
            .stderr
            .contains("integration/harvest_scenarios/no_module.py is missing"),
        "{}",
        missing.all()
    );

    p.write("integration/harvest_scenarios/no_module.py", BASIC_MODULE);
    p.write(
        "integration/scripts/no_module.json",
        r#"{"replies": [{"kind": "mesage"}]}"#,
    );
    let script = p.run(&["check", "--scenario", "no_module"]).expect(2);
    assert!(script.stderr.contains("no_module.json"), "{}", script.all());
    assert!(
        script
            .stderr
            .contains("replies[0]: unknown kind \"mesage\""),
        "{}",
        script.all()
    );

    let elsewhere = tempfile::tempdir().unwrap();
    let not_a_project = p
        .run(&["--root", elsewhere.path().to_str().unwrap(), "check"])
        .expect(2);
    assert!(
        not_a_project
            .stderr
            .contains("is not a codex-harvest project"),
        "{}",
        not_a_project.all()
    );
}

#[test]
fn harvest_refuses_to_write_in_ci() {
    let p = TestProject::new();
    let mut cmd = p.command(&["harvest"]);
    cmd.env("CI", "true");
    let out = run(cmd).expect(2);
    assert!(
        out.stderr.contains("CI=true: harvest never writes in CI"),
        "{}",
        out.all()
    );
}

#[test]
fn check_repeat_finds_a_value_that_varies_between_runs() {
    let p = TestProject::new();
    p.add_scenario(
        "jittery",
        "import json, time\n\n\ndef record(output_path, **_):\n    with open(output_path, 'w') as f:\n        f.write(json.dumps({'method': 'turn/started', 'params': {'seed': time.time_ns()}}) + '\\n')\n",
        r#"{"replies": []}"#,
        crate::util::NO_CODEX,
    );
    let out = p
        .run(&["check", "--scenario", "jittery", "--repeat", "2"])
        .expect(4);
    let all = out.all();
    assert!(all.contains("scenario jittery failed"), "{all}");
    assert!(
        all.contains("nondeterministic: run 2 of the python lane differs from run 1"),
        "{all}"
    );
    assert!(all.contains("python/jittery.jsonl"), "{all}");
    assert!(all.contains("line 1 (turn/started)"), "{all}");
    assert!(all.contains("params.seed"), "{all}");
    assert!(all.contains("hint: add a normalisation rule"), "{all}");
}

/// A rule that would rewrite the model's own words fails the harvest,
/// naming the rule, the script and the text.
#[test]
fn a_rule_that_touches_model_text_is_refused() {
    let p = TestProject::new();
    p.add_scenario(
        "uuid_reply",
        BASIC_MODULE,
        r#"{"replies": [{"kind": "message", "text": "Your id is 019a13ab-cf89-77a1-9d69-31b768b3439a."}]}"#,
        "",
    );
    let out = harvest_fails(&p, "uuid_reply", 4);
    assert!(out.contains("scenario uuid_reply failed"), "{out}");
    assert!(
        out.contains("would rewrite the model's own words \"Your id is 019a13ab-cf89-77a1-9d69-31b768b3439a.\" from integration/scripts/uuid_reply.json"),
        "{out}"
    );
    assert!(out.contains("rule "), "{out}");
}

#[test]
fn a_scenario_starting_codex_other_times_than_it_declares_transcripts_fails() {
    let p = TestProject::new();
    p.add_scenario(
        "twice",
        BASIC_MODULE,
        ONE_MESSAGE,
        r#"wire = ["wire/twice_1.jsonl", "wire/twice_2.jsonl"]"#,
    );
    let out = harvest_fails(&p, "twice", 4);
    assert!(out.contains("scenario twice failed"), "{out}");
    assert!(out.contains("the wire lane (app-server JSON-RPC)"), "{out}");
    assert!(
        out.contains("the scenario started codex 1 time(s), but declares 2 wire transcript(s)"),
        "{out}"
    );
    assert!(
        out.contains("hint: list one transcript per codex process"),
        "{out}"
    );
}

/// A recorded message that does not fit the schema codex generates fails
/// the scenario (exit 4), naming the file, the line, the field and the
/// schema keyword; nothing is written.
#[test]
fn a_message_that_does_not_fit_codexs_schema_fails_naming_its_line() {
    let p = TestProject::new();
    // A turn of the real codex, and one line no codex sends after it.
    let module = format!(
        "{BASIC_MODULE}    with open(output_path, 'a') as f:\n        f.write(json.dumps({{'method': 'thread/name/updated', 'params': {{'threadId': 7}}}}) + '\\n')\n"
    )
    .replace("from ._record", "import json\nfrom ._record");
    p.add_scenario("misfit", &module, ONE_MESSAGE, "");
    let out = harvest_fails(&p, "misfit", 4);
    assert!(
        out.contains("what was recorded does not fit the schema codex generates"),
        "{out}"
    );
    assert!(
        out.contains(
            "ServerNotification thread/name/updated /params/threadId: 7 is not of type \"string\""
        ),
        "{out}"
    );
    assert_eq!(
        out.matches("python/misfit.jsonl line ").count(),
        1,
        "only the misfit, not codex's own lines: {out}"
    );
}

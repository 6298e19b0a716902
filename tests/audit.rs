//! `audit`: the first consumer's 28 hand-written fixtures (a copy in
//! tests/data/codex_sdk) held against what real codex sends, as
//! docs/examples/audit-codex_sdk.md shows them.

use std::process::Command;

use crate::util::{TestProject, repo, run};

fn audit(p: &TestProject, extra: &[&str]) -> crate::util::Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_codex-harvest"));
    cmd.args([
        "--root",
        p.root().to_str().unwrap(),
        "audit",
        "integration/fixtures/python",
    ])
    .args(extra)
    .current_dir(repo().join("tests/data/codex_sdk"))
    .env_clear()
    .env("PATH", std::env::var("PATH").unwrap_or_default());
    run(cmd)
}

/// Every one of the 28 files is reported on, each differs (exit 1), and
/// the report is the committed page, word for word.
#[test]
fn the_consumers_fixtures_are_audited_as_the_committed_page_says() {
    let p = TestProject::new();
    let text = audit(&p, &[]).expect(1);
    assert_eq!(
        text.stdout
            .lines()
            .filter(|l| l.starts_with("audit: integration/"))
            .count(),
        28,
        "{}",
        text.stdout
    );
    assert!(
        text.stdout
            .ends_with("audit: 28 of 28 file(s) differ from what real codex sends\n"),
        "{}",
        text.stdout
    );
    let page = std::fs::read_to_string(repo().join("docs/examples/audit-codex_sdk.md")).unwrap();
    let block = page
        .split("```text\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .unwrap();
    assert_eq!(
        block, text.stdout,
        "docs/examples/audit-codex_sdk.md is out of date"
    );
    let json = audit(&p, &["--format", "json"]).expect(1);
    let found: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    let basic = found
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == "thread_basic.jsonl")
        .unwrap();
    assert_eq!(basic["against"], "exec/thread_basic.jsonl");
    assert!(
        basic["never_sent"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e == "event item.agent_message.delta"),
        "{basic}"
    );
}

/// A fixture that is what codex sends is clean, and one without a
/// counterpart of ours, by map or name, is reported as such.
#[test]
fn a_real_fixture_is_clean_and_an_unknown_one_is_named() {
    let p = TestProject::new();
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        repo().join("integration/fixtures/exec/thread_basic.jsonl"),
        dir.path().join("thread_basic.jsonl"),
    )
    .unwrap();
    p.write("tmp/map.toml", "");
    let clean = p
        .run(&[
            "audit",
            dir.path().to_str().unwrap(),
            "--map",
            "tmp/map.toml",
        ])
        .expect(0);
    assert!(
        clean.stdout.contains("against exec/thread_basic.jsonl")
            && clean
                .stdout
                .ends_with("audit: 0 of 1 file(s) differ from what real codex sends\n"),
        "{}",
        clean.stdout
    );
    std::fs::write(dir.path().join("thread_mine.jsonl"), "{\"type\":\"x\"}\n").unwrap();
    let out = p
        .run(&[
            "audit",
            dir.path().to_str().unwrap(),
            "--map",
            "tmp/map.toml",
        ])
        .expect(1);
    assert!(
        out.stdout
            .contains("thread_mine.jsonl: no fixture of ours by that name"),
        "{}",
        out.stdout
    );
}

//! The codex version matrix with the real registries and the real codex
//! binaries: pinned from both registries into an empty cache, harvested,
//! checked, reported, and drifting in every cell.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::util::{TestProject, change_reply};

/// A cache holding the pinned venv and TypeScript SDK (hard-linked from
/// the shared one) and no codex: every matrix codex is fetched into it.
fn cache_without_codex(p: &TestProject) -> tempfile::TempDir {
    let doctor = p.run(&["doctor", "--format", "json"]).expect(0);
    let report: Value = serde_json::from_str(&doctor.stdout).unwrap();
    let cache = tempfile::tempdir().unwrap();
    for entry in [
        report["python"]["venv"].as_str().unwrap(),
        report["typescript"]["install"].as_str().unwrap(),
    ] {
        let linked = Command::new("cp")
            .arg("-al")
            .arg(entry)
            .arg(cache.path())
            .status()
            .unwrap();
        assert!(linked.success());
    }
    cache
}

fn codex_entries(cache: &Path) -> usize {
    std::fs::read_dir(cache)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("codex-") && e.path().is_dir())
        .count()
}

const SCENARIOS: [&str; 4] = ["--scenario", "thread_basic", "--scenario", "thread_fork"];

/// The trees of the main pin and of the two matrix versions the test pins.
const TREES: [&str; 3] = [
    "integration/fixtures",
    "integration/matrix/codex-0.144.4",
    "integration/matrix/codex-0.171.0",
];

#[test]
fn a_matrix_pinned_from_both_registries_is_harvested_checked_reported_and_drifts_in_every_cell() {
    let p = TestProject::new();
    let cache = cache_without_codex(&p);
    let cache = cache.path();
    let pin = p
        .run_with_cache(
            &["pin", "--matrix", "0.144.4,0.171.0", "--no-harvest"],
            cache,
        )
        .expect(0);
    assert!(
        pin.stdout.contains(
            "x86_64-linux: openai_codex_cli_bin-0.144.4-py3-none-manylinux_2_17_x86_64.whl (PyPI)"
        ) && pin
            .stdout
            .contains("x86_64-linux: @openai/codex@0.171.0-linux-x64 (npm)"),
        "{}",
        pin.all()
    );
    for v in ["0.144.4", "0.171.0"] {
        let exs = p.read(&format!("config/matrix/codex-{v}.exs"));
        assert!(exs.contains(&format!("version: \"{v}\"")), "{exs}");
        // The SDK stays as pinned.
        assert!(
            exs.contains("config :codex_sdk, :python_sdk,\n  version: \"0.163.0\""),
            "{exs}"
        );
    }
    assert_eq!(codex_entries(cache), 0, "pinning installs nothing");

    let mut harvest = vec![
        "harvest",
        "--codex-version",
        "0.144.4",
        "--codex-version",
        "0.171.0",
    ];
    harvest.extend(SCENARIOS);
    let out = p.run_with_cache(&harvest, cache).expect(0);
    assert!(
        out.stderr.contains("provisioning codex 0.144.4")
            && out.stderr.contains("provisioning codex 0.171.0"),
        "{}",
        out.all()
    );
    assert_eq!(codex_entries(cache), 2);
    // The Python SDK 0.163.0 cannot fork on codex 0.144.4: recorded with
    // its own words, the other lanes and versions harvested.
    let failed = p.read("integration/matrix/codex-0.144.4/python/thread_fork.failed");
    assert!(
        failed.contains("Codex CLI 0.151.0 or newer is required; reported version is '0.144.4'"),
        "{failed}"
    );
    assert!(
        p.path("integration/matrix/codex-0.171.0/python/thread_fork.jsonl")
            .is_file()
    );
    assert!(
        !p.path("integration/matrix/codex-0.171.0/python/thread_fork.failed")
            .exists()
    );

    // A second run downloads nothing and finds every cell, the failure
    // included, the same.
    let mut check = vec!["check"];
    check.extend(SCENARIOS);
    let clean = p.run_with_cache(&check, cache).expect(0);
    for tree in TREES {
        assert!(
            clean.stdout.contains(&format!("check: {tree} matches")),
            "{}",
            clean.all()
        );
    }
    assert!(!clean.stderr.contains("provisioning"), "{}", clean.all());

    // The report: a field that really differs between these versions, and
    // the failed cell with codex's error.
    let compat: Value = serde_json::from_str(
        &p.run_with_cache(&["compat", "--format", "json"], cache)
            .expect(0)
            .stdout,
    )
    .unwrap();
    assert_eq!(
        compat["versions"],
        serde_json::json!(["0.144.4", "0.163.0", "0.171.0"])
    );
    let started_at = compat["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["lane"] == "wire" && f["field"] == "msg.params.item.startedAtMs")
        .unwrap_or_else(|| panic!("no startedAtMs span: {compat:#}"));
    assert_eq!(started_at["first"], "0.171.0");
    assert_eq!(
        started_at["without"],
        serde_json::json!(["0.144.4", "0.163.0"])
    );
    let fork = compat["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["scenario"] == "thread_fork")
        .unwrap();
    assert!(
        fork["cells"][0]["failed"]["python"]
            .as_str()
            .unwrap()
            .contains("Codex CLI 0.151.0 or newer is required"),
        "{fork:#}"
    );
    assert_eq!(fork["cells"][1]["failed"], serde_json::json!({}));
    let text = p.run_with_cache(&["compat"], cache).expect(0).stdout;
    assert_eq!(
        p.read("docs/codex-compat.md"),
        text,
        "harvest wrote the report `compat` prints"
    );

    // A changed model reply drifts in every cell (one lane shows it).
    change_reply(&p, "thread_basic", "Another reply.");
    let drift = p
        .run_with_cache(
            &["check", "--scenario", "thread_basic", "--lane", "python"],
            cache,
        )
        .expect(1);
    for tree in TREES {
        assert!(
            drift.stdout.contains(&format!("check: {tree} drifts")),
            "{}",
            drift.all()
        );
    }
    assert!(
        drift.stdout.matches("Another reply.").count() >= 3,
        "{}",
        drift.all()
    );
}

/// The committed cells whose codex cannot run a scenario: run again, they
/// fail the same way, and that is no drift.
#[test]
fn a_committed_failure_cell_stays_the_same_failure() {
    let p = TestProject::with_matrix();
    let out = p
        .run(&[
            "check",
            "--jobs",
            "1",
            "--codex-version",
            "0.144.4",
            "--scenario",
            "thread_fork",
            "--scenario",
            "thread_approval_accept",
            // Failed in three lanes: the records' order is provenance's.
            "--scenario",
            "thread_error_retry_exhausted",
        ])
        .expect(0);
    assert!(
        out.stdout
            .contains("check: integration/matrix/codex-0.144.4 matches"),
        "{}",
        out.all()
    );
    assert!(
        out.stderr
            .contains("thread_fork                      failed (recorded)"),
        "{}",
        out.all()
    );
    for recorded in [
        "python/thread_fork.failed",
        "exec/thread_approval_accept.failed",
        "typescript/thread_error_retry_exhausted.failed",
    ] {
        assert!(
            p.path(&format!("integration/matrix/codex-0.144.4/{recorded}"))
                .is_file()
        );
    }
}

#[test]
fn a_codex_version_the_project_does_not_pin_is_refused_before_anything_runs() {
    let p = TestProject::with_matrix();
    let out = p.run(&["check", "--codex-version", "0.150.0"]).expect(2);
    assert!(
        out.stderr.contains(
            "--codex-version 0.150.0: neither config/native.exs nor config/matrix/ pins it"
        ) && out
            .stderr
            .contains("0.163.0, 0.144.4, 0.155.1, 0.160.1, 0.169.0, 0.171.0"),
        "{}",
        out.all()
    );
    assert!(!out.stderr.contains("running"), "{}", out.all());
}

/// After `pin --codex` moves the main pin to a version of the matrix, that
/// version is the main pin's, harvested once into integration/fixtures.
#[test]
fn a_matrix_version_the_main_pin_moved_to_is_the_main_pins() {
    let p = TestProject::with_matrix();
    p.write(
        "config/matrix/codex-0.163.0.exs",
        &p.read("config/native.exs"),
    );
    let out = p.run(&["compat", "--format", "json"]).expect(0);
    assert!(
        out.stderr
            .contains("config/matrix/codex-0.163.0.exs pins the main pin's codex 0.163.0"),
        "{}",
        out.all()
    );
    let compat: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(
        compat["versions"],
        serde_json::json!([
            "0.144.4", "0.155.1", "0.160.1", "0.163.0", "0.169.0", "0.171.0"
        ])
    );
}

/// Issue 30, item 10: `check --lane X` compares only what lane X made; a
/// failure another lane recorded is kept as committed, not compared with a
/// fixture of a lane that did not run.
#[test]
fn check_in_one_lane_compares_only_what_it_ran() {
    let p = TestProject::with_matrix();
    for lane in ["python", "wire", "exec", "typescript"] {
        let out = p
            .run(&[
                "check",
                "--codex-version",
                "0.144.4",
                "--lane",
                lane,
                "--scenario",
                "thread_approval_accept",
                "--scenario",
                "thread_error_retry_exhausted",
            ])
            .expect(0);
        assert!(
            out.stdout
                .contains("check: integration/matrix/codex-0.144.4 matches"),
            "{lane}: {}",
            out.all()
        );
    }
}

/// Issue 30, item 7: a matrix pin's artifact hash is checked like the main
/// pin's: edited, the artifact it names is fetched again and refused.
#[test]
fn a_wrong_artifact_hash_in_a_matrix_pin_is_refused() {
    let p = TestProject::with_matrix();
    let cache = cache_without_codex(&p);
    let pin = "config/matrix/codex-0.144.4.exs";
    let text = p.read(pin);
    let platform = format!("{}-linux", std::env::consts::ARCH);
    let block = text.find(&format!("\"{platform}\" => %{{")).unwrap();
    let at = block + text[block..].find("sha256: \"").unwrap() + "sha256: \"".len();
    let wrong = format!("{}{}{}", &text[..at], "0".repeat(64), &text[at + 64..]);
    p.write(pin, &wrong);
    let tree = crate::util::files(&p.path("integration/matrix/codex-0.144.4"));
    for command in ["harvest", "check"] {
        let out = p
            .run_with_cache(
                &[
                    command,
                    "--codex-version",
                    "0.144.4",
                    "--scenario",
                    "thread_basic",
                ],
                cache.path(),
            )
            .expect(3);
        assert!(
            out.all()
                .contains("config/matrix/codex-0.144.4.exs pins it for")
                && out.all().contains("--require-hashes failed"),
            "{command}: {}",
            out.all()
        );
    }
    assert_eq!(
        crate::util::files(&p.path("integration/matrix/codex-0.144.4")),
        tree
    );
}

/// Issue 30, item 6: `pin --matrix` changes the pins and the trees as one
/// step; a stop before it leaves the old matrix and says nothing was
/// written, a stop after it the new one and says so.
#[test]
fn a_stopped_matrix_change_is_all_or_nothing_and_says_what_it_wrote() {
    use std::io::BufRead;
    // Stopped at its first line (its signals are taken by then), and once
    // it has dropped the version.
    for wait_for_the_drop in [false, true] {
        let p = TestProject::with_matrix();
        let mut child = p
            .command(&["pin", "--matrix", "0.144.4,0.155.1,0.160.1,0.169.0"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let awaited = match wait_for_the_drop {
            true => "pin: dropped",
            false => "pin: ",
        };
        let mut line = String::new();
        while stdout.read_line(&mut line).unwrap() > 0 && !line.contains(awaited) {
            line.clear();
        }
        crate::util::signal(&child, libc::SIGTERM);
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let pinned = p.path("config/matrix/codex-0.171.0.exs").exists();
        let tree = p.path("integration/matrix/codex-0.171.0").exists();
        assert_eq!(
            pinned, tree,
            "a pin without its tree, or a tree without its pin: {stderr}"
        );
        match out.status.code() {
            Some(143) if pinned => assert!(stderr.contains("nothing was written"), "{stderr}"),
            Some(143) => assert!(
                stderr.contains(
                    "after the matrix change was written (codex 0.171.0 added or dropped"
                ),
                "{stderr}"
            ),
            Some(0) => assert!(!pinned, "{stderr}"),
            other => panic!("exit {other:?}: {stderr}"),
        }
        assert!(!wait_for_the_drop || !pinned, "{stderr}");
    }
}

/// `compat` over a matrix tree that is missing, or whose provenance does
/// not read, is drift that names the tree and what to do, not a report
/// with a dash where the tree should be (issue 35, item 16).
#[test]
fn compat_refuses_a_missing_or_unreadable_matrix_tree() {
    let p = TestProject::with_matrix();
    p.run(&["compat"]).expect(0);
    let tree = "integration/matrix/codex-0.155.1";
    std::fs::rename(p.path(tree), p.path("tmp/moved")).unwrap();
    let out = p.run(&["compat"]).expect(1);
    assert!(
        out.stderr.contains(&format!(
            "{tree} holds no fixtures, but codex 0.155.1 is pinned"
        )) && out
            .stderr
            .contains("hint: harvest it with `codex-harvest harvest --codex-version 0.155.1`"),
        "{}",
        out.stderr
    );
    std::fs::rename(p.path("tmp/moved"), p.path(tree)).unwrap();
    p.write(&format!("{tree}/provenance.json"), "not json");
    let out = p.run(&["compat", "--format", "json"]).expect(1);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        out.stderr
            .contains(&format!("{tree} is not a tree a harvest wrote")),
        "{}",
        out.stderr
    );
}

//! Pins and toolchain: agreement, provisioning failures, unpinned overrides.

use std::process::Command;

use crate::util::{TestProject, run};

#[test]
fn doctor_reports_the_pinned_toolchain() {
    let p = TestProject::new();
    let out = p.run(&["doctor"]).expect(0);
    assert!(
        out.stdout.contains("python-sdk  openai-codex 0.163.0"),
        "{}",
        out.all()
    );
    assert!(out.stdout.contains("codex       0.163.0"), "{}", out.all());
    assert_eq!(out.stdout.matches("[pinned]").count(), 3, "{}", out.all());
    // The JSON form names its states, not the Rust types behind them.
    let json = p.run(&["doctor", "--format", "json"]).expect(0);
    let report: serde_json::Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        report["typescript"]["status"], "available",
        "{}",
        json.stdout
    );
    assert!(!json.stdout.contains("\"Ok\""), "{}", json.stdout);
}

/// The venv holds exactly the wheels the lock names for this platform (what
/// `pins --format json` lists, and nix/pins.nix selects for the flake).
#[test]
fn the_venv_installs_the_locked_wheels_of_this_platform() {
    let p = TestProject::new();
    let pins: serde_json::Value =
        serde_json::from_str(&p.run(&["pins", "--format", "json"]).expect(0).stdout).unwrap();
    let doctor: serde_json::Value =
        serde_json::from_str(&p.run(&["doctor", "--format", "json"]).expect(0).stdout).unwrap();
    let platform = doctor["platform"].as_str().unwrap();
    let mut locked: Vec<(String, String)> = pins["wheels"][platform]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["package"].as_str().unwrap().to_string(),
                w["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    locked.sort();
    let listed = Command::new(doctor["python"]["path"].as_str().unwrap())
        .args([
            "-m",
            "pip",
            "list",
            "--format",
            "json",
            "--exclude",
            "pip",
            "--exclude",
            "setuptools",
        ])
        .output()
        .unwrap();
    let installed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let mut installed: Vec<(String, String)> = installed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["name"].as_str().unwrap().to_lowercase().replace('_', "-"),
                d["version"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    installed.sort();
    assert_eq!(installed, locked);
    assert!(locked.iter().any(|(n, _)| n == "pydantic-core"));
    assert_eq!(doctor["python"]["pinned_minor"], "3.11");
    assert!(
        doctor["python"]["version"]
            .as_str()
            .unwrap()
            .starts_with("3.11."),
        "{doctor}"
    );
}

/// The lock's wheels are for one interpreter minor: another is refused with
/// what to do, before anything is installed.
#[test]
fn an_interpreter_of_another_minor_is_refused() {
    let p = TestProject::new();
    let lock = p.read("config/pylock.toml");
    p.write(
        "config/pylock.toml",
        &lock.replace(
            "requires-python = \"==3.11.*\"",
            "requires-python = \"==3.9.*\"",
        ),
    );
    let cache = tempfile::tempdir().unwrap();
    let out = p.run_with_cache(&["check"], cache.path()).expect(3);
    assert!(
        out.stderr.contains("is Python 3.11, but")
            && out
                .stderr
                .contains("pylock.toml locks wheels for Python 3.9"),
        "{}",
        out.all()
    );
    assert!(
        out.stderr.contains("hint: put a python3.9 first on PATH"),
        "{}",
        out.all()
    );
}

#[test]
fn pins_print_as_json_from_native_exs() {
    let p = TestProject::new();
    let out = p.run(&["pins", "--format", "json"]).expect(0);
    let pins: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(pins["codex"]["version"], "0.163.0");
    assert_eq!(pins["codex"]["artifacts"].as_object().unwrap().len(), 4);
    assert!(
        p.read("config/native.exs").contains(
            pins["codex"]["artifacts"]["x86_64-linux"]["sha256"]
                .as_str()
                .unwrap()
        )
    );
}

#[test]
fn disagreeing_pins_are_refused_naming_both_files() {
    let p = TestProject::new();
    let linux = "76db41fb07fdf9ddacbe892b48d21dfde270031ec0f5666b5e558114355f006d";
    let lock = p.read("config/pylock.toml").replace(linux, &"0".repeat(64));
    p.write("config/pylock.toml", &lock);
    let out = p.run(&["check"]).expect(2);
    assert!(
        out.stderr.contains("native.exs pins x86_64-linux artifact"),
        "{}",
        out.all()
    );
    assert!(
        out.stderr
            .contains("pylock.toml does not lock that wheel of openai-codex-cli-bin"),
        "{}",
        out.all()
    );
}

#[test]
fn a_hash_mismatch_in_the_lock_stops_provisioning() {
    let p = TestProject::new();
    let lock = p.read("config/pylock.toml");
    let packaging = "81383611a09c1bc0b08b76e0fd5829d7c6824c65b27a6aee339da133f4233ea2";
    assert!(lock.contains(packaging));
    p.write(
        "config/pylock.toml",
        &lock.replace(packaging, &"0".repeat(64)),
    );
    let cache = tempfile::tempdir().unwrap();
    let out = p.run_with_cache(&["check"], cache.path()).expect(3);
    assert!(
        out.stderr
            .contains("the pinned Python packages could not be installed"),
        "{}",
        out.all()
    );
    // pip's own words, and the hint that follows from them.
    assert!(
        out.stderr.contains("DO NOT MATCH THE HASHES")
            && out
                .stderr
                .contains("hint: a download's hash is not the one"),
        "{}",
        out.all()
    );
}

#[test]
fn a_missing_python_is_a_toolchain_error() {
    let p = TestProject::new();
    let mut cmd = p.command(&["check"]);
    cmd.env("PATH", "/nonexistent");
    let out = run(cmd).expect(3);
    assert!(
        out.stderr.contains("python3 not found on PATH"),
        "{}",
        out.all()
    );
    assert!(out.stderr.contains("hint: install Python"), "{}", out.all());
}

#[test]
fn a_python_without_the_sdk_is_a_toolchain_error() {
    let p = TestProject::new();
    let bare = tempfile::tempdir().unwrap();
    let venv = bare.path().join("venv");
    let made = Command::new("python3")
        .args(["-m", "venv", "--without-pip"])
        .arg(&venv)
        .status()
        .unwrap();
    assert!(made.success());
    let out = p
        .run(&[
            "check",
            "--python",
            venv.join("bin/python").to_str().unwrap(),
        ])
        .expect(3);
    assert!(
        out.stderr
            .contains("the Python SDK (openai_codex) is not importable"),
        "{}",
        out.all()
    );
    assert!(out.stderr.contains("ModuleNotFoundError"), "{}", out.all());
}

/// An SDK checkout runs, and provenance says unpinned.
#[test]
fn overrides_are_recorded_as_unpinned() {
    let p = TestProject::new();
    let doctor = p.run(&["doctor", "--format", "json"]).expect(0);
    let report: serde_json::Value = serde_json::from_str(&doctor.stdout).unwrap();
    let sdk_dir = std::path::PathBuf::from(report["python_sdk"]["path"].as_str().unwrap());
    let checkout = tempfile::tempdir().unwrap();
    let status = Command::new("cp")
        .arg("-r")
        .arg(&sdk_dir)
        .arg(checkout.path().join("src"))
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::rename(
        checkout.path().join("src"),
        checkout.path().join("openai_codex"),
    )
    .unwrap();
    std::fs::create_dir(checkout.path().join("src")).unwrap();
    std::fs::rename(
        checkout.path().join("openai_codex"),
        checkout.path().join("src/openai_codex"),
    )
    .unwrap();

    // check compares what the checkout produces; that it is not the pinned
    // SDK is said apart, not reported as drift.
    let sdk = p
        .run(&[
            "check",
            "--scenario",
            "thread_basic",
            "--scenario",
            "thread_fork",
            "--python-sdk",
            checkout.path().to_str().unwrap(),
        ])
        .expect(0);
    assert!(
        sdk.stdout
            .contains("note: not a pinned reproduction: openai-codex"),
        "{}",
        sdk.all()
    );
    assert!(
        sdk.stdout
            .contains("matches what the pinned toolchain produces"),
        "{}",
        sdk.all()
    );
    // Without a pyproject the checkout has no version of its own: the
    // venv's installed one is not it.
    let doctor = p
        .run(&["doctor", "--python-sdk", checkout.path().to_str().unwrap()])
        .expect(0);
    assert!(
        doctor
            .stdout
            .contains("openai-codex unknown (a checkout without pyproject.toml)"),
        "{}",
        doctor.all()
    );
    // The pinned bytes from another path are still the pinned codex; other
    // bytes are `pinned_means_the_bytes` in integrity.rs.
    let codex = report["codex"]["path"].as_str().unwrap();
    p.run(&["check", "--scenario", "thread_basic", "--codex-path", codex])
        .expect(0);

    let bad = p.run(&["check", "--python-sdk", "/nonexistent"]).expect(3);
    assert!(
        bad.stderr.contains("is not an SDK checkout"),
        "{}",
        bad.all()
    );
    // A harvest records what exactly ran: the checkout's digest.
    p.run(&[
        "harvest",
        "--scenario",
        "thread_basic",
        "--python-sdk",
        checkout.path().to_str().unwrap(),
    ])
    .expect(0);
    let provenance: serde_json::Value =
        serde_json::from_str(&p.read("integration/fixtures/provenance.json")).unwrap();
    let record = &provenance["scenarios"]["thread_basic"]["toolchain"]["python-sdk"];
    assert_eq!(record["pinned"], false, "{record}");
    assert_eq!(
        record["digest"].as_str().map(str::len),
        Some(64),
        "{record}"
    );
}

#[test]
fn a_codex_path_that_is_not_codex_is_a_toolchain_error() {
    let p = TestProject::new();
    let out = p
        .run(&[
            "check",
            "--scenario",
            "thread_basic",
            "--codex-path",
            "/bin/echo",
        ])
        .expect(3);
    assert!(
        out.stderr.contains("not `codex-cli <version>`"),
        "{}",
        out.all()
    );
    let missing = p
        .run(&[
            "check",
            "--scenario",
            "thread_basic",
            "--codex-path",
            "/nonexistent/codex",
        ])
        .expect(3);
    assert!(
        missing
            .stderr
            .contains("--codex-path /nonexistent/codex does not exist"),
        "{}",
        missing.all()
    );
}

/// The committed drift report for codex 0.169.0 is one report in two forms
/// (every changed file and event of the JSON is in the text), and says what
/// docs/drift/README.md concludes from it: npm for every platform, the SDK
/// kept at 0.163.0, no fixture an SDK surfaces changed.
#[test]
fn the_committed_drift_report_is_one_report_in_two_forms() {
    let dir = crate::util::repo().join("docs/drift");
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("0.163.0-to-0.169.0.json")).unwrap(),
    )
    .unwrap();
    let text = std::fs::read_to_string(dir.join("0.163.0-to-0.169.0.md")).unwrap();
    assert_eq!(
        (
            &json["codex_from"],
            &json["codex_to"],
            &json["sdk_from"],
            &json["sdk_to"]
        ),
        (
            &serde_json::json!("0.163.0"),
            &serde_json::json!("0.169.0"),
            &serde_json::json!("0.163.0"),
            &serde_json::json!("0.163.0")
        )
    );
    assert_eq!(json["sdk_bundled_codex"], "0.163.0");
    let command = "codex-harvest pin --codex 0.169.0 --dry-run --drift-report docs/drift";
    assert_eq!(json["command"], command);
    assert!(text.contains(&format!("Written by `{command}`")));
    let sources = json["sources"].as_array().unwrap();
    assert_eq!(sources.len(), 4);
    assert!(
        sources
            .iter()
            .all(|s| s.as_str().unwrap().ends_with("(npm)"))
    );
    let changed = json["drift"]["changed"].as_array().unwrap();
    assert!(!changed.is_empty());
    for file in changed {
        let path = file["path"].as_str().unwrap();
        assert!(
            !["python/", "exec/", "typescript/"]
                .iter()
                .any(|lane| path.starts_with(lane)),
            "{path}"
        );
        assert!(text.contains(&format!("changed  {path}\n")), "{path}");
        for d in file["differences"].as_array().unwrap() {
            if let (Some(line), Some(event)) = (d["line"].as_u64(), d["event"].as_str()) {
                assert!(
                    text.contains(&format!("  line {line} ({event})\n")),
                    "{path}:{line}"
                );
            }
        }
    }
}

/// The SDK probe runs in the environment scenarios run in: an SDK that only
/// the caller's PYTHONPATH (or user site-packages) provides is not taken
/// for one the interpreter has, since no scenario would import it. (A
/// stand-in package: what is under test is where the probe looks.)
#[test]
fn the_sdk_probe_sees_what_scenarios_see() {
    let p = TestProject::new();
    let elsewhere = tempfile::tempdir().unwrap();
    let fake = elsewhere.path().join("openai_codex");
    std::fs::create_dir_all(&fake).unwrap();
    std::fs::write(fake.join("__init__.py"), "__version__ = '0.163.0'\n").unwrap();
    let python = String::from_utf8(
        Command::new("python3")
            .args(["-c", "import sys; print(sys.executable)"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let mut cmd = p.command(&["doctor", "--python", python.trim()]);
    cmd.env("PYTHONPATH", elsewhere.path());
    let out = run(cmd).expect(3);
    assert!(
        out.stderr
            .contains("the Python SDK (openai_codex) is not importable by"),
        "{}",
        out.all()
    );
}

/// `cache` lists each entry with its size and the pins that use it;
/// `--prune` removes only entries no pin names, never a file or dir that
/// is not an entry of this tool's (issue 35, item 17).
#[test]
fn cache_shows_what_each_entry_is_for_and_prunes_only_stale_entries() {
    let p = TestProject::new();
    let doctor = p.run(&["doctor", "--format", "json"]).expect(0);
    let report: serde_json::Value = serde_json::from_str(&doctor.stdout).unwrap();
    let cache = tempfile::tempdir().unwrap();
    for entry in [
        report["python"]["venv"].as_str().unwrap(),
        report["typescript"]["install"].as_str().unwrap(),
    ] {
        let linked = std::process::Command::new("cp")
            .arg("-al")
            .arg(entry)
            .arg(cache.path())
            .status()
            .unwrap();
        assert!(linked.success());
    }
    let stale = "venv-0123456789abcdef";
    std::fs::create_dir_all(cache.path().join(stale).join("bin")).unwrap();
    std::fs::write(cache.path().join(stale).join("bin/python"), [0u8; 4096]).unwrap();
    std::fs::create_dir(cache.path().join("notes")).unwrap();
    std::fs::write(cache.path().join("durations.json"), "{}").unwrap();
    let listed = p
        .run_with_cache(&["cache", "--format", "json"], cache.path())
        .expect(0);
    let listed: serde_json::Value = serde_json::from_str(&listed.stdout).unwrap();
    let entries = listed["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{listed}");
    let venv = std::path::Path::new(report["python"]["venv"].as_str().unwrap())
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    for e in entries {
        let used = e["used_by"].as_array().unwrap();
        match e["name"].as_str().unwrap() {
            name if name == stale => assert!(used.is_empty(), "{e}"),
            name if name == venv => {
                assert_eq!(used[0], "openai-codex 0.163.0 (config/pylock.toml)", "{e}");
                assert!(e["bytes"].as_u64().unwrap() > 100 << 20, "{e}");
            }
            name => assert!(name.starts_with("node-") && !used.is_empty(), "{e}"),
        }
    }
    let text = p.run_with_cache(&["cache"], cache.path()).expect(0);
    assert!(
        text.stdout
            .contains("`codex-harvest cache --prune` removes them"),
        "{}",
        text.stdout
    );
    p.run_with_cache(&["cache", "--prune"], cache.path())
        .expect(0);
    let mut left: Vec<String> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock"))
        .collect();
    left.sort();
    assert!(!left.contains(&stale.to_string()), "{left:?}");
    assert!(left.contains(&venv), "{left:?}");
    assert!(left.contains(&"notes".to_string()) && left.contains(&"durations.json".to_string()));
}

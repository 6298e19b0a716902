//! `pin` for real: a bump to another codex and SDK from PyPI, a codex only
//! npm has, a codex wheel other than the SDK's runtime, and a version no
//! registry has. These fetch real artifacts, so they run mid-suite beside
//! the tests that keep the CPUs busy.

use crate::util::TestProject;

/// A real bump to the previous release: pins fetched and rewritten, every
/// scenario regenerated with it, the drift reported, and the result clean.
#[test]
fn pin_bumps_codex_regenerates_and_reports_drift() {
    let p = TestProject::with_catalogue(&["thread_basic", "thread_approval_accept"]);
    let out = p
        .run_with_cache(
            &["pin", "--codex", "0.162.1"],
            &crate::util::other_pins_cache(),
        )
        .expect(0);
    let all = out.all();
    assert!(
        out.stdout
            .contains("pin: codex 0.163.0 -> 0.162.1, openai-codex 0.163.0 -> 0.162.1"),
        "{all}"
    );
    assert!(
        out.stdout
            .contains("scenarios.thread_approval_accept.toolchain.codex.version"),
        "{all}"
    );
    assert!(out.stdout.contains("regenerated: \"0.162.1\""), "{all}");
    assert!(out.stdout.contains("event streams: "), "{all}");
    let exs = p.read("config/native.exs");
    assert!(exs.contains("version: \"0.162.1\""), "{exs}");
    assert_eq!(
        exs.matches("openai_codex_cli_bin-0.162.1-py3-none-")
            .count(),
        4,
        "{exs}"
    );
    assert!(
        p.read("config/pylock.toml")
            .contains("name = \"openai-codex\"\nversion = \"0.162.1\"")
    );
    assert!(
        out.stdout.contains(
            "pin: codex 0.162.1 for x86_64-linux: openai_codex_cli_bin-0.162.1-py3-none-manylinux"
        ),
        "{all}"
    );
    p.run(&["verify"]).expect(0);
    p.run_with_cache(
        &["check", "--scenario", "thread_basic"],
        &crate::util::other_pins_cache(),
    )
    .expect(0);
    let checklist = p.read("docs/python-parity-checklist.md");
    assert!(
        checklist.contains("| 0.162.1 | 0.162.1 | fresh |"),
        "{checklist}"
    );
}

#[test]
fn pin_refuses_a_version_that_does_not_exist() {
    let p = TestProject::new();
    let before = p.read("config/native.exs");
    let out = p
        .run(&["pin", "--codex", "0.0.0-nonexistent", "--no-harvest"])
        .expect(3);
    // Both registries answered: pip listed the versions it has, npm said
    // ETARGET.
    assert!(
        out.stderr
            .contains("codex 0.0.0-nonexistent for aarch64-darwin is on neither registry")
            && out.stderr.contains("(from versions: 0.")
            && out.stderr.contains("ETARGET"),
        "{}",
        out.all()
    );
    assert_eq!(p.read("config/native.exs"), before, "nothing is written");
    // A registry that does not answer is no "not published": pin fails in
    // PyPI's words, without turning to npm or keeping the old SDK.
    let mut cmd = p.command(&["pin", "--codex", "0.163.0", "--no-harvest"]);
    cmd.env("PIP_INDEX_URL", "http://127.0.0.1:9/simple")
        .env("PIP_RETRIES", "0")
        .env("PIP_TIMEOUT", "1")
        .env("npm_config_registry", "http://127.0.0.1:9/");
    let out = crate::util::run(cmd).expect(3);
    assert!(
        out.stderr
            .contains("asking PyPI for openai-codex-cli-bin 0.163.0 for")
            && out.stderr.contains("(from versions: none)")
            && !out.stderr.contains("from npm")
            && out.stderr.contains("hint: run again when PyPI answers"),
        "{}",
        out.all()
    );
    assert_eq!(p.read("config/native.exs"), before, "nothing is written");
}

/// Reduces the project's native.exs to this machine's platform (still the
/// written form), so a bump fetches one artifact; `None` on a platform the
/// pins do not know.
pub fn pin_only_this_platform(p: &TestProject) -> Option<&'static str> {
    let platform = match (std::env::consts::ARCH, std::env::consts::OS) {
        ("x86_64", "linux") => "x86_64-linux",
        ("aarch64", "linux") => "aarch64-linux",
        ("x86_64", "macos") => "x86_64-darwin",
        ("aarch64", "macos") => "aarch64-darwin",
        _ => return None,
    };
    let exs = p.read("config/native.exs");
    let open = "  artifacts: %{\n";
    let start = exs.find(open).unwrap() + open.len();
    let end = exs.find("\n  }\n").unwrap();
    let entry = exs[start..end]
        .split("},\n")
        .find(|e| e.contains(&format!("\"{platform}\"")))
        .unwrap()
        .trim_end_matches('}')
        .trim_end()
        .to_string();
    p.write(
        "config/native.exs",
        &format!("{}{entry}\n    }}{}", &exs[..start], &exs[end..]),
    );
    p.run(&["pins"]).expect(0);
    Some(platform)
}

/// A codex wheel of another version than the SDK bundles (0.162.1 beside the
/// SDK 0.163.0): provisioned from the pinned wheel into the cache, checked
/// against its binary hash, and run in place of the SDK's own.
#[test]
fn a_codex_wheel_other_than_the_sdks_runtime_is_provisioned_from_its_artifact() {
    let p = TestProject::new();
    let Some(platform) = pin_only_this_platform(&p) else {
        return;
    };
    let out = p
        .run(&[
            "pin",
            "--codex",
            "0.162.1",
            "--sdk",
            "0.163.0",
            "--no-harvest",
        ])
        .expect(0);
    assert!(
        out.stdout.contains(&format!(
            "pin: codex 0.162.1 for {platform}: openai_codex_cli_bin-0.162.1-py3-none-"
        )) && out.stdout.contains("(PyPI)"),
        "{}",
        out.all()
    );
    assert!(
        out.stdout
            .contains("the SDK 0.163.0 bundles codex 0.163.0; every lane runs the pinned codex 0.162.1 instead"),
        "{}",
        out.all()
    );
    let cache = tempfile::tempdir().unwrap();
    let doctor = p.run_with_cache(&["doctor"], cache.path()).expect(0);
    assert!(
        doctor
            .stderr
            .contains("provisioning codex 0.162.1 from openai_codex_cli_bin-0.162.1-py3-none-"),
        "{}",
        doctor.all()
    );
    assert!(
        doctor.stdout.contains("codex       0.162.1 at "),
        "{}",
        doctor.all()
    );
    assert!(
        doctor
            .stdout
            .contains("bundles codex 0.163.0; it is pointed at the pinned codex 0.162.1 instead"),
        "{}",
        doctor.all()
    );
    assert_eq!(
        doctor.stdout.matches("[pinned]").count(),
        3,
        "{}",
        doctor.all()
    );

    // A cached copy with other bytes is refused, not run.
    let cached = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|d| {
            d.is_dir()
                && d.file_name()
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .starts_with("codex-")
        })
        .unwrap()
        .join("bin/codex");
    std::fs::OpenOptions::new()
        .append(true)
        .open(&cached)
        .map(|mut f| std::io::Write::write_all(&mut f, b"\0"))
        .unwrap()
        .unwrap();
    // Its cache entry's seal says so first, naming the file.
    let again = p.run_with_cache(&["doctor"], cache.path()).expect(3);
    assert!(
        again
            .stderr
            .contains("is not as it was installed from the pins: bin/codex (changed)")
            && again
                .stderr
                .contains("and run again (it is provisioned afresh"),
        "{}",
        again.all()
    );
}

/// A codex that only npm has (0.169.0: PyPI's runtime wheel stops at
/// 0.163.0), pinned for real: `pin` says where each artifact came from,
/// `--dry-run` reports the drift without writing the pins, the binary is
/// provisioned from the npm tarball and checked against both pinned hashes,
/// the SDK is pointed at it, and a tarball with other bytes is refused.
/// Only this platform is pinned, so one tarball is fetched.
#[test]
fn a_codex_only_npm_has_is_pinned_from_npm_and_runs_in_place_of_the_sdks_own() {
    let p = TestProject::with_catalogue(&["thread_basic"]);
    let Some(platform) = pin_only_this_platform(&p) else {
        return;
    };
    let npm_platform = match platform {
        "x86_64-linux" => "linux-x64",
        "aarch64-linux" => "linux-arm64",
        "x86_64-darwin" => "darwin-x64",
        _ => "darwin-arm64",
    };
    let spec = format!("@openai/codex@0.169.0-{npm_platform}");

    let reports = tempfile::tempdir().unwrap();
    let before = p.read("config/native.exs");
    let dry = p
        .run(&[
            "pin",
            "--codex",
            "0.169.0",
            "--dry-run",
            "--drift-report",
            reports.path().to_str().unwrap(),
        ])
        .expect(1);
    let all = dry.all();
    assert!(
        dry.stderr.contains(&format!(
            "PyPI has no openai-codex-cli-bin 0.169.0 for {platform}; fetching {spec} from npm"
        )),
        "{all}"
    );
    assert!(dry.stderr.contains("keeping the SDK at 0.163.0"), "{all}");
    assert!(
        dry.stdout
            .contains(&format!("pin: codex 0.169.0 for {platform}: {spec} (npm)")),
        "{all}"
    );
    assert!(
        dry.stdout.contains(
            "pin: the SDK 0.163.0 bundles codex 0.163.0; every lane runs the pinned codex 0.169.0 instead"
        ),
        "{all}"
    );
    assert_eq!(
        p.read("config/native.exs"),
        before,
        "--dry-run writes no pin"
    );
    p.run(&["verify"]).expect(0);
    let report: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(reports.path().join("0.163.0-to-0.169.0.json")).unwrap(),
    )
    .unwrap();
    let markdown = std::fs::read_to_string(reports.path().join("0.163.0-to-0.169.0.md")).unwrap();
    let changed: Vec<&str> = report["drift"]["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(changed.contains(&"wire/thread_basic.jsonl"), "{changed:?}");
    for path in &changed {
        assert!(markdown.contains(&format!("changed  {path}\n")), "{path}");
    }
    assert_eq!(report["sdk_bundled_codex"], "0.163.0");
    // What codex 0.169.0's schema adds and no scenario shows yet is named,
    // in the output and both forms of the report (codex 0.169.0 adds
    // `thread/section/changed`, docs/coverage.md's columns say).
    let added = "notifications: thread/section/changed";
    assert!(dry.stdout.contains("pin: codex 0.169.0 adds"), "{all}");
    assert!(dry.stdout.contains(added), "{all}");
    assert!(
        report["unshown_new_types"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == added),
        "{report}"
    );
    assert!(markdown.contains(&format!("- `{added}`")), "{markdown}");

    let out = p
        .run(&["pin", "--codex", "0.169.0", "--no-harvest"])
        .expect(0);
    let exs = p.read("config/native.exs");
    assert!(
        exs.contains(&format!(
            "      npm: \"{spec}\",\n      integrity: \"sha512-"
        )),
        "{exs}\n{}",
        out.all()
    );

    // Provisioned from the tarball into an empty cache.
    let cache = tempfile::tempdir().unwrap();
    let doctor = p
        .run_with_cache(&["doctor", "--format", "json"], cache.path())
        .expect(0);
    assert!(
        doctor
            .stderr
            .contains(&format!("provisioning codex 0.169.0 from {spec} (npm)")),
        "{}",
        doctor.all()
    );
    let report: serde_json::Value = serde_json::from_str(&doctor.stdout).unwrap();
    assert_eq!(report["codex"]["version"], "0.169.0");
    assert_eq!(report["codex"]["pinned"], true);
    assert_eq!(report["sdk_bundled_codex"], "0.163.0");
    assert!(
        report["codex"]["path"]
            .as_str()
            .unwrap()
            .starts_with(cache.path().to_str().unwrap())
    );

    // The SDK drives it: the Python fixture is the same, provenance says
    // which codex ran and what the SDK bundles.
    let check = p
        .run_with_cache(
            &["check", "--scenario", "thread_basic", "--lane", "python"],
            cache.path(),
        )
        .expect(1);
    assert!(
        !check.stdout.contains("changed  python/"),
        "{}",
        check.all()
    );
    assert!(
        check
            .stdout
            .contains("scenarios.thread_basic.toolchain.python-sdk.bundles_codex"),
        "{}",
        check.all()
    );

    // Other bytes under the pinned name are refused before anything runs.
    let integrity = exs
        .split("integrity: \"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    p.write(
        "config/native.exs",
        &exs.replace(integrity, "sha512-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="),
    );
    let other = tempfile::tempdir().unwrap();
    let refused = p.run_with_cache(&["doctor"], other.path()).expect(3);
    assert!(
        refused
            .stderr
            .contains(&format!("{spec} (npm) does not have the pinned hash"))
            && refused.stderr.contains(integrity),
        "{}",
        refused.all()
    );
}

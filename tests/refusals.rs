//! What is refused, and when: an output tree a harvest must not replace,
//! SDK files changed after they were installed, a hand-edited provenance, a
//! key streamed in pieces. Each refusal names what it refuses, and the
//! ones that concern the tree come before any scenario runs.

use std::path::Path;
use std::process::Command;

use crate::util::{TestProject, files};

/// Nothing ran: the run never said it was running scenarios.
fn ran_nothing(out: &crate::util::Run) -> bool {
    !out.stderr.contains("running ")
}

/// `--output` that is a git work tree, the project root, an input dir or a
/// tree with files no harvest wrote: refused before any scenario runs,
/// with `--unreferenced delete`, and nothing is deleted. A relative new
/// tree is written and verifies.
#[test]
fn an_output_tree_a_harvest_may_not_replace_is_refused_before_anything_runs() {
    let p = TestProject::new();
    let clone = p.path("clone");
    std::fs::create_dir_all(&clone).unwrap();
    let git = |args: &[&str]| {
        assert!(
            Command::new("git")
                .args(["-c", "user.name=t", "-c", "user.email=t@t"])
                .args(args)
                .current_dir(&clone)
                .output()
                .unwrap()
                .status
                .success()
        );
    };
    git(&["init", "-q"]);
    std::fs::write(clone.join("README.md"), "mine\n").unwrap();
    git(&["add", "README.md"]);
    git(&["commit", "-qm", "mine"]);
    std::fs::write(clone.join("NOTES.txt"), "uncommitted\n").unwrap();
    let stray = p.path("stray");
    std::fs::create_dir_all(stray.join("sub")).unwrap();
    std::fs::write(stray.join("sub/notes.txt"), "mine\n").unwrap();
    let project = files(p.root());
    for (output, says) in [
        ("clone", "it is the root of a git work tree"),
        (".", "it is or contains the project root"),
        ("..", "it is or contains the project root"),
        (
            "integration",
            "it is or contains integration/harvest_scenarios",
        ),
        (
            "config/fixtures",
            "it lies inside config, an input of the project",
        ),
        (
            "stray",
            "1 file(s) that no scenario produces are not fixtures of an earlier harvest (no SHA256SUMS of a tree this tool wrote lists them as they are): sub/notes.txt",
        ),
    ] {
        let out = p
            .run(&[
                "harvest",
                "--scenario",
                "thread_basic",
                "--output",
                output,
                "--unreferenced",
                "delete",
            ])
            .expect(2);
        assert!(out.stderr.contains(says), "{output}: {}", out.all());
        assert!(
            out.stderr.contains("nothing was run or written"),
            "{}",
            out.all()
        );
        assert!(ran_nothing(&out), "{output}: {}", out.all());
        assert_eq!(files(p.root()), project, "{output}: something changed");
    }
    let out = p
        .run(&[
            "harvest",
            "--scenario",
            "thread_basic",
            "--output",
            "newtree",
        ])
        .expect(0);
    assert!(out.stdout.contains("SHA256SUMS"), "{}", out.all());
    p.run(&["verify", "--output", "newtree"]).expect(0);
    // A fixture an earlier harvest wrote is dropped with --unreferenced
    // delete: it is what the flag is for.
    let mut config = p.read("config/harvest.toml");
    config = config.replace(
        "outputs = [\"python/thread_basic.jsonl\"]",
        "outputs = [\"python/thread_basic_renamed.jsonl\"]",
    );
    p.write("config/harvest.toml", &config);
    let out = p
        .run(&[
            "harvest",
            "--scenario",
            "thread_reasoning_usage",
            "--output",
            "newtree",
            "--unreferenced",
            "delete",
        ])
        .expect(0);
    assert!(
        out.stdout.contains("python/thread_basic.jsonl (removed)"),
        "{}",
        out.all()
    );
}

/// The venv keeps what its build's probe found (the SDK, codex), under its
/// seal; a copy of the cache elsewhere is the same bytes at other paths, and
/// what a run reports and normalises is where the copy is.
#[test]
fn a_copied_cache_is_probed_where_it_is_now() {
    let p = TestProject::new();
    let copy = tampered_cache(&p, &[]);
    let out = p
        .run_with_cache(&["doctor", "--format", "json"], copy.path())
        .expect(0);
    let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    for found in [&report["python_sdk"]["path"], &report["codex"]["path"]] {
        let found = found.as_str().unwrap_or_else(|| panic!("{}", out.all()));
        assert!(
            found.starts_with(&*copy.path().to_string_lossy()),
            "{found}"
        );
    }
    assert_eq!(report["python_sdk"]["pinned"], true);
}

/// A hard-linked copy of the venv and TypeScript SDK `doctor` uses, with
/// one file of each replaced (not edited: the links share the original).
fn tampered_cache(p: &TestProject, replace: &[(&str, &str)]) -> tempfile::TempDir {
    let doctor = p.run(&["doctor", "--format", "json"]).expect(0);
    let report: serde_json::Value = serde_json::from_str(&doctor.stdout).unwrap();
    let copy = tempfile::tempdir().unwrap();
    for entry in [
        report["python"]["venv"].as_str().unwrap(),
        report["typescript"]["install"].as_str().unwrap(),
    ] {
        assert!(
            Command::new("cp")
                .arg("-al")
                .arg(entry)
                .arg(copy.path())
                .status()
                .unwrap()
                .success()
        );
    }
    for (suffix, text) in replace {
        let target = find(copy.path(), suffix).unwrap_or_else(|| panic!("no {suffix}"));
        let mut bytes = std::fs::read(&target).unwrap();
        bytes.extend_from_slice(text.as_bytes());
        std::fs::remove_file(&target).unwrap();
        std::fs::write(&target, bytes).unwrap();
    }
    copy
}

fn find(dir: &Path, suffix: &str) -> Option<std::path::PathBuf> {
    for e in std::fs::read_dir(dir).ok()?.flatten() {
        let path = e.path();
        if e.file_type().ok()?.is_dir() {
            if let Some(found) = find(&path, suffix) {
                return Some(found);
            }
        } else if path.to_string_lossy().ends_with(suffix) {
            return Some(path);
        }
    }
    None
}

/// One string changed in the venv's SDK, or in the TypeScript SDK's
/// bundle, after they were installed: refused, naming the file, before
/// "pinned" is said or recorded.
#[test]
fn an_sdk_changed_after_it_was_installed_is_refused_naming_the_file() {
    let p = TestProject::new();
    let python = tampered_cache(&p, &[("openai_codex/client.py", "\n# changed\n")]);
    let out = p.run_with_cache(&["doctor"], python.path()).expect(3);
    assert!(
        out.stderr
            .contains("is not as it was installed from the pins")
            && out
                .stderr
                .contains("lib/python3.11/site-packages/openai_codex/client.py (changed)"),
        "{}",
        out.all()
    );
    assert!(!out.stdout.contains("[pinned]"), "{}", out.all());
    let before = p.fixtures();
    let out = p
        .run_with_cache(&["harvest", "--scenario", "thread_basic"], python.path())
        .expect(3);
    assert!(out.stderr.contains("client.py (changed)"), "{}", out.all());
    assert_eq!(p.fixtures(), before);

    let node = tampered_cache(&p, &[("@openai/codex-sdk/dist/index.js", "\n// changed\n")]);
    let out = p
        .run_with_cache(
            &[
                "check",
                "--scenario",
                "thread_basic",
                "--lane",
                "typescript",
            ],
            node.path(),
        )
        .expect(3);
    assert!(
        out.stderr
            .contains("node_modules/@openai/codex-sdk/dist/index.js (changed)"),
        "{}",
        out.all()
    );
}

/// A provenance.json edited by hand so that it no longer reads is drift
/// (exit 1), named, before any scenario runs.
#[test]
fn a_hand_edited_provenance_is_drift_before_anything_runs() {
    let p = TestProject::new();
    let path = p.path("integration/fixtures/provenance.json");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replacen("\"scenarios\"", "\"scenarioz\"", 1)).unwrap();
    for format in ["text", "json"] {
        let out = p.run(&["check", "--format", format]).expect(1);
        assert!(ran_nothing(&out), "{}", out.all());
        match format {
            "json" => {
                let report: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
                assert_eq!(
                    report["drift"]["hand_edited"],
                    serde_json::json!(["provenance.json"])
                );
            }
            _ => assert!(
                out.stdout
                    .contains("drifts from what the toolchain produces (1 file(s))")
                    && out.stdout.contains(
                        "hand-edited  provenance.json  (its bytes no longer match SHA256SUMS)"
                    ),
                "{}",
                out.all()
            ),
        }
    }
    p.run(&["verify"]).expect(1);
}

/// A key the model streams in two deltas of a stream that never completes
/// is in no single line: it is found across them, nothing is written, and a
/// kept scratch dir holds no piece of it.
#[test]
fn a_key_split_across_deltas_of_a_cut_stream_is_caught() {
    let p = TestProject::new();
    let (head, tail) = ("sk-proj-AbCdEfGhIj", "KlMnOpQrStUvWx0123");
    let delta = |n: u32, text: &str| {
        format!(
            r#"{{"type": "response.output_text.delta", "sequence_number": {n}, "item_id": "msg_1", "output_index": 0, "content_index": 0, "delta": "{text}", "logprobs": []}}"#
        )
    };
    let script = format!(
        r#"{{"replies": [{{"kind": "raw", "events": [
  {{"type": "response.created", "sequence_number": 0, "response": {{"id": "resp_1", "object": "response", "created_at": 0, "status": "in_progress", "model": "gpt-5.5", "output": [], "error": null, "incomplete_details": null, "instructions": null, "tools": [], "tool_choice": "auto", "parallel_tool_calls": false, "metadata": {{}}, "temperature": null, "top_p": null}}}},
  {{"type": "response.output_item.added", "sequence_number": 1, "output_index": 0, "item": {{"type": "message", "id": "msg_1", "role": "assistant", "status": "in_progress", "content": []}}}},
  {{"type": "response.content_part.added", "sequence_number": 2, "item_id": "msg_1", "output_index": 0, "content_index": 0, "part": {{"type": "output_text", "text": "", "annotations": [], "logprobs": []}}}},
  {}, {}
]}}]}}"#,
        delta(3, &format!("key: {head}")),
        delta(4, &format!("{tail}."))
    );
    p.add_scenario(
        "split_key",
        "from ._failing_turn import record  # noqa: F401\n",
        &script,
        "kwargs = { prompt = \"Say hello.\" }",
    );
    let before = p.fixtures();
    let out = p
        .run(&["harvest", "--scenario", "split_key", "--keep-scratch"])
        .expect(4);
    assert!(
        out.stderr.contains(
            "output python/split_key.jsonl line 5: contains an OpenAI API key, split across the params.delta values of this and later lines"
        ),
        "{}",
        out.all()
    );
    assert_eq!(p.fixtures(), before);
    let kept = p.leftovers();
    assert_eq!(kept.len(), 1, "{kept:?}");
    for (path, bytes) in files(&p.tmp().join(&kept[0])) {
        let text = String::from_utf8_lossy(&bytes);
        assert!(
            !text.contains(head) && !text.contains(tail),
            "{path} keeps a piece of the key:\n{text}"
        );
    }
}

/// The Nix gate's two commands refuse what is not theirs to use, by name:
/// a `--typescript-sdk` without the pinned SDK, an `--into` that holds
/// something, a `--regenerated` directory that `regenerate` did not write.
#[test]
fn the_gates_commands_refuse_what_they_cannot_use() {
    let p = TestProject::new();
    // replay reads the project above its recording; a --root it would
    // ignore is refused.
    let out = p
        .run(&[
            "--root",
            ".",
            "replay",
            "integration/fixtures/wire/thread_basic.jsonl",
            "--",
            "app-server",
        ])
        .expect(2);
    assert!(
        out.stderr.contains("replay reads no project") && out.stderr.contains("drop --root"),
        "{}",
        out.stderr
    );

    let empty = p.path("tmp/node");
    std::fs::create_dir_all(&empty).unwrap();
    let out = p
        .run(&[
            "regenerate",
            "--scenario",
            "thread_basic",
            "--into",
            "tmp/out",
            "--typescript-sdk",
            empty.to_str().unwrap(),
        ])
        .expect(3);
    assert!(
        out.stderr.contains(&format!(
            "--typescript-sdk {} holds no @openai/codex-sdk",
            empty.display()
        )),
        "{}",
        out.stderr
    );
    assert!(!p.path("tmp/out").exists());

    p.write("tmp/full/notes.txt", "mine\n");
    for (into, says) in [
        (
            "integration",
            "an input of the project; nothing was run or written",
        ),
        ("tmp/full", "is not empty; nothing was run"),
    ] {
        let out = p
            .run(&["regenerate", "--scenario", "thread_basic", "--into", into])
            .expect(2);
        assert!(out.stderr.contains(says), "{into}: {}", out.stderr);
    }

    let out = p.run(&["check", "--regenerated", "tmp/node"]).expect(2);
    assert!(out.stderr.contains("tmp/node"), "{}", out.stderr);
    assert!(
        out.stderr.contains("codex-harvest regenerate --into"),
        "{}",
        out.stderr
    );

    // A slice whose manifest names a path outside it: the line, in words,
    // not a Rust value (issue 35, item 16).
    let zeros = "0".repeat(64);
    p.write(
        "tmp/outside/SHA256SUMS",
        &format!("{zeros}  ../../../etc/passwd\n"),
    );
    p.write("tmp/outside/provenance.json", "{}");
    let out = p.run(&["check", "--regenerated", "tmp/outside"]).expect(2);
    assert!(
        out.stderr
            .contains("line 1: \"../../../etc/passwd\" is not a path below"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains("Missing {"), "{}", out.stderr);
}

/// Issue 30, item 8: a `native.exs` without this machine's platform is
/// refused, not harvested with whatever codex the venv has.
#[test]
fn a_pin_without_this_platform_is_refused_not_run_unpinned() {
    let p = TestProject::new();
    let text = p.read("config/native.exs");
    let platform = format!("{}-linux", std::env::consts::ARCH);
    let start = text.find(&format!("    \"{platform}\" => %{{")).unwrap();
    // Its lines, through the one that closes it; the entry before the
    // last has no comma after it.
    let close = start + text[start..].find('}').unwrap();
    let end = close + text[close..].find('\n').unwrap() + 1;
    let without = format!("{}{}", &text[..start], &text[end..]).replace("},\n  }", "}\n  }");
    p.write("config/native.exs", &without);
    let before = p.fixtures();
    let out = p.run(&["harvest", "--scenario", "thread_basic"]).expect(3);
    assert!(
        out.stderr.contains(&format!(
            "pins no codex artifact for this platform ({platform})"
        )),
        "{}",
        out.all()
    );
    assert_eq!(p.fixtures(), before);
}

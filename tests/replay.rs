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
    let out = Command::new(shim(dir.path(), &recording))
        .args(&args)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(6));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "argument {}:\n    recorded: \"Say hello.\"\n    received: \"Say goodbye.\"",
            last + 1
        )),
        "{err}"
    );
}

/// A schema file with other contents than the recorded one is another request.
#[test]
fn another_output_schema_is_another_request() {
    let dir = tempfile::tempdir().unwrap();
    let (recording, args, _) = recordings(dir.path())
        .into_iter()
        .find(|(r, ..)| r.ends_with("thread_structured.jsonl"))
        .unwrap();
    let at = args.iter().position(|a| a == "--output-schema").unwrap() + 1;
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

//! `bundle`: the committed trees as one artifact a consumer pins by hash,
//! and `verify --bundle` of it unpacked.

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use crate::util::{TestProject, run};

/// The tar's bytes depend on the files alone (two bundles are one), it
/// unpacks with the system's tar into a tree `verify --bundle` finds whole,
/// with the main pin's and every matrix tree, and its shim plays a
/// recording back to a client as codex; a changed file is named.
#[test]
fn a_bundle_is_the_same_bytes_each_time_and_verifies_unpacked() {
    let p = TestProject::with_matrix();
    let made = p.run(&["bundle", "--output", "tmp/a.tar"]).expect(0);
    assert!(
        made.stdout.contains("pin it by that hash"),
        "{}",
        made.all()
    );
    p.run(&["bundle", "--output", "tmp/b.tar"]).expect(0);
    let a = std::fs::read(p.path("tmp/a.tar")).unwrap();
    assert_eq!(a, std::fs::read(p.path("tmp/b.tar")).unwrap());
    assert!(
        made.stdout.contains(&crate::util::sha256_hex(&a)),
        "{}",
        made.stdout
    );
    let again = p.run(&["bundle", "--output", "tmp/a.tar"]).expect(2);
    assert!(
        again.stderr.contains("name one that is not there"),
        "{}",
        again.all()
    );
    assert_eq!(std::fs::read(p.path("tmp/a.tar")).unwrap(), a);

    let out = p.path("tmp/unpacked");
    std::fs::create_dir(&out).unwrap();
    let status = Command::new("tar")
        .arg("-xf")
        .arg(p.path("tmp/a.tar"))
        .arg("-C")
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success());
    let top = out.join(format!(
        "codex-harvest-fixtures-codex-{}",
        p.codex_version()
    ));
    let verified = p
        .run(&["verify", "--bundle", top.to_str().unwrap()])
        .expect(0);
    assert!(
        verified.stdout.contains("matches SHA256SUMS"),
        "{}",
        verified.all()
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(top.join("BUNDLE.json")).unwrap()).unwrap();
    let matrix = std::fs::read_dir(p.path("integration/matrix"))
        .unwrap()
        .count();
    assert_eq!(manifest["trees"].as_object().unwrap().len(), 1 + matrix);
    assert_eq!(
        std::fs::read(top.join("integration/fixtures/exec/thread_basic.jsonl")).unwrap(),
        std::fs::read(p.path("integration/fixtures/exec/thread_basic.jsonl")).unwrap()
    );

    let shim = top.join("bin/codex-replay");
    assert_eq!(
        std::fs::metadata(&shim).unwrap().permissions().mode() & 0o777,
        0o755
    );
    let mut client = Command::new(&shim);
    client
        .args([
            "exec",
            "--json",
            "--skip-git-repo-check",
            "-m",
            "gpt-5.5",
            "Say hello.",
        ])
        .env("CODEX_REPLAY", "exec/thread_basic.jsonl")
        .env("CODEX_HARVEST", env!("CARGO_BIN_EXE_codex-harvest"))
        .current_dir(p.tmp());
    let played = run(client).expect(0);
    assert_eq!(
        played.stdout,
        p.read("integration/fixtures/exec/thread_basic.jsonl")
    );

    let fixture = top.join("integration/fixtures/python/thread_basic.jsonl");
    std::fs::write(&fixture, "{}\n").unwrap();
    let broken = p
        .run(&["verify", "--bundle", top.to_str().unwrap()])
        .expect(1);
    assert!(
        broken
            .stdout
            .contains("integration/fixtures/python/thread_basic.jsonl  changed"),
        "{}",
        broken.all()
    );
}

/// Unpacked into a directory of its own (what `packages.fixtures` builds);
/// a tree that disagrees with its own manifest is never bundled.
#[test]
fn a_tree_its_manifest_disowns_is_not_bundled() {
    let p = TestProject::new();
    p.run(&["bundle", "--into", "tmp/corpus"]).expect(0);
    p.run(&["verify", "--bundle", "tmp/corpus"]).expect(0);
    p.write("integration/fixtures/python/thread_basic.jsonl", "{}\n");
    let refused = p.run(&["bundle", "--into", "tmp/other"]).expect(1);
    assert!(
        refused
            .stderr
            .contains("integration/fixtures disagrees with its SHA256SUMS")
            && refused.stderr.contains("python/thread_basic.jsonl changed"),
        "{}",
        refused.all()
    );
    assert!(!p.path("tmp/other").exists());
}

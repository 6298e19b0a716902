//! A run removes or replaces only what it can prove an earlier run of this
//! tool wrote: a user's files, their modes, symlinks and empty directories
//! in a target directory are left exactly as they were, or the target is
//! refused before anything runs.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use crate::util::{Moments, NO_CODEX, Run, TestProject, files};

/// One entry of a directory as a user would miss it.
#[derive(Debug, Clone, PartialEq)]
enum Entry {
    Dir(u32),
    File(u32, Vec<u8>),
    Link(std::path::PathBuf),
}

/// Every entry below `dir` (directories, files, symlinks), by path.
fn snapshot(dir: &Path) -> BTreeMap<String, Entry> {
    fn walk(root: &Path, dir: &Path, out: &mut BTreeMap<String, Entry>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            let meta = std::fs::symlink_metadata(&path).unwrap();
            let mode = meta.permissions().mode() & 0o7777;
            if meta.file_type().is_symlink() {
                out.insert(rel, Entry::Link(std::fs::read_link(&path).unwrap()));
            } else if meta.is_dir() {
                out.insert(rel, Entry::Dir(mode));
                walk(root, &path, out);
            } else {
                out.insert(rel, Entry::File(mode, std::fs::read(&path).unwrap()));
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

/// The paths a harvest said it wrote (`harvest: wrote N file(s) under …:`
/// and the indented lines after it).
fn reported(out: &Run) -> Vec<String> {
    out.stdout
        .lines()
        .skip_while(|l| !l.starts_with("harvest: wrote ") || !l.ends_with(':'))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(|l| l.trim().trim_end_matches(" (removed)").to_string())
        .collect()
}

/// Every entry of `before` is in `after` as it was, but the files the run
/// reported writing and the directories that hold them.
fn assert_kept(
    before: &BTreeMap<String, Entry>,
    after: &BTreeMap<String, Entry>,
    wrote: &[String],
    what: &str,
) {
    for (path, entry) in before {
        let written = wrote
            .iter()
            .any(|w| w == path || w.starts_with(&format!("{path}/")));
        if written && !matches!(entry, Entry::Dir(_)) {
            continue;
        }
        assert_eq!(after.get(path), Some(entry), "{what}: {path} changed");
    }
}

/// A project with a scenario that never starts codex (fast), `probe`.
fn project() -> TestProject {
    let p = TestProject::new();
    let module = "import json\n\n\ndef record(output_path, **_):\n    with open(output_path, 'w') as f:\n        f.write(json.dumps({'method': 'probe', 'params': {}}) + '\\n')\n";
    p.add_scenario("probe", module, r#"{"replies": []}"#, NO_CODEX);
    p
}

fn write_mode(path: &Path, bytes: &[u8], mode: u32) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// `sha256sum`'s own format, as a user makes it.
fn sha256sums(dir: &Path, names: &[&str]) {
    let text: String = names
        .iter()
        .map(|n| {
            let hash = crate::util::sha256_hex(&std::fs::read(dir.join(n)).unwrap());
            format!("{hash}  {n}\n")
        })
        .collect();
    std::fs::write(dir.join("SHA256SUMS"), text).unwrap();
}

/// Issue 30, item 1: a directory of user files with a `SHA256SUMS` of its
/// own proves nothing; `--unreferenced delete` removes none of it.
#[test]
fn a_users_directory_with_its_own_sha256sums_loses_nothing() {
    let p = project();
    let downloads = p.path("downloads");
    std::fs::create_dir_all(downloads.join("isos")).unwrap();
    std::fs::create_dir_all(downloads.join("empty")).unwrap();
    std::fs::write(downloads.join("notes.txt"), "notes\n").unwrap();
    std::fs::write(downloads.join("isos/image.iso"), vec![7u8; 100_000]).unwrap();
    sha256sums(&downloads, &["notes.txt", "isos/image.iso"]);
    let before = snapshot(&downloads);
    for policy in ["delete", "reject", "warn"] {
        let out = p.run(&[
            "harvest",
            "--output",
            "downloads",
            "--scenario",
            "probe",
            "--unreferenced",
            policy,
        ]);
        assert_ne!(out.code, 0, "{policy}: {}", out.all());
        assert!(
            out.stderr.contains("nothing was run or written"),
            "{policy}: {}",
            out.all()
        );
        assert_eq!(
            snapshot(&downloads),
            before,
            "{policy}: the directory changed"
        );
    }
}

/// Issue 30, item 2: empty directories and the modes of kept files are
/// what they were after a harvest into their directory.
#[test]
fn empty_directories_and_modes_outside_the_tools_files_are_kept() {
    let p = project();
    let photos = p.path("photos");
    std::fs::create_dir_all(photos.join("2024/summer")).unwrap();
    std::fs::create_dir_all(photos.join("2025")).unwrap();
    std::fs::set_permissions(photos.join("2025"), std::fs::Permissions::from_mode(0o750)).unwrap();
    let before = snapshot(&photos);
    let out = p
        .run(&["harvest", "--output", "photos", "--scenario", "probe"])
        .expect(0);
    assert_kept(
        &before,
        &snapshot(&photos),
        &reported(&out),
        "default policy",
    );
    p.run(&["verify", "--output", "photos"]).expect(0);

    write_mode(&photos.join("run.sh"), b"#!/bin/sh\n", 0o755);
    let before = snapshot(&photos);
    let out = p
        .run(&[
            "harvest",
            "--output",
            "photos",
            "--scenario",
            "probe",
            "--unreferenced",
            "warn",
        ])
        .expect(0);
    assert!(out.stdout.contains("warning: kept run.sh"), "{}", out.all());
    assert_kept(
        &before,
        &snapshot(&photos),
        &reported(&out),
        "--unreferenced warn",
    );
}

/// Issue 30, item 3: a `--codex-home` stand-in did not make is refused, and
/// the user's `config.toml` stays as it was.
#[test]
fn a_codex_home_stand_in_did_not_make_is_refused() {
    let p = project();
    let home = p.path("dot-codex");
    write_mode(
        &home.join("config.toml"),
        b"# mine\nmodel = \"o3\"\n",
        0o600,
    );
    let before = snapshot(&home);
    let out = p
        .run(&[
            "stand-in",
            "--scenario",
            "thread_basic",
            "--codex-home",
            home.to_str().unwrap(),
            "--",
            "exec",
            "--json",
            "Say hello.",
        ])
        .expect(2);
    assert!(
        out.stderr
            .contains("holds files stand-in did not make (config.toml)"),
        "{}",
        out.all()
    );
    assert_eq!(snapshot(&home), before);
}

/// Issue 30, item 4: a symlinked fixtures tree is replaced where the link
/// leads, and the link stays a link.
#[test]
fn a_symlinked_fixtures_tree_stays_a_link() {
    let p = project();
    let (link, real) = (p.path("integration/fixtures"), p.path("elsewhere"));
    std::fs::rename(&link, &real).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    p.run(&["harvest", "--scenario", "probe"]).expect(0);
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(files(&real).contains_key("python/probe.jsonl"));
    p.run(&["verify"]).expect(0);
    let siblings: Vec<String> = std::fs::read_dir(p.root())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("codex-harvest"))
        .collect();
    assert!(siblings.is_empty(), "{siblings:?}");
}

/// Issue 30, item 5: `regenerate --into` refuses the project's trees and
/// its inputs, as `harvest --output` does.
#[test]
fn regenerate_never_writes_into_the_committed_tree_or_the_inputs() {
    let p = project();
    let project = files(p.root());
    for (into, says) in [
        (
            "integration/fixtures/slice",
            "it lies inside integration/fixtures",
        ),
        (
            "config/slice",
            "it lies inside config, an input of the project",
        ),
        (
            "integration",
            "it is or contains integration/harvest_scenarios",
        ),
    ] {
        let out = p
            .run(&["regenerate", "--scenario", "probe", "--into", into])
            .expect(2);
        assert!(out.stderr.contains(says), "{into}: {}", out.all());
        assert_eq!(files(p.root()), project, "{into}: something changed");
    }
    p.run(&["regenerate", "--scenario", "probe", "--into", "tmp/slice"])
        .expect(0);
}

/// A random directory of a user's: files of several modes, empty
/// directories, symlinks, now and then a `SHA256SUMS` of its own, or only
/// empty directories (which a harvest may write into).
fn random_tree(dir: &Path, m: &mut Moments, only_dirs: bool) {
    std::fs::create_dir_all(dir).unwrap();
    let mut names = Vec::new();
    for i in 0..m.next_in(1.0, 7.0) as usize {
        let sub = ["", "a/", "a/b/", "c/"][m.next_in(0.0, 4.0) as usize];
        let kind = if only_dirs {
            0
        } else {
            m.next_in(0.0, 3.0) as usize
        };
        let path = dir.join(format!("{sub}e{i}"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        match kind {
            0 => {
                std::fs::create_dir_all(&path).unwrap();
                let mode = [0o755, 0o700, 0o750][m.next_in(0.0, 3.0) as usize];
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
            }
            1 => {
                let mode = [0o644, 0o600, 0o755, 0o444][m.next_in(0.0, 4.0) as usize];
                let bytes: Vec<u8> = (0..m.next_in(0.0, 64.0) as usize)
                    .map(|_| m.next_in(0.0, 256.0) as u8)
                    .collect();
                write_mode(&path, &bytes, mode);
                names.push(format!("{sub}e{i}"));
            }
            _ => {
                let target = ["/etc/passwd", "e0", "../outside"][m.next_in(0.0, 3.0) as usize];
                std::os::unix::fs::symlink(target, &path).unwrap();
            }
        }
    }
    if !names.is_empty() && m.next_in(0.0, 1.0) < 0.5 {
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        sha256sums(dir, &names);
    }
}

/// Issue 30: random trees of user files, empty directories, modes and
/// symlinks given to `harvest --output`, `regenerate --into` and
/// `stand-in --codex-home`: afterwards every byte, mode, link and
/// directory is as it was, but the files the tool reported writing.
#[test]
fn no_writer_changes_what_it_did_not_write() {
    let p = project();
    let mut m = Moments::new();
    for round in 0..6 {
        for writer in ["harvest", "regenerate", "stand-in"] {
            let dir = p.path(&format!("user-{writer}-{round}"));
            let only_dirs = round % 3 == 0;
            random_tree(&dir, &mut m, only_dirs);
            let before = snapshot(&dir);
            let d = dir.to_str().unwrap();
            let args: Vec<&str> = match writer {
                "harvest" => vec!["harvest", "--scenario", "probe", "--output", d],
                "regenerate" => vec!["regenerate", "--scenario", "probe", "--into", d],
                _ => vec![
                    "stand-in",
                    "--scenario",
                    "thread_basic",
                    "--codex-home",
                    d,
                    "--",
                    "exec",
                    "--json",
                    "Say hello.",
                ],
            };
            let out = p.run(&args);
            let wrote = match out.code {
                0 => reported(&out),
                _ => Vec::new(),
            };
            assert!(
                [0, 1, 2, 5].contains(&out.code),
                "{writer} {round}: {}",
                out.all()
            );
            match (writer, only_dirs) {
                ("harvest", true) => assert_eq!(out.code, 0, "{}", out.all()),
                ("harvest", false) => {}
                _ => assert_ne!(out.code, 0, "{writer} {round} wrote into a user's dir"),
            }
            assert_kept(
                &before,
                &snapshot(&dir),
                &wrote,
                &format!("{writer} {round}: {before:?}"),
            );
        }
    }
}

//! The layers of `src/` (docs/architecture.md), checked rather than
//! described: which layer may name which, and that no file of the driver
//! reaches itself again through the files it names.
//!
//! A file's layer is its first folder under `src/`. What a file names is
//! every `crate::…` path in it, tests and doc links included, resolved to
//! the file that defines it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// What each layer may name besides itself.
const MAY_NAME: [(&str, &[&str]); 6] = [
    ("base", &[]),
    ("engine", &["base"]),
    ("process", &["base"]),
    ("codex", &["base"]),
    ("harvest", &["base", "engine", "process", "codex"]),
    ("cli", &["base", "engine", "process", "codex", "harvest"]),
];

/// Every `.rs` file below `src/`, as a path relative to it.
fn sources() -> Vec<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path.strip_prefix(&src).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// The `crate::a::b::…` paths of `text`, each as its segments.
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        let path: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
            .collect();
        let segments: Vec<String> = path
            .split("::")
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let group = rest[path.len()..]
            .strip_prefix('{')
            .and_then(|g| g.split_once('}'));
        match group {
            Some((inside, _)) if path.ends_with("::") => {
                for member in inside.split(',') {
                    let mut whole = segments.clone();
                    whole.extend(
                        member
                            .split("::")
                            .map(|s| s.trim().split(' ').next().unwrap_or("").to_string())
                            .filter(|s| !s.is_empty() && s != "self"),
                    );
                    out.push(whole);
                }
            }
            _ if !segments.is_empty() => out.push(segments),
            _ => {}
        }
    }
    out
}

/// The file a path's longest module prefix lives in, if it is a module.
fn file_of(files: &BTreeSet<PathBuf>, segments: &[String]) -> Option<PathBuf> {
    (1..=segments.len()).rev().find_map(|n| {
        let dir: PathBuf = segments[..n].iter().collect();
        [dir.with_extension("rs"), dir.join("mod.rs")]
            .into_iter()
            .find(|f| files.contains(f))
    })
}

fn layer_of(file: &Path) -> String {
    match file.components().count() {
        1 => "root".to_string(),
        _ => file.iter().next().unwrap().to_string_lossy().into_owned(),
    }
}

/// Which files each file names (itself and a module's own folder file left out).
fn graph() -> BTreeMap<PathBuf, BTreeSet<PathBuf>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let files: BTreeSet<PathBuf> = sources().into_iter().collect();
    let mut graph = BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(src.join(file)).unwrap();
        let named: BTreeSet<PathBuf> = crate_paths(&text)
            .iter()
            .filter_map(|segments| file_of(&files, segments))
            .filter(|named| named != file)
            .collect();
        graph.insert(file.clone(), named);
    }
    graph
}

#[test]
fn every_layer_names_only_the_layers_below_it() {
    let allowed: BTreeMap<&str, &[&str]> = MAY_NAME.into_iter().collect();
    let mut wrong = Vec::new();
    for (file, named) in graph() {
        let layer = layer_of(&file);
        if layer == "root" {
            continue;
        }
        let may = allowed
            .get(layer.as_str())
            .unwrap_or_else(|| panic!("src/{}: {layer} is not a layer", file.display()));
        for target in named {
            let theirs = layer_of(&target);
            if theirs != layer && !may.contains(&theirs.as_str()) {
                wrong.push(format!(
                    "src/{} ({layer}) names src/{} ({theirs})",
                    file.display(),
                    target.display()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "layer rule broken:\n{}", wrong.join("\n"));
}

#[test]
fn no_file_reaches_itself_through_what_it_names() {
    let graph = graph();
    let mut circles = Vec::new();
    for start in graph.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<(PathBuf, Vec<PathBuf>)> = vec![(start.clone(), vec![start.clone()])];
        while let Some((file, trail)) = stack.pop() {
            for next in &graph[&file] {
                if next == start {
                    let names: Vec<String> =
                        trail.iter().map(|f| f.display().to_string()).collect();
                    circles.push(format!("{} -> {}", names.join(" -> "), start.display()));
                } else if seen.insert(next.clone()) {
                    let mut longer = trail.clone();
                    longer.push(next.clone());
                    stack.push((next.clone(), longer));
                }
            }
        }
    }
    assert!(
        circles.is_empty(),
        "import circles:\n{}",
        circles.join("\n")
    );
}

#[test]
fn the_reader_finds_the_paths_a_file_names() {
    let paths = crate_paths(
        "use crate::engine::tree::{self, Tree};\n/// [`crate::base::fs::write_atomic`]\nuse codex_harvest::cli;\nuse crate::codex::{pins, wire::tap as t};",
    );
    assert_eq!(
        paths,
        [
            vec!["engine", "tree"],
            vec!["engine", "tree", "Tree"],
            vec!["base", "fs", "write_atomic"],
            vec!["codex", "pins"],
            vec!["codex", "wire", "tap"],
        ]
    );
    let files: BTreeSet<PathBuf> = sources().into_iter().collect();
    assert_eq!(
        file_of(&files, &paths[2]),
        Some(PathBuf::from("base/fs.rs"))
    );
}

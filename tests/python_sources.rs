//! The driver's Python (the warm worker, the cold bootstrap, the probes),
//! kept as `.py` files beside the Rust that loads them with
//! `include_str!`: each must compile, as the interpreter of a run will
//! compile it.

use std::path::{Path, PathBuf};
use std::process::Command;

fn python_sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            python_sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "py") {
            out.push(path);
        }
    }
}

#[test]
fn the_drivers_python_compiles() {
    let mut files = Vec::new();
    python_sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() >= 4, "found only {files:?}");
    // compile() writes no __pycache__ into the source tree.
    let check = "import sys\nfor p in sys.argv[1:]:\n    compile(open(p, encoding='utf-8').read(), p, 'exec')\n";
    let out = Command::new("python3")
        .args(["-c", check])
        .args(&files)
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

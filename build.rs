//! Compiles the built-in scenario catalogue into the driver: the scenario
//! modules, TypeScript modules and model scripts, the `[[scenario]]` tables
//! of config/harvest.toml, config/coverage.toml and the pins they were
//! harvested with. A project made with `codex-harvest init` selects
//! scenarios from this copy, so the catalogue ships with the tool and is
//! versioned with it (src/harvest/builtin.rs).

use std::fmt::Write;
use std::path::Path;

/// The catalogue's directories, each with the file names it holds.
const DIRS: [(&str, &str); 4] = [
    ("integration/harvest_scenarios", ".py"),
    ("integration/harvest_scenarios_ts", ".mjs"),
    ("integration/scripts", ".json"),
    ("config/typescript", ""),
];

const FILES: [&str; 4] = [
    "config/harvest.toml",
    "config/coverage.toml",
    "config/native.exs",
    "config/pylock.toml",
];

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest);
    let mut files: Vec<String> = FILES.iter().map(|f| f.to_string()).collect();
    for (dir, suffix) in DIRS {
        println!("cargo:rerun-if-changed={dir}");
        let mut names: Vec<String> = std::fs::read_dir(root.join(dir))
            .unwrap_or_else(|e| panic!("reading {dir}: {e}"))
            .map(|e| e.expect("a directory entry").file_name())
            .filter_map(|n| n.to_str().map(str::to_string))
            .filter(|n| n.ends_with(suffix) && root.join(dir).join(n).is_file())
            .collect();
        names.sort();
        files.extend(names.into_iter().map(|n| format!("{dir}/{n}")));
    }
    let mut out = String::from("pub(crate) const FILES: &[(&str, &[u8])] = &[\n");
    for f in &files {
        println!("cargo:rerun-if-changed={f}");
        let path = root.join(f);
        writeln!(
            out,
            "    ({f:?}, include_bytes!({:?})),",
            path.display().to_string()
        )
        .expect("writing to a String");
    }
    out.push_str("];\n");
    let dest =
        Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("catalogue.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| panic!("writing {}: {e}", dest.display()));
}

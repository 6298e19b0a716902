//! `init`: makes a repository a project of built-in scenarios, writing
//! nothing over a file that is there.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, anyhow};
use clap::ValueEnum;

use super::args::InitArgs;
use super::exit::{Exit, Failure, Phase};
use crate::base::failure::hinted;
use crate::harvest::init::{self, NewFile, Request};

pub fn run(root: &Option<PathBuf>, args: &InitArgs) -> Result<Exit, Failure> {
    let root = root.clone().unwrap_or_else(|| PathBuf::from("."));
    if !root.is_dir() {
        return Err(anyhow!("{}: no such directory", root.display())).or_exit(Exit::Usage);
    }
    let request = Request {
        scenarios: args.scenarios.clone(),
        lanes: args
            .lanes
            .iter()
            .map(|l| {
                l.to_possible_value()
                    .expect("no lane is skipped")
                    .get_name()
                    .to_string()
            })
            .collect(),
        layout: args.layout.iter().cloned().collect(),
        docs: args.docs.clone(),
    };
    let files = init::files(&request).or_exit(Exit::Usage)?;
    refuse_present(&root, &files).or_exit(Exit::Usage)?;
    write_all(&root, &files).or_exit(Exit::Io)?;
    for f in &files {
        crate::outln!("init: wrote {}", f.path);
    }
    print_next(&root);
    Ok(Exit::Clean)
}

/// Refuses when any file `init` would write is there (nothing is written).
fn refuse_present(root: &Path, files: &[NewFile]) -> anyhow::Result<()> {
    let present: Vec<&str> = files
        .iter()
        .filter(|f| root.join(&f.path).symlink_metadata().is_ok())
        .map(|f| f.path.as_str())
        .collect();
    if present.is_empty() {
        return Ok(());
    }
    Err(hinted(
        anyhow!(
            "{}: {} already there; init writes over nothing, and nothing was written",
            root.display(),
            present.join(", ")
        ),
        "a project already: edit config/harvest.toml, or `codex-harvest pin --codex VERSION` for other pins",
    ))
}

/// Writes each file as a new one; on a failure removes those it wrote.
fn write_all(root: &Path, files: &[NewFile]) -> anyhow::Result<()> {
    let mut written: Vec<PathBuf> = Vec::new();
    let result = files.iter().try_for_each(|f| {
        let path = root.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        written.push(path.clone());
        out.write_all(&f.bytes)
            .with_context(|| format!("writing {}", path.display()))
    });
    if result.is_err() {
        for path in &written {
            let _ = std::fs::remove_file(path);
        }
    }
    result
}

fn print_next(root: &Path) {
    let at = match root == Path::new(".") {
        true => String::new(),
        false => format!(" --root {}", root.display()),
    };
    let fixtures = root.join("integration/fixtures");
    let theirs = crate::engine::tree::read(&fixtures).map_or(0, |t| t.len());
    crate::outln!("next:");
    if theirs > 0 {
        let absolute = std::path::absolute(&fixtures).unwrap_or(fixtures);
        crate::outln!(
            "  codex-harvest --root PATH/TO/codex-harvest audit {}   # the {theirs} file(s) there, held against what codex sends",
            absolute.display()
        );
        crate::outln!(
            "  (harvest replaces no file it did not write: remove those a scenario replaces, and keep the rest with --unreferenced warn)"
        );
    }
    crate::outln!("  codex-harvest{at} harvest            # writes integration/fixtures/");
    crate::outln!("  codex-harvest{at} check              # regenerates and compares: the gate");
    crate::outln!("  codex-harvest{at} pin --codex VERSION   # another codex than the one pinned");
}

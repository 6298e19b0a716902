//! `audit DIR`: a repository's own fixtures held against ours.

use std::path::PathBuf;

use anyhow::Context;

use super::args::{AuditArgs, Format};
use super::exit::{Exit, Failure, Phase};
use super::report::print_json;
use super::setup;
use crate::base::failure::hinted;
use crate::engine::tree;
use crate::harvest::audit::{FileAudit, audit};
use crate::harvest::reports::coverage;

pub fn run(root: &Option<PathBuf>, args: &AuditArgs) -> Result<Exit, Failure> {
    let loaded = setup::load(root)?;
    let ours_dir = loaded.project.fixtures_dir();
    let inside = |dir: &std::path::Path| {
        dir.canonicalize()
            .is_ok_and(|d| ours_dir.canonicalize().is_ok_and(|o| d.starts_with(o)))
    };
    if inside(&args.dir) {
        return Err(hinted(
            anyhow::anyhow!(
                "{} lies in this project's own fixtures tree, which audit holds it against",
                args.dir.display()
            ),
            "run audit in a checkout of codex-harvest (or --root it), whose committed fixtures are what codex sends: codex-harvest --root PATH/TO/codex-harvest audit DIR",
        ))
        .or_exit(Exit::Usage);
    }
    let files = tree::read(&args.dir)
        .with_context(|| format!("reading {}", args.dir.display()))
        .or_exit(Exit::Io)?;
    if files.keys().all(|f| !f.ends_with(".jsonl")) {
        return Err(anyhow::anyhow!(
            "{} holds no .jsonl fixtures",
            args.dir.display()
        ))
        .or_exit(Exit::Usage);
    }
    let map_file = args
        .map
        .clone()
        .unwrap_or_else(|| loaded.project.coverage_config());
    let config = coverage::why_not(&map_file).or_exit(Exit::Usage)?;
    let ours = setup::read_locked(&ours_dir)?;
    let found = audit(&files, &ours, config.consumer());
    match args.format.format {
        Format::Json => print_json(&found),
        Format::Text => print_text(&args.dir, &found),
    }
    Ok(match found.iter().all(FileAudit::is_clean) {
        true => Exit::Clean,
        false => Exit::Drift,
    })
}

fn print_text(dir: &std::path::Path, found: &[FileAudit]) {
    for f in found {
        let name = dir.join(&f.file);
        match (&f.against, &f.why_not) {
            (Some(ours), _) => crate::outln!("audit: {} against {ours}", name.display()),
            (None, Some(why)) => {
                crate::outln!(
                    "audit: {}: real codex sends nothing like it: {why}",
                    name.display()
                )
            }
            (None, None) => crate::outln!(
                "audit: {}: no fixture of ours by that name (give it one with --map)",
                name.display()
            ),
        }
        for (label, list) in [
            ("real codex never sends", &f.never_sent),
            ("real codex sends, the file lacks", &f.lacks),
            ("looks invented", &f.invented),
        ] {
            for item in list {
                crate::outln!("  {label}: {item}");
            }
        }
        if !f.unreadable.is_empty() {
            crate::outln!("  not JSON objects: lines {:?}", f.unreadable);
        }
    }
    let differ = found.iter().filter(|f| !f.is_clean()).count();
    crate::outln!(
        "audit: {differ} of {} file(s) differ from what real codex sends",
        found.len()
    );
}

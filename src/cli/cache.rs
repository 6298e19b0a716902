//! `cache`: what the toolchain cache holds, which pin of the project uses
//! each entry, and (`--prune`) the removal of what none names.

use std::path::PathBuf;

use serde::Serialize;

use super::args::{CacheArgs, Format};
use super::exit::{Exit, Failure, Phase};
use super::report::print_json;
use super::setup;
use crate::codex::toolchain;
use crate::codex::toolchain::cache::{self, Part};

#[derive(Debug, Serialize)]
struct CacheReport {
    cache: PathBuf,
    entries: Vec<EntryReport>,
    /// Bytes of every entry listed.
    total_bytes: u64,
    /// Bytes of the entries no pin names (removed with --prune).
    unused_bytes: u64,
    pruned: bool,
}

#[derive(Debug, Serialize)]
struct EntryReport {
    name: String,
    bytes: u64,
    /// The pins that use it; empty when none does.
    used_by: Vec<String>,
    /// Removed by this run (--prune).
    removed: bool,
    /// Left although no pin names it: another run held it.
    busy: bool,
}

pub fn run(root: &Option<PathBuf>, args: &CacheArgs) -> Result<Exit, Failure> {
    let loaded = setup::load(root)?;
    let dir = toolchain::cache_dir(&toolchain::Request {
        cache_dir: args.cache_dir.clone(),
        ..Default::default()
    })
    .or_exit(Exit::Toolchain)?;
    let mut users: Vec<(String, String)> = Vec::new();
    let typescript = loaded.project.typescript_pin_dir();
    let project = &loaded.project;
    for pins in crate::harvest::cells::every_pin(&loaded).or_exit(Exit::Usage)? {
        for (name, part) in cache::named_by(&pins, &typescript).or_exit(Exit::Toolchain)? {
            let who = match part {
                Part::PythonSdk => format!(
                    "openai-codex {} ({})",
                    pins.sdk().version,
                    project.display(&pins.lock)
                ),
                Part::Codex => format!(
                    "codex {} ({})",
                    pins.codex.version,
                    project.display(&pins.native_exs)
                ),
                Part::TypescriptSdk => {
                    format!("the TypeScript SDK ({})", project.display(&typescript))
                }
            };
            if !users.contains(&(name.clone(), who.clone())) {
                users.push((name, who));
            }
        }
    }
    let mut entries = Vec::new();
    for held in cache::held(&dir).or_exit(Exit::Io)? {
        let used_by: Vec<String> = users
            .iter()
            .filter(|(name, _)| *name == held.name)
            .map(|(_, who)| who.clone())
            .collect();
        let removed = args.prune
            && used_by.is_empty()
            && cache::remove(&dir, &held.name).or_exit(Exit::Io)?;
        entries.push(EntryReport {
            busy: args.prune && used_by.is_empty() && !removed,
            name: held.name,
            bytes: held.bytes,
            used_by,
            removed,
        });
    }
    let report = CacheReport {
        total_bytes: entries.iter().map(|e| e.bytes).sum(),
        unused_bytes: entries
            .iter()
            .filter(|e| e.used_by.is_empty())
            .map(|e| e.bytes)
            .sum(),
        cache: dir,
        entries,
        pruned: args.prune,
    };
    match args.format.format {
        Format::Json => print_json(&report),
        Format::Text => print_text(&report),
    }
    Ok(Exit::Clean)
}

fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes.div_ceil(1 << 20))
}

fn print_text(r: &CacheReport) {
    crate::outln!("cache {}", r.cache.display());
    for e in &r.entries {
        let state = match (e.used_by.is_empty(), e.removed, e.busy) {
            (false, ..) => format!("used by {}", e.used_by.join(", ")),
            (true, true, _) => "no pin names it: removed".to_string(),
            (true, _, true) => "no pin names it; another run holds it, kept".to_string(),
            (true, ..) => "no pin names it".to_string(),
        };
        crate::outln!("  {:<34} {:>9}  {state}", e.name, mib(e.bytes));
    }
    crate::outln!(
        "{} in all; {} in entries no pin names{}",
        mib(r.total_bytes),
        mib(r.unused_bytes),
        match (r.pruned, r.unused_bytes) {
            (_, 0) => "",
            (true, _) => " (removed but what another run holds)",
            (false, _) => " (`codex-harvest cache --prune` removes them)",
        }
    );
}

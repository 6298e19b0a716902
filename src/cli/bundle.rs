//! `bundle`: the committed trees as one artifact (`harvest::bundle`).

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::args::BundleArgs;
use super::exit::{Exit, Failure, Phase};
use super::setup;
use crate::base::digest;
use crate::base::failure::hinted;
use crate::harvest::bundle::{self, Bundle, TreeAt};

pub fn run(root: &Option<PathBuf>, args: &BundleArgs) -> Result<Exit, Failure> {
    let loaded = setup::load(root)?;
    let project = &loaded.project;
    let into = match &args.into {
        Some(dir) => {
            let dir = project.output_tree(dir, "--into").or_exit(Exit::Usage)?;
            crate::harvest::slice::refuse_occupied(&dir).or_exit(Exit::Usage)?;
            Some(dir)
        }
        None => None,
    };
    let mut trees = Vec::new();
    for pins in crate::harvest::cells::every_pin(&loaded).or_exit(Exit::Usage)? {
        let version = pins.codex.version.clone();
        let dir = match trees.is_empty() {
            true => project.fixtures_dir(),
            false => project.matrix_tree(&version),
        };
        trees.push(TreeAt {
            path: project.display(&dir),
            tree: setup::read_locked(&dir)?,
            version,
        });
    }
    let config = std::fs::read(project.harvest_config())
        .with_context(|| format!("reading {}", project.harvest_config().display()))
        .or_exit(Exit::Io)?;
    let made = bundle::make(&trees, &config).or_exit(Exit::Drift)?;
    match (&args.output, &into) {
        (Some(file), _) => write_tar(&made, file)?,
        (_, Some(dir)) => {
            bundle::unpack(&made, dir).or_exit(Exit::Io)?;
            crate::outln!(
                "bundle: wrote {} ({} files) into {}; `codex-harvest verify --bundle {}` checks it",
                made.name,
                made.files.len(),
                dir.display(),
                dir.display()
            );
        }
        (None, None) => unreachable!("clap requires --output or --into"),
    }
    Ok(Exit::Clean)
}

/// Writes the tar as a new file, whole or not at all.
fn write_tar(made: &Bundle, file: &Path) -> Result<(), Failure> {
    let bytes = bundle::tar(made).or_exit(Exit::Io)?;
    crate::base::fs::write_new(file, &bytes)
        .map_err(|e| hinted(e, "bundle writes a new file: name one that is not there"))
        .or_exit(Exit::Usage)?;
    crate::outln!(
        "bundle: wrote {} ({} files, {} bytes, sha256 {}): pin it by that hash; unpacked, `codex-harvest verify --bundle DIR` checks it",
        file.display(),
        made.files.len(),
        bytes.len(),
        digest::sha256_hex(&bytes)
    );
    Ok(())
}

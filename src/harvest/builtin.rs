//! The built-in scenario catalogue, compiled into the driver (build.rs):
//! what a project made with `init` selects from by name, and the pins it
//! starts from. A run of such a project writes the catalogue into a private
//! dir, with the project's own scenario modules beside it, and reads every
//! module and script from there.

use std::path::Path;

use anyhow::{Context, Result, anyhow};

use crate::base::failure::hinted;
use crate::base::private_dir::PrivateDir;

include!(concat!(env!("OUT_DIR"), "/catalogue.rs"));

/// The catalogue's directories below `integration/` in this repository, as a
/// run's private copy lays them out.
const CATALOGUE_DIRS: [&str; 3] = ["harvest_scenarios", "harvest_scenarios_ts", "scripts"];

/// The built-in file at `path` (relative to this repository's root).
pub fn file(path: &str) -> Option<&'static [u8]> {
    FILES.iter().find(|(p, _)| *p == path).map(|(_, b)| *b)
}

/// The `[[scenario]]` tables, rules and secret patterns of the catalogue.
pub fn harvest_toml() -> &'static str {
    std::str::from_utf8(file("config/harvest.toml").expect("build.rs embeds config/harvest.toml"))
        .expect("config/harvest.toml is UTF-8")
}

/// The pins the catalogue was harvested with, as `init` writes them: each
/// path below the project root with its bytes.
pub fn pins() -> impl Iterator<Item = (&'static str, &'static [u8])> {
    FILES.iter().copied().filter(|(p, _)| {
        matches!(*p, "config/native.exs" | "config/pylock.toml")
            || p.starts_with("config/typescript/")
    })
}

/// A run's copy of the catalogue: the built-in modules, TypeScript modules,
/// model scripts and coverage reasons, with the project's own modules and
/// scripts (below `own`, its `integration/`) laid over them. A project file
/// may not replace a built-in one.
pub(crate) fn materialize(own: &Path) -> Result<PrivateDir> {
    let dir = PrivateDir::new("catalogue")?;
    for (path, bytes) in FILES {
        let Some(rel) = path.strip_prefix("integration/") else {
            continue;
        };
        write(dir.path(), rel, bytes)?;
    }
    write(
        dir.path(),
        "coverage.toml",
        file("config/coverage.toml").expect("build.rs embeds config/coverage.toml"),
    )?;
    for sub in CATALOGUE_DIRS {
        let from = own.join(sub);
        let Ok(entries) = std::fs::read_dir(&from) else {
            continue;
        };
        for entry in entries {
            let entry = entry.with_context(|| format!("reading {}", from.display()))?;
            if !entry.file_type()?.is_file() {
                continue;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = format!("{sub}/{name}");
            if file(&format!("integration/{rel}")).is_some() {
                return Err(hinted(
                    anyhow!(
                        "{}: the built-in catalogue has a file of that name",
                        entry.path().display()
                    ),
                    "rename it (and its [[scenario]] in config/harvest.toml): a project's own scenarios sit beside the built-in ones",
                ));
            }
            let bytes = std::fs::read(entry.path())
                .with_context(|| format!("reading {}", entry.path().display()))?;
            write(dir.path(), &rel, &bytes)?;
        }
    }
    Ok(dir)
}

fn write(root: &Path, rel: &str, bytes: &[u8]) -> Result<()> {
    let path = root.join(rel);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .with_context(|| format!("creating {}", parent.display()))?;
    }
    std::fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_this_repositorys_own() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        for (path, bytes) in FILES {
            assert_eq!(
                std::fs::read(root.join(path)).unwrap(),
                *bytes,
                "{path} differs from the copy compiled in"
            );
        }
        assert!(file("integration/harvest_scenarios/thread_basic.py").is_some());
        assert!(file("integration/harvest_scenarios/_record.py").is_some());
        assert_eq!(pins().count(), 5);
    }

    #[test]
    fn a_project_file_may_not_replace_a_built_in_one() {
        let own = tempfile::tempdir().unwrap();
        std::fs::create_dir(own.path().join("harvest_scenarios")).unwrap();
        std::fs::write(own.path().join("harvest_scenarios/mine.py"), "x = 1\n").unwrap();
        let dir = materialize(own.path()).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.path().join("harvest_scenarios/mine.py")).unwrap(),
            "x = 1\n"
        );
        assert!(dir.path().join("scripts/thread_basic.json").is_file());
        std::fs::write(own.path().join("harvest_scenarios/thread_basic.py"), "").unwrap();
        let Err(err) = materialize(own.path()) else {
            panic!("a project's thread_basic.py replaced the built-in one");
        };
        let err = format!("{err:#}");
        assert!(
            err.contains("thread_basic.py: the built-in catalogue has a file of that name"),
            "{err}"
        );
    }
}

//! Which lanes a project records and where each lane's files go in its
//! fixtures tree: `lanes` and `[layout]` in config/harvest.toml. The
//! catalogue declares every file below the lane's own name (`python/…`,
//! `exec/…`); a project whose tests read, say, `codex exec`'s events at
//! `python/<name>.jsonl` records only the exec lane and names its
//! directory `python`.

use std::collections::BTreeMap;

use anyhow::{Result, anyhow, bail};

use crate::base::failure::hinted;
use crate::engine::fixture_path::{FixturePath, is_inside};

/// The lanes, by the name of the directory each writes by default.
const LANES: [&str; 4] = ["python", "wire", "exec", "typescript"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The lanes recorded, of [`LANES`].
    lanes: Vec<&'static str>,
    /// A lane's directory in the fixtures tree, where it is not its name.
    dirs: BTreeMap<&'static str, String>,
}

fn lane(name: &str, what: &str) -> Result<&'static str> {
    LANES.iter().copied().find(|l| *l == name).ok_or_else(|| {
        hinted(
            anyhow!("{what}: no lane is called {name:?}"),
            format!("the lanes are {}", LANES.join(", ")),
        )
    })
}

impl Layout {
    /// From the config's `lanes` (all when absent) and `[layout]`.
    pub fn parse(lanes: Option<&[String]>, dirs: &BTreeMap<String, String>) -> Result<Layout> {
        let lanes = match lanes {
            None => LANES.to_vec(),
            Some(names) => names
                .iter()
                .map(|n| lane(n, "lanes"))
                .collect::<Result<Vec<_>>>()?,
        };
        if lanes.is_empty() {
            bail!("lanes = []: a project records at least one lane");
        }
        if lanes.contains(&"wire") && !lanes.contains(&"python") {
            return Err(hinted(
                anyhow!(
                    "lanes: the wire lane records the Python SDK's conversation, so it needs the python lane"
                ),
                "add \"python\" to lanes, or drop \"wire\"",
            ));
        }
        let mut out = BTreeMap::new();
        for (name, dir) in dirs {
            let l = lane(name, "[layout]")?;
            if !is_inside(dir) {
                bail!(
                    "[layout] {name} = {dir:?}: a lane's directory is a relative path inside the fixtures tree, without `..`"
                );
            }
            if dir != l {
                out.insert(l, dir.clone());
            }
        }
        Ok(Layout { lanes, dirs: out })
    }

    /// Every lane, each in the directory of its name.
    pub fn all() -> Layout {
        Layout {
            lanes: LANES.to_vec(),
            dirs: BTreeMap::new(),
        }
    }

    /// Whether the project records `lane` (one of python, wire, exec,
    /// typescript).
    pub fn records(&self, lane: &str) -> bool {
        self.lanes.contains(&lane)
    }

    /// The lanes recorded, for messages.
    pub fn lanes(&self) -> String {
        self.lanes.join(", ")
    }

    /// `path` in its lane's directory: the catalogue declares each file
    /// below its lane's name (`exec/x.jsonl`), which this layout may name
    /// otherwise.
    pub fn place(&self, path: &FixturePath) -> Result<FixturePath> {
        let (first, rest) = path.as_str().split_once('/').unwrap_or(("", ""));
        match LANES
            .iter()
            .find(|l| **l == first)
            .and_then(|l| self.dirs.get(l))
        {
            Some(dir) => FixturePath::parse(&format!("{dir}/{rest}")),
            None => Ok(path.clone()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn layout(lanes: &[&str], dirs: &[(&str, &str)]) -> Result<Layout> {
        let lanes: Vec<String> = lanes.iter().map(|l| l.to_string()).collect();
        let dirs = dirs
            .iter()
            .map(|(l, d)| (l.to_string(), d.to_string()))
            .collect();
        Layout::parse(Some(&lanes), &dirs)
    }

    #[test]
    fn a_lanes_files_move_to_its_directory_and_no_others() {
        let exec_in_python = layout(&["exec"], &[("exec", "python")]).unwrap();
        let place = |p: &str| {
            exec_in_python
                .place(&FixturePath::parse(p).unwrap())
                .unwrap()
                .to_string()
        };
        assert_eq!(
            place("exec/thread_basic.jsonl"),
            "python/thread_basic.jsonl"
        );
        assert_eq!(
            place("exec/thread_basic.command.json"),
            "python/thread_basic.command.json"
        );
        assert_eq!(
            place("schemas/thread_structured.json"),
            "schemas/thread_structured.json"
        );
        assert!(exec_in_python.records("exec") && !exec_in_python.records("python"));
        assert_eq!(
            Layout::parse(None, &BTreeMap::new()).unwrap(),
            Layout::all()
        );
    }

    #[test]
    fn unknown_lanes_and_wire_without_python_are_refused() {
        let err = format!("{:#}", layout(&["go"], &[]).unwrap_err());
        assert!(err.contains("lanes: no lane is called \"go\""), "{err}");
        let err = format!("{:#}", layout(&["wire"], &[]).unwrap_err());
        assert!(err.contains("needs the python lane"), "{err}");
        let err = format!("{:#}", layout(&["exec"], &[("exec", "../up")]).unwrap_err());
        assert!(err.contains("without `..`"), "{err}");
    }
}

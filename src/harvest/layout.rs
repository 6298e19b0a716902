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
use crate::harvest::config::Scenario;

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

    /// `s` with only the recorded lanes' files, each in its lane's
    /// directory; an error when none of its lanes is recorded.
    pub fn apply(&self, mut s: Scenario) -> Result<Scenario> {
        if *self == Layout::all() {
            return Ok(s);
        }
        let has = |l: &str| self.lanes.contains(&l);
        if !has("python") {
            s.outputs.clear();
        }
        if !has("wire") {
            s.wire.clear();
        }
        if !has("exec") {
            s.exec = None;
        }
        if !has("typescript") {
            s.typescript.clear();
            s.typescript_codex.clear();
        }
        if s.outputs.is_empty() && s.exec.is_none() && s.typescript.is_empty() {
            bail!(
                "scenario {:?} has none of the lanes this project records ({})",
                s.name,
                self.lanes.join(", ")
            );
        }
        let moved = |p: &mut FixturePath| -> Result<()> {
            let (first, rest) = p.as_str().split_once('/').unwrap_or(("", ""));
            if let Some(dir) = LANES
                .iter()
                .find(|l| **l == first)
                .and_then(|l| self.dirs.get(l))
            {
                *p = FixturePath::parse(&format!("{dir}/{rest}"))?;
            }
            Ok(())
        };
        for p in s
            .outputs
            .iter_mut()
            .chain(&mut s.wire)
            .chain(&mut s.typescript)
        {
            moved(p)?;
        }
        for p in s.typescript_codex.iter_mut().flatten() {
            moved(p)?;
        }
        for step in s.exec.iter_mut().flat_map(|e| e.steps.iter_mut()) {
            moved(&mut step.output)?;
            moved(&mut step.command)?;
        }
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::harvest::config::HarvestConfig;

    fn builtin(name: &str) -> Scenario {
        let config = HarvestConfig::parse(crate::harvest::builtin::harvest_toml()).unwrap();
        config
            .scenarios
            .into_iter()
            .find(|s| s.name == name)
            .unwrap()
    }

    fn layout(lanes: &[&str], dirs: &[(&str, &str)]) -> Result<Layout> {
        let lanes: Vec<String> = lanes.iter().map(|l| l.to_string()).collect();
        let dirs = dirs
            .iter()
            .map(|(l, d)| (l.to_string(), d.to_string()))
            .collect();
        Layout::parse(Some(&lanes), &dirs)
    }

    #[test]
    fn the_exec_lane_alone_in_the_python_directory() {
        let s = layout(&["exec"], &[("exec", "python")])
            .unwrap()
            .apply(builtin("thread_auto_run"))
            .unwrap();
        let files: Vec<&str> = s.all_outputs().map(|p| p.as_str()).collect();
        assert_eq!(
            files,
            [
                "python/thread_auto_run_step1.jsonl",
                "python/thread_auto_run_step1.command.json",
                "python/thread_auto_run_step2.jsonl",
                "python/thread_auto_run_step2.command.json"
            ]
        );
    }

    #[test]
    fn a_scenario_without_the_recorded_lanes_is_named() {
        let err = layout(&["exec"], &[])
            .unwrap()
            .apply(builtin("thread_auto_run_pending"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "scenario \"thread_auto_run_pending\" has none of the lanes this project records (exec)"
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

    #[test]
    fn the_default_layout_changes_nothing() {
        let s = builtin("thread_basic");
        let same = Layout::parse(None, &BTreeMap::new())
            .unwrap()
            .apply(s.clone())
            .unwrap();
        assert_eq!(
            same.all_outputs().collect::<Vec<_>>(),
            s.all_outputs().collect::<Vec<_>>()
        );
    }
}

//! A project root: where `config/`, `integration/` and the fixtures tree are.

use std::path::{Path, PathBuf};

use crate::failure::hinted;
use anyhow::{Context, Result, anyhow};

#[derive(Debug, Clone)]
pub struct Project {
    root: PathBuf,
}

impl Project {
    /// Opens `root`, which must hold `config/harvest.toml` and `integration/`.
    pub fn open(root: &Path) -> Result<Project> {
        let root = root
            .canonicalize()
            .with_context(|| format!("project root {} does not exist", root.display()))?;
        let project = Project { root };
        for needed in [project.harvest_config(), project.integration_dir()] {
            if !needed.exists() {
                return Err(hinted(
                    anyhow!(
                        "{} is not a codex-harvest project: {} is missing",
                        project.root.display(),
                        needed.display()
                    ),
                    "run from the repository root or pass --root DIR",
                ));
            }
        }
        Ok(project)
    }

    pub fn harvest_config(&self) -> PathBuf {
        self.root.join("config/harvest.toml")
    }

    pub fn native_exs(&self) -> PathBuf {
        self.root.join("config/native.exs")
    }

    pub fn python_lock(&self) -> PathBuf {
        self.root.join("config/pylock.toml")
    }

    pub fn integration_dir(&self) -> PathBuf {
        self.root.join("integration")
    }

    /// The Python package `harvest_scenarios` lives here.
    pub fn scenarios_dir(&self) -> PathBuf {
        self.integration_dir().join("harvest_scenarios")
    }

    pub fn scenario_module(&self, scenario: &str) -> PathBuf {
        self.scenarios_dir().join(format!("{scenario}.py"))
    }

    /// The TypeScript SDK's pin: package.json, package-lock.json, .npmrc.
    pub fn typescript_pin_dir(&self) -> PathBuf {
        self.root.join("config/typescript")
    }

    /// The typescript lane's scenario modules live here.
    pub fn typescript_scenarios_dir(&self) -> PathBuf {
        self.integration_dir().join("harvest_scenarios_ts")
    }

    pub fn typescript_module(&self, scenario: &str) -> PathBuf {
        self.typescript_scenarios_dir()
            .join(format!("{scenario}.mjs"))
    }

    /// The generated report of where the two official SDKs agree.
    pub fn sdk_parity(&self) -> PathBuf {
        self.root.join("docs/sdk-parity.md")
    }

    /// The generated freshness checklist.
    pub fn checklist(&self) -> PathBuf {
        self.root.join("docs/python-parity-checklist.md")
    }

    pub fn model_script(&self, scenario: &str) -> PathBuf {
        self.integration_dir()
            .join("scripts")
            .join(format!("{scenario}.json"))
    }

    pub fn fixtures_dir(&self) -> PathBuf {
        self.integration_dir().join("fixtures")
    }

    /// `path` relative to the root, for messages.
    pub fn display(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

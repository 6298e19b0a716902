//! A project root: where `config/`, `integration/` and the fixtures tree are.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use crate::base::failure::hinted;
use crate::base::private_dir::PrivateDir;
use anyhow::{Context, Result, anyhow, bail};

/// `dir` made absolute with every link and `..` of its existing part
/// resolved, so that comparing it with the project's paths means what it
/// says; the part that does not exist yet may not climb with `..`.
/// `path`, or where it leads when it is a symlink to a directory (a
/// dangling link stays as it is, and reading the tree names it).
fn followed(path: PathBuf) -> PathBuf {
    match std::fs::symlink_metadata(&path) {
        Ok(m) if m.file_type().is_symlink() => path.canonicalize().unwrap_or(path),
        _ => path,
    }
}

fn resolve(dir: &Path) -> Result<PathBuf> {
    let absolute =
        std::path::absolute(dir).with_context(|| format!("resolving {}", dir.display()))?;
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    while !existing.exists() {
        match existing.components().next_back() {
            Some(Component::Normal(name)) => rest.push(name),
            _ => bail!(
                "{}: the part of it that does not exist yet climbs with `..`",
                dir.display()
            ),
        }
        existing = existing.parent().unwrap_or(Path::new("/"));
    }
    let mut out = existing
        .canonicalize()
        .with_context(|| format!("resolving {}", existing.display()))?;
    out.extend(rest.iter().rev());
    Ok(out)
}

#[derive(Clone)]
pub struct Project {
    root: PathBuf,
    /// A run's copy of the built-in catalogue with the project's own
    /// modules and scripts beside it, for a project that selects built-in
    /// scenarios: where every module and script is read from.
    catalogue: Option<Arc<PrivateDir>>,
    /// Where the generated docs go.
    docs: PathBuf,
}

impl Project {
    /// Opens `root`, which must hold `config/harvest.toml`.
    pub fn open(root: &Path) -> Result<Project> {
        let root = root
            .canonicalize()
            .with_context(|| format!("project root {} does not exist", root.display()))?;
        let project = Project {
            docs: root.join("docs"),
            root,
            catalogue: None,
        };
        // Not `integration/`: a project of built-in scenarios has none of
        // its own until its first harvest writes the fixtures there.
        if !project.harvest_config().exists() {
            return Err(hinted(
                anyhow!(
                    "{} is not a codex-harvest project: {} is missing",
                    project.root.display(),
                    project.harvest_config().display()
                ),
                "run from the repository root or pass --root DIR; `codex-harvest init` makes a repository a project",
            ));
        }
        Ok(project)
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// This project reading its modules and scripts from `catalogue` (a
    /// run's copy of the built-in catalogue with the project's own).
    pub(crate) fn with_catalogue(mut self, catalogue: PrivateDir) -> Project {
        self.catalogue = Some(Arc::new(catalogue));
        self
    }

    /// This project writing its generated docs to `dir` (the config's
    /// `docs`, a relative path without `..` as the config checked it).
    pub fn with_docs(mut self, dir: &str) -> Project {
        self.docs = self.root.join(dir);
        self
    }

    /// Where the scenario modules, TypeScript modules and model scripts are
    /// read from: the run's catalogue, or the project's `integration/`.
    fn catalogue_root(&self) -> PathBuf {
        match &self.catalogue {
            Some(dir) => dir.path().to_path_buf(),
            None => self.integration_dir(),
        }
    }

    /// The dir to put on Python's path for `import harvest_scenarios`.
    pub fn python_path(&self) -> PathBuf {
        self.catalogue_root()
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
        self.catalogue_root().join("harvest_scenarios")
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
        self.catalogue_root().join("harvest_scenarios_ts")
    }

    pub fn typescript_module(&self, scenario: &str) -> PathBuf {
        self.typescript_scenarios_dir()
            .join(format!("{scenario}.mjs"))
    }

    /// The generated report of where the two official SDKs agree.
    pub fn sdk_parity(&self) -> PathBuf {
        self.docs.join("sdk-parity.md")
    }

    /// The generated freshness checklist.
    pub fn checklist(&self) -> PathBuf {
        self.docs.join("python-parity-checklist.md")
    }

    pub fn model_script(&self, scenario: &str) -> PathBuf {
        self.catalogue_root()
            .join("scripts")
            .join(format!("{scenario}.json"))
    }

    /// The main pin's fixtures tree; where a symlink there leads, so the
    /// tree is replaced there and the link stays a link.
    pub fn fixtures_dir(&self) -> PathBuf {
        followed(self.integration_dir().join("fixtures"))
    }

    /// The version matrix's pins, `codex-<version>.exs` each.
    pub fn matrix_pins_dir(&self) -> PathBuf {
        self.root.join("config/matrix")
    }

    /// The fixtures tree of matrix version `version`.
    pub fn matrix_tree(&self, version: &str) -> PathBuf {
        followed(
            self.integration_dir()
                .join("matrix")
                .join(format!("codex-{version}")),
        )
    }

    /// The generated report of what each codex of the matrix emits.
    pub fn codex_compat(&self) -> PathBuf {
        self.docs.join("codex-compat.md")
    }

    /// Why no scenario can show a type of message (`docs/coverage.md`).
    /// The project's own, or else, for a project of built-in scenarios, the
    /// catalogue's.
    pub fn coverage_config(&self) -> PathBuf {
        let own = self.root.join("config/coverage.toml");
        match &self.catalogue {
            Some(dir) if !own.exists() => dir.path().join("coverage.toml"),
            _ => own,
        }
    }

    pub fn coverage_doc(&self) -> PathBuf {
        self.docs.join("coverage.md")
    }

    /// What the driver reads and never writes: each is refused as (or
    /// around, or inside) an output tree.
    fn inputs(&self) -> [PathBuf; 5] {
        let integration = self.integration_dir();
        [
            self.root.join("config"),
            integration.join("harvest_scenarios"),
            integration.join("harvest_scenarios_ts"),
            integration.join("scripts"),
            self.docs.clone(),
        ]
    }

    /// `dir` as a tree a run may write (`flag` names it: `--output`,
    /// `--into`): an absolute path that is not, and does not contain, the
    /// project root, one of its inputs or a git work tree, nor lies inside
    /// an input, and neither lies inside nor contains one of the project's
    /// own fixtures trees (whose manifests would not list what it wrote).
    pub fn output_tree(&self, dir: &Path, flag: &str) -> Result<PathBuf> {
        let dir = resolve(dir)?;
        let refuse = |why: String| {
            Err(hinted(
                anyhow!(
                    "{flag} {}: {why}; nothing was run or written",
                    dir.display()
                ),
                format!(
                    "point {flag} at a directory of its own (a tree a harvest wrote, or a new one)"
                ),
            ))
        };
        if self.root.starts_with(&dir) {
            return refuse(format!(
                "it is or contains the project root {}",
                self.root.display()
            ));
        }
        for input in self.inputs() {
            if input.starts_with(&dir) {
                return refuse(format!(
                    "it is or contains {}, an input of the project",
                    self.display(&input)
                ));
            }
            if dir.starts_with(&input) {
                return refuse(format!(
                    "it lies inside {}, an input of the project",
                    self.display(&input)
                ));
            }
        }
        // The main tree, and the matrix's dir, whose children are trees.
        let fixtures = self.fixtures_dir();
        let matrix = followed(self.integration_dir().join("matrix"));
        let within = |t: &Path| dir.starts_with(t) && dir != t;
        let holds = |t: &Path| t.starts_with(&dir) && dir != t;
        let clash = if within(&fixtures) {
            Some(("lies inside", &fixtures))
        } else if within(&matrix) && dir.parent() != Some(matrix.as_path()) {
            Some(("lies inside", &matrix))
        } else if holds(&fixtures) {
            Some(("contains", &fixtures))
        } else if dir == matrix || holds(&matrix) {
            Some(("contains", &matrix))
        } else {
            None
        };
        if let Some((how, tree)) = clash {
            return refuse(format!(
                "it {how} {}, where the project's fixtures trees are",
                self.display(tree)
            ));
        }
        if dir.join(".git").exists() {
            return refuse("it is the root of a git work tree".to_string());
        }
        if dir.exists() && !dir.is_dir() {
            return refuse("it is not a directory".to_string());
        }
        Ok(dir)
    }

    /// `path` relative to the root, for messages.
    pub fn display(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }
}

//! An SDK source checkout (`--python-sdk`): where it imports from, what
//! version it says it is (its own pyproject, never the venv's installed
//! distribution), and what exactly it holds (a digest of its package tree,
//! and the git commit when it is a git work tree), so provenance can trace it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, anyhow};

use crate::base::digest;
use crate::base::failure::hinted;

#[derive(Debug, Clone)]
pub struct Checkout {
    /// The dir holding `openai_codex/`, prepended to `sys.path`.
    pub import_root: PathBuf,
    /// `[project] version` of the checkout's pyproject.toml, if it has one.
    pub version: Option<String>,
    /// sha256 over the package's files (paths and bytes, sorted).
    pub digest: String,
    /// `git rev-parse HEAD` of the checkout, when it is a git work tree.
    pub commit: Option<String>,
}

impl Checkout {
    pub fn open(checkout: &Path) -> Result<Checkout> {
        let Some(import_root) = [checkout.to_path_buf(), checkout.join("src")]
            .into_iter()
            .find(|c| c.join("openai_codex/__init__.py").is_file())
        else {
            return Err(hinted(
                anyhow!(
                    "--python-sdk {} is not an SDK checkout: neither it nor its src/ holds openai_codex/__init__.py",
                    checkout.display()
                ),
                "point it at the SDK's sdk/python directory",
            ));
        };
        let import_root = import_root
            .canonicalize()
            .with_context(|| format!("resolving {}", import_root.display()))?;
        Ok(Checkout {
            digest: tree_digest(&import_root.join("openai_codex"))?,
            version: pyproject_version(checkout),
            commit: git_commit(checkout),
            import_root,
        })
    }
}

fn pyproject_version(checkout: &Path) -> Option<String> {
    let text = std::fs::read_to_string(checkout.join("pyproject.toml")).ok()?;
    let doc: toml::Table = toml::from_str(&text).ok()?;
    doc.get("project")?
        .get("version")?
        .as_str()
        .map(str::to_string)
}

fn git_commit(checkout: &Path) -> Option<String> {
    let out = super::command::output(
        Command::new("git")
            .arg("-C")
            .arg(checkout)
            .args(["rev-parse", "HEAD"]),
    )
    .ok()?;
    let commit = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && commit.len() == 40).then_some(commit)
}

/// Every file below `dir` but `__pycache__`, by relative path and bytes.
fn tree_digest(dir: &Path) -> Result<String> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) -> Result<()> {
        for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let entry = entry?;
            if entry.file_name() == "__pycache__" {
                continue;
            }
            let path = entry.path();
            if entry.file_type()?.is_dir() {
                walk(root, &path, out)?;
            } else {
                let rel = path
                    .strip_prefix(root)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                out.push((
                    rel,
                    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
                ));
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    walk(dir, dir, &mut files)?;
    files.sort();
    Ok(digest::sha256_parts(
        files.iter().map(|(p, b)| (p.as_str(), b.as_slice())),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkout_is_known_by_its_own_version_and_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("src/openai_codex");
        std::fs::create_dir_all(pkg.join("__pycache__")).unwrap();
        std::fs::write(pkg.join("__init__.py"), "x = 1\n").unwrap();
        std::fs::write(pkg.join("__pycache__/junk.pyc"), "junk").unwrap();
        let bare = Checkout::open(dir.path()).unwrap();
        assert_eq!(bare.version, None, "no pyproject: no version");
        assert_eq!(bare.commit, None);
        std::fs::write(
            dir.path().join("pyproject.toml"),
            "[project]\nname = \"openai-codex\"\nversion = \"9.9.9\"\n",
        )
        .unwrap();
        std::fs::write(pkg.join("__pycache__/junk.pyc"), "other junk").unwrap();
        let with = Checkout::open(dir.path()).unwrap();
        assert_eq!(with.version.as_deref(), Some("9.9.9"));
        assert_eq!(with.digest, bare.digest, "caches are not the checkout");
        std::fs::write(pkg.join("__init__.py"), "x = 2\n").unwrap();
        assert_ne!(Checkout::open(dir.path()).unwrap().digest, bare.digest);
        assert!(Checkout::open(&dir.path().join("missing")).is_err());
    }
}

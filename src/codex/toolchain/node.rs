//! The TypeScript lane's toolchain: Node from the system (`node` ≥ 18 on
//! PATH) and `@openai/codex-sdk` installed with `npm ci` from the hash-locked
//! `config/typescript/package-lock.json` into the cache, reused while the
//! lock stays the same. npm's codex binaries (optional dependencies) are
//! never installed: the lane gives the SDK the pinned codex.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, anyhow};
use serde_json::Value;

use super::cache_entry::Entry;
use super::command::run;
use crate::base::digest;
use crate::base::failure::hinted;

/// The files of the pin, copied into the install dir for `npm ci`.
const PIN_FILES: [&str; 3] = ["package.json", "package-lock.json", ".npmrc"];

/// The package the lane drives.
pub const SDK_PACKAGE: &str = "@openai/codex-sdk";

/// Node and the installed TypeScript SDK.
#[derive(Debug, Clone)]
pub struct NodeSdk {
    pub node: PathBuf,
    /// `node --version`, without the `v`.
    pub node_version: String,
    pub pin: SdkPin,
    /// The dir whose `node_modules` holds the SDK.
    pub dir: PathBuf,
}

impl NodeSdk {
    /// The SDK's ESM entry point (`exports["."].import` of its package.json).
    pub fn entry(&self) -> Result<PathBuf> {
        self.file_named(&["exports", ".", "import"], "ESM entry point")
    }

    /// The SDK's type declarations (`types` of its package.json): its
    /// `ThreadItem` and `ThreadEvent` unions.
    pub fn declarations(&self) -> Result<String> {
        let path = self.file_named(&["types"], "type declarations")?;
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
    }

    /// The file of the SDK's package that its package.json names at `key`.
    fn file_named(&self, key: &[&str], what: &str) -> Result<PathBuf> {
        let package = self.dir.join("node_modules").join(SDK_PACKAGE);
        let manifest = package.join("package.json");
        let json: Value = serde_json::from_slice(
            &std::fs::read(&manifest).with_context(|| format!("reading {}", manifest.display()))?,
        )?;
        let named = key
            .iter()
            .fold(&json, |v, k| &v[*k])
            .as_str()
            .ok_or_else(|| anyhow!("{} names no {what}", manifest.display()))?;
        Ok(package.join(named))
    }
}

/// The SDK as the lock pins it.
#[derive(Debug, Clone)]
pub struct SdkPin {
    pub version: String,
    /// Its `integrity` (sha512) in the lock.
    pub integrity: String,
}

/// The SDK pinned by the lock in `pin_dir`.
pub fn pinned_sdk(pin_dir: &Path) -> Result<SdkPin> {
    let path = pin_dir.join("package-lock.json");
    let lock: Value = serde_json::from_slice(
        &std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?,
    )
    .with_context(|| format!("{} is not JSON", path.display()))?;
    let entry = &lock["packages"][format!("node_modules/{SDK_PACKAGE}")];
    match (entry["version"].as_str(), entry["integrity"].as_str()) {
        (Some(v), Some(i)) => Ok(SdkPin {
            version: v.to_string(),
            integrity: i.to_string(),
        }),
        _ => Err(hinted(
            anyhow!(
                "{} pins no {SDK_PACKAGE} with an integrity hash",
                path.display()
            ),
            format!(
                "regenerate it: cd {} && npm install --package-lock-only --ignore-scripts",
                pin_dir.display()
            ),
        )),
    }
}

/// The pin's files (`package.json` and its lock), by name.
fn pin_files(pin_dir: &Path) -> Result<Vec<(&'static str, Vec<u8>)>> {
    PIN_FILES
        .into_iter()
        .map(|name| {
            let path = pin_dir.join(name);
            let bytes =
                std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
            Ok((name, bytes))
        })
        .collect()
}

/// The cache entry that installs the pin of these files.
fn entry_name(parts: &[(&str, Vec<u8>)]) -> String {
    let key = digest::sha256_parts(parts.iter().map(|(n, b)| (*n, b.as_slice())));
    format!("node-{}", &key[..16])
}

/// The cache entry of the TypeScript SDK pinned in `pin_dir`.
pub fn pinned_entry(pin_dir: &Path) -> Result<String> {
    Ok(entry_name(&pin_files(pin_dir)?))
}

/// Node on PATH (≥ 18) and the pinned SDK in the cache, installed first if
/// needed.
pub fn provision(pin_dir: &Path, cache: &Path, progress: &dyn Fn(&str)) -> Result<NodeSdk> {
    let (node, node_version) = node_on_path()?;
    let pin = pinned_sdk(pin_dir)?;
    let parts = pin_files(pin_dir)?;
    let entry = Entry::lock(cache, &entry_name(&parts))?;
    let dir = entry.dir.clone();
    let sdk = NodeSdk {
        node,
        node_version,
        pin,
        dir: dir.clone(),
    };
    if entry.is_complete() {
        entry.verify()?;
        return Ok(sdk);
    }
    progress(&format!(
        "provisioning the pinned TypeScript SDK in {} (first use)",
        dir.display()
    ));
    entry.clear()?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    for (name, bytes) in &parts {
        std::fs::write(dir.join(name), bytes)
            .with_context(|| format!("writing {}", dir.join(name).display()))?;
    }
    run(
        Command::new("npm")
            .args([
                "ci",
                "--omit=optional",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
            ])
            .current_dir(&dir),
        "npm ci --omit=optional --ignore-scripts",
    )
    .map_err(|e| {
        hinted(
            e.context("the pinned TypeScript SDK could not be installed"),
            format!(
                "check {} (an integrity mismatch means the lock or the download is wrong)",
                pin_dir.join("package-lock.json").display()
            ),
        )
    })?;
    entry.mark_complete()?;
    Ok(sdk)
}

/// Node on PATH and the pinned SDK in `dir/node_modules`, installed by
/// another tool from the same lock (the flake's `node_modules`): refused
/// unless it is the pinned version.
pub fn installed(pin_dir: &Path, dir: &Path) -> Result<NodeSdk> {
    let (node, node_version) = node_on_path()?;
    let pin = pinned_sdk(pin_dir)?;
    let manifest = dir
        .join("node_modules")
        .join(SDK_PACKAGE)
        .join("package.json");
    let found: Value = std::fs::read(&manifest)
        .with_context(|| format!("reading {}", manifest.display()))
        .and_then(|b| {
            serde_json::from_slice(&b).with_context(|| format!("{} is not JSON", manifest.display()))
        })
        .map_err(|e| {
            hinted(
                e.context(format!("--typescript-sdk {} holds no {SDK_PACKAGE}", dir.display())),
                "point it at a directory whose node_modules was installed from config/typescript/package-lock.json",
            )
        })?;
    if found["version"].as_str() != Some(pin.version.as_str()) {
        return Err(hinted(
            anyhow!(
                "{} is {SDK_PACKAGE} {}, but {} pins {}",
                manifest.display(),
                found["version"],
                pin_dir.join("package-lock.json").display(),
                pin.version
            ),
            "install node_modules from config/typescript/package-lock.json, or leave --typescript-sdk out to let the driver install it",
        ));
    }
    Ok(NodeSdk {
        node,
        node_version,
        pin,
        dir: dir.to_path_buf(),
    })
}

fn node_on_path() -> Result<(PathBuf, String)> {
    let node = which::which("node").map_err(|_| {
        hinted(
            anyhow!("node not found on PATH, and the typescript lane needs it"),
            "install Node.js 18 or newer, or leave the typescript lane out (--lane)",
        )
    })?;
    let version = node_version(&node)?;
    Ok((node, version))
}

fn node_version(node: &Path) -> Result<String> {
    let out = super::command::output(Command::new(node).arg("--version"))
        .with_context(|| format!("running {} --version", node.display()))?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let version = text.trim_start_matches('v').to_string();
    let major: u32 = version
        .split('.')
        .next()
        .and_then(|m| m.parse().ok())
        .ok_or_else(|| anyhow!("{} --version printed {text:?}", node.display()))?;
    if major < 18 {
        return Err(hinted(
            anyhow!(
                "{} is Node {version}; the TypeScript SDK needs 18 or newer",
                node.display()
            ),
            "put Node.js 18 or newer first on PATH",
        ));
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_committed_lock_pins_the_sdk_with_its_integrity() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/typescript");
        let pin = pinned_sdk(&dir).unwrap();
        assert_eq!(pin.version, "0.163.0");
        assert!(pin.integrity.starts_with("sha512-"), "{}", pin.integrity);
    }

    #[test]
    fn a_lock_without_the_sdk_is_refused_with_the_way_to_fix_it() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("package-lock.json"), r#"{"packages": {}}"#).unwrap();
        let err = pinned_sdk(dir.path()).unwrap_err();
        assert!(
            err.to_string().contains("pins no @openai/codex-sdk"),
            "{err}"
        );
        assert!(crate::base::failure::hints(&err)[0].contains("npm install --package-lock-only"));
    }
}

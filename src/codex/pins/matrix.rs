//! The codex version matrix: the codex versions harvested besides the main
//! pin, each pinned in a file of its own, `config/matrix/codex-<version>.exs`,
//! in exactly the form of `config/native.exs` (so both pin readers, the
//! driver's and `nix/pins.nix`, read it unchanged). The SDKs stay as
//! pinned; only codex varies.

use std::cmp::Ordering;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};

use super::{CodexPin, Pins, SdkPin, render_native_exs_body};
use crate::base::failure::hinted;

/// The comment `pin --matrix` writes above `import Config`.
const HEADER: &str = "\
# One codex of the version matrix: harvested besides the main pin
# (config/native.exs) into integration/matrix/codex-<version>/, with the SDKs
# pinned there. Below `import Config` this file is exactly what
# `codex-harvest pin --matrix` writes, in the form of config/native.exs.
#
# Change the matrix with: codex-harvest pin --matrix <version>,<version>,...
";

/// The file that pins matrix version `version` under `dir`.
pub fn file(dir: &Path, version: &str) -> PathBuf {
    dir.join(format!("codex-{version}.exs"))
}

/// A matrix pin file's contents.
pub fn render(codex: &CodexPin, sdk: &SdkPin) -> String {
    format!("{HEADER}{}", render_native_exs_body(codex, sdk))
}

/// Every matrix pin under `dir` (none when it does not exist), each read
/// with the project's lock and checked like the main pin, oldest first.
pub fn load(dir: &Path, lock: &Path) -> Result<Vec<Pins>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", dir.display())),
    };
    let mut out = Vec::new();
    for entry in entries {
        let path = entry
            .with_context(|| format!("reading {}", dir.display()))?
            .path();
        let Some(version) = version_of(&path) else {
            return Err(hinted(
                anyhow!(
                    "{} is not a matrix pin: the dir holds only codex-<version>.exs files",
                    path.display()
                ),
                "remove it; `codex-harvest pin --matrix` writes this dir",
            ));
        };
        let pins = Pins::load(&path, lock)?;
        if pins.codex.version != version {
            return Err(hinted(
                anyhow!(
                    "{} pins codex {}, not the {version} its name says",
                    path.display(),
                    pins.codex.version
                ),
                format!(
                    "rewrite it with `codex-harvest pin --matrix …,{},…`",
                    pins.codex.version
                ),
            ));
        }
        out.push(pins);
    }
    out.sort_by(|a, b| compare_versions(&a.codex.version, &b.codex.version));
    Ok(out)
}

/// `0.144.4` from `…/codex-0.144.4.exs`.
fn version_of(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let version = name.strip_prefix("codex-")?.strip_suffix(".exs")?;
    is_version(version).then(|| version.to_string())
}

/// A release version as the registries spell codex's: dotted numbers.
pub fn is_version(v: &str) -> bool {
    !v.is_empty()
        && v.split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

/// Release versions in numeric order (`0.99.0` before `0.144.4`).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let parts = |v: &str| -> Vec<u64> { v.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    parts(a).cmp(&parts(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_sort_by_number_and_names_say_them() {
        let mut v = vec!["0.171.0", "0.99.0", "0.144.4", "0.144.10"];
        v.sort_by(|a, b| compare_versions(a, b));
        assert_eq!(v, ["0.99.0", "0.144.4", "0.144.10", "0.171.0"]);
        assert_eq!(
            version_of(Path::new("config/matrix/codex-0.144.4.exs")).as_deref(),
            Some("0.144.4")
        );
        for not in [
            "codex-0.144.4.exs~",
            "native.exs",
            "codex-latest.exs",
            "codex-.exs",
        ] {
            assert_eq!(version_of(Path::new(not)), None, "{not}");
        }
    }
}

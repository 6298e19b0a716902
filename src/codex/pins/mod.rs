//! The pins: `config/native.exs` (the codex-rs binary, per platform) and the
//! Python lock `config/pylock.toml` (the SDK), and the agreement between them.

pub mod exs;
pub mod matrix;
pub mod pylock;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow, bail};
use serde::Serialize;

use crate::base::digest;
use crate::base::failure::hinted;
use exs::ExValue;
pub use pylock::{LockedPackage, Pylock};

/// The Python distribution that is the SDK.
pub const SDK_PACKAGE: &str = "openai-codex";

/// The npm package whose platform builds carry the codex binary.
pub const NPM_PACKAGE: &str = "@openai/codex";

/// One platform's pinned artifact: where the codex binary comes from, and
/// the binary's own hash (what runs is checked against it, whichever way it
/// was installed: the same binary from another registry is the same codex).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Artifact {
    #[serde(flatten)]
    pub source: Source,
    pub binary_sha256: String,
}

/// The file an artifact is, on the registry that has it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Source {
    /// A wheel of the `package` native.exs names, on PyPI (sha256 of the wheel).
    Wheel { file: String, sha256: String },
    /// An npm platform build, `@openai/codex@<version>-<platform>`, with the
    /// tarball's `sha512-…` integrity as npm records it.
    Npm { npm: String, integrity: String },
}

impl Source {
    /// The artifact and its registry, for reports.
    pub fn describe(&self) -> String {
        match self {
            Source::Wheel { file, .. } => format!("{file} (PyPI)"),
            Source::Npm { npm, .. } => format!("{npm} (npm)"),
        }
    }

    /// The artifact's own hash as pinned.
    pub fn hash(&self) -> &str {
        match self {
            Source::Wheel { sha256, .. } => sha256,
            Source::Npm { integrity, .. } => integrity,
        }
    }
}

/// The codex-rs pin from `config/native.exs`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodexPin {
    pub version: String,
    /// The Python distribution that ships the binary (`openai-codex-cli-bin`).
    pub package: String,
    /// Keyed by Nix system name (`x86_64-linux`, `aarch64-darwin`, …).
    pub artifacts: BTreeMap<String, Artifact>,
}

/// The SDK wheel as `config/native.exs` names it (the Nix flake fetches it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SdkPin {
    pub version: String,
    pub file: String,
    pub sha256: String,
}

/// Both pin files, read and checked against each other.
#[derive(Debug, Clone, Serialize)]
pub struct Pins {
    pub codex: CodexPin,
    pub python_sdk: SdkPin,
    pub python: Pylock,
    /// Digest over both files' bytes: any edit to either changes it.
    pub digest: String,
    #[serde(skip)]
    pub native_exs: PathBuf,
    #[serde(skip)]
    pub lock: PathBuf,
}

impl Pins {
    /// Reads `native_exs` and `lock` and refuses them if they disagree.
    pub fn load(native_exs: &Path, lock: &Path) -> Result<Pins> {
        let exs_src = std::fs::read_to_string(native_exs)
            .with_context(|| format!("reading {}", native_exs.display()))?;
        let lock_src =
            std::fs::read_to_string(lock).with_context(|| format!("reading {}", lock.display()))?;
        let entries =
            exs::parse(&exs_src).with_context(|| format!("in {}", native_exs.display()))?;
        let codex = codex_pin(&entries).with_context(|| format!("in {}", native_exs.display()))?;
        let python_sdk =
            sdk_pin(&entries).with_context(|| format!("in {}", native_exs.display()))?;
        check_canonical(&exs_src, &codex, &python_sdk)
            .with_context(|| format!("in {}", native_exs.display()))?;
        let python = pylock::parse(&lock_src).with_context(|| format!("in {}", lock.display()))?;
        let pins = Pins {
            codex,
            python_sdk,
            python,
            digest: digest::sha256_parts([
                ("native.exs", exs_src.as_bytes()),
                ("lock", lock_src.as_bytes()),
            ]),
            native_exs: native_exs.to_path_buf(),
            lock: lock.to_path_buf(),
        };
        pins.check_agreement()?;
        Ok(pins)
    }

    pub fn locked(&self, name: &str) -> Option<&LockedPackage> {
        self.python.package(name)
    }

    /// The locked SDK (present: checked at load).
    pub fn sdk(&self) -> &LockedPackage {
        self.locked(SDK_PACKAGE)
            .expect("load() refuses a lock without the SDK")
    }

    /// The wheels every pinned system installs, one per locked package.
    pub fn wheels(&self) -> Result<BTreeMap<String, Vec<pylock::Selected>>> {
        let systems: Vec<String> = self.codex.artifacts.keys().cloned().collect();
        self.python
            .selections(&systems)
            .with_context(|| format!("in {}", self.lock.display()))
    }

    /// The codex the SDK bundles (its locked `openai-codex-cli-bin`), when
    /// that is another version than the pinned codex: the SDK is then
    /// pointed at the pinned binary instead.
    pub fn sdk_runtime_differs(&self) -> Option<&str> {
        self.locked(&self.codex.package)
            .map(|p| p.version.as_str())
            .filter(|v| *v != self.codex.version)
    }

    /// The artifact pinned for `platform`, or an error naming the pins file.
    pub fn artifact(&self, platform: &str) -> Result<&Artifact> {
        self.codex.artifacts.get(platform).ok_or_else(|| {
            hinted(
                anyhow!(
                    "{} pins no codex artifact for this platform ({platform}); it pins: {}",
                    self.native_exs.display(),
                    self.codex
                        .artifacts
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                format!(
                    "add the platform with `codex-harvest pin --codex {}`, or pass --codex-path",
                    self.codex.version
                ),
            )
        })
    }

    fn check_agreement(&self) -> Result<()> {
        let (exs, lock) = (self.native_exs.display(), self.lock.display());
        self.wheels().map_err(|e| {
            hinted(
                e.context(format!(
                    "{lock} does not lock one wheel per package for every platform {exs} pins"
                )),
                "regenerate both with `codex-harvest pin --codex <version>`",
            )
        })?;
        let Some(sdk) = self.locked(SDK_PACKAGE) else {
            return Err(hinted(
                anyhow!("{lock} does not pin the SDK ({SDK_PACKAGE})"),
                "regenerate the lock with `codex-harvest pin --codex <version> --sdk <version>`",
            ));
        };
        if sdk.version != self.python_sdk.version {
            return Err(hinted(
                anyhow!(
                    "the pins disagree: {exs} pins the SDK (openai-codex) {} but {lock} pins {SDK_PACKAGE}=={}",
                    self.python_sdk.version,
                    sdk.version
                ),
                "fix whichever is wrong, or bump both with `codex-harvest pin --codex <version> --sdk <version>`",
            ));
        }
        if !sdk
            .wheels
            .iter()
            .any(|w| w.sha256 == self.python_sdk.sha256)
        {
            return Err(hinted(
                anyhow!(
                    "the pins disagree: {exs} pins the SDK wheel {} (sha256 {}) but {lock} pins {SDK_PACKAGE}=={} without that hash",
                    self.python_sdk.file,
                    self.python_sdk.sha256,
                    sdk.version
                ),
                "fix whichever is wrong; the wheel's sha256 must be one of the lock's",
            ));
        }
        // The lock holds the SDK's own runtime; a pinned codex of that
        // version from PyPI must be the very wheels it locks.
        let Some(bin) = self
            .locked(&self.codex.package)
            .filter(|b| b.version == self.codex.version)
        else {
            return Ok(());
        };
        for (platform, art) in &self.codex.artifacts {
            if let Source::Wheel { file, sha256 } = &art.source
                && !bin.wheels.iter().any(|w| &w.sha256 == sha256)
            {
                return Err(hinted(
                    anyhow!(
                        "the pins disagree: {exs} pins {platform} artifact {file} with sha256 {sha256} but {lock} does not lock that wheel of {}",
                        bin.name
                    ),
                    format!(
                        "recompute both with `codex-harvest pin --codex {}`",
                        self.codex.version
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The comment `pin` writes at the top of `config/native.exs`. Above
/// `import Config` the file may hold any comments; below it, exactly what
/// [`render_native_exs_body`] writes.
const NATIVE_EXS_HEADER: &str = "\
# The codex-rs pin: the single source for which codex binary the fixtures are
# harvested with. Each platform's artifact is either the openai-codex-cli-bin
# wheel (file:, sha256: of the wheel) or the @openai/codex npm platform build
# (npm:, integrity: of the tarball) that carries the static codex binary, and
# binary_sha256: the binary in it. The Nix flake and `codex-harvest` both
# install exactly these files, and codex-harvest runs no codex whose bytes are
# not the pinned binary's. The python_sdk entry names the SDK wheel; its
# sha256 must be one of config/pylock.toml's openai-codex wheels.
#
# Below `import Config` this file is exactly what `codex-harvest pin` writes:
# both readers (the driver and nix/pins.nix) refuse anything else.
#
# Bump with: codex-harvest pin --codex <version>
";

/// `config/native.exs` for these pins.
pub fn render_native_exs(codex: &CodexPin, sdk: &SdkPin) -> String {
    format!("{NATIVE_EXS_HEADER}{}", render_native_exs_body(codex, sdk))
}

/// Everything from `import Config` on, one key per line.
fn render_native_exs_body(codex: &CodexPin, sdk: &SdkPin) -> String {
    let mut out = String::from("import Config\n\n");
    out.push_str(&format!(
        "config :codex_sdk, :codex_cli,\n  version: \"{}\",\n  package: \"{}\",\n  artifacts: %{{\n",
        codex.version, codex.package
    ));
    let entries: Vec<String> = codex
        .artifacts
        .iter()
        .map(|(platform, a)| {
            let (k1, v1, k2, v2) = match &a.source {
                Source::Wheel { file, sha256 } => ("file", file, "sha256", sha256),
                Source::Npm { npm, integrity } => ("npm", npm, "integrity", integrity),
            };
            format!(
                "    \"{platform}\" => %{{\n      {k1}: \"{v1}\",\n      {k2}: \"{v2}\",\n      binary_sha256: \"{}\"\n    }}",
                a.binary_sha256
            )
        })
        .collect();
    out.push_str(&entries.join(",\n"));
    out.push_str("\n  }\n\n");
    out.push_str(&format!(
        "config :codex_sdk, :python_sdk,\n  version: \"{}\",\n  file: \"{}\",\n  sha256: \"{}\"\n",
        sdk.version, sdk.file, sdk.sha256
    ));
    out
}

/// Refuses a `native.exs` that is not in the one form both readers read
/// alike: comments, then exactly the rendered body. A repeated key, a
/// repeated platform or a map on one line would otherwise be read one way
/// here and another way by `nix/pins.nix`.
fn check_canonical(src: &str, codex: &CodexPin, sdk: &SdkPin) -> Result<()> {
    let Some(at) = src
        .split_inclusive('\n')
        .scan(0, |offset, line| {
            let start = *offset;
            *offset += line.len();
            Some((start, line))
        })
        .find_map(|(start, line)| (line == "import Config\n").then_some(start))
    else {
        bail!("no `import Config` line");
    };
    let (header, body) = (&src[..at], &src[at + "import Config\n".len()..]);
    if let Some((i, line)) = header
        .lines()
        .enumerate()
        .find(|(_, l)| !(l.is_empty() || l.starts_with('#')))
    {
        bail!(
            "line {}: only comments may come before `import Config`, found {line:?}",
            i + 1
        );
    }
    let want = render_native_exs_body(codex, sdk);
    let have = format!("import Config\n{body}");
    if have == want {
        return Ok(());
    }
    let offset = header.lines().count();
    let (have_lines, want_lines): (Vec<&str>, Vec<&str>) =
        (have.lines().collect(), want.lines().collect());
    let (i, found, expected) = (0..have_lines.len().max(want_lines.len()))
        .map(|i| (i, (have_lines.get(i).copied(), want_lines.get(i).copied())))
        .find(|(_, (h, w))| h != w)
        .map(|(i, (h, w))| {
            (
                i,
                h.unwrap_or("(the end of the file)"),
                w.unwrap_or("(the end of the file)"),
            )
        })
        .unwrap_or((want.lines().count(), "(a missing final newline)", ""));
    Err(hinted(
        anyhow!(
            "line {}: found {found:?}, but the pins it holds are written {expected:?}",
            offset + i + 1
        ),
        "below `import Config`, native.exs must be exactly as `codex-harvest pin` writes it (one key per line, each key once, platforms sorted); `codex-harvest pin --codex <version> --no-harvest` rewrites it",
    ))
}

/// This machine's platform in the Nix system spelling native.exs uses.
pub fn current_platform() -> String {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    format!("{}-{os}", std::env::consts::ARCH)
}

fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

fn entry_str(entry: &exs::ConfigEntry, v: &ExValue, key: &str, what: &str) -> Result<String> {
    v.get(key)
        .and_then(ExValue::as_str)
        .map(str::to_string)
        .ok_or_else(|| anyhow!("line {}: {what} needs `{key}:` as a string", entry.line))
}

fn sdk_pin(entries: &[exs::ConfigEntry]) -> Result<SdkPin> {
    let entry = entries
        .iter()
        .find(|e| e.app == "codex_sdk" && e.key == "python_sdk")
        .ok_or_else(|| {
            anyhow!("no `config :codex_sdk, :python_sdk, …` statement (the SDK wheel)")
        })?;
    let what = "config :codex_sdk, :python_sdk";
    let pin = SdkPin {
        version: entry_str(entry, &entry.value, "version", what)?,
        file: entry_str(entry, &entry.value, "file", what)?,
        sha256: entry_str(entry, &entry.value, "sha256", what)?.to_ascii_lowercase(),
    };
    if !is_sha256(&pin.sha256) {
        bail!("line {}: {what}: sha256 must be 64 hex digits", entry.line);
    }
    Ok(pin)
}

fn codex_pin(entries: &[exs::ConfigEntry]) -> Result<CodexPin> {
    let entry = entries
        .iter()
        .find(|e| e.app == "codex_sdk" && e.key == "codex_cli")
        .ok_or_else(|| anyhow!("no `config :codex_sdk, :codex_cli, …` statement"))?;
    let line = entry.line;
    let string = |v: &ExValue, key: &str, what: &str| entry_str(entry, v, key, what);
    let version = string(&entry.value, "version", "config :codex_sdk, :codex_cli")?;
    let package = string(&entry.value, "package", "config :codex_sdk, :codex_cli")?;
    let Some(ExValue::Map(pairs)) = entry.value.get("artifacts") else {
        bail!("line {line}: `artifacts:` must be a map of platform => %{{file: …, sha256: …}}");
    };
    let mut artifacts = BTreeMap::new();
    for (key, value) in pairs {
        let Some(platform) = key.as_str() else {
            bail!("line {line}: artifact platforms must be strings such as \"x86_64-linux\"");
        };
        let what = format!("artifact {platform:?}");
        let binary_sha256 = string(value, "binary_sha256", &what)?.to_ascii_lowercase();
        if !is_sha256(&binary_sha256) {
            bail!("line {line}: {what}: binary_sha256 must be 64 hex digits");
        }
        let source = if value.get("npm").is_some() {
            let npm = string(value, "npm", &what)?;
            let integrity = string(value, "integrity", &what)?;
            if !npm.starts_with(&format!("{NPM_PACKAGE}@{version}-")) {
                bail!("line {line}: {what}: npm {npm} is not {NPM_PACKAGE}@{version}-<platform>");
            }
            if !integrity.starts_with("sha512-") {
                bail!("line {line}: {what}: integrity must be npm's sha512-… of the tarball");
            }
            Source::Npm { npm, integrity }
        } else {
            let file = string(value, "file", &what)?;
            let sha256 = string(value, "sha256", &what)?.to_ascii_lowercase();
            if !is_sha256(&sha256) {
                bail!("line {line}: {what}: sha256 and binary_sha256 must be 64 hex digits");
            }
            if !file.contains(&format!("-{version}-")) {
                bail!("line {line}: {what}: file {file} is not version {version}");
            }
            Source::Wheel { file, sha256 }
        };
        artifacts.insert(
            platform.to_string(),
            Artifact {
                source,
                binary_sha256,
            },
        );
    }
    if artifacts.is_empty() {
        bail!("line {line}: `artifacts:` pins no platform");
    }
    Ok(CodexPin {
        version,
        package,
        artifacts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const H1: &str = "1111111111111111111111111111111111111111111111111111111111111111";
    const H2: &str = "2222222222222222222222222222222222222222222222222222222222222222";

    fn codex(version: &str, sha: &str) -> CodexPin {
        CodexPin {
            version: version.into(),
            package: "openai-codex-cli-bin".into(),
            artifacts: BTreeMap::from([(
                "x86_64-linux".to_string(),
                Artifact {
                    source: Source::Wheel {
                        file: format!(
                            "openai_codex_cli_bin-{version}-py3-none-manylinux_2_17_x86_64.whl"
                        ),
                        sha256: sha.into(),
                    },
                    binary_sha256: H2.into(),
                },
            )]),
        }
    }

    fn sdk() -> SdkPin {
        SdkPin {
            version: "1.0".into(),
            file: "openai_codex-1.0-py3-none-any.whl".into(),
            sha256: H2.into(),
        }
    }

    fn exs(version: &str, sha: &str) -> String {
        render_native_exs(&codex(version, sha), &sdk())
    }

    fn lock(bin_version: &str, sha: &str) -> String {
        let package = |name: &str, version: &str, file: String, sha256: &str| LockedPackage {
            name: name.into(),
            version: version.into(),
            dependencies: vec![],
            wheels: vec![pylock::Wheel {
                name: file,
                sha256: sha256.into(),
            }],
        };
        pylock::render(&Pylock {
            environments: vec![],
            requires_python: "==3.11.*".into(),
            packages: vec![
                package(
                    "openai-codex",
                    "1.0",
                    "openai_codex-1.0-py3-none-any.whl".into(),
                    H2,
                ),
                package(
                    "openai-codex-cli-bin",
                    bin_version,
                    format!(
                        "openai_codex_cli_bin-{bin_version}-py3-none-manylinux_2_17_x86_64.whl"
                    ),
                    sha,
                ),
            ],
        })
    }

    fn load(exs_src: &str, lock_src: &str) -> Result<Pins> {
        let dir = tempfile::tempdir().unwrap();
        let (e, l) = (
            dir.path().join("native.exs"),
            dir.path().join("pylock.toml"),
        );
        std::fs::write(&e, exs_src).unwrap();
        std::fs::write(&l, lock_src).unwrap();
        Pins::load(&e, &l)
    }

    #[test]
    fn agreeing_pins_load() {
        let pins = load(&exs("1.2.3", H1), &lock("1.2.3", H1)).unwrap();
        assert_eq!(pins.codex.version, "1.2.3");
        assert_eq!(pins.artifact("x86_64-linux").unwrap().source.hash(), H1);
        assert_eq!(pins.sdk().version, "1.0");
        assert!(pins.artifact("riscv64-linux").is_err());
    }

    #[test]
    fn a_codex_other_than_the_sdks_runtime_is_pinned_beside_it() {
        let pins = load(&exs("1.2.3", H1), &lock("1.2.2", H2)).unwrap();
        assert_eq!(pins.sdk_runtime_differs(), Some("1.2.2"));
        let same = load(&exs("1.2.3", H1), &lock("1.2.3", H1)).unwrap();
        assert_eq!(same.sdk_runtime_differs(), None);
    }

    #[test]
    fn an_npm_artifact_reads_back_and_names_its_version() {
        let npm = |spec: &str, integrity: &str| CodexPin {
            artifacts: BTreeMap::from([(
                "x86_64-linux".to_string(),
                Artifact {
                    source: Source::Npm {
                        npm: spec.into(),
                        integrity: integrity.into(),
                    },
                    binary_sha256: H2.into(),
                },
            )]),
            ..codex("1.2.3", H1)
        };
        let good = npm("@openai/codex@1.2.3-linux-x64", "sha512-abc=");
        let pins = load(&render_native_exs(&good, &sdk()), &lock("1.2.3", H1)).unwrap();
        assert_eq!(pins.codex, good);
        assert!(
            render_native_exs(&good, &sdk()).contains("npm: \"@openai/codex@1.2.3-linux-x64\"")
        );
        for (bad, needle) in [
            (
                npm("@openai/codex@1.2.4-linux-x64", "sha512-abc="),
                "is not @openai/codex@1.2.3-",
            ),
            (npm("@openai/codex@1.2.3-linux-x64", "sha1-abc="), "sha512"),
        ] {
            let err = format!(
                "{:#}",
                load(&render_native_exs(&bad, &sdk()), &lock("1.2.3", H1)).unwrap_err()
            );
            assert!(err.contains(needle), "{needle}: {err}");
        }
    }

    #[test]
    fn sdk_wheel_must_be_in_the_lock() {
        let lock_src = lock("1.2.3", H1).replacen(H2, H1, 1);
        let err = format!("{:#}", load(&exs("1.2.3", H1), &lock_src).unwrap_err());
        assert!(
            err.contains("pins the SDK wheel openai_codex-1.0-py3-none-any.whl"),
            "{err}"
        );
    }

    #[test]
    fn an_sdk_version_disagreement_is_not_called_a_hash_problem() {
        let lock_src = lock("1.2.3", H1).replace(
            "name = \"openai-codex\"\nversion = \"1.0\"",
            "name = \"openai-codex\"\nversion = \"1.1\"",
        );
        let err = format!("{:#}", load(&exs("1.2.3", H1), &lock_src).unwrap_err());
        assert!(
            err.contains("pins the SDK (openai-codex) 1.0 but")
                && err.contains("openai-codex==1.1"),
            "{err}"
        );
        assert!(!err.contains("hash"), "{err}");
    }

    #[test]
    fn hash_disagreement_names_the_platform() {
        let err = format!(
            "{:#}",
            load(&exs("1.2.3", H1), &lock("1.2.3", H2)).unwrap_err()
        );
        assert!(err.contains("x86_64-linux artifact"), "{err}");
        assert!(err.contains(H1), "{err}");
    }

    #[test]
    fn malformed_pin_names_file_and_line() {
        let err = format!(
            "{:#}",
            load(&exs("1.2.3", "xyz"), &lock("1.2.3", H1)).unwrap_err()
        );
        assert!(err.contains("native.exs"), "{err}");
        assert!(err.contains("line 16"), "{err}");
        assert!(err.contains("64 hex"), "{err}");
    }

    #[test]
    fn only_the_rendered_form_is_read() {
        let good = exs("1.2.3", H1);
        let lock_src = lock("1.2.3", H1);
        load(&good, &lock_src).unwrap();
        let commented = good.replacen("# Bump with", "# A note of our own.\n# Bump with", 1);
        load(&commented, &lock_src).unwrap();
        for (bad, needle) in [
            (
                good.replace(
                    &format!("      sha256: \"{H1}\",\n"),
                    &format!("      sha256: \"{H1}\",\n      sha256: \"{H2}\",\n"),
                ),
                "line 23: found \"      sha256:",
            ),
            (
                good.replace(
                    "  version: \"1.2.3\",\n",
                    "  version: \"1.2.3\", package: \"x\",\n",
                ),
                "line 17",
            ),
            (
                good.replacen(
                    "\nimport Config\n",
                    "\nconfig :a, :b, x: \"1\"\nimport Config\n",
                    1,
                ),
                "line 14: expected `config :app, :key,`",
            ),
            (good.trim_end().to_string(), "(a missing final newline)"),
        ] {
            let err = format!("{:#}", load(&bad, &lock_src).unwrap_err());
            assert!(err.contains(needle), "{needle}: {err}");
        }
    }

    #[test]
    fn digest_follows_either_file() {
        let a = load(&exs("1.2.3", H1), &lock("1.2.3", H1)).unwrap();
        let b = load(
            &exs("1.2.3", H1),
            &lock("1.2.3", H1).replacen("# Only", "# A note.\n# Only", 1),
        )
        .unwrap();
        assert_ne!(a.digest, b.digest);
    }

    #[test]
    fn the_committed_native_exs_is_what_render_writes() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let pins = Pins::load(
            &root.join("config/native.exs"),
            &root.join("config/pylock.toml"),
        )
        .unwrap();
        let committed = std::fs::read_to_string(root.join("config/native.exs")).unwrap();
        assert_eq!(render_native_exs(&pins.codex, &pins.python_sdk), committed);
    }

    #[test]
    fn the_committed_pins_agree() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let pins = Pins::load(
            &root.join("config/native.exs"),
            &root.join("config/pylock.toml"),
        )
        .unwrap();
        assert_eq!(pins.codex.artifacts.len(), 4);
    }
}

//! A version bump: the new pins, fetched rather than typed. Each platform's
//! codex artifact is taken from PyPI (the `openai-codex-cli-bin` wheel) or,
//! where PyPI does not have that version, from npm (the `@openai/codex`
//! platform build); it is hashed, and so is the binary inside. The Python
//! lock is resolved by pip for every pinned platform and written as
//! `config/pylock.toml`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::Command;

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;

use super::base_python;
use super::codex::{self, extract_package, npm_pack, npm_spec, pip_download};
use super::command::run;
use super::registry;
use crate::base::digest;
use crate::base::failure::hinted;
use crate::base::private_dir::PrivateDir;
use crate::codex::pins::pylock::{self, LockedPackage, Pylock, Wheel};
use crate::codex::pins::{self, Artifact, CodexPin, Pins, SdkPin, Source};

/// The new pin files' contents, and where each artifact was taken from.
#[derive(Debug, Clone)]
pub struct Bumped {
    pub codex: CodexPin,
    pub python_sdk: SdkPin,
    pub lock: String,
    /// One line per platform: the artifact and its registry.
    pub sources: Vec<String>,
}

/// Fetches everything the pins for `codex_version` need, for the platforms
/// `current` pins. The SDK is `sdk_version`, else the SDK of the codex
/// version if PyPI has it, else the SDK pinned now.
pub fn fetch(
    current: &Pins,
    codex_version: &str,
    sdk_version: Option<&str>,
    progress: &dyn Fn(&str),
) -> Result<Bumped> {
    let python = base_python()?;
    let work = PrivateDir::new("download").context("creating a temp dir for the downloads")?;
    let platforms: Vec<String> = current.codex.artifacts.keys().cloned().collect();
    let (codex, sources) = fetch_codex(current, codex_version, progress)?;
    let sdk = match sdk_version {
        Some(v) => v.to_string(),
        None => {
            let probe = work.path().join("sdk-probe");
            match pip_download(
                &python,
                &probe,
                &[format!("{}=={codex_version}", pins::SDK_PACKAGE)],
                &platforms[0],
            ) {
                Ok(_) => codex_version.to_string(),
                Err(e) if !registry::pip_unpublished(&e) => {
                    return Err(hinted(
                        e.context(format!(
                            "asking PyPI for {} {codex_version}",
                            pins::SDK_PACKAGE
                        )),
                        "run again when PyPI answers, or pass --sdk to choose the SDK",
                    ));
                }
                Err(_) => {
                    let kept = current.sdk().version.clone();
                    progress(&format!(
                        "PyPI has no {} {codex_version}: keeping the SDK at {kept} (pass --sdk to choose)",
                        pins::SDK_PACKAGE
                    ));
                    kept
                }
            }
        }
    };
    let lock = resolve_lock(&python, &sdk, &platforms, work.path(), progress)?;
    let sdk_package = lock.package(pins::SDK_PACKAGE).ok_or_else(|| {
        anyhow!(
            "pip resolved {}=={sdk} without the SDK itself",
            pins::SDK_PACKAGE
        )
    })?;
    let sdk_wheel = sdk_package
        .wheels
        .first()
        .ok_or_else(|| anyhow!("the SDK {sdk} has no wheel"))?;
    Ok(Bumped {
        codex,
        python_sdk: SdkPin {
            version: sdk,
            file: sdk_wheel.name.clone(),
            sha256: sdk_wheel.sha256.clone(),
        },
        lock: pylock::render(&lock),
        sources,
    })
}

/// The pin of codex `codex_version` for every platform `current` pins, and
/// one line per platform saying where its artifact came from.
pub fn fetch_codex(
    current: &Pins,
    codex_version: &str,
    progress: &dyn Fn(&str),
) -> Result<(CodexPin, Vec<String>)> {
    let python = base_python()?;
    let work = PrivateDir::new("download").context("creating a temp dir for the downloads")?;
    let mut artifacts = BTreeMap::new();
    let mut sources = Vec::new();
    for platform in current.codex.artifacts.keys() {
        let dir = work.path().join(platform);
        std::fs::create_dir_all(&dir)?;
        let artifact = codex_artifact(
            &current.codex.package,
            codex_version,
            platform,
            &python,
            &dir,
            progress,
        )?;
        sources.push(format!("{platform}: {}", artifact.source.describe()));
        artifacts.insert(platform.clone(), artifact);
        std::fs::remove_dir_all(&dir)?;
    }
    let codex = CodexPin {
        version: codex_version.to_string(),
        package: current.codex.package.clone(),
        artifacts,
    };
    Ok((codex, sources))
}

/// One platform's codex: the PyPI wheel if PyPI has the version, else the
/// npm platform build.
fn codex_artifact(
    package: &str,
    version: &str,
    platform: &str,
    python: &Path,
    dir: &Path,
    progress: &dyn Fn(&str),
) -> Result<Artifact> {
    progress(&format!(
        "fetching {package} {version} for {platform} from PyPI"
    ));
    let (file, source) = match pip_download(
        python,
        &dir.join("pypi"),
        &[format!("{package}=={version}")],
        platform,
    ) {
        Ok(file) => {
            let source = Source::Wheel {
                file: file_name(&file)?,
                sha256: digest::sha256_file(&file)?,
            };
            (file, source)
        }
        Err(pypi) if !registry::pip_unpublished(&pypi) => {
            return Err(hinted(
                pypi.context(format!(
                    "asking PyPI for {package} {version} for {platform}"
                )),
                "run again when PyPI answers: only PyPI's own \"no such version\" sends pin to npm",
            ));
        }
        Err(pypi) => {
            let spec = npm_spec(version, platform)?;
            progress(&format!(
                "PyPI has no {package} {version} for {platform}; fetching {spec} from npm"
            ));
            let file = npm_pack(&spec, &dir.join("npm")).map_err(|npm| match registry::npm_unpublished(&npm) {
                true => hinted(
                    anyhow!("codex {version} for {platform} is on neither registry:\n  PyPI: {pypi:#}\n  npm: {npm:#}"),
                    format!("check the version: pip index versions {package}; npm view {} versions", pins::NPM_PACKAGE),
                ),
                false => hinted(
                    npm.context(format!("asking npm for {spec} (PyPI has no {package} {version})")),
                    "run again when npm answers",
                ),
            })?;
            let source = Source::Npm {
                npm: spec,
                integrity: digest::sha512_integrity_file(&file)?,
            };
            (file, source)
        }
    };
    let bin = extract_package(&file, python, &dir.join("package"))?;
    Ok(Artifact {
        binary_sha256: digest::sha256_file(&bin)?,
        source,
    })
}

fn file_name(path: &Path) -> Result<String> {
    path.file_name()
        .and_then(|n| n.to_str())
        .map(str::to_string)
        .ok_or_else(|| anyhow!("{} has no file name", path.display()))
}

/// pip's installation report (`pip install --dry-run --report`), the parts read.
#[derive(Deserialize)]
struct Report {
    install: Vec<Install>,
}

#[derive(Deserialize)]
struct Install {
    download_info: DownloadInfo,
    metadata: Metadata,
}

#[derive(Deserialize)]
struct DownloadInfo {
    url: String,
    archive_info: ArchiveInfo,
}

#[derive(Deserialize)]
struct ArchiveInfo {
    hashes: BTreeMap<String, String>,
}

#[derive(Deserialize)]
struct Metadata {
    name: String,
    version: String,
    #[serde(default)]
    requires_dist: Vec<String>,
}

/// Each package pip resolved: its version, dependencies and wheels.
type Resolved = BTreeMap<String, (String, BTreeSet<String>, BTreeSet<Wheel>)>;

/// pip's report of what `openai-codex==sdk` installs on `platform`.
fn pip_report(
    python: &Path,
    sdk: &str,
    platform: &str,
    minor: &str,
    work: &Path,
) -> Result<Report> {
    let report_path = work.join(format!("report-{platform}.json"));
    let mut cmd = Command::new(python);
    cmd.args([
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--ignore-installed",
        "--quiet",
        "--disable-pip-version-check",
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        minor,
        "--abi",
        &format!("cp{}", minor.replace('.', "")),
        "--report",
    ])
    .arg(&report_path)
    .arg("--target")
    .arg(work.join("target"));
    for tag in codex::platform_tags(platform)? {
        cmd.args(["--platform", &tag]);
    }
    run(
        cmd.arg(format!("{}=={sdk}", pins::SDK_PACKAGE)),
        &format!(
            "pip install --dry-run {}=={sdk} for {platform}",
            pins::SDK_PACKAGE
        ),
    )?;
    serde_json::from_slice(&std::fs::read(&report_path)?)
        .with_context(|| format!("reading pip's report {}", report_path.display()))
}

/// Adds one package pip installs on `platform` to `packages`; `names`: every
/// package of that resolution.
fn merge(
    packages: &mut Resolved,
    i: Install,
    names: &BTreeSet<String>,
    platform: &str,
) -> Result<()> {
    let name = pylock::normalize_name(&i.metadata.name);
    let wheel = Wheel {
        name: i
            .download_info
            .url
            .rsplit('/')
            .next()
            .unwrap_or_default()
            .to_string(),
        sha256: i
            .download_info
            .archive_info
            .hashes
            .get("sha256")
            .cloned()
            .ok_or_else(|| anyhow!("pip reported no sha256 for {name}"))?,
    };
    let deps = dependencies(&i.metadata.requires_dist, names);
    let entry = packages
        .entry(name.clone())
        .or_insert_with(|| (i.metadata.version.clone(), BTreeSet::new(), BTreeSet::new()));
    if entry.0 != i.metadata.version {
        bail!(
            "pip resolved {name} {} for {platform} but {} elsewhere; one version per package is locked",
            i.metadata.version,
            entry.0
        );
    }
    entry.1.extend(deps);
    entry.2.insert(wheel);
    Ok(())
}

/// Resolves `openai-codex==sdk` with pip for each platform (this
/// interpreter's minor, wheels only) and merges the results into one lock.
fn resolve_lock(
    python: &Path,
    sdk: &str,
    platforms: &[String],
    work: &Path,
    progress: &dyn Fn(&str),
) -> Result<Pylock> {
    let minor = super::probe::python_minor(python)?;
    let mut packages: Resolved = BTreeMap::new();
    for platform in platforms {
        progress(&format!(
            "resolving {}=={sdk} for {platform}, Python {minor} (pip)",
            pins::SDK_PACKAGE
        ));
        let report = pip_report(python, sdk, platform, &minor, work)?;
        let names: BTreeSet<String> = report
            .install
            .iter()
            .map(|i| pylock::normalize_name(&i.metadata.name))
            .collect();
        for i in report.install {
            merge(&mut packages, i, &names, platform)?;
        }
    }
    let mut environments: Vec<String> = platforms
        .iter()
        .map(|p| pylock::environment_marker(p))
        .collect::<Result<_>>()?;
    environments.sort();
    Ok(Pylock {
        environments,
        requires_python: format!("=={minor}.*"),
        packages: packages
            .into_iter()
            .map(|(name, (version, deps, wheels))| LockedPackage {
                name,
                version,
                dependencies: deps.into_iter().collect(),
                wheels: wheels.into_iter().collect(),
            })
            .collect(),
    })
}

/// The packages of `present` a package requires; requirements only for
/// extras are not its own.
fn dependencies(requires_dist: &[String], present: &BTreeSet<String>) -> BTreeSet<String> {
    requires_dist
        .iter()
        .filter(|r| {
            !r.split_once(';')
                .is_some_and(|(_, marker)| marker.contains("extra"))
        })
        .map(|r| {
            let end = r
                .find(|c: char| !(c.is_ascii_alphanumeric() || "._-".contains(c)))
                .unwrap_or(r.len());
            pylock::normalize_name(&r[..end])
        })
        .filter(|n| present.contains(n))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_are_the_locked_packages_required_outside_extras() {
        let present: BTreeSet<String> = [
            "annotated-types",
            "pydantic-core",
            "typing-extensions",
            "email-validator",
        ]
        .map(String::from)
        .into();
        let deps = dependencies(
            &[
                "annotated-types>=0.6.0".into(),
                "pydantic-core==2.50.5".into(),
                "typing_extensions>=4.16.0".into(),
                "email-validator>=2.0.0; extra == 'email'".into(),
                "tzdata; (platform_system == 'Windows') and extra == 'timezone'".into(),
            ],
            &present,
        );
        assert_eq!(
            deps.into_iter().collect::<Vec<_>>(),
            ["annotated-types", "pydantic-core", "typing-extensions"]
        );
    }
}

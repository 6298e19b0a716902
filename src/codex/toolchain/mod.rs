//! The toolchain that runs scenarios: a Python interpreter with the SDK, and
//! the codex binary. Either provisioned from the pins (a venv in the cache),
//! or given explicitly (`--python` from Nix, `--python-sdk`, `--codex-path`),
//! which is recorded as unpinned unless its versions match the pins.

pub mod bump;
pub mod cache;
mod cache_entry;
mod checkout;
pub mod codex;
pub(crate) mod command;
mod fingerprint;
pub mod node;
mod probe;
mod registry;
mod venv;

pub use probe::homeless_codex;

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};

use crate::base::failure::hinted;
use crate::codex::pins::{self, Pins};

/// What the user asked for; `None` means "the pinned one".
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub python: Option<PathBuf>,
    pub python_sdk: Option<PathBuf>,
    pub codex_path: Option<PathBuf>,
    pub cache_dir: Option<PathBuf>,
}

/// The SDK or codex, as resolved.
#[derive(Debug, Clone)]
pub struct Component {
    pub version: String,
    pub path: PathBuf,
    /// The SDK: exactly the pinned version from the pinned source. codex:
    /// exactly the pinned binary's bytes.
    pub pinned: bool,
    /// For an SDK checkout: the digest of its package tree.
    pub digest: Option<String>,
    /// For an SDK checkout in git: its commit.
    pub commit: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Toolchain {
    pub python: PathBuf,
    pub python_version: String,
    /// `sys.prefix`: its paths may appear in output and are normalised.
    pub python_prefix: PathBuf,
    /// Prepended to `sys.path` (an SDK checkout's source dir).
    pub sys_path: Vec<PathBuf>,
    pub sdk: Component,
    pub codex: Component,
    /// The sha256 of the codex binary that runs.
    pub codex_sha256: String,
    /// The provisioned venv, when the driver built one.
    pub venv: Option<PathBuf>,
    /// Node and the TypeScript SDK, when a run has the typescript lane.
    pub typescript: Option<node::NodeSdk>,
}

impl Toolchain {
    pub fn resolve(pins: &Pins, req: &Request, progress: &dyn Fn(&str)) -> Result<Toolchain> {
        let (python, venv, built_probe) = python_of(pins, req, progress)?;
        let checkout = req
            .python_sdk
            .as_deref()
            .map(checkout::Checkout::open)
            .transpose()?;
        let sys_path: Vec<PathBuf> = checkout.iter().map(|c| c.import_root.clone()).collect();
        // A checkout on sys.path is another SDK than the one the venv's
        // build probed.
        let probe = match built_probe.filter(|_| sys_path.is_empty()) {
            Some(probe) => probe,
            None => probe::probe(&python, &sys_path)?,
        };
        let sdk = sdk_of(pins, &python, &probe, checkout)?;
        let cache = cache_dir(req).ok();
        let (codex, codex_sha256) = match &req.codex_path {
            Some(path) => given_codex(pins, path, cache.as_deref())?,
            None => {
                let found = Found {
                    python: &python,
                    venv: venv.as_deref(),
                    probe: &probe,
                };
                pinned_codex(pins, req, &found, progress)?
            }
        };
        Ok(Toolchain {
            python,
            python_version: probe.python_version,
            python_prefix: probe.prefix,
            sys_path,
            sdk,
            codex,
            codex_sha256,
            venv,
            typescript: None,
        })
    }

    /// Whether the interpreter is of the minor the lock's wheels are for.
    pub fn python_pinned(&self, pins: &Pins) -> bool {
        self.python_version
            .strip_prefix(pins.python.python_minor())
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
    }

    /// One line per component that is not the pinned one: a run with any
    /// is not a pinned reproduction.
    pub fn unpinned(&self, pins: &Pins) -> Vec<String> {
        let mut out = Vec::new();
        if !self.python_pinned(pins) {
            out.push(format!(
                "Python {} at {} is not the pinned interpreter ({} locks wheels for Python {})",
                self.python_version,
                self.python.display(),
                pins.lock.display(),
                pins.python.python_minor()
            ));
        }
        if !self.codex.pinned {
            out.push(format!(
                "codex at {} is not the pinned binary (sha256 {}; {} pins codex {} for {})",
                self.codex.path.display(),
                self.codex_sha256,
                pins.native_exs.display(),
                pins.codex.version,
                pins::current_platform()
            ));
        }
        if !self.sdk.pinned {
            out.push(format!(
                "openai-codex {} at {} is not the pinned SDK ({})",
                self.sdk.version,
                self.sdk.path.display(),
                pins.sdk().version
            ));
        }
        out
    }
}

/// The interpreter a run uses, the venv the driver built for it, and the
/// probe the build made of it (`None`: given with `--python`).
fn python_of(
    pins: &Pins,
    req: &Request,
    progress: &dyn Fn(&str),
) -> Result<(PathBuf, Option<PathBuf>, Option<probe::Probe>)> {
    match &req.python {
        Some(p) if !p.exists() => Err(hinted(
            anyhow!("--python {} does not exist", p.display()),
            "pass the path of a Python that has the SDK, or drop --python to use the pinned venv",
        )),
        Some(p) => Ok((p.clone(), None, None)),
        None => {
            let base = base_python()?;
            let cache = cache_dir(req)?;
            let venv::Venv { python, probe } = venv::provision(pins, &base, &cache, progress)?;
            let dir = python
                .parent()
                .and_then(Path::parent)
                .map(Path::to_path_buf);
            Ok((python, dir, probe))
        }
    }
}

/// The Python SDK `probe` found, or a checkout on `sys.path`.
fn sdk_of(
    pins: &Pins,
    python: &Path,
    probe: &probe::Probe,
    checkout: Option<checkout::Checkout>,
) -> Result<Component> {
    let (Some(sdk_version), Some(sdk_file)) = (&probe.sdk_version, &probe.sdk_file) else {
        return Err(hinted(
            anyhow!(
                "the Python SDK (openai_codex) is not importable by {}: {}",
                python.display(),
                probe.sdk_error.clone().unwrap_or_default()
            ),
            format!(
                "drop --python to use the pinned venv, or install the lock into it: pip install --require-hashes -r {}",
                pins.lock.display()
            ),
        ));
    };
    Ok(Component {
        pinned: checkout.is_none() && *sdk_version == pins.sdk().version,
        // A checkout's own version: what the venv has installed is
        // another SDK.
        version: match &checkout {
            Some(c) => c
                .version
                .clone()
                .unwrap_or_else(|| "unknown (a checkout without pyproject.toml)".into()),
            None => sdk_version.clone(),
        },
        path: sdk_file
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| sdk_file.clone()),
        digest: checkout.as_ref().map(|c| c.digest.clone()),
        commit: checkout.and_then(|c| c.commit),
    })
}

/// The binary sha256 the pins name for this platform, if they have one.
fn pinned_sha256(pins: &Pins) -> Option<String> {
    pins.artifact(&pins::current_platform())
        .ok()
        .map(|a| a.binary_sha256.clone())
}

/// `--codex-path`: pinned when its bytes are the pinned binary's.
fn given_codex(pins: &Pins, path: &Path, cache: Option<&Path>) -> Result<(Component, String)> {
    let path = path
        .canonicalize()
        .with_context(|| format!("--codex-path {} does not exist", path.display()))?;
    let version = probe::codex_version(&path)?;
    let sha256 = fingerprint::sha256(&path, cache)?;
    let codex = Component {
        pinned: pinned_sha256(pins).as_deref() == Some(sha256.as_str()),
        version,
        path,
        digest: None,
        commit: None,
    };
    Ok((codex, sha256))
}

/// What the interpreter of a run was found to hold.
struct Found<'a> {
    python: &'a Path,
    venv: Option<&'a Path>,
    probe: &'a probe::Probe,
}

/// The pinned codex, or nothing: a pin without this platform is refused,
/// not run unpinned, and a binary whose bytes are not the pin's is refused.
fn pinned_codex(
    pins: &Pins,
    req: &Request,
    found: &Found,
    progress: &dyn Fn(&str),
) -> Result<(Component, String)> {
    pins.artifact(&pins::current_platform())?;
    let (path, modified) = match pins.sdk_runtime_differs() {
        // The SDK bundles another codex than the pinned one: the pinned
        // binary comes from its own artifact, and the SDK is pointed at it
        // like every lane.
        Some(_) => {
            let path = codex::provision(pins, found.python, &cache_dir(req)?, progress)?;
            let hint = format!(
                "the cached copy was modified; delete {} and run again",
                path.parent().unwrap_or(&path).display()
            );
            (path, hint)
        }
        None => bundled_codex(pins, found)?,
    };
    let sha256 = fingerprint::sha256(&path, cache_dir(req).ok().as_deref())?;
    let pinned = pinned_sha256(pins);
    if let Some(want) = &pinned
        && *want != sha256
    {
        return Err(hinted(
            anyhow!(
                "the codex at {} is not the pinned binary: its sha256 is {sha256}, {} pins {want} for {}",
                path.display(),
                pins.native_exs.display(),
                pins::current_platform()
            ),
            modified,
        ));
    }
    let version = probe::codex_version(&path)?;
    if let Some(venv) = found.venv
        && version != pins.codex.version
    {
        return Err(hinted(
            anyhow!(
                "the provisioned codex at {} is {version}, but {} pins {}",
                path.display(),
                pins.native_exs.display(),
                pins.codex.version
            ),
            format!("delete the cache dir {} and run again", venv.display()),
        ));
    }
    let codex = Component {
        pinned: pinned.is_some() && version == pins.codex.version,
        version,
        path,
        digest: None,
        commit: None,
    };
    Ok((codex, sha256))
}

/// The codex the SDK's wheel bundles, and what to say if its bytes are not
/// the pin's.
fn bundled_codex(pins: &Pins, found: &Found) -> Result<(PathBuf, String)> {
    let path = found.probe.codex_bin.clone().ok_or_else(|| {
        hinted(
            anyhow!(
                "{} has no bundled codex (openai-codex-cli-bin): {}",
                found.python.display(),
                found.probe.codex_error.clone().unwrap_or_default()
            ),
            "pass --codex-path, or drop --python to use the pinned venv",
        )
    })?;
    // The venv's seal held when it was provisioned, so its codex is the
    // lock's wheel's: the pin is what differs.
    let hint = match found.venv {
        Some(_) => format!(
            "the venv holds the codex of the wheel {} locks, unchanged since it was installed; {}'s binary_sha256 is what differs: fix it, or re-pin with `codex-harvest pin --codex {}`",
            pins.lock.display(),
            pins.native_exs.display(),
            pins.codex.version
        ),
        None => "use the pinned toolchain, or pass --codex-path to run this binary as unpinned"
            .to_string(),
    };
    Ok((path, hint))
}

/// The interpreter venvs are built from.
fn base_python() -> Result<PathBuf> {
    which::which("python3").map_err(|_| {
        hinted(
            anyhow!("python3 not found on PATH"),
            "install Python 3.10 or newer, or pass --python PATH",
        )
    })
}

/// `CODEX_HARVEST_CACHE`, else the user cache dir. Never under the project:
/// `check` must not write there.
pub fn cache_dir(req: &Request) -> Result<PathBuf> {
    if let Some(dir) = &req.cache_dir {
        return Ok(dir.clone());
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .ok_or_else(|| {
            hinted(
                anyhow!(
                    "neither XDG_CACHE_HOME nor HOME is set, so there is no cache for the venv"
                ),
                "set CODEX_HARVEST_CACHE to a writable directory",
            )
        })?;
    Ok(base.join("codex-harvest"))
}

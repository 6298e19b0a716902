//! The Python lock, `config/pylock.toml` (PEP 751): every package the SDK
//! needs, each with its wheels for every pinned system, named and hashed.
//!
//! Both installers read it: the driver (`pip install --require-hashes` of
//! each package's wheel for this system) and the Nix flake (`fetchPypi` of
//! the same file names and hashes). Wheels carry their file name rather than
//! an address: the index that serves them is the installer's to know. Like
//! `native.exs`, only the form `pin` writes is read, so the two readers can
//! never read one file two ways.

use std::collections::BTreeMap;

use anyhow::{Result, anyhow, bail};
use serde::{Deserialize, Serialize};

/// PEP 503 normalisation, so `openai_codex_cli_bin` and
/// `openai-codex-cli-bin` name the same package.
pub fn normalize_name(name: &str) -> String {
    name.to_ascii_lowercase().replace(['_', '.'], "-")
}

/// The whole lock.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Pylock {
    /// PEP 751 environment markers, one per pinned system (informational).
    pub environments: Vec<String>,
    /// `==X.Y.*`: the one interpreter minor the wheels are for.
    pub requires_python: String,
    pub packages: Vec<LockedPackage>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LockedPackage {
    pub name: String,
    pub version: String,
    /// Names of the packages in this lock it requires (for Nix's build order
    /// and its runtime dependency check; installers do not read them).
    pub dependencies: Vec<String>,
    pub wheels: Vec<Wheel>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Wheel {
    pub name: String,
    pub sha256: String,
}

/// The Nix systems a wheel installs on, from its platform tag(s).
pub fn wheel_systems(file: &str) -> Vec<&'static str> {
    let stem = file.strip_suffix(".whl").unwrap_or(file);
    let platform = stem.rsplit('-').next().unwrap_or("");
    let mut out = Vec::new();
    for tag in platform.split('.') {
        let systems: &[&'static str] = if tag == "any" {
            &SYSTEMS
        } else if tag.starts_with("manylinux") && tag.ends_with("_x86_64") {
            &["x86_64-linux"]
        } else if tag.starts_with("manylinux") && tag.ends_with("_aarch64") {
            &["aarch64-linux"]
        } else if tag.starts_with("macosx") && tag.ends_with("_x86_64") {
            &["x86_64-darwin"]
        } else if tag.starts_with("macosx") && tag.ends_with("_arm64") {
            &["aarch64-darwin"]
        } else if tag.starts_with("macosx") && tag.ends_with("_universal2") {
            &["x86_64-darwin", "aarch64-darwin"]
        } else {
            &[]
        };
        for s in systems {
            if !out.contains(s) {
                out.push(*s);
            }
        }
    }
    out
}

/// Every system a wheel tag can name (`wheel_systems`).
const SYSTEMS: [&str; 4] = [
    "aarch64-darwin",
    "aarch64-linux",
    "x86_64-darwin",
    "x86_64-linux",
];

/// The environment marker `pin` writes for a Nix system.
pub fn environment_marker(system: &str) -> Result<String> {
    let (arch, os) = system
        .split_once('-')
        .ok_or_else(|| anyhow!("{system} is not a Nix system name"))?;
    let machine = match (arch, os) {
        ("aarch64", "darwin") => "arm64",
        (arch, _) => arch,
    };
    Ok(format!(
        "sys_platform == '{os}' and platform_machine == '{machine}'"
    ))
}

/// One wheel to install: the package it is and the file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Selected {
    pub package: String,
    pub version: String,
    pub file: String,
    pub sha256: String,
}

impl Pylock {
    /// `X.Y` from `requires-python = "==X.Y.*"`.
    pub fn python_minor(&self) -> &str {
        self.requires_python
            .strip_prefix("==")
            .and_then(|v| v.strip_suffix(".*"))
            .expect("parse() checks the form")
    }

    pub fn package(&self, name: &str) -> Option<&LockedPackage> {
        let name = normalize_name(name);
        self.packages.iter().find(|p| p.name == name)
    }

    /// The wheel of every package for `system`: exactly one each.
    pub fn select(&self, system: &str) -> Result<Vec<Selected>> {
        self.packages
            .iter()
            .map(|p| {
                let fits: Vec<&Wheel> = p
                    .wheels
                    .iter()
                    .filter(|w| wheel_systems(&w.name).contains(&system))
                    .collect();
                match fits.as_slice() {
                    [w] => Ok(Selected {
                        package: p.name.clone(),
                        version: p.version.clone(),
                        file: w.name.clone(),
                        sha256: w.sha256.clone(),
                    }),
                    _ => bail!(
                        "{} {} has {} wheels for {system}; it needs exactly one",
                        p.name,
                        p.version,
                        fits.len()
                    ),
                }
            })
            .collect()
    }

    /// The selection for every system the lock names.
    pub fn selections(&self, systems: &[String]) -> Result<BTreeMap<String, Vec<Selected>>> {
        systems
            .iter()
            .map(|s| Ok((s.clone(), self.select(s)?)))
            .collect()
    }
}

/// The comment `pin` writes above the lock.
pub const HEADER: &str = "\
# The Python SDK and everything it needs, locked for every pinned system
# (PEP 751). Written by `codex-harvest pin`; both the driver and the Nix flake
# install exactly these wheels, fetched by file name and checked by sha256.
# Only this form is read: regenerate it, never edit it.
";

/// The lock as `pin` writes it.
pub fn render(lock: &Pylock) -> String {
    let q = |s: &str| format!("\"{s}\"");
    let mut out = String::from(HEADER);
    out.push_str("lock-version = \"1.0\"\nenvironments = [\n");
    for e in &lock.environments {
        out.push_str(&format!("    {},\n", q(e)));
    }
    out.push_str(&format!(
        "]\nrequires-python = {}\ncreated-by = \"codex-harvest\"\n",
        q(&lock.requires_python)
    ));
    for p in &lock.packages {
        out.push_str(&format!(
            "\n[[packages]]\nname = {}\nversion = {}\ndependencies = [{}]\nwheels = [\n",
            q(&p.name),
            q(&p.version),
            p.dependencies
                .iter()
                .map(|d| format!("{{ name = {} }}", q(d)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        for w in &p.wheels {
            out.push_str(&format!(
                "    {{ name = {}, hashes = {{ sha256 = {} }} }},\n",
                q(&w.name),
                q(&w.sha256)
            ));
        }
        out.push_str("]\n");
    }
    out
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct File {
    lock_version: String,
    environments: Vec<String>,
    requires_python: String,
    created_by: String,
    packages: Vec<FilePackage>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FilePackage {
    name: String,
    version: String,
    dependencies: Vec<FileDependency>,
    wheels: Vec<FileWheel>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDependency {
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileWheel {
    name: String,
    hashes: BTreeMap<String, String>,
}

/// Reads the lock and checks it is in the form `render` writes.
pub fn parse(src: &str) -> Result<Pylock> {
    let file: File = toml::from_str(src).map_err(|e| anyhow!("not a lock `pin` wrote: {e}"))?;
    if file.lock_version != "1.0" {
        bail!(
            "lock-version {:?}: only PEP 751 version 1.0 is read",
            file.lock_version
        );
    }
    let lock = Pylock {
        environments: file.environments,
        requires_python: file.requires_python,
        packages: file
            .packages
            .into_iter()
            .map(|p| LockedPackage {
                name: p.name,
                version: p.version,
                dependencies: p.dependencies.into_iter().map(|d| d.name).collect(),
                wheels: p
                    .wheels
                    .into_iter()
                    .map(|w| Wheel {
                        sha256: w.hashes.get("sha256").cloned().unwrap_or_default(),
                        name: w.name,
                    })
                    .collect(),
            })
            .collect(),
    };
    if file.created_by != "codex-harvest" {
        bail!(
            "created-by {:?}: this lock is written by `codex-harvest pin`",
            file.created_by
        );
    }
    check(&lock)?;
    let body = src.find("lock-version").map_or(src, |at| &src[at..]);
    let want = render(&lock);
    let want_body = &want[HEADER.len()..];
    if body != want_body {
        let line = body
            .lines()
            .zip(want_body.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(body.lines().count().min(want_body.lines().count()));
        let offset = src[..src.len() - body.len()].lines().count();
        return Err(crate::base::failure::hinted(
            anyhow!(
                "line {}: not in the form `codex-harvest pin` writes",
                offset + line + 1
            ),
            "regenerate it with `codex-harvest pin --codex <version> --no-harvest`",
        ));
    }
    Ok(lock)
}

fn check(lock: &Pylock) -> Result<()> {
    let minor = lock
        .requires_python
        .strip_prefix("==")
        .and_then(|v| v.strip_suffix(".*"));
    if !minor.is_some_and(|m| {
        let parts: Vec<&str> = m.split('.').collect();
        parts.len() == 2 && parts.iter().all(|p| p.parse::<u32>().is_ok())
    }) {
        bail!(
            "requires-python {:?} must name one interpreter minor, as `==3.11.*`",
            lock.requires_python
        );
    }
    let mut seen = Vec::new();
    for p in &lock.packages {
        if p.name != normalize_name(&p.name) {
            bail!("package {:?} is not a normalised name", p.name);
        }
        if seen.contains(&&p.name) {
            bail!("package {} is listed twice", p.name);
        }
        seen.push(&p.name);
        if p.wheels.is_empty() {
            bail!("{} {} has no wheels", p.name, p.version);
        }
        for w in &p.wheels {
            let hex = w.sha256.len() == 64 && w.sha256.bytes().all(|b| b.is_ascii_hexdigit());
            if !hex {
                bail!(
                    "{}: {} needs hashes.sha256 of 64 hex digits",
                    p.name,
                    w.name
                );
            }
            if !w.name.ends_with(".whl") || wheel_systems(&w.name).is_empty() {
                bail!(
                    "{}: {} is not a wheel for any system the lock knows",
                    p.name,
                    w.name
                );
            }
        }
        for d in &p.dependencies {
            if !lock.packages.iter().any(|q| &q.name == d) {
                bail!("{} depends on {d}, which the lock does not hold", p.name);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    const C: &str = "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";

    fn lock() -> Pylock {
        Pylock {
            environments: vec![environment_marker("x86_64-linux").unwrap()],
            requires_python: "==3.11.*".into(),
            packages: vec![
                LockedPackage {
                    name: "core".into(),
                    version: "1.0".into(),
                    dependencies: vec![],
                    wheels: vec![
                        Wheel {
                            name: "core-1.0-cp311-cp311-macosx_11_0_arm64.whl".into(),
                            sha256: A.into(),
                        },
                        Wheel {
                            name: "core-1.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl".into(),
                            sha256: B.into(),
                        },
                    ],
                },
                LockedPackage {
                    name: "top".into(),
                    version: "2.0".into(),
                    dependencies: vec!["core".into()],
                    wheels: vec![Wheel {
                        name: "top-2.0-py3-none-any.whl".into(),
                        sha256: C.into(),
                    }],
                },
            ],
        }
    }

    #[test]
    fn what_render_writes_parse_reads() {
        let l = lock();
        assert_eq!(parse(&render(&l)).unwrap(), l);
        assert_eq!(l.python_minor(), "3.11");
        let commented = render(&l).replacen("# Only", "# A note.\n# Only", 1);
        assert_eq!(parse(&commented).unwrap(), l);
    }

    #[test]
    fn each_system_gets_one_wheel_per_package() {
        let l = lock();
        let linux = l.select("x86_64-linux").unwrap();
        assert_eq!(
            linux.iter().map(|s| s.sha256.as_str()).collect::<Vec<_>>(),
            [B, C]
        );
        assert_eq!(l.select("aarch64-darwin").unwrap()[0].sha256, A);
        let err = l.select("aarch64-linux").unwrap_err().to_string();
        assert!(
            err.contains("core 1.0 has 0 wheels for aarch64-linux"),
            "{err}"
        );
    }

    #[test]
    fn wheel_tags_name_their_systems() {
        assert_eq!(wheel_systems("x-1-py3-none-any.whl").len(), 4);
        assert_eq!(
            wheel_systems("x-1-cp311-cp311-macosx_10_12_universal2.whl"),
            ["x86_64-darwin", "aarch64-darwin"]
        );
        assert!(wheel_systems("x-1-cp311-cp311-win_amd64.whl").is_empty());
        assert_eq!(
            environment_marker("aarch64-darwin").unwrap(),
            "sys_platform == 'darwin' and platform_machine == 'arm64'"
        );
    }

    #[test]
    fn other_forms_are_refused_with_the_line() {
        let good = render(&lock());
        for (bad, needle) in [
            (
                good.replace("\"==3.11.*\"", "\">=3.10\""),
                "one interpreter minor",
            ),
            (good.replace(A, "xyz"), "64 hex"),
            (
                good.replace("name = \"core\" }", "name = \"gone\" }"),
                "does not hold",
            ),
            (
                good.replace("version = \"2.0\"", "version = '2.0'"),
                "line ",
            ),
            (
                good.replace("created-by = \"codex-harvest\"", "created-by = \"uv\""),
                "written by",
            ),
            (
                good.replace("lock-version = \"1.0\"", "lock-version = \"2.0\""),
                "1.0 is read",
            ),
            (good.replace("dependencies = []\n", ""), "not a lock"),
        ] {
            let err = format!("{:#}", parse(&bad).unwrap_err());
            assert!(err.contains(needle), "{needle}: {err}");
        }
    }
}

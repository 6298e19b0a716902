//! How results are shown: each report is a `Serialize` struct (its JSON
//! form) with a text form beside it. What is compared is decided elsewhere
//! (`compare.rs`, `manifest.rs`); this module only shows it.

use std::path::PathBuf;

use serde::Serialize;

use crate::engine::compare::Drift;
use crate::engine::drift_text::{self, Style};
use crate::engine::manifest::Mismatch;

pub fn print_json(value: &impl Serialize) {
    crate::outln!(
        "{}",
        serde_json::to_string_pretty(value).expect("reports serialise")
    );
}

/// `check`: the drift, and what it means for the run.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub clean: bool,
    /// Inputs every scenario shares that moved since the harvest (the rules,
    /// the pins): every scenario is stale for one reason, said once.
    pub shared_inputs_changed: Vec<crate::harvest::inputs::SharedChange>,
    pub drift: Drift,
    /// Components that were not the pinned ones: the result is not a pinned
    /// reproduction.
    pub unpinned: Vec<String>,
    /// Files no scenario produces, kept by `--unreferenced=warn`.
    pub kept_unreferenced: Vec<String>,
}

impl CheckReport {
    pub fn print_text(&self, shown: &str) {
        for c in &self.shared_inputs_changed {
            crate::outln!(
                "note: {} changed since {} scenario(s) were harvested: their input digests moved for that one reason; run `codex-harvest harvest` (all scenarios) and review the diff",
                c.input,
                c.stale
            );
        }
        for f in &self.kept_unreferenced {
            crate::outln!("warning: kept {f}, which no scenario produces (--unreferenced=warn)");
        }
        print_drift(
            &self.drift,
            shown,
            &format!(
                "hint: if this change is expected, run `codex-harvest harvest` and review `git diff {shown}`"
            ),
        );
        for u in &self.unpinned {
            crate::outln!(
                "note: not a pinned reproduction: {u}; the fixtures were compared, the toolchain they record was not"
            );
        }
    }
}

/// The drift report; `closing` is its last line (a hint or a summary).
pub fn print_drift(drift: &Drift, shown: &str, closing: &str) {
    crate::out!(
        "{}",
        drift_report(drift, shown, closing, Style::for_stdout())
    );
}

/// The drift report's text, in `style`.
pub fn drift_report(drift: &Drift, shown: &str, closing: &str, style: Style) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    if drift.is_clean() {
        let _ = writeln!(
            out,
            "check: {shown} matches what the pinned toolchain produces"
        );
        return out;
    }
    let count = drift
        .changed
        .iter()
        .map(|f| &f.path)
        .chain(&drift.missing)
        .chain(&drift.extra)
        .chain(&drift.hand_edited)
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let _ = writeln!(
        out,
        "check: {shown} drifts from what the toolchain produces ({count} file(s))"
    );
    for f in &drift.changed {
        let edited = if drift.hand_edited.contains(&f.path) {
            " (hand-edited: it no longer matches its SHA256SUMS line)"
        } else {
            ""
        };
        let _ = writeln!(out, "changed  {}{edited}", f.path);
        for d in &f.differences {
            out.push_str(&drift_text::render(d, style));
        }
        if f.more > 0 {
            let _ = writeln!(out, "  … and {} more difference(s)", f.more);
        }
    }
    for p in &drift.missing {
        let _ = writeln!(out, "missing  {p}  (regenerated, not committed)");
    }
    for p in &drift.extra {
        let _ = writeln!(
            out,
            "extra    {p}  (committed, but no scenario produces it)"
        );
    }
    for p in drift
        .hand_edited
        .iter()
        .filter(|p| !drift.changed.iter().any(|f| &f.path == *p))
    {
        let _ = writeln!(
            out,
            "hand-edited  {p}  (its bytes no longer match SHA256SUMS)"
        );
    }
    let _ = writeln!(out, "{closing}");
    out
}

/// `verify`: the files whose bytes do not match `SHA256SUMS`.
#[derive(Debug, Serialize)]
pub struct VerifyReport {
    pub clean: bool,
    pub mismatches: Vec<Mismatch>,
}

impl VerifyReport {
    pub fn print_text(&self, shown: &str) {
        if self.clean {
            crate::outln!("verify: every file under {shown} matches SHA256SUMS");
            return;
        }
        crate::outln!(
            "verify: {} file(s) under {shown} do not match SHA256SUMS",
            self.mismatches.len()
        );
        for m in &self.mismatches {
            crate::outln!("  {}  {}", m.path(), m.describe());
        }
        crate::outln!(
            "hint: fixtures change only through `codex-harvest harvest`; restore them with `git checkout -- {shown}` or regenerate"
        );
    }
}

/// `list`: one scenario.
#[derive(Debug, Serialize)]
pub struct ListEntry {
    pub name: String,
    pub about: String,
    pub outputs: Vec<String>,
}

pub fn print_list(entries: &[ListEntry]) {
    for s in entries {
        crate::outln!("{}  {}", s.name, s.about);
        for o in &s.outputs {
            crate::outln!("    {o}");
        }
    }
}

/// `doctor`: the resolved toolchain.
#[derive(Debug, Serialize)]
pub struct DoctorReport {
    pub platform: String,
    pub python: PythonReport,
    pub python_sdk: ComponentReport,
    /// The codex the SDK bundles, when it is not the pinned codex: the SDK
    /// is pointed at the pinned binary.
    pub sdk_bundled_codex: Option<String>,
    pub codex: CodexReport,
    /// Node and the TypeScript SDK, or why the typescript lane cannot run.
    pub typescript: TypescriptState,
}

/// Whether the typescript lane can run: `{"status": "available", …}` or
/// `{"status": "unavailable", "why": …}` in JSON.
#[derive(Debug, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TypescriptState {
    Available(TypescriptReport),
    Unavailable { why: String },
}

impl From<Result<TypescriptReport, String>> for TypescriptState {
    fn from(found: Result<TypescriptReport, String>) -> TypescriptState {
        match found {
            Ok(report) => TypescriptState::Available(report),
            Err(why) => TypescriptState::Unavailable { why },
        }
    }
}

#[derive(Debug, Serialize)]
pub struct TypescriptReport {
    pub node: PathBuf,
    pub node_version: String,
    pub sdk_version: String,
    pub sdk_integrity: String,
    pub install: PathBuf,
}

#[derive(Debug, Serialize)]
pub struct PythonReport {
    pub path: PathBuf,
    pub version: String,
    /// The interpreter minor the lock's wheels are for (`requires-python`).
    pub pinned_minor: String,
    pub pinned: bool,
    pub venv: Option<PathBuf>,
}

#[derive(Debug, Serialize)]
pub struct ComponentReport {
    pub version: String,
    pub path: PathBuf,
    pub pinned: bool,
    /// The pinned version, for the text form.
    #[serde(skip)]
    pub pin: String,
}

#[derive(Debug, Serialize)]
pub struct CodexReport {
    pub version: String,
    pub path: PathBuf,
    pub sha256: String,
    pub pinned: bool,
    pub pinned_artifact: Option<crate::codex::pins::Artifact>,
    #[serde(skip)]
    pub pin: String,
}

impl DoctorReport {
    pub fn print_text(&self) {
        let state = |pinned: bool, pin: &str| {
            if pinned {
                "pinned".to_string()
            } else {
                format!("UNPINNED: the pin is {pin}")
            }
        };
        crate::outln!("platform    {}", self.platform);
        crate::outln!(
            "python      {} ({})  [{}]",
            self.python.path.display(),
            self.python.version,
            state(self.python.pinned, &self.python.pinned_minor)
        );
        if let Some(v) = &self.python.venv {
            crate::outln!("venv        {}", v.display());
        }
        let sdk = &self.python_sdk;
        crate::outln!(
            "python-sdk  openai-codex {} at {}  [{}]",
            sdk.version,
            sdk.path.display(),
            state(sdk.pinned, &sdk.pin)
        );
        if let Some(bundled) = &self.sdk_bundled_codex {
            crate::outln!(
                "            bundles codex {bundled}; it is pointed at the pinned codex {} instead",
                self.codex.pin
            );
        }
        let codex = &self.codex;
        crate::outln!(
            "codex       {} at {}  [{}]",
            codex.version,
            codex.path.display(),
            state(codex.pinned, &codex.pin)
        );
        crate::outln!("codex sha256 {}", codex.sha256);
        if let Some(a) = &codex.pinned_artifact {
            crate::outln!(
                "pinned      {} (binary sha256 {})",
                a.source.describe(),
                a.binary_sha256
            );
        }
        match &self.typescript {
            TypescriptState::Available(ts) => {
                crate::outln!("node        {} ({})", ts.node.display(), ts.node_version);
                crate::outln!(
                    "ts-sdk      @openai/codex-sdk {} at {}  [pinned: {}]",
                    ts.sdk_version,
                    ts.install.display(),
                    ts.sdk_integrity
                );
            }
            TypescriptState::Unavailable { why } => {
                crate::outln!("ts-sdk      unavailable: {why}")
            }
        }
    }
}

pub fn print_pins(pins: &crate::codex::pins::Pins) {
    crate::outln!("codex {}", pins.codex.version);
    for (platform, a) in &pins.codex.artifacts {
        crate::outln!(
            "  {platform:<15} binary {}  from {}",
            a.binary_sha256,
            a.source.describe()
        );
    }
    if let Some(bundled) = pins.sdk_runtime_differs() {
        crate::outln!(
            "  the SDK bundles codex {bundled}; runs point it at the pinned codex {}",
            pins.codex.version
        );
    }
    crate::outln!(
        "python {} ({})",
        pins.python.python_minor(),
        pins.lock.display()
    );
    for p in &pins.python.packages {
        crate::outln!("  {}=={} ({} wheels)", p.name, p.version, p.wheels.len());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 35, item 16: the typescript lane's state reads as a state in
    /// JSON, whichever it is.
    #[test]
    fn the_typescript_state_is_named_in_json() {
        let down = TypescriptState::from(Err::<TypescriptReport, _>("no node".to_string()));
        assert_eq!(
            serde_json::to_value(&down).unwrap(),
            serde_json::json!({"status": "unavailable", "why": "no node"})
        );
        let up = TypescriptState::from(Ok::<_, String>(TypescriptReport {
            node: "/usr/bin/node".into(),
            node_version: "20.0.0".into(),
            sdk_version: "0.163.0".into(),
            sdk_integrity: "sha512-x".into(),
            install: "/cache/node".into(),
        }));
        let up = serde_json::to_value(&up).unwrap();
        assert_eq!(up["status"], "available");
        assert_eq!(up["sdk_version"], "0.163.0");
    }
}

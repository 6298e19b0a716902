//! The harvest config (`config/harvest.toml`): the scenario catalogue, their
//! declared outputs and timeouts, the normalisation rules and secret patterns.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::base::failure::hinted;
use crate::codex::model::provider::ProviderSettings;
use crate::engine::fixture_path::{FixturePath, is_inside};
use crate::engine::normalize::{self, Rule};
use crate::engine::secrets::SecretPattern;
use crate::harvest::exec_recipe::{ExecRecipe, RawExec, exec_recipe};
use crate::harvest::layout::Layout;

/// Keyword arguments the driver passes to every `record()`; config may not set them.
const RESERVED_KWARGS: [&str; 3] = ["codex_path", "model", "outputs"];

/// The longest timeout a scenario may ask for.
const MAX_TIMEOUT_SECS: u64 = 24 * 60 * 60;

/// The run-time locations that `path` rules (and `value` rules) may name.
pub const LOCATIONS: [&str; 6] = [
    "workdir",
    "codex_home",
    "home",
    "scratch",
    "python_prefix",
    "host",
];

/// One scenario of the catalogue.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub name: String,
    pub about: String,
    pub outputs: Vec<FixturePath>,
    pub kwargs: Map<String, Value>,
    pub timeout: Duration,
    /// Retry and timeout settings for the scripted model's provider entry
    /// (e.g. `stream_max_retries` for the error scenarios).
    pub model_provider: ProviderSettings,
    /// Run in a fresh interpreter, never forked from a warm worker.
    pub cold: bool,
    /// The same conversation through `codex exec --json`, when the exec CLI
    /// can express it.
    pub exec: Option<ExecRecipe>,
    /// The wire lane's transcripts, one per codex process the scenario
    /// starts, in start order (default: `wire/<name>.jsonl`; none for a
    /// scenario that starts no codex).
    pub wire: Vec<FixturePath>,
    /// The typescript lane's event streams, written by the scenario's
    /// module in `integration/harvest_scenarios_ts/` (none: no such lane).
    pub typescript: Vec<FixturePath>,
    /// Per typescript stream (one turn, one `codex exec`): what codex
    /// printed and how the SDK asked (`<stream>.codex.jsonl` and
    /// `<stream>.codex.command.json`), an exec fixture replay serves.
    pub typescript_codex: Vec<[FixturePath; 2]>,
}

#[derive(Debug, Clone)]
pub struct HarvestConfig {
    /// The model slug scenarios ask for (one the pinned codex knows).
    pub model: String,
    pub scenarios: Vec<Scenario>,
    pub rules: Vec<Rule>,
    pub secrets: Vec<SecretPattern>,
    pub wire: WireSettings,
    /// The scenarios of the built-in catalogue the project selects
    /// (`builtin`): their modules and scripts ship with the driver.
    pub builtin: Vec<String>,
    /// Where the generated docs go, relative to the root (`docs`).
    pub docs: Option<String>,
}

/// How the wire lane orders a conversation (see `wire::canonical`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WireSettings {
    /// Server notifications codex sends from its global queue, whose place
    /// against the rest varies run to run: recorded last, by method.
    #[serde(default)]
    pub unordered: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    model: String,
    timeout_secs: u64,
    #[serde(default)]
    scenario: Vec<toml::Spanned<RawScenario>>,
    #[serde(default)]
    rule: Vec<Rule>,
    #[serde(default)]
    secret: Vec<toml::Spanned<SecretPattern>>,
    #[serde(default)]
    wire: WireSettings,
    #[serde(default)]
    builtin: Vec<String>,
    lanes: Option<Vec<String>>,
    #[serde(default)]
    layout: BTreeMap<String, String>,
    docs: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawScenario {
    name: String,
    about: String,
    outputs: Vec<String>,
    #[serde(default)]
    kwargs: toml::Table,
    timeout_secs: Option<u64>,
    #[serde(default)]
    model_provider: toml::Table,
    #[serde(default)]
    cold: bool,
    wire: Option<Vec<String>>,
    #[serde(default)]
    typescript: Vec<String>,
    exec: Option<RawExec>,
}

impl HarvestConfig {
    pub fn load(path: &Path) -> Result<HarvestConfig> {
        let src =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        Self::parse(&src).with_context(|| format!("in {}", path.display()))
    }

    /// Reads the config; an error in a `[[scenario]]` or `[[secret]]`
    /// table names the line the table starts on.
    pub fn parse(src: &str) -> Result<HarvestConfig> {
        let raw: RawConfig = toml::from_str(src)?;
        normalize::validate(&raw.rule, &LOCATIONS)?;
        let line = |span: std::ops::Range<usize>| src[..span.start].matches('\n').count() + 1;
        let (mut scenarios, mut lines): (Vec<Scenario>, Vec<usize>) = (Vec::new(), Vec::new());
        for spanned in raw.scenario {
            let at = line(spanned.span());
            let s = spanned.into_inner();
            if let Some(first) = scenarios.iter().position(|o| o.name == s.name) {
                let first = lines[first];
                return Err(hinted(
                    anyhow!(
                        "line {at}: scenario {:?} is declared twice (first on line {first})",
                        s.name
                    ),
                    "give each [[scenario]] its own name: it names its module, integration/harvest_scenarios/<name>.py",
                ));
            }
            scenarios.push(scenario(s, raw.timeout_secs).with_context(|| format!("line {at}"))?);
            lines.push(at);
            refuse_clashes(&scenarios).with_context(|| format!("line {at}"))?;
        }
        let mut secrets = Vec::new();
        for spanned in raw.secret {
            let at = line(spanned.span());
            let secret = spanned.into_inner();
            regex::Regex::new(&secret.pattern)
                .with_context(|| format!("line {at}: secret {:?}: its pattern is no regex", secret.name))
                .map_err(|e| {
                    hinted(
                        e,
                        "write the pattern in the regex crate's syntax, in '…' quotes so that backslashes stay as written",
                    )
                })?;
            secrets.push(secret);
        }
        if let Some(dir) = raw.docs.as_deref().filter(|d| !is_inside(d)) {
            bail!(
                "docs = {dir:?}: the generated reports' directory is a relative path inside the project, without `..`"
            );
        }
        let own = HarvestConfig {
            model: raw.model,
            scenarios,
            rules: raw.rule,
            secrets,
            wire: raw.wire,
            builtin: raw.builtin,
            docs: raw.docs,
        };
        let layout = Layout::parse(raw.lanes.as_deref(), &raw.layout)?;
        if own.builtin.is_empty() && layout == Layout::all() {
            // Each scenario's outputs were checked against the others' as
            // it was read.
            return Ok(own);
        }
        let mut config = own.with_builtin()?;
        config.scenarios = std::mem::take(&mut config.scenarios)
            .into_iter()
            .map(|s| laid_out(s, &layout))
            .collect::<Result<_>>()?;
        for end in 1..=config.scenarios.len() {
            refuse_clashes(&config.scenarios[..end])?;
        }
        Ok(config)
    }

    /// This config with the built-in scenarios it selects before its own,
    /// and the catalogue's rules, secret patterns and wire order before its
    /// own.
    fn with_builtin(mut self) -> Result<HarvestConfig> {
        if self.builtin.is_empty() {
            return Ok(self);
        }
        let base = HarvestConfig::parse(crate::harvest::builtin::harvest_toml())
            .context("the built-in catalogue")?;
        let mut scenarios = Vec::new();
        for name in &self.builtin {
            let Some(s) = base.scenarios.iter().find(|s| &s.name == name) else {
                let known: Vec<&str> = base.scenarios.iter().map(|s| s.name.as_str()).collect();
                return Err(hinted(
                    anyhow!("builtin: the built-in catalogue has no scenario named {name:?}"),
                    format!(
                        "`codex-harvest init --help` lists them: {}",
                        known.join(", ")
                    ),
                ));
            };
            if self.scenarios.iter().any(|o| &o.name == name) {
                bail!(
                    "scenario {name:?} is both built in and declared by a [[scenario]] table: rename the project's own"
                );
            }
            scenarios.push(s.clone());
        }
        scenarios.append(&mut self.scenarios);
        self.scenarios = scenarios;
        self.rules = [base.rules, self.rules].concat();
        self.secrets = [base.secrets, self.secrets].concat();
        let mut unordered = base.wire.unordered;
        for m in self.wire.unordered {
            if !unordered.contains(&m) {
                unordered.push(m);
            }
        }
        self.wire.unordered = unordered;
        Ok(self)
    }

    /// The scenarios named in `names`, in catalogue order; all when empty.
    pub fn select(&self, names: &[String]) -> Result<Vec<&Scenario>> {
        for n in names {
            if !self.scenarios.iter().any(|s| &s.name == n) {
                let known: Vec<&str> = self.scenarios.iter().map(|s| s.name.as_str()).collect();
                return Err(hinted(
                    anyhow!("no scenario named {n:?} in config/harvest.toml"),
                    format!("`codex-harvest list` shows them: {}", known.join(", ")),
                ));
            }
        }
        Ok(self
            .scenarios
            .iter()
            .filter(|s| names.is_empty() || names.contains(&s.name))
            .collect())
    }
}

/// One scenario of the catalogue, checked on its own.
fn scenario(s: RawScenario, default_timeout: u64) -> Result<Scenario> {
    let name = s.name;
    let valid_name = name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !valid_name {
        bail!("scenario {name:?}: names are lowercase Python identifiers (a-z, 0-9, _)");
    }
    if s.outputs.is_empty() {
        return Err(hinted(
            anyhow!("scenario {name:?} declares no outputs"),
            format!(
                "declare what record() writes, e.g. outputs = [\"python/{name}.jsonl\"] (paths below integration/fixtures/)"
            ),
        ));
    }
    let outputs = s
        .outputs
        .iter()
        .map(|raw| FixturePath::parse(raw))
        .collect::<Result<Vec<_>>>()
        .with_context(|| format!("scenario {name:?}: output"))?;
    if let Some(path) = s.kwargs.iter().find_map(|(k, v)| datetime_at(k, v)) {
        return Err(hinted(
            anyhow!(
                "scenario {name:?}: kwarg {path} is a TOML datetime, which has no JSON form for record()"
            ),
            "write it as a string",
        ));
    }
    let kwargs = match serde_json::to_value(&s.kwargs)? {
        Value::Object(map) => map,
        _ => unreachable!("a TOML table serialises to an object"),
    };
    if let Some(k) = RESERVED_KWARGS.iter().find(|k| kwargs.contains_key(**k)) {
        bail!("scenario {name:?}: kwarg {k:?} is set by the driver and cannot be configured");
    }
    let timeout = s.timeout_secs.unwrap_or(default_timeout);
    if !(1..=MAX_TIMEOUT_SECS).contains(&timeout) {
        bail!(
            "scenario {name:?}: timeout_secs must be between 1 and {MAX_TIMEOUT_SECS} (a day), not {timeout}"
        );
    }
    let exec = s
        .exec
        .map(|raw| exec_recipe(raw, &outputs))
        .transpose()
        .with_context(|| format!("scenario {name:?}: exec"))?;
    let wire = s.wire.unwrap_or_else(|| vec![format!("wire/{name}.jsonl")]);
    let wire = event_streams(&wire).with_context(|| format!("scenario {name:?}: wire"))?;
    let typescript =
        event_streams(&s.typescript).with_context(|| format!("scenario {name:?}: typescript"))?;
    let typescript_codex = typescript
        .iter()
        .map(|t| {
            let stem = t.as_str().trim_end_matches(".jsonl");
            Ok([
                FixturePath::parse(&format!("{stem}.codex.jsonl"))?,
                FixturePath::parse(&format!("{stem}.codex.command.json"))?,
            ])
        })
        .collect::<Result<Vec<_>>>()?;
    let model_provider = ProviderSettings::from_table(s.model_provider)
        .with_context(|| format!("scenario {name}: model_provider"))?;
    Ok(Scenario {
        typescript_codex,
        name,
        about: s.about,
        outputs,
        kwargs,
        timeout: Duration::from_secs(timeout),
        model_provider,
        cold: s.cold,
        exec,
        wire,
        typescript,
    })
}

/// `s` with only the files of the lanes `layout` records, each in its
/// lane's directory; an error when none of its lanes is recorded.
pub(crate) fn laid_out(mut s: Scenario, layout: &Layout) -> Result<Scenario> {
    if *layout == Layout::all() {
        return Ok(s);
    }
    if !layout.records("python") {
        s.outputs.clear();
    }
    if !layout.records("wire") {
        s.wire.clear();
    }
    if !layout.records("exec") {
        s.exec = None;
    }
    if !layout.records("typescript") {
        s.typescript.clear();
        s.typescript_codex.clear();
    }
    if s.outputs.is_empty() && s.exec.is_none() && s.typescript.is_empty() {
        bail!(
            "scenario {:?} has none of the lanes this project records ({})",
            s.name,
            layout.lanes()
        );
    }
    let mut paths: Vec<&mut FixturePath> = s
        .outputs
        .iter_mut()
        .chain(&mut s.wire)
        .chain(&mut s.typescript)
        .chain(s.typescript_codex.iter_mut().flatten())
        .collect();
    for step in s.exec.iter_mut().flat_map(|e| e.steps.iter_mut()) {
        paths.push(&mut step.output);
        paths.push(&mut step.command);
    }
    for p in paths {
        *p = layout.place(p)?;
    }
    Ok(s)
}

/// Refuses the last of `scenarios` if one of its outputs is another's, is
/// declared twice, or would be a directory of another's.
fn refuse_clashes(scenarios: &[Scenario]) -> Result<()> {
    let new = scenarios.last().expect("a scenario was just added");
    let (others, _) = scenarios.split_at(scenarios.len() - 1);
    let mut seen: Vec<&FixturePath> = Vec::new();
    for out in new.all_outputs() {
        if let Some((other, clash)) = scenarios.iter().find_map(|o| {
            o.all_outputs()
                .find(|p| p.is_dir_of(out) || out.is_dir_of(p))
                .map(|p| (o, p))
        }) {
            bail!(
                "scenario {:?}: output {out} and {clash} (scenario {:?}) cannot both exist: one would be a file and a directory at once",
                new.name,
                other.name
            );
        }
        if let Some(other) = others.iter().find(|o| o.all_outputs().any(|p| p == out)) {
            bail!(
                "scenario {:?}: output {out} is already declared by scenario {:?}",
                new.name,
                other.name
            );
        }
        if seen.contains(&out) {
            bail!("scenario {:?}: output {out} is declared twice", new.name);
        }
        seen.push(out);
    }
    Ok(())
}

/// Outputs that must be event streams (`.jsonl`).
fn event_streams(raw: &[String]) -> Result<Vec<FixturePath>> {
    raw.iter()
        .map(|raw| {
            let out = FixturePath::parse(raw)?;
            if !out.is_jsonl() {
                bail!("{out} must be a .jsonl event stream");
            }
            Ok(out)
        })
        .collect()
}

impl Scenario {
    /// Every output: the Python lane's, the wire lane's, the typescript
    /// lane's, then the exec lane's.
    pub fn all_outputs(&self) -> impl Iterator<Item = &FixturePath> {
        self.outputs
            .iter()
            .chain(&self.wire)
            .chain(&self.typescript)
            .chain(self.typescript_codex.iter().flatten())
            .chain(
                self.exec
                    .iter()
                    .flat_map(|e| e.steps.iter().flat_map(|s| [&s.output, &s.command])),
            )
    }
}

/// The lanes' fixture dirs, each of which may hold a matrix cell's record
/// of a lane that failed ([`Scenario::failure_output`]).
pub const LANE_DIRS: [&str; 3] = ["python", "exec", "typescript"];

impl Scenario {
    /// Where a matrix cell records that lane `lane` (a [`LANE_DIRS`] name)
    /// of this scenario failed, with the failure's own words.
    pub fn failure_output(&self, lane: &str) -> String {
        format!("{lane}/{}.failed", self.name)
    }

    /// Whether `path` is a file this scenario writes: one of its outputs, or
    /// a cell's record of a failed lane.
    pub fn produces(&self, path: &str) -> bool {
        self.all_outputs().any(|o| o.as_str() == path)
            || LANE_DIRS.iter().any(|l| self.failure_output(l) == path)
    }
}

/// The path of the first datetime inside `value`, named `path`.
fn datetime_at(path: &str, value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::Datetime(_) => Some(path.to_string()),
        toml::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| datetime_at(&format!("{path}[{i}]"), v)),
        toml::Value::Table(t) => t
            .iter()
            .find_map(|(k, v)| datetime_at(&format!("{path}.{k}"), v)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "model = \"m\"\ntimeout_secs = 30\n";

    /// A built-in scenario, laid out by `lanes` and `[layout]` as a project
    /// of built-in scenarios says them.
    fn built_in(name: &str, layout: &str) -> Result<Scenario> {
        let config = parse(&format!("builtin = [\"{name}\"]\n{layout}"))?;
        Ok(config.scenarios.into_iter().next().unwrap())
    }

    #[test]
    fn the_exec_lane_alone_in_the_python_directory() {
        let s = built_in(
            "thread_auto_run",
            "lanes = [\"exec\"]\n[layout]\nexec = \"python\"\n",
        )
        .unwrap();
        let files: Vec<&str> = s.all_outputs().map(|p| p.as_str()).collect();
        assert_eq!(
            files,
            [
                "python/thread_auto_run_step1.jsonl",
                "python/thread_auto_run_step1.command.json",
                "python/thread_auto_run_step2.jsonl",
                "python/thread_auto_run_step2.command.json"
            ]
        );
        let all = built_in("thread_auto_run", "").unwrap();
        assert!(
            all.all_outputs()
                .any(|p| p.as_str() == "typescript/thread_auto_run_step1.jsonl")
        );
    }

    #[test]
    fn a_built_in_scenario_without_the_recorded_lanes_is_named() {
        let err = built_in("thread_auto_run_pending", "lanes = [\"exec\"]\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "scenario \"thread_auto_run_pending\" has none of the lanes this project records (exec)"
        );
        let err = built_in("thread_nothing", "").unwrap_err();
        assert!(
            err.to_string()
                .contains("no scenario named \"thread_nothing\""),
            "{err}"
        );
    }

    fn parse(extra: &str) -> Result<HarvestConfig> {
        HarvestConfig::parse(&format!("{BASE}{extra}"))
    }

    #[test]
    fn reads_scenarios_rules_and_secrets() {
        let cfg = parse(
            r#"
[[scenario]]
name = "thread_basic"
about = "one turn"
outputs = ["python/thread_basic.jsonl", "schemas/x.json"]
timeout_secs = 5
kwargs = { prompt = "hi", n = 2 }

[[rule]]
kind = "uuid"

[[rule]]
kind = "field"
keys = ["startedAt"]

[[secret]]
name = "key"
pattern = "sk-[a-z]+"
"#,
        )
        .unwrap();
        let s = &cfg.scenarios[0];
        assert_eq!(s.outputs[1].as_str(), "schemas/x.json");
        assert!(!s.outputs[1].is_jsonl());
        assert_eq!(s.kwargs["prompt"], "hi");
        assert_eq!(s.timeout, Duration::from_secs(5));
        assert_eq!(cfg.rules.len(), 2);
        assert_eq!(cfg.secrets[0].name, "key");
    }

    /// Issue 35, item 16: a config error names the line its table starts
    /// on and what to do; a bad secret pattern is one of the config's.
    #[test]
    fn a_table_in_error_is_named_by_its_line_with_a_hint() {
        let one = "[[scenario]]\nname = \"a\"\nabout = \"\"\noutputs = [\"a.jsonl\"]\n";
        for (extra, says, hint) in [
            (
                format!("{one}\n{}", one.replace("a.jsonl", "b.jsonl")),
                "line 8: scenario \"a\" is declared twice (first on line 3)",
                "give each [[scenario]] its own name",
            ),
            (
                "\n[[scenario]]\nname = \"b\"\nabout = \"\"\noutputs = []\n".to_string(),
                "line 4: scenario \"b\" declares no outputs",
                "outputs = [\"python/b.jsonl\"]",
            ),
            (
                "[[secret]]\nname = \"bad\"\npattern = \"(unclosed\"\n".to_string(),
                "line 3: secret \"bad\": its pattern is no regex",
                "the regex crate's syntax",
            ),
        ] {
            let err = parse(&extra).unwrap_err();
            let text = format!("{err:#}");
            assert!(text.contains(says), "{text}");
            let hints = crate::base::failure::hints(&err);
            assert!(hints.iter().any(|h| h.contains(hint)), "{hints:?}");
        }
    }

    #[test]
    fn outputs_must_stay_inside_the_fixtures_tree() {
        for out in [
            "../x.jsonl",
            "/etc/x.jsonl",
            "a/../../x.jsonl",
            "python//a.jsonl",
            "a/./b.jsonl",
            "",
            "SHA256SUMS",
            "x.txt",
            "a\nb.jsonl",
        ] {
            let toml = format!("[[scenario]]\nname = \"s\"\nabout = \"\"\noutputs = [{out:?}]\n");
            let err = format!("{:#}", parse(&toml).unwrap_err());
            assert!(err.contains("scenario \"s\": output"), "{out}: {err}");
        }
    }

    #[test]
    fn refuses_bad_names_duplicates_and_reserved_kwargs() {
        for (toml, needle) in [
            (
                "[[scenario]]\nname = \"Bad-Name\"\nabout = \"\"\noutputs = [\"a.jsonl\"]\n",
                "lowercase",
            ),
            (
                "[[scenario]]\nname = \"a\"\nabout = \"\"\noutputs = [\"a.jsonl\"]\n[[scenario]]\nname = \"a\"\nabout = \"\"\noutputs = [\"b.jsonl\"]\n",
                "declared twice",
            ),
            (
                "[[scenario]]\nname = \"a\"\nabout = \"\"\noutputs = [\"a.jsonl\"]\n[[scenario]]\nname = \"b\"\nabout = \"\"\noutputs = [\"a.jsonl\"]\n",
                "already declared by scenario \"a\"",
            ),
            (
                "[[scenario]]\nname = \"a\"\nabout = \"\"\noutputs = [\"a.jsonl\"]\nkwargs = { codex_path = \"x\" }\n",
                "set by the driver",
            ),
            (
                "[[scenario]]\nname = \"a\"\nabout = \"\"\noutputs = [\"conf/a.jsonl\"]\n[[scenario]]\nname = \"b\"\nabout = \"\"\noutputs = [\"conf/a.jsonl/b.jsonl\"]\n",
                "output conf/a.jsonl/b.jsonl and conf/a.jsonl (scenario \"a\") cannot both exist",
            ),
            (
                "[[scenario]]\nname = \"a\"\nabout = \"\"\noutputs = [\"c/a.jsonl/b.jsonl\", \"c/a.jsonl\"]\n",
                "cannot both exist",
            ),
            (
                "[[scenario]]\nname = \"a\"\nabout = \"\"\noutputs = []\n",
                "no outputs",
            ),
            (
                "[[scenario]]\nname = \"a\"\nabout = \"\"\noutputs = [\"a.jsonl\"]\ntypo = 1\n",
                "unknown field `typo`",
            ),
            (
                "[[rule]]\nkind = \"path\"\nvar = \"elsewhere\"\nplaceholder = \"/x\"\n",
                "unknown location",
            ),
            (
                "[[scenario]]\nname = \"a\"\nabout = \"\"\noutputs = [\"a.jsonl\"]\nmodel_provider = { base_url = \"https://example.invalid/v1\", env_key = \"OPENAI_API_KEY\" }\n",
                "`base_url` is not a scenario's to set",
            ),
            (
                "[[scenario]]\nname = \"a\"\nabout = \"\"\noutputs = [\"a.jsonl\"]\nkwargs = { opts = { at = 2026-11-25T10:00:00Z } }\n",
                "kwarg opts.at is a TOML datetime",
            ),
            (
                "[[scenario]]\nname = \"a\"\nabout = \"\"\noutputs = [\"a.jsonl\"]\ntimeout_secs = 9223372036854775807\n",
                "between 1 and 86400",
            ),
        ] {
            let err = format!("{:#}", parse(toml).unwrap_err());
            assert!(err.contains(needle), "{toml}: {err}");
        }
    }

    /// The committed rule table on what varies between runs and machines.
    #[test]
    fn the_committed_rules_normalise_what_varies() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let cfg = HarvestConfig::load(&root.join("config/harvest.toml")).unwrap();
        let locations = crate::engine::normalize::Locations::from_iter(
            LOCATIONS.map(|v| (v.to_string(), vec![format!("/tmp/run/{v}")])),
        );
        let normalizer = crate::engine::normalize::Normalizer::new(&cfg.rules, &locations).unwrap();
        let event = r#"{"method":"item/completed","params":{"completedAtMs":1764000000123,"item":{"command":"/usr/bin/zsh -c 'echo ok'","cwd":"/tmp/run/workdir/sub","durationMs":41,"id":"019a13ab-cf89-77a1-9d69-31b768b3439a","processId":"4242","aggregatedOutput":"Chunk ID: 9f2c\nWall time: 0.0123 seconds\nok"},"threadId":"019a13ab-cf89-77a1-9d69-31b768b3439b","path":"/tmp/run/codex_home/sessions/2026/11/25/rollout-2026-11-25T17-00-01-019a13ab-cf89-77a1-9d69-31b768b3439b.jsonl"}}"#;
        let out = normalizer.pass().jsonl(event.as_bytes()).unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        let p = &v["params"];
        assert_eq!(p["completedAtMs"], 0);
        assert_eq!(p["item"]["durationMs"], 0);
        assert_eq!(p["item"]["processId"], "0");
        assert_eq!(p["item"]["command"], "/bin/bash -c 'echo ok'");
        assert_eq!(p["item"]["cwd"], "/workspace/sub");
        assert_eq!(p["item"]["id"], "00000000-0000-7000-8000-000000000001");
        assert_eq!(p["threadId"], "00000000-0000-7000-8000-000000000002");
        assert_eq!(
            p["item"]["aggregatedOutput"],
            "Chunk ID: 000000\nWall time: 0.0000 seconds\nok"
        );
        assert_eq!(
            p["path"],
            "/codex-home/sessions/1970/01/01/rollout-1970-01-01T00-00-00-00000000-0000-7000-8000-000000000002.jsonl"
        );
    }

    #[test]
    fn wire_transcripts_default_to_one_and_are_checked() {
        let scenario = |wire: &str| {
            format!(
                "[[scenario]]\nname = \"a\"\nabout = \"\"\noutputs = [\"python/a.jsonl\"]\n{wire}\n"
            )
        };
        let wires = |src: &str| -> Vec<String> {
            parse(src).unwrap().scenarios[0]
                .wire
                .iter()
                .map(|w| w.to_string())
                .collect()
        };
        assert_eq!(wires(&scenario("")), ["wire/a.jsonl"]);
        assert!(wires(&scenario("wire = []")).is_empty());
        assert_eq!(
            wires(&scenario(r#"wire = ["wire/a1.jsonl", "wire/a2.jsonl"]"#)),
            ["wire/a1.jsonl", "wire/a2.jsonl"]
        );
        for (wire, says) in [
            (r#"wire = ["wire/a.json"]"#, "must be a .jsonl event stream"),
            (r#"wire = ["python/a.jsonl"]"#, "is declared twice"),
            (
                r#"wire = ["wire/x.jsonl", "wire/x.jsonl"]"#,
                "is declared twice",
            ),
            (r#"wire = ["../a.jsonl"]"#, "wire"),
        ] {
            let err = format!("{:#}", parse(&scenario(wire)).unwrap_err());
            assert!(err.contains(says), "{wire}: {err}");
        }
    }

    #[test]
    fn exec_recipes_are_checked() {
        let scenario = |exec: &str| {
            format!(
                "[[scenario]]\nname = \"a\"\nabout = \"\"\noutputs = [\"python/a.jsonl\"]\nexec = {exec}\n"
            )
        };
        let cfg = parse(&scenario(
            r#"{ steps = [{ prompt = "p", output = "exec/a1.jsonl" }, { resume = true, prompt = "q", output = "exec/a2.jsonl", exit_code = 1 }] }"#,
        ))
        .unwrap();
        let s = &cfg.scenarios[0];
        assert_eq!(
            s.all_outputs().map(|o| o.as_str()).collect::<Vec<_>>(),
            [
                "python/a.jsonl",
                "wire/a.jsonl",
                "exec/a1.jsonl",
                "exec/a1.command.json",
                "exec/a2.jsonl",
                "exec/a2.command.json"
            ]
        );
        assert_eq!(s.exec.as_ref().unwrap().steps[1].exit_code, 1);
        for (exec, needle) in [
            (r#"{ steps = [] }"#, "at least one step"),
            (
                r#"{ steps = [{ resume = true, prompt = "p", output = "exec/a.jsonl" }] }"#,
                "no thread to resume",
            ),
            (
                r#"{ steps = [{ prompt = "p", output = "python/a.jsonl" }] }"#,
                "declared twice",
            ),
            (
                r#"{ steps = [{ prompt = "p", args = ["--json"], output = "exec/a.jsonl" }] }"#,
                "the driver's",
            ),
            (
                r#"{ steps = [{ prompt = "p", output = "exec/a.json" }] }"#,
                "must be a .jsonl",
            ),
            (
                r#"{ steps = [{ prompt = "p", output = "../a.jsonl" }] }"#,
                "outside the fixtures tree",
            ),
            (
                r#"{ files = { "../x.py" = "_mcp_server.py" }, steps = [{ prompt = "p", output = "exec/a.jsonl" }] }"#,
                "not a plain file name",
            ),
            (
                r#"{ files = { "x.py" = "../../config/native.exs" }, steps = [{ prompt = "p", output = "exec/a.jsonl" }] }"#,
                "not a support module",
            ),
        ] {
            let err = format!("{:#}", parse(&scenario(exec)).unwrap_err());
            assert!(
                err.contains("scenario \"a\": exec") && err.contains(needle),
                "{exec}: {err}"
            );
        }
    }

    /// docs/scenarios.md is kept by hand: it must still name every scenario.
    #[test]
    fn the_scenario_page_names_every_scenario() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let cfg = HarvestConfig::load(&root.join("config/harvest.toml")).unwrap();
        let page = std::fs::read_to_string(root.join("docs/scenarios.md")).unwrap();
        for s in &cfg.scenarios {
            assert!(
                page.contains(&format!("| `{}` |", s.name)),
                "docs/scenarios.md has no row for {}",
                s.name
            );
        }
    }

    #[test]
    fn select_keeps_catalogue_order_and_names_unknowns() {
        let cfg = parse("[[scenario]]\nname = \"a\"\nabout = \"\"\noutputs = [\"a.jsonl\"]\n[[scenario]]\nname = \"b\"\nabout = \"\"\noutputs = [\"b.jsonl\"]\n").unwrap();
        let names = |sel: Vec<&Scenario>| sel.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
        assert_eq!(names(cfg.select(&[]).unwrap()), ["a", "b"]);
        assert_eq!(
            names(cfg.select(&["b".into(), "a".into()]).unwrap()),
            ["a", "b"]
        );
        let err = cfg.select(&["c".into()]).unwrap_err();
        assert!(err.to_string().contains("no scenario named \"c\""), "{err}");
        assert_eq!(
            crate::base::failure::hints(&err),
            ["`codex-harvest list` shows them: a, b"]
        );
    }
}

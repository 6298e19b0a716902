//! Normalisation: one ordered table of rules (data from `config/harvest.toml`)
//! turns what a scenario wrote into canonical, run-independent JSON.
//!
//! A placeholder keeps its value's type and shape (a UUID stays a UUID, a
//! time stays a number, a path stays a path) so typed decoders still accept
//! every normalised event.

use std::collections::{BTreeMap, HashMap};

use crate::base::failure::hinted;
use anyhow::{Context, Result, anyhow, bail};
use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One rule of the table, as written in the config.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Rule {
    /// Every UUID inside a string becomes `00000000-0000-7000-8000-<n>`,
    /// numbered by first appearance in document order (as the scenario wrote
    /// it, not sorted: a map keyed by UUIDs would sort differently each run)
    /// across a scenario's outputs, so cross-references (a thread id in two
    /// files) survive.
    Uuid,
    /// Values of these keys, wherever they appear, become `number` (numbers)
    /// or `string` (strings); null stays null.
    Field {
        keys: Vec<String>,
        #[serde(default)]
        number: i64,
        #[serde(default = "default_string_placeholder")]
        string: String,
    },
    /// A location only known at run time (see [`Locations`]), wherever it
    /// appears in a string, becomes a fixed path.
    Path { var: String, placeholder: String },
    /// A string that is exactly a value only known at run time (the
    /// machine's name) becomes `placeholder`; the value inside a longer
    /// string is left alone, so a short name never eats part of a word.
    Value { var: String, placeholder: String },
    /// A regular expression over every string, replaced (`$1` expands).
    Regex {
        pattern: String,
        replacement: String,
    },
}

fn default_string_placeholder() -> String {
    "0".to_string()
}

/// The run-time values that `path` rules name: variable → every spelling of
/// it (a temp dir and its canonical form may differ, e.g. on macOS).
pub type Locations = BTreeMap<String, Vec<String>>;

/// The ways a location may be spelled in output: as given, and with its
/// links resolved.
pub fn spellings(path: &std::path::Path) -> Vec<String> {
    let mut v = vec![path.display().to_string()];
    if let Ok(c) = path.canonicalize() {
        v.push(c.display().to_string());
    }
    v.dedup();
    v
}

/// The spellings of this machine's name, as codex reads it (`gethostname`):
/// the `host` value of a run.
pub fn host_spellings() -> Vec<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length, which is passed with it.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    match rc {
        0 => vec![String::from_utf8_lossy(&buf[..end]).into_owned()],
        _ => Vec::new(),
    }
}

#[derive(Clone)]
enum Compiled {
    Uuid(Regex),
    Field {
        keys: Vec<String>,
        number: i64,
        string: String,
    },
    Literal {
        from: Vec<String>,
        to: String,
    },
    Whole {
        from: Vec<String>,
        to: String,
    },
    Regex {
        re: Regex,
        replacement: String,
    },
}

/// The compiled rule table for one scenario run.
pub struct Normalizer {
    rules: Vec<Compiled>,
}

const UUID_PATTERN: &str =
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

/// Checks a rule table without run-time locations (config load time).
pub fn validate(rules: &[Rule], known_vars: &[&str]) -> Result<()> {
    for (i, rule) in rules.iter().enumerate() {
        match rule {
            Rule::Regex { pattern, .. } => {
                Regex::new(pattern).with_context(|| format!("rule {}: bad pattern", i + 1))?;
            }
            Rule::Path { var, .. } | Rule::Value { var, .. }
                if !known_vars.contains(&var.as_str()) =>
            {
                bail!(
                    "rule {}: unknown location {var:?}; known: {}",
                    i + 1,
                    known_vars.join(", ")
                )
            }
            Rule::Field { keys, .. } if keys.is_empty() => {
                bail!("rule {}: a field rule needs at least one key", i + 1)
            }
            _ => {}
        }
    }
    Ok(())
}

impl Normalizer {
    pub fn new(rules: &[Rule], locations: &Locations) -> Result<Normalizer> {
        let uuid = Regex::new(UUID_PATTERN).expect("valid pattern");
        let mut compiled = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            compiled.push(match rule {
                Rule::Uuid => Compiled::Uuid(uuid.clone()),
                Rule::Field {
                    keys,
                    number,
                    string,
                } => Compiled::Field {
                    keys: keys.clone(),
                    number: *number,
                    string: string.clone(),
                },
                Rule::Path { var, placeholder } => {
                    let mut from = locations
                        .get(var)
                        .cloned()
                        .ok_or_else(|| anyhow!("rule {}: unknown location {var:?}", i + 1))?;
                    from.retain(|s| !s.is_empty());
                    // The longest spelling first, so a prefix never eats part of a longer one.
                    from.sort_by_key(|s| std::cmp::Reverse(s.len()));
                    Compiled::Literal {
                        from,
                        to: placeholder.clone(),
                    }
                }
                Rule::Value { var, placeholder } => Compiled::Whole {
                    from: locations
                        .get(var)
                        .cloned()
                        .ok_or_else(|| anyhow!("rule {}: unknown location {var:?}", i + 1))?
                        .into_iter()
                        .filter(|s| !s.is_empty())
                        .collect(),
                    to: placeholder.clone(),
                },
                Rule::Regex {
                    pattern,
                    replacement,
                } => Compiled::Regex {
                    re: Regex::new(pattern)
                        .with_context(|| format!("rule {}: bad pattern", i + 1))?,
                    replacement: replacement.clone(),
                },
            });
        }
        Ok(Normalizer { rules: compiled })
    }

    /// The first rule (1-based, as in the config) that would change `text`
    /// if it appeared in a string: the model's own words must come out as
    /// the script wrote them, so such a rule is an error, not a rewrite.
    pub fn rule_rewriting(&self, text: &str) -> Option<usize> {
        self.rules
            .iter()
            .position(|rule| {
                let pass = Normalizer {
                    rules: vec![rule.clone()],
                };
                pass.pass().string(text.to_string()) != text
            })
            .map(|i| i + 1)
    }

    /// Starts one scenario's pass: UUID numbering is shared by all its outputs.
    pub fn pass(&self) -> Pass<'_> {
        Pass {
            normalizer: self,
            uuids: HashMap::new(),
        }
    }
}

/// One scenario's normalisation state.
pub struct Pass<'a> {
    normalizer: &'a Normalizer,
    uuids: HashMap<String, String>,
}

impl Pass<'_> {
    /// JSON Lines in, canonical JSON Lines out. Errors name the line.
    pub fn jsonl(&mut self, src: &[u8]) -> Result<Vec<u8>> {
        let text = std::str::from_utf8(src).map_err(|e| {
            let line = src[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            anyhow!("line {line}: not UTF-8")
        })?;
        let body = text.strip_suffix('\n').unwrap_or(text);
        if body.is_empty() {
            bail!("the file is empty: a scenario must record at least one event");
        }
        let mut out = Vec::with_capacity(src.len());
        for (i, line) in body.split('\n').enumerate() {
            let value: Value = serde_json::from_str(line.strip_suffix('\r').unwrap_or(line))
                .map_err(|e| anyhow!("line {}: not JSON ({e}): {}", i + 1, preview(line)))?;
            let value = self
                .value(value, None)
                .with_context(|| format!("line {}", i + 1))?;
            out.extend(serde_json::to_vec(&value).expect("a Value always serialises"));
            out.push(b'\n');
        }
        Ok(out)
    }

    /// One JSON document in, canonical JSON (pretty, sorted, final newline) out.
    pub fn json(&mut self, src: &[u8]) -> Result<Vec<u8>> {
        let value: Value = serde_json::from_slice(src).map_err(|e| anyhow!("not JSON ({e})"))?;
        let value = self.value(value, None)?;
        let mut out = serde_json::to_vec_pretty(&value).expect("a Value always serialises");
        out.push(b'\n');
        Ok(out)
    }

    /// One JSON value in, its canonical form out.
    pub fn canonical_value(&mut self, value: Value) -> Result<Value> {
        self.value(value, None)
    }

    /// Normalises `value` (under `key`), numbering UUIDs in document order,
    /// and returns it with every object's keys sorted: the canonical form.
    fn value(&mut self, value: Value, key: Option<&str>) -> Result<Value> {
        if let Some(key) = key {
            for rule in &self.normalizer.rules {
                if let Compiled::Field {
                    keys,
                    number,
                    string,
                } = rule
                    && keys.iter().any(|k| k == key)
                {
                    match value {
                        Value::Number(_) => return Ok(Value::from(*number)),
                        Value::String(_) => return Ok(Value::String(string.clone())),
                        _ => {}
                    }
                }
            }
        }
        Ok(match value {
            Value::String(s) => Value::String(self.string(s)),
            Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(|v| self.value(v, None))
                    .collect::<Result<_>>()?,
            ),
            Value::Object(map) => {
                // Raw keys by normalised key: two that meet are refused.
                let mut raw: HashMap<String, String> = HashMap::with_capacity(map.len());
                let mut entries: Vec<(String, Value)> = Vec::with_capacity(map.len());
                for (k, v) in map {
                    let v = self.value(v, Some(&k))?;
                    let normalised = self.string(k.clone());
                    if let Some(other) = raw.insert(normalised.clone(), k.clone()) {
                        return Err(hinted(
                            anyhow!(
                                "the keys {other:?} and {k:?} both normalise to {normalised:?}; one would overwrite the other"
                            ),
                            "narrow the rule that rewrites them",
                        ));
                    }
                    entries.push((normalised, v));
                }
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Object(entries.into_iter().collect())
            }
            other => other,
        })
    }

    fn string(&mut self, mut s: String) -> String {
        for rule in &self.normalizer.rules {
            match rule {
                Compiled::Uuid(re) => {
                    if re.is_match(&s) {
                        let uuids = &mut self.uuids;
                        s = re
                            .replace_all(&s, |c: &regex::Captures| {
                                let next = uuids.len() + 1;
                                uuids
                                    .entry(c[0].to_ascii_lowercase())
                                    .or_insert_with(|| {
                                        format!("00000000-0000-7000-8000-{next:012x}")
                                    })
                                    .clone()
                            })
                            .into_owned();
                    }
                }
                Compiled::Literal { from, to } => {
                    for f in from {
                        if s.contains(f.as_str()) {
                            s = s.replace(f.as_str(), to);
                        }
                    }
                }
                Compiled::Whole { from, to } => {
                    if from.contains(&s) {
                        s = to.clone();
                    }
                }
                Compiled::Regex { re, replacement } => {
                    if re.is_match(&s) {
                        s = re.replace_all(&s, replacement.as_str()).into_owned();
                    }
                }
                Compiled::Field { .. } => {}
            }
        }
        s
    }
}

fn preview(line: &str) -> String {
    let mut p: String = line.chars().take(80).collect();
    if p.len() < line.len() {
        p.push('…');
    }
    format!("{p:?}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Vec<Rule> {
        vec![
            Rule::Path {
                var: "workdir".into(),
                placeholder: "/workspace".into(),
            },
            Rule::Field {
                keys: vec!["startedAt".into(), "durationMs".into()],
                number: 0,
                string: "1970-01-01T00:00:00Z".into(),
            },
            Rule::Regex {
                pattern: r"Wall time: [0-9.]+ seconds".into(),
                replacement: "Wall time: 0.0000 seconds".into(),
            },
            Rule::Uuid,
        ]
    }

    fn locations() -> Locations {
        BTreeMap::from([(
            "workdir".to_string(),
            vec!["/tmp/x".to_string(), "/private/tmp/x".to_string()],
        )])
    }

    fn run(src: &str) -> String {
        let n = Normalizer::new(&table(), &locations()).unwrap();
        String::from_utf8(n.pass().jsonl(src.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn uuids_numbered_by_first_appearance_and_shared_across_lines() {
        let out = run(concat!(
            r#"{"id":"019a0000-aaaa-7bbb-8ccc-000000000001","t":"019A0000-AAAA-7BBB-8CCC-000000000002"}"#,
            "\n",
            r#"{"ref":"thread 019a0000-aaaa-7bbb-8ccc-000000000002 done"}"#,
            "\n"
        ));
        assert_eq!(
            out,
            concat!(
                r#"{"id":"00000000-0000-7000-8000-000000000001","t":"00000000-0000-7000-8000-000000000002"}"#,
                "\n",
                r#"{"ref":"thread 00000000-0000-7000-8000-000000000002 done"}"#,
                "\n"
            )
        );
    }

    #[test]
    fn fields_keep_their_type_and_null_stays_null() {
        let out = run(
            r#"{"a":{"startedAt":1764000000,"durationMs":null},"startedAt":"2026-01-01T10:00:00Z"}"#,
        );
        assert_eq!(
            out,
            "{\"a\":{\"durationMs\":null,\"startedAt\":0},\"startedAt\":\"1970-01-01T00:00:00Z\"}\n"
        );
    }

    #[test]
    fn paths_longest_spelling_first_and_regex_in_keys_and_values() {
        let out = run(r#"{"cwd":"/private/tmp/x/sub","/tmp/x":"Wall time: 0.51 seconds"}"#);
        assert_eq!(
            out,
            "{\"/workspace\":\"Wall time: 0.0000 seconds\",\"cwd\":\"/workspace/sub\"}\n"
        );
    }

    #[test]
    fn canonical_form_sorts_keys_and_is_compact() {
        assert_eq!(
            run("{ \"b\": 1, \"a\": [ 1, 2 ] }\r\n"),
            "{\"a\":[1,2],\"b\":1}\n"
        );
    }

    #[test]
    fn non_json_names_the_line() {
        let n = Normalizer::new(&table(), &locations()).unwrap();
        let err = n.pass().jsonl(b"{}\nnot json\n").unwrap_err().to_string();
        assert!(err.starts_with("line 2: not JSON"), "{err}");
        assert!(err.contains("\"not json\""), "{err}");
        let err = n.pass().jsonl(b"{}\n\n{}\n").unwrap_err().to_string();
        assert!(err.starts_with("line 2: not JSON"), "{err}");
        let err = n.pass().jsonl(b"").unwrap_err().to_string();
        assert!(err.contains("empty"), "{err}");
        let err = n.pass().jsonl(b"{}\n\xff\n").unwrap_err().to_string();
        assert!(err.starts_with("line 2: not UTF-8"), "{err}");
    }

    #[test]
    fn json_documents_are_pretty_and_sorted() {
        let n = Normalizer::new(&table(), &locations()).unwrap();
        let out = n.pass().json(br#"{"b":1,"a":true}"#).unwrap();
        assert_eq!(out, b"{\n  \"a\": true,\n  \"b\": 1\n}\n");
    }

    #[test]
    fn uuids_are_numbered_in_document_order_whatever_their_sort_order() {
        let a = "{\"z\":{\"ffffffff-0000-7000-8000-000000000000\":1,\"00000000-aaaa-7000-8000-000000000000\":2}}\n";
        let b = "{\"z\":{\"11111111-0000-7000-8000-000000000000\":1,\"eeeeeeee-aaaa-7000-8000-000000000000\":2}}\n";
        assert_eq!(run(a), run(b));
        assert_eq!(
            run(a),
            "{\"z\":{\"00000000-0000-7000-8000-000000000001\":1,\"00000000-0000-7000-8000-000000000002\":2}}\n"
        );
    }

    #[test]
    fn keys_that_normalise_to_the_same_string_are_refused() {
        let n = Normalizer::new(&table(), &locations()).unwrap();
        let err = format!(
            "{:#}",
            n.pass()
                .jsonl(b"{\"/tmp/x/a\":1,\"/private/tmp/x/a\":2}\n")
                .unwrap_err()
        );
        assert!(err.contains("line 1"), "{err}");
        assert!(
            err.contains(
                "\"/tmp/x/a\" and \"/private/tmp/x/a\" both normalise to \"/workspace/a\""
            ),
            "{err}"
        );
    }

    #[test]
    fn floats_round_trip_to_the_last_digit() {
        for f in [
            "0.30000000000000004",
            "1.2345678901234567e-5",
            "9007199254740993.0",
            "0.1",
        ] {
            let line = format!("{{\"x\":{f}}}\n");
            let out = run(&line);
            let back: f64 = serde_json::from_str::<Value>(&out).unwrap()["x"]
                .as_f64()
                .unwrap();
            assert_eq!(
                back.to_bits(),
                f.parse::<f64>().unwrap().to_bits(),
                "{f} -> {out}"
            );
        }
    }

    #[test]
    fn a_rule_that_would_change_model_text_is_named() {
        let n = Normalizer::new(&table(), &locations()).unwrap();
        assert_eq!(n.rule_rewriting("Hello from the model."), None);
        assert_eq!(n.rule_rewriting("Wall time: 1.25 seconds"), Some(3));
        assert_eq!(
            n.rule_rewriting("id 019a13ab-cf89-77a1-9d69-31b768b3439a"),
            Some(4)
        );
        assert_eq!(n.rule_rewriting("see /tmp/x/a"), Some(1));
    }

    #[test]
    fn validate_names_the_bad_rule() {
        let bad = vec![
            Rule::Uuid,
            Rule::Regex {
                pattern: "(".into(),
                replacement: String::new(),
            },
        ];
        assert!(
            validate(&bad, &[])
                .unwrap_err()
                .to_string()
                .contains("rule 2")
        );
        let unknown = vec![Rule::Path {
            var: "nowhere".into(),
            placeholder: "/x".into(),
        }];
        let err = validate(&unknown, &["workdir"]).unwrap_err().to_string();
        assert!(err.contains("unknown location \"nowhere\""), "{err}");
    }

    #[test]
    fn a_value_rule_replaces_a_whole_string_only() {
        let rules = [Rule::Value {
            var: "host".into(),
            placeholder: "harvest-host".into(),
        }];
        let locations = BTreeMap::from([("host".to_string(), vec!["vm".to_string()])]);
        let n = Normalizer::new(&rules, &locations).unwrap();
        let out = n
            .pass()
            .jsonl(br#"{"serverName":"vm","name":"fixture","text":"a vm here"}"#)
            .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"name\":\"fixture\",\"serverName\":\"harvest-host\",\"text\":\"a vm here\"}\n"
        );
    }
}

//! Credentials: a scan of normalised output, so none reaches a fixture, and
//! redaction of everything else the tool prints or keeps (error messages,
//! a scenario's output tail, a kept scratch dir).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use anyhow::{Context, Result};
use regex::bytes::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A named pattern from the config's `[[secret]]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretPattern {
    pub name: String,
    pub pattern: String,
}

/// Where a secret was found; never the secret itself.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    pub line: usize,
    pub name: String,
    /// The key path whose values, joined line after line, spell it (a
    /// secret streamed in pieces); `None` when one line holds it whole.
    pub across: Option<String>,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.across {
            None => write!(f, "line {}: contains {}", self.line, self.name),
            Some(path) => write!(
                f,
                "line {}: contains {}, split across the {path} values of this and later lines",
                self.line, self.name
            ),
        }
    }
}

/// Named secrets as regexes: the run's literal values first (escaped), then
/// the config's patterns; compiled once, used to scan and to redact.
pub struct Scanner {
    secrets: Vec<(String, Regex)>,
}

/// The scanner `redact` uses, installed once the config is loaded.
static INSTALLED: OnceLock<Scanner> = OnceLock::new();

/// The caller's own key, a secret whatever the config says.
pub fn caller_key() -> Vec<(String, String)> {
    std::env::var("OPENAI_API_KEY")
        .ok()
        .map(|k| ("the caller's OPENAI_API_KEY".to_string(), k))
        .into_iter()
        .collect()
}

impl Scanner {
    /// `literals` are exact values known to be secret in this run (name, value).
    pub fn new(patterns: &[SecretPattern], literals: Vec<(String, String)>) -> Result<Scanner> {
        let mut secrets: Vec<(String, Regex)> = literals
            .into_iter()
            .filter(|(_, v)| v.len() >= 8)
            .map(|(name, v)| {
                let re = Regex::new(&regex::escape(&v)).expect("an escaped literal is a regex");
                (name, re)
            })
            .collect();
        for p in patterns {
            let re =
                Regex::new(&p.pattern).with_context(|| format!("secret pattern {:?}", p.name))?;
            secrets.push((p.name.clone(), re));
        }
        Ok(Scanner { secrets })
    }

    /// The first secret in `text`: one a line holds, else one that JSON
    /// lines hold in pieces ([`Self::scan_joined`]).
    pub fn scan(&self, text: &str) -> Option<Finding> {
        self.scan_lines(text).or_else(|| self.scan_joined(text))
    }

    fn scan_lines(&self, text: &str) -> Option<Finding> {
        text.lines().enumerate().find_map(|(i, line)| {
            let (name, _) = self
                .secrets
                .iter()
                .find(|(_, re)| re.is_match(line.as_bytes()))?;
            Some(Finding {
                line: i + 1,
                name: name.clone(),
                across: None,
            })
        })
    }

    /// A secret that JSON lines carry in pieces, as a stream of deltas
    /// does: every string value at one key path (`params.delta`; array
    /// indexes ignored), joined in line order, is scanned as one text.
    pub fn scan_joined(&self, text: &str) -> Option<Finding> {
        let mut paths: BTreeMap<String, Joined> = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let Ok(value) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            strings(&value, &mut String::new(), &mut |path, s| {
                let joined = paths.entry(path.to_string()).or_default();
                joined.starts.push((joined.text.len(), i + 1));
                joined.text.push_str(s);
            });
        }
        paths.into_iter().find_map(|(path, joined)| {
            self.secrets.iter().find_map(|(name, re)| {
                let at = re.find(joined.text.as_bytes())?.start();
                let line = joined
                    .starts
                    .iter()
                    .rev()
                    .find(|(offset, _)| *offset <= at)
                    .map_or(1, |(_, line)| *line);
                Some(Finding {
                    line,
                    name: name.clone(),
                    across: Some(path.clone()),
                })
            })
        })
    }

    /// `bytes` with every secret replaced by `[redacted: <name>]`.
    pub fn redact_bytes(&self, bytes: &[u8]) -> Vec<u8> {
        let mut out = bytes.to_vec();
        for (name, re) in &self.secrets {
            out = re
                .replace_all(&out, format!("[redacted: {name}]").as_bytes())
                .into_owned();
        }
        out
    }

    pub fn redact(&self, text: &str) -> String {
        String::from_utf8_lossy(&self.redact_bytes(text.as_bytes())).into_owned()
    }

    /// Redacts every regular file below `dir` in place.
    pub fn redact_dir(&self, dir: &Path) -> Result<()> {
        for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let entry = entry?;
            let kind = entry.file_type()?;
            let path = entry.path();
            if kind.is_dir() {
                self.redact_dir(&path)?;
            } else if kind.is_file() {
                let bytes =
                    std::fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
                let mut clean = self.redact_bytes(&bytes);
                // Pieces of a secret cannot be redacted one by one: the
                // file goes, and a note says why.
                if let Some(found) = self.scan_joined(&String::from_utf8_lossy(&clean)) {
                    clean = format!("[redacted: this file was removed; {found}]\n").into_bytes();
                }
                if clean != bytes {
                    std::fs::write(&path, clean)
                        .with_context(|| format!("redacting {}", path.display()))?;
                }
            }
        }
        Ok(())
    }

    /// Makes this scanner the one [`redact`] uses; the first one wins.
    pub fn install(self) {
        let _ = INSTALLED.set(self);
    }
}

/// One key path's string values joined, with where each line's began.
#[derive(Default)]
struct Joined {
    text: String,
    starts: Vec<(usize, usize)>,
}

/// Calls `each` with every string in `value` and its key path.
fn strings(value: &Value, path: &mut String, each: &mut dyn FnMut(&str, &str)) {
    match value {
        Value::String(s) => each(path, s),
        Value::Array(items) => {
            for item in items {
                strings(item, path, each);
            }
        }
        Value::Object(map) => {
            for (k, v) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                strings(v, path, each);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// `text` with every known secret replaced: the installed scanner's, or
/// before the config is read, the caller's own key.
pub fn redact(text: &str) -> String {
    match INSTALLED.get() {
        Some(s) => s.redact(text),
        None => Scanner::new(&[], caller_key())
            .map(|s| s.redact(text))
            .unwrap_or_else(|_| text.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scanner() -> Scanner {
        Scanner::new(
            &[SecretPattern {
                name: "OpenAI API key".into(),
                pattern: r"sk-[A-Za-z0-9_-]{20,}".into(),
            }],
            vec![
                (
                    "the scripted model's key".into(),
                    "harvest-dummy-key".into(),
                ),
                ("short".into(), "abc".into()),
            ],
        )
        .unwrap()
    }

    #[test]
    fn finds_patterns_and_literals_by_line() {
        let s = scanner();
        assert_eq!(
            s.scan("{}\n{\"k\":\"sk-abcdefghijklmnopqrstuvwx\"}\n")
                .unwrap()
                .line,
            2
        );
        let f = s.scan("x harvest-dummy-key y").unwrap();
        assert_eq!((f.line, f.name.as_str()), (1, "the scripted model's key"));
    }

    /// A key streamed in two deltas of an item, other lines between them.
    const SPLIT: &str = concat!(
        "{\"method\":\"item/agentMessage/delta\",\"params\":{\"delta\":\"key: sk-abcdefghij\",\"itemId\":\"i\"}}\n",
        "{\"method\":\"thread/tokenUsage/updated\",\"params\":{\"turnId\":\"t\"}}\n",
        "{\"method\":\"item/agentMessage/delta\",\"params\":{\"delta\":\"klmnopqrstuvwx.\",\"itemId\":\"i\"}}\n",
    );

    #[test]
    fn a_secret_split_across_deltas_is_found_where_it_starts() {
        let s = scanner();
        assert!(SPLIT.lines().all(|l| s.scan_lines(l).is_none()));
        let f = s.scan(SPLIT).unwrap();
        assert_eq!(
            f.to_string(),
            "line 1: contains OpenAI API key, split across the params.delta values of this and later lines"
        );
        assert!(
            s.scan("{\"a\":\"sk-abc\"}\n{\"b\":\"defghijklmnopqrstuvwxyz\"}\n")
                .is_none()
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("out.jsonl"), SPLIT).unwrap();
        s.redact_dir(dir.path()).unwrap();
        let kept = std::fs::read_to_string(dir.path().join("out.jsonl")).unwrap();
        assert!(!kept.contains("sk-abcdefghij"), "{kept}");
        assert!(
            kept.starts_with("[redacted: this file was removed; line 1: contains OpenAI API key")
        );
    }

    #[test]
    fn redaction_replaces_literals_and_patterns_everywhere() {
        let s = scanner();
        assert_eq!(
            s.redact("a harvest-dummy-key b sk-abcdefghijklmnopqrstuvwx c harvest-dummy-key"),
            "a [redacted: the scripted model's key] b [redacted: OpenAI API key] c [redacted: the scripted model's key]"
        );
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/log"), b"\xff key=harvest-dummy-key\n").unwrap();
        s.redact_dir(dir.path()).unwrap();
        let back = std::fs::read(dir.path().join("sub/log")).unwrap();
        assert_eq!(back, b"\xff key=[redacted: the scripted model's key]\n");
    }

    #[test]
    fn clean_text_and_short_literals_pass() {
        assert_eq!(scanner().scan("{\"text\":\"abc sk-short\"}\n"), None);
    }
}

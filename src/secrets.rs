//! Credentials: a scan of normalised output, so none reaches a fixture, and
//! redaction of everything else the tool prints or keeps (error messages,
//! a scenario's output tail, a kept scratch dir).

use std::path::Path;
use std::sync::OnceLock;

use anyhow::{Context, Result};
use regex::bytes::Regex;
use serde::{Deserialize, Serialize};

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

    /// The first secret in `text`, by line.
    pub fn scan(&self, text: &str) -> Option<Finding> {
        text.lines().enumerate().find_map(|(i, line)| {
            let (name, _) = self
                .secrets
                .iter()
                .find(|(_, re)| re.is_match(line.as_bytes()))?;
            Some(Finding {
                line: i + 1,
                name: name.clone(),
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
                let clean = self.redact_bytes(&bytes);
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

//! A scan of normalised output for credentials, so none reaches a fixture.

use anyhow::{Context, Result};
use regex::Regex;
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

pub struct Scanner {
    patterns: Vec<(String, Regex)>,
    literals: Vec<(String, String)>,
}

impl Scanner {
    /// `literals` are exact values known to be secret in this run (name, value).
    pub fn new(patterns: &[SecretPattern], literals: Vec<(String, String)>) -> Result<Scanner> {
        let patterns = patterns
            .iter()
            .map(|p| {
                Regex::new(&p.pattern)
                    .map(|re| (p.name.clone(), re))
                    .with_context(|| format!("secret pattern {:?}", p.name))
            })
            .collect::<Result<_>>()?;
        Ok(Scanner {
            patterns,
            literals: literals.into_iter().filter(|(_, v)| v.len() >= 8).collect(),
        })
    }

    /// The first secret in `text`, by line.
    pub fn scan(&self, text: &str) -> Option<Finding> {
        text.lines().enumerate().find_map(|(i, line)| {
            let name = self
                .literals
                .iter()
                .find(|(_, v)| line.contains(v.as_str()))
                .map(|(n, _)| n)
                .or_else(|| {
                    self.patterns
                        .iter()
                        .find(|(_, re)| re.is_match(line))
                        .map(|(n, _)| n)
                })?;
            Some(Finding {
                line: i + 1,
                name: name.clone(),
            })
        })
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
    fn clean_text_and_short_literals_pass() {
        assert_eq!(scanner().scan("{\"text\":\"abc sk-short\"}\n"), None);
    }
}

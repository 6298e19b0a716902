//! A line reader for `config/native.exs` (and the matrix's pin files): the
//! lines `codex-harvest pin` writes and nothing else, as `nix/read-pins.nix`
//! reads them — `import Config`, `config :app, :key,`, one `key: "value"`
//! per line, `key: %{` and `"platform" => %{` opening a map, `}` closing
//! it; blank lines and `#` comments between them. Anything else is refused
//! with its line, so the Elixir side can keep the file without the driver
//! needing an Elixir runtime. (`check_canonical` then requires the exact
//! rendered form.)

use anyhow::{Result, bail};

/// One value of a pin file.
#[derive(Debug, Clone, PartialEq)]
pub enum ExValue {
    Str(String),
    Atom(String),
    /// The keyword list of a `config` statement; order kept.
    Keyword(Vec<(String, ExValue)>),
    /// `%{…}`; keys are strings (`"x86_64-linux" =>`) or atoms (`file:`).
    Map(Vec<(ExValue, ExValue)>),
}

impl ExValue {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ExValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Looks a key up in a keyword list or a map.
    pub fn get(&self, key: &str) -> Option<&ExValue> {
        match self {
            ExValue::Keyword(pairs) => pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            ExValue::Map(pairs) => pairs
                .iter()
                .find(|(k, _)| matches!(k, ExValue::Atom(a) | ExValue::Str(a) if a == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }
}

/// `config :app, :key, value` — one statement of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigEntry {
    pub app: String,
    pub key: String,
    pub value: ExValue,
    pub line: usize,
}

/// A map being read: its key in what holds it, its pairs, its line.
struct Open {
    key: ExValue,
    pairs: Vec<(ExValue, ExValue)>,
    line: usize,
}

/// The statement being read, with its maps still open.
struct Statement {
    entry: ConfigEntry,
    open: Vec<Open>,
}

impl Statement {
    fn insert(&mut self, key: ExValue, value: ExValue) {
        match (self.open.last_mut(), &mut self.entry.value, key) {
            (Some(map), _, key) => map.pairs.push((key, value)),
            (None, ExValue::Keyword(pairs), ExValue::Atom(k) | ExValue::Str(k)) => {
                pairs.push((k, value))
            }
            (None, _, _) => unreachable!("a statement's value is its keyword list"),
        }
    }

    /// The entry, once every map it opened is closed.
    fn finish(self) -> Result<ConfigEntry> {
        if let Some(open) = self.open.last() {
            bail!(
                "line {}: the map opened here is never closed with `}}`",
                open.line
            );
        }
        Ok(self.entry)
    }
}

pub fn parse(src: &str) -> Result<Vec<ConfigEntry>> {
    let mut entries = Vec::new();
    let mut current: Option<Statement> = None;
    for (i, raw) in src.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.starts_with("import ") {
            if line != "import Config" {
                bail!("line {n}: only `import Config` is supported, found {line:?}");
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("config ") {
            if let Some(done) = current.take() {
                entries.push(done.finish()?);
            }
            let (app, key) = config_names(rest).ok_or_else(|| {
                anyhow::anyhow!("line {n}: expected `config :app, :key,`, found {line:?}")
            })?;
            current = Some(Statement {
                entry: ConfigEntry {
                    app,
                    key,
                    value: ExValue::Keyword(Vec::new()),
                    line: n,
                },
                open: Vec::new(),
            });
            continue;
        }
        let Some(statement) = current.as_mut() else {
            bail!("line {n}: {line:?} is outside a `config :app, :key,` statement");
        };
        let body = line.strip_suffix(',').unwrap_or(line);
        if body == "}" {
            let Some(closed) = statement.open.pop() else {
                bail!("line {n}: `}}` closes no map");
            };
            statement.insert(closed.key, ExValue::Map(closed.pairs));
        } else if let Some(platform) = body.strip_suffix(" => %{") {
            let key = ExValue::Str(quoted(platform, n)?);
            statement.open.push(Open {
                key,
                pairs: Vec::new(),
                line: n,
            });
        } else if let Some(name) = body.strip_suffix(": %{") {
            let key = ExValue::Atom(identifier(name, n)?);
            statement.open.push(Open {
                key,
                pairs: Vec::new(),
                line: n,
            });
        } else if let Some((name, value)) = body.split_once(": ") {
            let key = ExValue::Atom(identifier(name, n)?);
            statement.insert(key, ExValue::Str(quoted(value, n)?));
        } else {
            bail!(
                "line {n}: {line:?} is not a line of a pin file (`key: \"value\",`, `key: %{{`, `\"platform\" => %{{` or `}}`, one a line)"
            );
        }
    }
    if let Some(done) = current {
        entries.push(done.finish()?);
    }
    Ok(entries)
}

/// `codex_sdk, :codex_cli,` (after `config :`) as its two names.
fn config_names(rest: &str) -> Option<(String, String)> {
    let (app, key) = rest
        .strip_prefix(':')?
        .strip_suffix(',')?
        .split_once(", :")?;
    let name = |s: &str| is_identifier(s).then(|| s.to_string());
    Some((name(app)?, name(key)?))
}

fn is_identifier(s: &str) -> bool {
    s.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_lowercase() || b == b'_')
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn identifier(s: &str, line: usize) -> Result<String> {
    match is_identifier(s) {
        true => Ok(s.to_string()),
        false => bail!("line {line}: expected a key such as `sha256:`, found {s:?}"),
    }
}

/// `"text"`: no quote, backslash or interpolation inside (the pins are
/// versions, file names and hashes).
fn quoted(s: &str, line: usize) -> Result<String> {
    let inner = s
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .filter(|i| !i.contains(['"', '\\']) && !i.contains("#{"));
    match inner {
        Some(i) => Ok(i.to_string()),
        None => bail!(
            "line {line}: expected one string in double quotes (no escapes or interpolation), found {s}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_lines_pin_writes_with_comments_between() {
        let src = r#"
# a comment with "quotes" and %{braces}
import Config

config :codex_sdk, :codex_cli,
  version: "0.1.0",
  artifacts: %{
    "x86_64-linux" => %{
      file: "a.whl",
      sha256: "ab"
    }
  }

config :codex_sdk, :python_sdk,
  version: "0.2.0"
"#;
        let entries = parse(src).unwrap();
        assert_eq!(entries.len(), 2);
        let e = &entries[0];
        assert_eq!(
            (e.app.as_str(), e.key.as_str(), e.line),
            ("codex_sdk", "codex_cli", 5)
        );
        assert_eq!(
            e.value.get("version").and_then(ExValue::as_str),
            Some("0.1.0")
        );
        let art = e
            .value
            .get("artifacts")
            .unwrap()
            .get("x86_64-linux")
            .unwrap();
        assert_eq!(art.get("sha256").and_then(ExValue::as_str), Some("ab"));
        assert_eq!(entries[1].line, 14);
    }

    #[test]
    fn refuses_what_it_does_not_understand_with_the_line() {
        for (src, needle) in [
            (
                "import Config\nconfig :a, :b,\n  x: 1\n",
                "line 3: expected one string",
            ),
            ("config :a, :b,\n  x: \"#{y}\"\n", "interpolation"),
            ("import Mix\n", "only `import Config`"),
            ("config a, :b,\n", "line 1: expected `config :app, :key,`"),
            (
                "config :a, :b,\n  x: %{\n    \"k\" \"v\"\n  }\n",
                "line 3: \"\\\"k\\\" \\\"v\\\"\" is not a line",
            ),
            (
                "IO.puts(\"hi\")",
                "outside a `config :app, :key,` statement",
            ),
            (
                "config :a, :b,\n  x: %{ \"k\" => \"v\" }\n",
                "line 2: expected one string",
            ),
            (
                "config :a, :b,\n  x: %{\n  y: \"1\"\n",
                "line 2: the map opened here is never closed",
            ),
            ("config :a, :b,\n  }\n", "line 2: `}` closes no map"),
            (
                "config :a, :b,\n  Sha256: \"2\"\n",
                "expected a key such as `sha256:`",
            ),
        ] {
            let err = parse(src).unwrap_err().to_string();
            assert!(err.contains(needle), "{src:?}: {err}");
        }
    }
}

//! A reader for the subset of Elixir config that `config/native.exs` uses:
//! `import Config` and `config :app, :key, keyword: value, …` statements whose
//! values are strings, atoms, maps (`%{"k" => v}` or `%{k: v}`), lists and
//! keyword lists. Anything else is refused with its line, so the Elixir side
//! can keep the file without the driver needing an Elixir runtime.

use anyhow::{Result, bail};

/// One value of the supported subset.
#[derive(Debug, Clone, PartialEq)]
pub enum ExValue {
    Str(String),
    Atom(String),
    List(Vec<ExValue>),
    /// `[k: v]` or the trailing keyword list of a `config` call; order kept.
    Keyword(Vec<(String, ExValue)>),
    /// `%{…}`; keys are strings or atoms.
    Map(Vec<(ExValue, ExValue)>),
}

impl ExValue {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            ExValue::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Looks a key up in a keyword list or an atom-keyed map.
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

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Str(String),
    Atom(String),
    /// `name:` — a keyword key.
    Key(String),
    Ident(String),
    MapOpen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Arrow,
}

impl std::fmt::Display for Tok {
    /// As the file spells it, for error messages.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Tok::Str(s) => write!(f, "the string {s:?}"),
            Tok::Atom(a) => write!(f, "`:{a}`"),
            Tok::Key(k) => write!(f, "`{k}:`"),
            Tok::Ident(w) => write!(f, "`{w}`"),
            Tok::MapOpen => f.write_str("`%{`"),
            Tok::LBrace => f.write_str("`{`"),
            Tok::RBrace => f.write_str("`}`"),
            Tok::LBracket => f.write_str("`[`"),
            Tok::RBracket => f.write_str("`]`"),
            Tok::Comma => f.write_str("`,`"),
            Tok::Arrow => f.write_str("`=>`"),
        }
    }
}

struct Lexed {
    tok: Tok,
    line: usize,
}

fn lex(src: &str) -> Result<Vec<Lexed>> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    let ident_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\n' => {
                line += 1;
                i += 1;
            }
            c if c.is_whitespace() => i += 1,
            '#' => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
            }
            '"' => {
                let start_line = line;
                let mut s = String::new();
                i += 1;
                loop {
                    match chars.get(i) {
                        None => bail!("line {start_line}: string is never closed"),
                        Some('"') => break,
                        Some('\\') => {
                            match chars.get(i + 1) {
                                Some('n') => s.push('\n'),
                                Some('t') => s.push('\t'),
                                Some(&e @ ('"' | '\\')) => s.push(e),
                                _ => bail!("line {line}: unsupported escape in string"),
                            }
                            i += 2;
                            continue;
                        }
                        Some('#') if chars.get(i + 1) == Some(&'{') => {
                            bail!("line {line}: string interpolation is not supported")
                        }
                        Some(&ch) => {
                            if ch == '\n' {
                                line += 1;
                            }
                            s.push(ch);
                        }
                    }
                    i += 1;
                }
                i += 1;
                out.push(Lexed {
                    tok: Tok::Str(s),
                    line: start_line,
                });
            }
            ':' if chars.get(i + 1).is_some_and(|&n| ident_char(n)) => {
                let start = i + 1;
                i = start;
                while i < chars.len() && ident_char(chars[i]) {
                    i += 1;
                }
                out.push(Lexed {
                    tok: Tok::Atom(chars[start..i].iter().collect()),
                    line,
                });
            }
            '%' if chars.get(i + 1) == Some(&'{') => {
                out.push(Lexed {
                    tok: Tok::MapOpen,
                    line,
                });
                i += 2;
            }
            '=' if chars.get(i + 1) == Some(&'>') => {
                out.push(Lexed {
                    tok: Tok::Arrow,
                    line,
                });
                i += 2;
            }
            '{' | '}' | '[' | ']' | ',' => {
                let tok = match c {
                    '{' => Tok::LBrace,
                    '}' => Tok::RBrace,
                    '[' => Tok::LBracket,
                    ']' => Tok::RBracket,
                    _ => Tok::Comma,
                };
                out.push(Lexed { tok, line });
                i += 1;
            }
            c if c.is_ascii_alphabetic() || c == '_' => {
                let start = i;
                while i < chars.len() && ident_char(chars[i]) {
                    i += 1;
                }
                let word: String = chars[start..i].iter().collect();
                if chars.get(i) == Some(&':') && chars.get(i + 1).is_none_or(|n| n.is_whitespace())
                {
                    i += 1;
                    out.push(Lexed {
                        tok: Tok::Key(word),
                        line,
                    });
                } else {
                    out.push(Lexed {
                        tok: Tok::Ident(word),
                        line,
                    });
                }
            }
            other => bail!("line {line}: unexpected character {other:?}"),
        }
    }
    Ok(out)
}

struct Parser {
    toks: Vec<Lexed>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|l| &l.tok)
    }

    fn line(&self) -> usize {
        self.toks
            .get(self.pos)
            .or(self.toks.last())
            .map_or(1, |l| l.line)
    }

    /// The line of the token just read: where a missing separator belongs.
    fn prev_line(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.toks.get(i))
            .map_or(1, |l| l.line)
    }

    /// After a value, anything but `,` or the closing token is a missing comma
    /// at the end of the value's line, not an error on the next line.
    fn separator(&self, close: Option<&Tok>) -> Result<()> {
        match self.peek() {
            None | Some(Tok::Comma) => Ok(()),
            Some(t) if Some(t) == close => Ok(()),
            Some(Tok::Ident(w)) if close.is_none() && (w == "config" || w == "import") => Ok(()),
            Some(t) => bail!(
                "line {}: expected `,` after this value, found {t} (line {})",
                self.prev_line(),
                self.line()
            ),
        }
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).map(|l| l.tok.clone());
        self.pos += 1;
        t
    }

    fn expect(&mut self, want: &Tok, what: &str) -> Result<()> {
        let line = self.line();
        match self.next() {
            Some(t) if &t == want => Ok(()),
            Some(t) => bail!("line {line}: expected {what}, found {t}"),
            None => bail!("line {line}: expected {what}, found the end of the file"),
        }
    }

    fn value(&mut self) -> Result<ExValue> {
        let line = self.line();
        match self.next() {
            Some(Tok::Str(s)) => Ok(ExValue::Str(s)),
            Some(Tok::Atom(a)) => Ok(ExValue::Atom(a)),
            Some(Tok::Ident(w)) if matches!(w.as_str(), "true" | "false" | "nil") => {
                Ok(ExValue::Atom(w))
            }
            Some(Tok::MapOpen) => self.map(),
            Some(Tok::LBracket) => self.list(),
            Some(Tok::Ident(w)) => bail!(
                "line {line}: expected a value, found `{w}` (a key is written `{w}:`, a string \"{w}\")"
            ),
            Some(t) => bail!("line {line}: expected a value, found {t}"),
            None => bail!("line {line}: expected a value, found the end of the file"),
        }
    }

    fn keyword_tail(&mut self, first: String, close: Option<&Tok>) -> Result<ExValue> {
        let mut pairs = vec![(first, self.value()?)];
        self.separator(close)?;
        while self.peek() == Some(&Tok::Comma) {
            self.next();
            if close.is_some() && self.peek() == close {
                break;
            }
            let line = self.line();
            match self.next() {
                Some(Tok::Key(k)) => pairs.push((k, self.value()?)),
                _ => bail!("line {line}: expected `key:` in a keyword list"),
            }
            self.separator(close)?;
        }
        Ok(ExValue::Keyword(pairs))
    }

    fn list(&mut self) -> Result<ExValue> {
        if let Some(Tok::Key(_)) = self.peek() {
            let Some(Tok::Key(k)) = self.next() else {
                unreachable!()
            };
            let kw = self.keyword_tail(k, Some(&Tok::RBracket))?;
            self.expect(&Tok::RBracket, "`]`")?;
            return Ok(kw);
        }
        let mut items = Vec::new();
        while self.peek() != Some(&Tok::RBracket) {
            items.push(self.value()?);
            if self.peek() == Some(&Tok::Comma) {
                self.next();
            } else {
                break;
            }
        }
        self.expect(&Tok::RBracket, "`]`")?;
        Ok(ExValue::List(items))
    }

    fn map(&mut self) -> Result<ExValue> {
        let mut pairs = Vec::new();
        while self.peek() != Some(&Tok::RBrace) {
            let line = self.line();
            let pair = match self.peek() {
                Some(Tok::Key(_)) => {
                    let Some(Tok::Key(k)) = self.next() else {
                        unreachable!()
                    };
                    (ExValue::Atom(k), self.value()?)
                }
                Some(_) => {
                    let key = self.value()?;
                    if !matches!(key, ExValue::Str(_) | ExValue::Atom(_)) {
                        bail!("line {line}: map keys must be strings or atoms");
                    }
                    self.expect(&Tok::Arrow, "`=>`")?;
                    (key, self.value()?)
                }
                None => bail!("line {line}: map is never closed"),
            };
            pairs.push(pair);
            self.separator(Some(&Tok::RBrace))?;
            if self.peek() == Some(&Tok::Comma) {
                self.next();
            } else {
                break;
            }
        }
        self.expect(&Tok::RBrace, "`}`")?;
        Ok(ExValue::Map(pairs))
    }

    fn atom(&mut self, what: &str) -> Result<String> {
        let line = self.line();
        match self.next() {
            Some(Tok::Atom(a)) => Ok(a),
            _ => bail!("line {line}: expected {what} as an atom (`:name`)"),
        }
    }

    fn statement(&mut self) -> Result<Option<ConfigEntry>> {
        let line = self.line();
        match self.next() {
            Some(Tok::Ident(w)) if w == "import" => match self.next() {
                Some(Tok::Ident(m)) if m == "Config" => Ok(None),
                _ => bail!("line {line}: only `import Config` is supported"),
            },
            Some(Tok::Ident(w)) if w == "config" => {
                let app = self.atom("the application")?;
                self.expect(&Tok::Comma, "`,`")?;
                let key = self.atom("the config key")?;
                self.expect(&Tok::Comma, "`,`")?;
                let value = match self.next() {
                    Some(Tok::Key(k)) => self.keyword_tail(k, None)?,
                    Some(Tok::LBracket) => self.list()?,
                    _ => bail!("line {line}: `config` takes a keyword list after the key"),
                };
                Ok(Some(ConfigEntry {
                    app,
                    key,
                    value,
                    line,
                }))
            }
            Some(t) => bail!("line {line}: expected `import Config` or `config`, found {t}"),
            None => unreachable!("statement called at the end of input"),
        }
    }
}

/// Parses the whole file into its `config` statements.
pub fn parse(src: &str) -> Result<Vec<ConfigEntry>> {
    let mut p = Parser {
        toks: lex(src)?,
        pos: 0,
    };
    let mut entries = Vec::new();
    while p.peek().is_some() {
        if let Some(e) = p.statement()? {
            entries.push(e);
        }
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_keyword_lists_maps_and_comments() {
        let src = r#"
# a comment with "quotes" and %{braces}
import Config

config :codex_sdk, :codex_cli,
  version: "0.1.0", # trailing comment
  enabled: true,
  tags: ["a", :b],
  opts: [depth: "2"],
  artifacts: %{
    "x86_64-linux" => %{file: "a.whl", sha256: "ab"},
  }
"#;
        let entries = parse(src).unwrap();
        assert_eq!(entries.len(), 1);
        let e = &entries[0];
        assert_eq!(
            (e.app.as_str(), e.key.as_str(), e.line),
            ("codex_sdk", "codex_cli", 5)
        );
        assert_eq!(
            e.value.get("version").and_then(ExValue::as_str),
            Some("0.1.0")
        );
        assert_eq!(e.value.get("enabled"), Some(&ExValue::Atom("true".into())));
        assert_eq!(
            e.value.get("tags"),
            Some(&ExValue::List(vec![
                ExValue::Str("a".into()),
                ExValue::Atom("b".into())
            ]))
        );
        assert_eq!(
            e.value.get("opts").and_then(|o| o.get("depth")),
            Some(&ExValue::Str("2".into()))
        );
        let art = e
            .value
            .get("artifacts")
            .unwrap()
            .get("x86_64-linux")
            .unwrap();
        assert_eq!(art.get("sha256").and_then(ExValue::as_str), Some("ab"));
    }

    #[test]
    fn several_statements_keep_their_lines() {
        let src = "import Config\nconfig :a, :b, x: \"1\"\n\nconfig :c, :d, y: \"2\"\n";
        let entries = parse(src).unwrap();
        assert_eq!(entries.iter().map(|e| e.line).collect::<Vec<_>>(), [2, 4]);
    }

    #[test]
    fn refuses_what_it_does_not_understand_with_the_line() {
        for (src, needle) in [
            (
                "import Config\nconfig :a, :b, x: 1\n",
                "line 2: unexpected character '1'",
            ),
            ("config :a, :b, x: \"#{y}\"\n", "interpolation"),
            (
                "config :a, :b, x: \"open\n",
                "line 1: string is never closed",
            ),
            ("import Mix\n", "only `import Config`"),
            (
                "config a, :b, x: \"1\"",
                "expected the application as an atom",
            ),
            ("config :a, :b, x: %{\"k\" \"v\"}", "expected `=>`"),
            ("IO.puts(\"hi\")", "unexpected character '('"),
            (
                "config :a, :b,\n  x: \"1\"\n  y: \"2\"\n",
                "line 2: expected `,` after this value, found `y:` (line 3)",
            ),
            (
                "config :a, :b,\n  x: %{\n    \"k\" => %{\n      f: \"1\",\n      sha256 \"2\"\n    }\n  }\n",
                "line 5: expected a value, found `sha256` (a key is written `sha256:`",
            ),
            ("config :a, :b, x: y\n", "found `y` (a key is written `y:`"),
        ] {
            let err = parse(src).unwrap_err().to_string();
            assert!(err.contains(needle), "{src:?}: {err}");
        }
    }
}

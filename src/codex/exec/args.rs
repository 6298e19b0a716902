//! `codex exec`'s command line as the pinned codex reads it, so that replay
//! compares what a client *asks* rather than how it spells it: aliases
//! (`--experimental-json` is `--json`, `-m` is `--model`), `--opt=value`,
//! options in any order, before or after `resume` where codex allows both,
//! repeated `-c key=value` folded into one map (later wins, values read as
//! TOML as codex reads them), and the prompt as an argument or on stdin.
//!
//! The table below is codex 0.163.0's `exec --help` and `exec resume
//! --help`; a test compares it with the pinned binary's help. What each
//! option means for replay is its [`Role`]; the equivalences that make two
//! spellings one request are [`EQUIVALENT`], each proven against the real
//! codex by a test.

use std::collections::BTreeMap;

use anyhow::{Result, bail};
use serde::Serialize;

/// What an option means for replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Part of the request: compared.
    Compared,
    /// Where something is, not what: not compared.
    Location,
    /// `-c key=value`: folded into the config map.
    Config,
    /// `--enable F` / `--disable F`: `features.F = true|false` in the map.
    Feature(bool),
    /// `--output-schema FILE`: the file's JSON is compared, not its path.
    Schema,
    /// `-o FILE`: where replay writes the last agent message, as codex would.
    LastMessage,
}

/// One option of `codex exec`.
#[derive(Debug)]
pub struct Spec {
    pub long: &'static str,
    pub short: Option<char>,
    /// Other long spellings (hidden aliases).
    pub aliases: &'static [&'static str],
    pub takes_value: bool,
    pub scope: Scope,
    pub role: Role,
}

/// Where an option may stand: before `resume` (codex takes some only
/// there), on either side, or only after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Parent,
    Both,
    Resume,
}

const fn opt(
    long: &'static str,
    short: Option<char>,
    takes_value: bool,
    scope: Scope,
    role: Role,
) -> Spec {
    Spec {
        long,
        short,
        aliases: &[],
        takes_value,
        scope,
        role,
    }
}

use Role::*;

/// `codex exec`'s options (codex 0.163.0), and where `resume` takes them.
pub const OPTIONS: &[Spec] = &[
    opt("config", Some('c'), true, Scope::Both, Config),
    opt("enable", None, true, Scope::Both, Feature(true)),
    opt("disable", None, true, Scope::Both, Feature(false)),
    opt("strict-config", None, false, Scope::Both, Compared),
    opt("image", Some('i'), true, Scope::Both, Compared),
    opt("model", Some('m'), true, Scope::Both, Compared),
    opt("oss", None, false, Scope::Parent, Compared),
    opt("local-provider", None, true, Scope::Parent, Compared),
    opt("profile", Some('p'), true, Scope::Parent, Compared),
    opt("sandbox", Some('s'), true, Scope::Parent, Compared),
    opt("approve-for-me", None, false, Scope::Parent, Compared),
    opt(
        "dangerously-bypass-approvals-and-sandbox",
        None,
        false,
        Scope::Both,
        Compared,
    ),
    opt(
        "dangerously-bypass-hook-trust",
        None,
        false,
        Scope::Both,
        Compared,
    ),
    opt("cd", Some('C'), true, Scope::Parent, Location),
    opt("worktree", None, false, Scope::Both, Compared),
    opt("add-dir", None, true, Scope::Parent, Compared),
    opt("thread-source", None, true, Scope::Both, Compared),
    opt("cyber-access-program", None, true, Scope::Both, Compared),
    opt("skip-git-repo-check", None, false, Scope::Both, Compared),
    opt("ephemeral", None, false, Scope::Both, Compared),
    opt("ignore-user-config", None, false, Scope::Both, Compared),
    opt("ignore-rules", None, false, Scope::Both, Compared),
    opt("output-schema", None, true, Scope::Both, Schema),
    opt("color", None, true, Scope::Parent, Location),
    Spec {
        aliases: &["experimental-json"],
        ..opt("json", None, false, Scope::Both, Compared)
    },
    opt(
        "output-last-message",
        Some('o'),
        true,
        Scope::Both,
        LastMessage,
    ),
    opt("last", None, false, Scope::Resume, Compared),
    opt("all", None, false, Scope::Resume, Compared),
];

/// Spellings that make the same request of codex 0.163.0, measured with
/// the real binary and the scripted model (a test runs both of each and
/// compares what codex printed and what it asked the model): a config key
/// set to the value codex takes when it is absent.
pub const EQUIVALENT: &[(&str, &str)] = &[
    // `--sandbox read-only` is exec's default sandbox.
    ("sandbox", "read-only"),
    // gpt-5.5's default reasoning effort.
    ("model_reasoning_effort", "medium"),
];

/// Flags that stand for config values, measured with the real codex 0.163.0
/// (a command writing under the workspace gives the same events and the
/// same file either way; a test runs both).
pub const EXPANDS: &[(&str, &[(&str, &str)])] = &[(
    "approve-for-me",
    &[
        ("approvals_reviewer", "auto_review"),
        ("approval_policy", "on-request"),
        ("sandbox", "workspace-write"),
    ],
)];

/// A `codex exec` command line as the request it makes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExecCall {
    /// `resume`, with its session id (or `--last`); `None`: a new thread.
    pub resume: Option<Option<String>>,
    /// Every compared option by its long name, with its values in order
    /// (the model and the sandbox are config keys, as codex reads them).
    pub options: BTreeMap<String, Vec<String>>,
    /// `-c`, `--enable`/`--disable`, `-m`, `-s` folded: key → TOML value.
    pub config: BTreeMap<String, String>,
    /// The `--output-schema` file's path, whose JSON is compared.
    #[serde(skip)]
    pub output_schema: Option<String>,
    /// Where `-o` asks for the last agent message.
    #[serde(skip)]
    pub last_message: Option<String>,
    /// The prompt given as an argument (`-` means: read stdin).
    #[serde(skip)]
    pub prompt_arg: Option<String>,
}

/// The option `token` names (`--name`, `--name=value`, `-x`, `-xvalue`,
/// `-x=value`), and the value attached to it.
fn option(token: &str) -> Result<(&'static Spec, Option<String>)> {
    match token.strip_prefix("--") {
        Some(long) => {
            let (name, value) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            let spec = OPTIONS
                .iter()
                .find(|s| s.long == name || s.aliases.contains(&name))
                .ok_or_else(|| anyhow::anyhow!("unknown option --{name}"))?;
            Ok((spec, value))
        }
        None => {
            let mut chars = token[1..].chars();
            let c = chars.next().expect("a dash and a letter");
            let spec = OPTIONS
                .iter()
                .find(|s| s.short == Some(c))
                .ok_or_else(|| anyhow::anyhow!("unknown option -{c}"))?;
            let attached: String = chars.collect();
            let attached = attached.strip_prefix('=').unwrap_or(&attached).to_string();
            Ok((spec, (!attached.is_empty()).then_some(attached)))
        }
    }
}

impl ExecCall {
    /// Parses `args` (`exec …`, as codex receives them after its name).
    pub fn parse(args: &[String]) -> Result<ExecCall> {
        let Some((first, rest)) = args.split_first() else {
            bail!("no arguments: codex exec expects `exec`");
        };
        if first != "exec" && first != "e" {
            bail!("{first:?} is not `exec`");
        }
        let mut call = ExecCall {
            resume: None,
            options: BTreeMap::new(),
            config: BTreeMap::new(),
            output_schema: None,
            last_message: None,
            prompt_arg: None,
        };
        let mut positionals: Vec<String> = Vec::new();
        let mut only_positional = false;
        let mut i = 0;
        while i < rest.len() {
            let token = &rest[i];
            i += 1;
            if only_positional || token == "-" || !token.starts_with('-') {
                if call.resume.is_none()
                    && positionals.is_empty()
                    && token == "resume"
                    && !only_positional
                {
                    call.resume = Some(None);
                    continue;
                }
                positionals.push(token.clone());
                continue;
            }
            if token == "--" {
                only_positional = true;
                continue;
            }
            let (spec, inline) = option(token)?;
            match (spec.scope, call.resume.is_some()) {
                (Scope::Parent, true) => bail!("--{} is not accepted after `resume`", spec.long),
                (Scope::Resume, false) => bail!("--{} is accepted only after `resume`", spec.long),
                _ => {}
            }
            let value = match (spec.takes_value, inline) {
                (false, None) => None,
                (false, Some(_)) => bail!("--{} takes no value", spec.long),
                (true, Some(v)) => Some(v),
                (true, None) => {
                    let v = rest
                        .get(i)
                        .ok_or_else(|| anyhow::anyhow!("--{} needs a value", spec.long))?;
                    i += 1;
                    Some(v.clone())
                }
            };
            call.take(spec, value)?;
        }
        let mut positionals = positionals.into_iter();
        if call.resume.is_some() && !call.options.contains_key("last") {
            call.resume = Some(positionals.next());
        }
        call.prompt_arg = positionals.next();
        if let Some(extra) = positionals.next() {
            bail!("unexpected argument {extra:?}");
        }
        for (key, value) in EQUIVALENT {
            if call.config.get(*key).map(String::as_str) == Some(&toml_string(value)) {
                call.config.remove(*key);
            }
        }
        Ok(call)
    }

    fn take(&mut self, spec: &Spec, value: Option<String>) -> Result<()> {
        match (spec.role, value) {
            (Config, Some(kv)) => {
                let Some((key, raw)) = kv.split_once('=') else {
                    bail!("-c {kv:?} is not key=value");
                };
                self.config
                    .insert(key.trim().to_string(), toml_value(raw.trim()));
            }
            (Feature(on), Some(name)) => {
                self.config
                    .insert(format!("features.{name}"), on.to_string());
            }
            (Compared, None) if EXPANDS.iter().any(|(flag, _)| *flag == spec.long) => {
                let (_, values) = EXPANDS
                    .iter()
                    .find(|(flag, _)| *flag == spec.long)
                    .expect("found");
                for (key, value) in *values {
                    self.config.insert(key.to_string(), toml_string(value));
                }
            }
            (Compared, Some(v)) if spec.long == "model" || spec.long == "sandbox" => {
                let key = if spec.long == "model" {
                    "model"
                } else {
                    "sandbox"
                };
                self.config.insert(key.to_string(), toml_string(&v));
            }
            (Compared, v) => {
                self.options
                    .entry(spec.long.to_string())
                    .or_default()
                    .extend(v);
            }
            (Schema, v) => self.output_schema = v,
            (LastMessage, v) => self.last_message = v,
            (Location, _) => {}
            (_, None) => bail!("--{} needs a value", spec.long),
        }
        Ok(())
    }
}

/// A `-c` value as codex reads it: TOML if it parses, else the raw string;
/// rendered back canonically, so `"x"` and `'x'` and `x` agree.
fn toml_value(raw: &str) -> String {
    match toml::from_str::<toml::Table>(&format!("v = {raw}")) {
        Ok(mut t) => t
            .remove("v")
            .map_or_else(|| toml_string(raw), |v| v.to_string()),
        Err(_) => toml_string(raw),
    }
}

fn toml_string(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// The prompt codex runs: the argument, or stdin when there is none or it is
/// `-`; with both an argument and stdin, codex appends stdin as a block, so
/// the prompt is the pair (and differs from either alone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub argument: Option<String>,
    pub stdin: Option<Vec<u8>>,
}

impl Prompt {
    pub fn of(call: &ExecCall, stdin: Option<Vec<u8>>) -> Prompt {
        let stdin = stdin.filter(|s| !s.is_empty());
        match call.prompt_arg.as_deref() {
            None | Some("-") => Prompt {
                argument: None,
                stdin,
            }
            .into_text(),
            Some(arg) => Prompt {
                argument: Some(arg.to_string()),
                stdin,
            },
        }
    }

    /// A prompt from stdin alone is the same prompt as that text given as
    /// the argument (byte for byte: a trailing newline is part of it).
    fn into_text(self) -> Prompt {
        match (&self.argument, &self.stdin) {
            (None, Some(bytes)) => match String::from_utf8(bytes.clone()) {
                Ok(text) => Prompt {
                    argument: Some(text),
                    stdin: None,
                },
                Err(_) => self,
            },
            _ => self,
        }
    }

    pub fn describe(&self) -> String {
        match (&self.argument, &self.stdin) {
            (Some(a), None) => format!("{a:?}"),
            (None, None) => "(none)".to_string(),
            (a, Some(s)) => format!(
                "{}with stdin {:?} appended",
                a.as_ref().map(|a| format!("{a:?} ")).unwrap_or_default(),
                String::from_utf8_lossy(s)
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> ExecCall {
        ExecCall::parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>()).unwrap()
    }

    #[test]
    fn spellings_of_one_request_parse_alike() {
        let recorded = parse(&[
            "exec",
            "--json",
            "--skip-git-repo-check",
            "-m",
            "gpt-5.5",
            "Say hello.",
        ]);
        for other in [
            &[
                "exec",
                "--experimental-json",
                "--model",
                "gpt-5.5",
                "--skip-git-repo-check",
                "Say hello.",
            ][..],
            &[
                "exec",
                "--model=gpt-5.5",
                "--skip-git-repo-check",
                "--json",
                "Say hello.",
            ],
            &[
                "exec",
                "-mgpt-5.5",
                "--json",
                "--skip-git-repo-check",
                "-c",
                "model_reasoning_effort=\"medium\"",
                "Say hello.",
            ],
            &[
                "exec",
                "--json",
                "-c",
                "model='gpt-5.5'",
                "--skip-git-repo-check",
                "--sandbox",
                "read-only",
                "--color",
                "never",
                "-C",
                "/elsewhere",
                "Say hello.",
            ],
        ] {
            assert_eq!(parse(other), recorded, "{other:?}");
        }
        assert_ne!(
            parse(&["exec", "--json", "-m", "gpt-5.4", "Say hello."]),
            recorded
        );
    }

    #[test]
    fn approve_for_me_is_the_auto_reviewer_in_workspace_write() {
        assert_eq!(
            parse(&["exec", "--approve-for-me", "Go."]),
            parse(&[
                "exec",
                "-c",
                "approvals_reviewer=\"auto_review\"",
                "--sandbox",
                "workspace-write",
                "-c",
                "approval_policy='on-request'",
                "Go."
            ])
        );
        assert_ne!(
            parse(&["exec", "--approve-for-me", "Go."]),
            parse(&[
                "exec",
                "-c",
                "approvals_reviewer=\"auto_review\"",
                "-c",
                "approval_policy=\"on-request\"",
                "Go."
            ])
        );
    }

    #[test]
    fn resume_takes_its_target_and_shared_options_on_either_side() {
        let a = parse(&["exec", "--json", "-m", "m", "resume", "id-1", "Go on."]);
        let b = parse(&["exec", "resume", "--json", "id-1", "--model", "m", "Go on."]);
        assert_eq!(a, b);
        assert_eq!(a.resume, Some(Some("id-1".into())));
        assert_eq!(a.prompt_arg.as_deref(), Some("Go on."));
        let err = ExecCall::parse(&[
            "exec".into(),
            "resume".into(),
            "-s".into(),
            "read-only".into(),
        ])
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("--sandbox is not accepted after `resume`"),
            "{err}"
        );
    }

    #[test]
    fn later_config_wins_and_values_read_as_toml() {
        let c = parse(&[
            "exec",
            "-c",
            "a=1",
            "-c",
            "a=2",
            "-c",
            "b=[\"x\"]",
            "-c",
            "s=plain",
            "--enable",
            "f",
        ]);
        assert_eq!(c.config["a"], "2");
        assert_eq!(c.config["b"], "[\"x\"]");
        assert_eq!(c.config["s"], "\"plain\"");
        assert_eq!(c.config["features.f"], "true");
    }

    #[test]
    fn the_prompt_is_the_argument_or_stdin() {
        let arg = parse(&["exec", "Say hello."]);
        let none = parse(&["exec"]);
        let dash = parse(&["exec", "-"]);
        let from_arg = Prompt::of(&arg, None);
        assert_eq!(Prompt::of(&none, Some(b"Say hello.".to_vec())), from_arg);
        assert_eq!(Prompt::of(&dash, Some(b"Say hello.".to_vec())), from_arg);
        assert_ne!(Prompt::of(&none, Some(b"Say hello.\n".to_vec())), from_arg);
        assert_eq!(Prompt::of(&arg, Some(Vec::new())), from_arg);
        assert_ne!(Prompt::of(&arg, Some(b"more".to_vec())), from_arg);
    }
}

//! The hash-locked Python requirements file (`pip-compile --generate-hashes`
//! output): `name==version \` followed by `--hash=sha256:…` lines.

use anyhow::{Result, bail};

/// One `name==version` requirement with the hashes pip may accept for it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct LockedRequirement {
    pub name: String,
    pub version: String,
    pub hashes: Vec<String>,
}

/// PEP 503 normalisation, so `openai_codex_cli_bin` and
/// `openai-codex-cli-bin` name the same package.
pub fn normalize_name(name: &str) -> String {
    name.to_ascii_lowercase().replace(['_', '.'], "-")
}

/// Parses the lock; errors name the line.
pub fn parse(src: &str) -> Result<Vec<LockedRequirement>> {
    let mut reqs: Vec<LockedRequirement> = Vec::new();
    let mut logical = String::new();
    let mut start_line = 0;
    for (idx, raw) in src.lines().enumerate() {
        let line = raw.split(" #").next().unwrap_or("");
        let line = if line.trim_start().starts_with('#') {
            ""
        } else {
            line
        };
        if logical.is_empty() {
            start_line = idx + 1;
        }
        let (body, continued) = match line.trim_end().strip_suffix('\\') {
            Some(b) => (b, true),
            None => (line, false),
        };
        logical.push(' ');
        logical.push_str(body.trim());
        if continued {
            continue;
        }
        let statement = std::mem::take(&mut logical);
        let mut words = statement.split_whitespace();
        let Some(first) = words.next() else { continue };
        if first.starts_with('-') {
            bail!(
                "line {start_line}: pip option {first:?} is not allowed in the lock; keep only pinned requirements with hashes"
            );
        }
        let Some((name, version)) = first.split_once("==") else {
            bail!("line {start_line}: {first:?} is not pinned with `==`");
        };
        let mut hashes = Vec::new();
        for w in words {
            match w.strip_prefix("--hash=sha256:") {
                Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    hashes.push(h.to_ascii_lowercase())
                }
                _ => bail!(
                    "line {start_line}: expected `--hash=sha256:<64 hex>` after {first}, found {w:?}"
                ),
            }
        }
        if hashes.is_empty() {
            bail!(
                "line {start_line}: {first} has no --hash; pip's --require-hashes would refuse it"
            );
        }
        let name = normalize_name(name.trim());
        if reqs.iter().any(|r| r.name == name) {
            bail!("line {start_line}: {name} is listed twice");
        }
        reqs.push(LockedRequirement {
            name,
            version: version.trim().to_string(),
            hashes,
        });
    }
    if !logical.trim().is_empty() {
        bail!("line {start_line}: the file ends inside a `\\` continuation");
    }
    Ok(reqs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    #[test]
    fn reads_pip_compile_output() {
        let src = format!(
            "# header\nopenai_Codex==0.1.0 \\\n    --hash=sha256:{A} \\\n    --hash=sha256:{B}\n    # via -r x.in\nfoo==2 --hash=sha256:{A}\n"
        );
        let reqs = parse(&src).unwrap();
        assert_eq!(reqs.len(), 2);
        assert_eq!(reqs[0].name, "openai-codex");
        assert_eq!(reqs[0].version, "0.1.0");
        assert_eq!(reqs[0].hashes, [A, B]);
        assert_eq!(reqs[1].hashes, [A]);
    }

    #[test]
    fn refuses_unpinned_unhashed_and_options() {
        for (src, needle) in [
            (
                "foo>=1 --hash=sha256:00\n".to_string(),
                "line 1: \"foo>=1\" is not pinned",
            ),
            ("\nfoo==1\n".to_string(), "line 2: foo==1 has no --hash"),
            (
                "foo==1 --hash=sha256:zz\n".to_string(),
                "expected `--hash=sha256",
            ),
            ("--index-url x\n".to_string(), "pip option"),
            (format!("foo==1 --hash=sha256:{A} \\\n"), "ends inside"),
            (
                format!("foo==1 --hash=sha256:{A}\nfoo==2 --hash=sha256:{A}\n"),
                "listed twice",
            ),
        ] {
            let err = parse(&src).unwrap_err().to_string();
            assert!(err.contains(needle), "{src:?}: {err}");
        }
    }
}

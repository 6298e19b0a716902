//! Adoption, as docs/adopting.md walks it: the first consumer (a copy of
//! `nshkrdotcom/codex_sdk`'s config and hand-written fixtures in
//! tests/data/codex_sdk) made a project with `init`, whose decoder reads
//! `codex exec --json` events at `integration/fixtures/python/<name>.jsonl`.

use std::process::Command;

use crate::util::{Run, TestProject, repo, run};

/// The consumer's files that two built-in scenarios replace.
const REPLACED: [&str; 3] = [
    "thread_basic",
    "thread_tool_auto_step1",
    "thread_tool_auto_step2",
];

/// `init` as docs/adopting.md runs it for the consumer: the exec lane
/// alone, in its `python/` directory, with `scenarios`.
pub fn init(p: &TestProject, scenarios: &[&str]) -> Run {
    let mut args = vec!["init", "--lane", "exec", "--layout", "exec=python"];
    for s in scenarios {
        args.extend(["--scenario", s]);
    }
    p.run(&args)
}

/// The scenarios the tests below select.
const SELECTED: [&str; 2] = ["thread_basic", "thread_tool_auto"];

/// `init`, `pin`, then `harvest` and `check` as the page says: the harvest
/// replaces no hand-written file until the user removes it, and then
/// writes, at the consumer's paths, byte for byte what this repository's
/// exec lane committed; the other hand-written files stay as they were.
#[test]
fn init_makes_the_consumer_a_project_whose_fixtures_are_what_codex_sends() {
    let p = TestProject::consumer();
    let untouched = crate::util::files(p.root());

    let made = init(&p, &SELECTED).expect(0);
    for file in [
        "config/harvest.toml",
        "config/native.exs",
        "config/pylock.toml",
        "config/typescript/package-lock.json",
    ] {
        assert!(
            made.stdout.contains(&format!("init: wrote {file}\n")),
            "{}",
            made.stdout
        );
    }
    assert!(
        made.stdout.contains("audit") && made.stdout.contains("--unreferenced warn"),
        "the next steps name the audit of the hand-written files: {}",
        made.stdout
    );
    // `pin` in the new project: its codex again, for this platform alone
    // (one artifact fetched), written in the form it reads.
    if crate::pin::pin_only_this_platform(&p).is_some() {
        let pinned = p.read("config/native.exs");
        p.run(&["pin", "--codex", &p.codex_version(), "--no-harvest"])
            .expect(0);
        assert_eq!(p.read("config/native.exs"), pinned);
    }
    let config = p.read("config/harvest.toml");
    let again = init(&p, &SELECTED).expect(2);
    assert!(
        again
            .stderr
            .contains("config/harvest.toml, config/native.exs, config/pylock.toml")
            && again
                .stderr
                .contains("init writes over nothing, and nothing was written"),
        "{}",
        again.all()
    );
    assert_eq!(p.read("config/harvest.toml"), config);

    let refused = p.run(&["harvest", "--unreferenced", "warn"]).expect(2);
    assert!(
        refused
            .stderr
            .contains("holds 3 file(s) a harvest would replace that no earlier harvest wrote")
            && refused.stderr.contains("python/thread_basic.jsonl")
            && refused.stderr.contains("nothing was run or written"),
        "{}",
        refused.all()
    );
    assert_eq!(
        crate::util::files(p.root()),
        untouched_but_config(&p, &untouched)
    );
    let audit_here = p.run(&["audit", "integration/fixtures/python"]).expect(2);
    assert!(
        audit_here
            .stderr
            .contains("lies in this project's own fixtures tree"),
        "{}",
        audit_here.all()
    );
    for name in REPLACED {
        std::fs::remove_file(p.path(&format!("integration/fixtures/python/{name}.jsonl"))).unwrap();
    }
    p.run(&["harvest", "--unreferenced", "warn"]).expect(0);
    p.run(&["check", "--unreferenced", "warn"]).expect(0);

    let ours = crate::util::files(&repo().join("integration/fixtures/exec"));
    let theirs = crate::util::files(&p.path("integration/fixtures/python"));
    for name in REPLACED {
        for file in [format!("{name}.jsonl"), format!("{name}.command.json")] {
            assert_eq!(theirs[&file], ours[&file], "{file}");
        }
    }
    for (path, bytes) in &untouched {
        let replaced = REPLACED
            .iter()
            .any(|n| path == &format!("integration/fixtures/python/{n}.jsonl"));
        if !replaced && !path.starts_with("tmp/") {
            assert_eq!(
                &std::fs::read(p.path(path)).unwrap(),
                bytes,
                "{path} changed"
            );
        }
    }
    assert!(p.path("docs/codex-harvest/sdk-parity.md").is_file());
}

/// `before` with the files `init` wrote, as they are now in `p`.
fn untouched_but_config(
    p: &TestProject,
    before: &std::collections::BTreeMap<String, Vec<u8>>,
) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut expected = before.clone();
    for (path, bytes) in crate::util::files(p.root()) {
        if path.starts_with("config/") && !before.contains_key(&path) {
            expected.insert(path, bytes);
        }
    }
    expected
}

/// The Elixir script of the test below: every `config/*.exs` as `mix
/// format` would write it (the consumer's .formatter.exs takes
/// `config/**/*.exs`), and what `config/config.exs` and `runtime.exs`
/// configure, as mix reads them for the test env.
const ELIXIR: &str = r##"
for f <- Path.wildcard("config/**/*.exs") do
  src = File.read!(f)
  if IO.iodata_to_binary([Code.format_string!(src), ?\n]) != src do
    raise "#{f} is not as mix format writes it"
  end
end
IO.inspect(Config.Reader.read!("config/config.exs", env: :test), limit: :infinity)
IO.inspect(Config.Reader.read!("config/runtime.exs", env: :test), limit: :infinity)
"##;

fn elixir(p: &TestProject) -> Run {
    let mut cmd = Command::new("elixir");
    cmd.args(["-e", ELIXIR])
        .current_dir(p.root())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", p.tmp());
    run(cmd)
}

/// The pins `init` writes beside the consumer's Elixir config are Elixir
/// in mix format's own layout, and the config mix loads is what it was.
#[test]
fn the_pins_init_writes_leave_the_consumers_elixir_config_as_mix_reads_it() {
    if Command::new("elixir").arg("--version").output().is_err() {
        if std::env::var_os("CODEX_HARVEST_REQUIRE_ELIXIR").is_some() {
            panic!("CODEX_HARVEST_REQUIRE_ELIXIR is set but `elixir` is not on PATH");
        }
        crate::util::skipped("elixir is not installed: the consumer's config is not read");
        return;
    }
    let p = TestProject::consumer();
    let before = elixir(&p).expect(0);
    init(&p, &SELECTED).expect(0);
    let after = elixir(&p).expect(0);
    assert_eq!(after.stdout, before.stdout);
    assert!(
        after.stdout.contains("rate_limit_default_delay_ms: 60000"),
        "{}",
        after.stdout
    );
}

//! The Nix side, as far as it can run without nixpkgs: every .nix file
//! parses, and the pure pin reader agrees with the driver (and fails with it).
//! Needs `nix` on PATH; CI installs it and sets CODEX_HARVEST_REQUIRE_NIX=1.

use std::path::Path;
use std::process::Command;

use crate::util::{TestProject, repo, run};

pub fn nix_available() -> bool {
    let found = Command::new("nix").arg("--version").output().is_ok();
    if !found && std::env::var_os("CODEX_HARVEST_REQUIRE_NIX").is_some() {
        panic!("CODEX_HARVEST_REQUIRE_NIX is set but `nix` is not on PATH");
    }
    if !found {
        crate::util::skipped("nix is not installed: the Nix tests are skipped");
    }
    found
}

/// `nix eval --json` of an expression, offline (impure only to read files by
/// absolute path).
fn nix_eval(expr: &str) -> std::process::Output {
    // Concurrent evaluations find Nix's SQLite database busy: one at a time.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    Command::new("nix")
        .args([
            "--extra-experimental-features",
            "nix-command",
            "eval",
            "--offline",
            "--impure",
            "--json",
            "--expr",
            expr,
        ])
        .output()
        .unwrap()
}

fn nix_eval_pins(root: &Path) -> std::process::Output {
    nix_eval(&format!("import {}/nix/pins.nix", root.display()))
}

/// A test project with the Nix files too.
pub fn project_with_nix() -> TestProject {
    let p = TestProject::with_matrix();
    for (name, bytes) in crate::util::files(&repo().join("nix")) {
        p.write(&format!("nix/{name}"), &String::from_utf8(bytes).unwrap());
    }
    p.write(
        "flake.nix",
        &std::fs::read_to_string(repo().join("flake.nix")).unwrap(),
    );
    p
}

#[test]
fn every_nix_file_parses() {
    if !nix_available() {
        return;
    }
    let mut files = vec![repo().join("flake.nix")];
    files.extend(
        crate::util::files(&repo().join("nix"))
            .into_keys()
            .map(|f| repo().join("nix").join(f)),
    );
    assert!(files.len() >= 5);
    for f in files {
        let out = Command::new("nix-instantiate")
            .arg("--parse")
            .arg(&f)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            f.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let lock: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("flake.lock")).unwrap()).unwrap();
    let nixpkgs = &lock["nodes"]["nixpkgs"]["locked"];
    assert_eq!(nixpkgs["rev"].as_str().map(str::len), Some(40));
    assert!(nixpkgs["narHash"].as_str().unwrap().starts_with("sha256-"));
}

#[test]
fn the_nix_pin_reader_reads_what_the_driver_reads() {
    if !nix_available() {
        return;
    }
    let p = project_with_nix();
    let nix = nix_eval_pins(p.root());
    assert!(
        nix.status.success(),
        "{}",
        String::from_utf8_lossy(&nix.stderr)
    );
    let from_nix: serde_json::Value = serde_json::from_slice(&nix.stdout).unwrap();
    let driver = p.run(&["pins", "--format", "json"]).expect(0);
    let from_driver: serde_json::Value = serde_json::from_str(&driver.stdout).unwrap();
    for key in ["codex", "python_sdk", "python", "wheels"] {
        assert_eq!(from_nix[key], from_driver[key], "{key} differs");
    }
    assert_eq!(from_nix["codex"]["artifacts"].as_object().unwrap().len(), 4);
    // Per system, the flake installs the wheels the driver installs: one per
    // locked package, the platform builds (pydantic-core, the codex runtime)
    // differing between systems.
    let wheels = from_nix["wheels"].as_object().unwrap();
    assert_eq!(wheels.len(), 4);
    let files = |system: &str| -> Vec<String> {
        wheels[system]
            .as_array()
            .unwrap()
            .iter()
            .map(|w| w["file"].as_str().unwrap().to_string())
            .collect()
    };
    let packages = from_driver["python"]["packages"].as_array().unwrap().len();
    for system in wheels.keys() {
        assert_eq!(files(system).len(), packages, "{system}");
    }
    assert_ne!(files("x86_64-linux"), files("aarch64-darwin"));
    // The interpreter both ways use: the lock's minor (nixpkgs' python311).
    assert_eq!(from_nix["minor"], "3.11");
    assert_eq!(from_driver["python"]["requires_python"], "==3.11.*");
}

#[test]
fn a_wrong_pin_fails_both_readers() {
    if !nix_available() {
        return;
    }
    let p = project_with_nix();
    let exs = p.read("config/native.exs");
    let good = "76db41fb07fdf9ddacbe892b48d21dfde270031ec0f5666b5e558114355f006d";
    assert!(exs.contains(good));
    p.write("config/native.exs", &exs.replace(good, &"1".repeat(64)));
    let nix = nix_eval_pins(p.root());
    assert!(!nix.status.success(), "nix accepted a wrong pin");
    assert!(
        String::from_utf8_lossy(&nix.stderr).contains("the pins disagree"),
        "{}",
        String::from_utf8_lossy(&nix.stderr)
    );
    let driver = run(p.command(&["pins"])).expect(2);
    assert!(
        driver.stderr.contains("the pins disagree"),
        "{}",
        driver.all()
    );
}

/// `@openai/codex@0.163.0-linux-x64` on npm: its tarball's integrity, and
/// the binary inside, byte-identical to the one in the PyPI wheel.
const NPM_0_163_0_LINUX_X64: &str = "sha512-uwRaOsrYogLQhcxAM/GoeWrw0QIWEMRo7c9gM8sKAviVkZQHlu9kRLJ5PkufbV+ABGjyZgIwiFdJ0LCJ0N6e8w==";
const BINARY_0_163_0_LINUX_X64: &str =
    "399ff69c431c066e40de318fba45c2b07f45a76b19939d247ee4828fc70c4215";

/// Both readers accept exactly the same files: an odd but canonical one
/// (other comments) gives the same pins, and every file the two readers
/// could read differently (a repeated key or platform, a map on one line, a
/// statement before `import Config`, a missing comma) is refused by both.
#[test]
fn both_pin_readers_accept_and_refuse_the_same_files() {
    if !nix_available() {
        return;
    }
    let p = project_with_nix();
    let good = p.read("config/native.exs");
    let sha = "76db41fb07fdf9ddacbe892b48d21dfde270031ec0f5666b5e558114355f006d";
    let linux = good.find("    \"x86_64-linux\" => %{").unwrap();
    let linux_entry = &good[linux..good[linux..].find("    }").unwrap() + linux + 5];
    let variants = [
        (
            "other comments",
            good.replacen("# Bump with", "# Ours.\n\n# Bump with", 1),
            true,
        ),
        (
            "the same codex from npm",
            good.replace(
                linux_entry,
                &format!(
                    "    \"x86_64-linux\" => %{{\n      npm: \"@openai/codex@0.163.0-linux-x64\",\n      integrity: \"{NPM_0_163_0_LINUX_X64}\",\n      binary_sha256: \"{BINARY_0_163_0_LINUX_X64}\"\n    }}"
                ),
            ),
            true,
        ),
        (
            "an npm artifact without its integrity",
            good.replace(
                linux_entry,
                &format!(
                    "    \"x86_64-linux\" => %{{\n      npm: \"@openai/codex@0.163.0-linux-x64\",\n      binary_sha256: \"{BINARY_0_163_0_LINUX_X64}\"\n    }}"
                ),
            ),
            false,
        ),
        (
            "a repeated sha256",
            good.replace(
                &format!("      sha256: \"{sha}\",\n"),
                &format!(
                    "      sha256: \"{sha}\",\n      sha256: \"{}\",\n",
                    "1".repeat(64)
                ),
            ),
            false,
        ),
        (
            "a repeated platform",
            good.replace(linux_entry, &format!("{linux_entry},\n{linux_entry}")),
            false,
        ),
        (
            "a map on one line",
            good.replace(
                linux_entry,
                &linux_entry
                    .replace("\n      ", " ")
                    .replace("\n    }", " }"),
            ),
            false,
        ),
        (
            "a statement before import Config",
            good.replacen(
                "\nimport Config\n",
                "\nconfig :x, :y, z: \"1\"\nimport Config\n",
                1,
            ),
            false,
        ),
        (
            "a missing comma",
            good.replacen("  version: \"0.163.0\",", "  version: \"0.163.0\"", 1),
            false,
        ),
    ];
    for (what, text, accepted) in variants {
        assert_ne!(text, good, "{what}: the variant changed nothing");
        p.write("config/native.exs", &text);
        let nix = nix_eval_pins(p.root());
        let driver = run(p.command(&["pins", "--format", "json"]));
        assert_eq!(
            nix.status.success(),
            accepted,
            "{what}: nix {}",
            String::from_utf8_lossy(&nix.stderr)
        );
        assert_eq!(
            driver.code == 0,
            accepted,
            "{what}: driver {}",
            driver.all()
        );
        if accepted {
            let from_nix: serde_json::Value = serde_json::from_slice(&nix.stdout).unwrap();
            let from_driver: serde_json::Value = serde_json::from_str(&driver.stdout).unwrap();
            for key in ["codex", "python_sdk", "python", "wheels"] {
                assert_eq!(from_nix[key], from_driver[key], "{what}: {key} differs");
            }
        }
    }
}

/// The flake fetches each pinned wheel with fetchPypi, which rebuilds the file
/// name as `pname-version-python-abi-platform.whl`: it must be the pinned one.
#[test]
fn the_flake_fetches_exactly_the_pinned_wheel_files() {
    if !nix_available() {
        return;
    }
    let p = project_with_nix();
    let driver = p.run(&["pins", "--format", "json"]).expect(0);
    let pins: serde_json::Value = serde_json::from_str(&driver.stdout).unwrap();
    let mut files: Vec<String> = pins["codex"]["artifacts"]
        .as_object()
        .unwrap()
        .values()
        .filter_map(|a| a["file"].as_str().map(str::to_string))
        .collect();
    files.push(pins["python_sdk"]["file"].as_str().unwrap().to_string());
    for package in pins["python"]["packages"].as_array().unwrap() {
        for w in package["wheels"].as_array().unwrap() {
            files.push(w["name"].as_str().unwrap().to_string());
        }
    }
    for file in files {
        let out = nix_eval(&format!(
            "import {}/nix/wheel.nix \"{file}\"",
            p.root().display()
        ));
        assert!(
            out.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let args: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let rebuilt = format!(
            "{}-{}-{}-{}-{}.whl",
            args["pname"].as_str().unwrap(),
            args["version"].as_str().unwrap(),
            args["python"].as_str().unwrap(),
            args["abi"].as_str().unwrap(),
            args["platform"].as_str().unwrap()
        );
        assert_eq!(rebuilt, file);
        assert_eq!(args["format"], "wheel");
    }
}

/// The flake's outputs, evaluated lazily against the stand-in nixpkgs
/// (tests/nix/nixpkgs.nix): names are checked, nothing is built. Every
/// scenario of the catalogue has a check of its own.
#[test]
fn the_flake_exposes_the_conventional_outputs_for_four_systems() {
    if !nix_available() {
        return;
    }
    let expr = format!(
        r#"let
          flake = import {root}/flake.nix;
          nixpkgs = import {root}/tests/nix/nixpkgs.nix {{ venv = "unused"; driver = "unused"; }};
          out = flake.outputs {{ self = out; inherit nixpkgs; }};
          names = builtins.mapAttrs (_: builtins.mapAttrs (_: builtins.attrNames));
        in {{
          url = flake.inputs.nixpkgs.url;
          outputs = names {{ inherit (out) packages apps checks devShells; }};
          formatter = builtins.attrNames out.formatter;
          lib = builtins.attrNames out.lib;
          overlays = builtins.attrNames out.overlays;
          overlaid = let pkgs = nixpkgs.legacyPackages.x86_64-linux;
            in builtins.attrNames (out.overlays.default pkgs pkgs);
          templates = builtins.mapAttrs (_: t: t.description) out.templates;
          template = builtins.pathExists (out.templates.default.path + "/flake.nix");
        }}"#,
        root = repo().display()
    );
    let out = nix_eval(&expr);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["url"], "github:NixOS/nixpkgs/nixos-25.11");
    let config: toml::Value =
        toml::from_str(&std::fs::read_to_string(repo().join("config/harvest.toml")).unwrap())
            .unwrap();
    let scenarios: Vec<&str> = config["scenario"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    let systems = [
        "aarch64-darwin",
        "aarch64-linux",
        "x86_64-darwin",
        "x86_64-linux",
    ];
    assert_eq!(v["formatter"], serde_json::json!(systems));
    assert_eq!(v["lib"], serde_json::json!(["mkGate"]));
    assert_eq!(v["overlays"], serde_json::json!(["default"]));
    assert_eq!(
        v["overlaid"],
        serde_json::json!([
            "codex-harvest",
            "codex-harvest-codex",
            "codex-harvest-python",
            "codex-harvest-typescript-sdk"
        ])
    );
    assert_eq!(
        v["templates"],
        serde_json::json!({"default": "An SDK repository whose fixtures codex-harvest gates"})
    );
    assert_eq!(v["template"], true);
    for system in systems {
        let o = &v["outputs"];
        assert_eq!(
            o["packages"][system],
            serde_json::json!(["codex", "default", "fixtures", "python", "typescript-sdk"])
        );
        assert_eq!(o["apps"][system], serde_json::json!(["default", "harvest"]));
        let mut checks: Vec<String> = ["clippy", "fmt", "reproducibility", "tests"]
            .map(String::from)
            .into();
        checks.extend(scenarios.iter().map(|s| format!("scenario-{s}")));
        // One check per scenario and codex of the version matrix.
        for pin in std::fs::read_dir(repo().join("config/matrix")).unwrap() {
            let name = pin.unwrap().file_name().into_string().unwrap();
            let version = name
                .strip_prefix("codex-")
                .unwrap()
                .strip_suffix(".exs")
                .unwrap();
            checks.extend(scenarios.iter().map(|s| format!("codex-{version}-{s}")));
        }
        checks.sort();
        assert_eq!(o["checks"][system], serde_json::json!(checks));
        assert_eq!(o["devShells"][system], serde_json::json!(["default"]));
    }
}

/// `nix/toolchain.nix` evaluated for `system` against a stand-in nixpkgs
/// that records what it is asked for (`fetchPypi`, `buildPythonPackage`,
/// `runCommand`): nothing is built, but what the flake would fetch and build
/// is read back as JSON.
fn toolchain_as_built(root: &Path, system: &str) -> serde_json::Value {
    let expr = format!(
        r#"let
          system = "{system}";
          lib = {{
            inherit (builtins) replaceStrings listToAttrs;
            nameValuePair = name: value: {{ inherit name value; }};
            fix = f: let x = f x; in x;
            optionals = cond: list: if cond then list else [ ];
            escapeShellArg = s: "'${{s}}'";
          }};
          pkgs = {{
            inherit lib;
            stdenv = {{ hostPlatform = {{ inherit system; isLinux = builtins.match ".*-linux" system != null; }}; cc.cc.lib = "cc-lib"; }};
            fetchPypi = args: {{ fetchPypi = args; outPath = "/fetched/${{args.pname}}"; }};
            autoPatchelfHook = "autoPatchelfHook";
            nodejs = "nodejs";
            unzip = "unzip";
            runCommand = name: attrs: script: attrs // {{ inherit name script; outPath = "/built/${{name}}"; }};
            python311 = {{
              pkgs.buildPythonPackage = args: args;
              withPackages = f: {{ withPackages = f null; }};
            }};
          }};
          toolchain = import {root}/nix/toolchain.nix {{ inherit pkgs; pins = import {root}/nix/pins.nix; }};
          closure = p: [ p ] ++ builtins.concatMap closure p.dependencies;
          file = a: "${{a.pname}}-${{a.version}}-${{a.python}}-${{a.abi}}-${{a.platform}}.whl";
          packages = builtins.listToAttrs (map (p: {{ name = p.pname; value = p; }})
            (builtins.concatMap closure toolchain.python.withPackages));
          artifact = toolchain.codexArtifact;
        in {{
          wheels = map (p: {{
            file = file p.src.fetchPypi;
            sha256 = p.src.fetchPypi.sha256;
            dependencies = map (d: d.pname) p.dependencies;
            patched = builtins.elem "autoPatchelfHook" p.nativeBuildInputs;
            runtime_deps_check_off = p ? dontCheckRuntimeDeps;
          }}) (builtins.attrValues packages);
          codex_script = toolchain.codex.script;
          artifact =
            if artifact ? fetchPypi then {{ wheel = file artifact.fetchPypi; sha256 = artifact.fetchPypi.sha256; }}
            else {{ inherit (artifact) outputHash outputHashMode script; }};
        }}"#,
        root = root.display()
    );
    let out = nix_eval(&expr);
    assert!(
        out.status.success(),
        "{system}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// Per system, the flake's Python is built from exactly the wheels the
/// driver installs for that system (file names and sha256s from the lock,
/// nothing from nixpkgs' Python packages), each depending on what the lock
/// says it requires, the manylinux wheels patched, the runtime dependency
/// check on; its codex is the pinned artifact, checked against the pinned
/// binary hash.
#[test]
fn the_flake_builds_each_systems_python_from_the_wheels_the_driver_installs() {
    if !nix_available() {
        return;
    }
    let p = project_with_nix();
    let pins: serde_json::Value =
        serde_json::from_str(&p.run(&["pins", "--format", "json"]).expect(0).stdout).unwrap();
    let pairs = |list: &[serde_json::Value], file: &str| -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = list
            .iter()
            .map(|w| {
                (
                    w[file].as_str().unwrap().to_string(),
                    w["sha256"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let systems = pins["wheels"].as_object().unwrap();
    assert_eq!(systems.len(), 4);
    for (system, selected) in systems {
        let built = toolchain_as_built(p.root(), system);
        let wheels = built["wheels"].as_array().unwrap();
        assert_eq!(
            pairs(wheels, "file"),
            pairs(selected.as_array().unwrap(), "file"),
            "{system}"
        );
        for w in wheels {
            assert_eq!(w["runtime_deps_check_off"], false, "{system}: {w}");
            assert_eq!(w["patched"], system.ends_with("-linux"), "{system}: {w}");
        }
        let sdk = wheels
            .iter()
            .find(|w| w["file"].as_str().unwrap().starts_with("openai_codex-"))
            .unwrap();
        assert!(
            sdk["dependencies"]
                .as_array()
                .unwrap()
                .contains(&"pydantic".into())
        );
        let artifact = &pins["codex"]["artifacts"][system];
        assert_eq!(built["artifact"]["wheel"], artifact["file"], "{system}");
        assert_eq!(built["artifact"]["sha256"], artifact["sha256"], "{system}");
        let script = built["codex_script"].as_str().unwrap();
        let check = format!(
            "{}  $out/bin/codex",
            artifact["binary_sha256"].as_str().unwrap()
        );
        assert!(script.contains(&check), "{system}: {script}");
    }
}

/// An npm artifact is fetched by npm itself in a fixed-output derivation
/// whose hash is the pinned integrity, and unpacked as a tarball.
#[test]
fn the_flake_fetches_an_npm_artifact_by_its_integrity() {
    if !nix_available() {
        return;
    }
    let p = project_with_nix();
    let good = p.read("config/native.exs");
    let linux = good.find("    \"x86_64-linux\" => %{").unwrap();
    let entry = &good[linux..good[linux..].find("    }").unwrap() + linux + 5];
    p.write(
        "config/native.exs",
        &good.replace(
            entry,
            &format!(
                "    \"x86_64-linux\" => %{{\n      npm: \"@openai/codex@0.163.0-linux-x64\",\n      integrity: \"{NPM_0_163_0_LINUX_X64}\",\n      binary_sha256: \"{BINARY_0_163_0_LINUX_X64}\"\n    }}"
            ),
        ),
    );
    let built = toolchain_as_built(p.root(), "x86_64-linux");
    let artifact = &built["artifact"];
    assert_eq!(artifact["outputHash"], NPM_0_163_0_LINUX_X64);
    assert_eq!(artifact["outputHashMode"], "flat");
    assert!(
        artifact["script"]
            .as_str()
            .unwrap()
            .contains("npm pack --loglevel=error '@openai/codex@0.163.0-linux-x64'"),
        "{artifact}"
    );
    let script = built["codex_script"].as_str().unwrap();
    assert!(
        script.contains("tar -xzf /built/codex-0.163.0-x86_64-linux.tgz"),
        "{script}"
    );
    assert!(script.contains(BINARY_0_163_0_LINUX_X64), "{script}");
}

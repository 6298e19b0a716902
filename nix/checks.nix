# The flake's checks: one derivation per scenario, the gate over all of them,
# one per scenario and codex of the version matrix (each with its own codex
# binary, fetched from its pins), and the crate's own (tests, clippy, fmt).
{ pkgs, driver, python, codex, typescriptSdk }:
let
  inherit (pkgs) lib;
  scenarios = import ./scenarios.nix { inherit pkgs driver python codex typescriptSdk; };
  matrix = lib.concatMapAttrs
    (version: pins: import ./scenarios.nix {
      inherit pkgs driver python typescriptSdk version;
      inherit (import ./toolchain.nix { inherit pkgs pins; }) codex;
    })
    (import ./matrix.nix);
  under = dir: rel: rel == dir || lib.hasPrefix "${dir}/" rel;
  # What `check` reads besides the regenerated scenarios: the pins, the
  # harvest config, the scenario modules and scripts (for today's input
  # digests), the committed fixtures and the generated docs. Not the version
  # matrix: the aggregate gates the main pin's tree, the matrix's cells gate
  # theirs, and one moves without the other.
  project = import ./source.nix {
    root = ../.;
    name = "codex-harvest-project";
    keep = rel: type:
      ((under "config" rel || under "integration" rel)
        && !(under "config/matrix" rel || under "integration/matrix" rel))
      || builtins.elem rel [ "docs" "docs/python-parity-checklist.md" "docs/sdk-parity.md" ];
  };
  crate = import ./source.nix {
    root = ../.;
    name = "codex-harvest-crate";
    keep = rel: type:
      builtins.any (d: rel == d || lib.hasPrefix "${d}/" rel) [ "src" "tests" ]
      || builtins.elem rel [ "Cargo.toml" "Cargo.lock" ];
  };
in
scenarios // matrix // {
  # The gate: every scenario's check (each regenerated in the build sandbox:
  # no network, read-only source, HOME unwritable) laid over the committed
  # tree and compared as `codex-harvest check` does, with provenance.json,
  # SHA256SUMS, files no scenario produces and the generated docs.
  reproducibility = pkgs.runCommand "codex-harvest-reproducibility" { } ''
    export HOME=/homeless-shelter
    ${driver}/bin/codex-harvest --root ${project} check \
      ${lib.concatMapStringsSep " " (c: "--regenerated ${c}") (builtins.attrValues scenarios)}
    touch $out
  '';

  # The build runs the crate's unit tests (cargoTestFlags in nix/driver.nix).
  tests = driver;

  clippy = driver.overrideAttrs (old: {
    pname = "codex-harvest-clippy";
    nativeBuildInputs = old.nativeBuildInputs ++ [ pkgs.clippy ];
    buildPhase = "cargo clippy --offline --all-targets -- -D warnings";
    doCheck = false;
    installPhase = "touch $out";
  });

  fmt = pkgs.runCommand "codex-harvest-fmt" { nativeBuildInputs = [ pkgs.cargo pkgs.rustfmt ]; } ''
    cd ${crate}
    cargo fmt --all -- --check
    touch $out
  '';
}

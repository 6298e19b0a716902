# The flake's checks: one derivation per concern.
{ pkgs, driver, python, codex, src }:
let
  inherit (pkgs) lib;
  fs = lib.fileset;
  # What `check` reads: the pins, the harvest config, scenarios, scripts,
  # fixtures and the checklist.
  project = fs.toSource {
    root = ../.;
    fileset = fs.unions [ ../config ../integration ../docs/python-parity-checklist.md ../docs/sdk-parity.md ];
  };
  crate = fs.toSource {
    root = ../.;
    fileset = fs.unions [ ../Cargo.toml ../Cargo.lock ../src ../tests ];
  };
in
{
  # The gate: regenerate every scenario inside the build sandbox (no network,
  # read-only source, HOME unwritable) and compare with the committed fixtures.
  # Not the typescript lane yet: its SDK comes from npm through `npm ci`, which
  # the sandbox cannot reach, and the flake has no node_modules built from the
  # lock (docs/nix.md).
  reproducibility = pkgs.runCommand "codex-harvest-reproducibility" { } ''
    export HOME=/homeless-shelter
    ${driver}/bin/codex-harvest --root ${project} --python ${python}/bin/python --codex-path ${codex}/bin/codex check --lane python --lane wire --lane exec
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

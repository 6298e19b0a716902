# The flake's checks: the reproducibility gate of this repository
# (nix/gate.nix: one derivation per scenario, the gate over all of them, one
# per scenario and codex of the version matrix) and the crate's own (tests,
# clippy, fmt).
{ pkgs, driver }:
let
  inherit (pkgs) lib;
  crate = import ./source.nix {
    root = ../.;
    name = "codex-harvest-crate";
    keep = rel: type:
      builtins.any (d: rel == d || lib.hasPrefix "${d}/" rel) [ "src" "tests" ]
      || builtins.elem rel [ "Cargo.toml" "Cargo.lock" "build.rs" ];
  };
in
import ./gate.nix { inherit pkgs driver; root = ../.; } // {
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

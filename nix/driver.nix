# The driver, built from Cargo.lock with nixpkgs' rustPlatform (no extra flake
# input: see docs/nix.md for why not crane).
{ lib, rustPlatform, src }:
let
  fs = lib.fileset;
in
rustPlatform.buildRustPackage {
  pname = "codex-harvest";
  version = (lib.importTOML ../Cargo.toml).package.version;
  src = fs.toSource {
    root = ../.;
    # Compiled in: the vendored Responses API schema (include_str!) and the
    # built-in catalogue with its pins (build.rs).
    fileset = fs.unions [
      ../Cargo.toml
      ../Cargo.lock
      ../build.rs
      ../src
      ../tests
      ../config/responses-api/stream-events.schema.json
      ../config/harvest.toml
      ../config/coverage.toml
      ../config/native.exs
      ../config/pylock.toml
      ../config/typescript
      ../integration/harvest_scenarios
      ../integration/harvest_scenarios_ts
      ../integration/scripts
    ];
  };
  cargoLock.lockFile = ../Cargo.lock;
  # Unit tests only: the integration tests provision the pins from the
  # registries, which the build sandbox cannot reach (checks.reproducibility
  # runs the real thing with the Nix-built toolchain instead).
  cargoTestFlags = [ "--lib" ];
  meta.mainProgram = "codex-harvest";
}

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
    # The vendored Responses API schema is compiled in (include_str!).
    fileset = fs.unions [ ../Cargo.toml ../Cargo.lock ../src ../tests ../config/responses-api/stream-events.schema.json ];
  };
  cargoLock.lockFile = ../Cargo.lock;
  # Unit tests only: the integration tests provision the pins from the
  # registries, which the build sandbox cannot reach (checks.reproducibility
  # runs the real thing with the Nix-built toolchain instead).
  cargoTestFlags = [ "--lib" ];
  meta.mainProgram = "codex-harvest";
}

# The flake's checks for this system with the stand-in nixpkgs
# (./nixpkgs.nix) in place of the locked one, and its corpus package
# (`package-fixtures`): what tests/nix_builds.rs builds in the sandbox.
# `root` is the project (its flake.nix and files).
{ root, venv, driver, run ? "" }:
let
  nixpkgs = import ./nixpkgs.nix { inherit venv driver run; };
  flake = import (root + "/flake.nix");
  self = flake.outputs { inherit self nixpkgs; };
in
self.checks.${builtins.currentSystem} // {
  # Not a check: the corpus package, built here beside them.
  package-fixtures = self.packages.${builtins.currentSystem}.fixtures;
}

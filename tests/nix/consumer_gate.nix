# The checks of a repository's flake made from this flake's
# templates.default, with this flake (at `harvest`) as its `codex-harvest`
# input and the stand-in nixpkgs (./nixpkgs.nix) as both flakes' nixpkgs:
# what tests/nix_builds.rs builds in the sandbox for a repository that
# `codex-harvest init` made. `root` is that repository.
{ root, harvest, venv, driver, run ? "" }:
let
  nixpkgs = import ./nixpkgs.nix { inherit venv driver run; };
  ours = (import (harvest + "/flake.nix")).outputs {
    self = ours // { outPath = harvest; };
    inherit nixpkgs;
  };
  theirs = (import (root + "/flake.nix")).outputs {
    self = theirs // { outPath = root; };
    inherit nixpkgs;
    codex-harvest = ours;
  };
in
theirs.checks.${builtins.currentSystem}

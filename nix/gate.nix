# The reproducibility gate of the project at `root`: one check per scenario
# (nix/scenarios.nix), one per scenario and codex of its version matrix, and
# `reproducibility` over the main pin's. The toolchain is built from the
# project's own pins (config/native.exs, config/pylock.toml,
# config/typescript/), so a project that bumps its codex gates that codex.
# This repository's checks are this gate of itself; `lib.mkGate` in
# flake.nix is this gate of another repository. `unreferenced` is the
# aggregate's policy for files of the tree no scenario produces (`check
# --unreferenced`): "warn" keeps a repository's hand-written fixtures while
# it moves to harvested ones.
{ pkgs, driver, root, unreferenced ? "reject" }:
let
  inherit (pkgs) lib;
  toolchain = import ./toolchain.nix { inherit pkgs; pins = import ./read-pins.nix root "config/native.exs"; };
  typescriptSdk = import ./typescript.nix { inherit pkgs root; };
  harvestConfig = builtins.fromTOML (builtins.readFile (root + "/config/harvest.toml"));
  scenarios = import ./scenarios.nix {
    inherit pkgs driver typescriptSdk root;
    inherit (toolchain) python codex;
  };
  matrix = lib.concatMapAttrs
    (version: pins: import ./scenarios.nix {
      inherit pkgs driver typescriptSdk root version;
      inherit (toolchain) python;
      inherit (import ./toolchain.nix { inherit pkgs pins; }) codex;
    })
    (import ./matrix.nix root);
  under = dir: rel: rel == dir || lib.hasPrefix "${dir}/" rel;
  # The generated docs `check` compares, where the config puts them.
  docs = map (f: "${harvestConfig.docs or "docs"}/${f}") [ "python-parity-checklist.md" "sdk-parity.md" ];
  # What `check` reads besides the regenerated scenarios: the pins, the
  # harvest config, the scenario modules and scripts (for today's input
  # digests), the committed fixtures and the generated docs. Not the version
  # matrix: the aggregate gates the main pin's tree, the matrix's cells gate
  # theirs, and one moves without the other.
  project = import ./source.nix {
    inherit root;
    name = "codex-harvest-project";
    keep = rel: type:
      ((under "config" rel || under "integration" rel)
        && !(under "config/matrix" rel || under "integration/matrix" rel))
      || builtins.elem rel docs
      || (type == "directory" && lib.any (d: lib.hasPrefix "${rel}/" d) docs);
  };
in
scenarios // matrix // {
  # The gate: every scenario's check (each regenerated in the build sandbox:
  # no network, read-only source, HOME unwritable) laid over the committed
  # tree and compared as `codex-harvest check` does, with provenance.json,
  # SHA256SUMS, files no scenario produces and the generated docs.
  reproducibility = pkgs.runCommand "codex-harvest-reproducibility" { } ''
    export HOME=/homeless-shelter
    ${driver}/bin/codex-harvest --root ${project} check --unreferenced ${unreferenced} \
      ${lib.concatMapStringsSep " " (c: "--regenerated ${c}") (builtins.attrValues scenarios)}
    touch $out
  '';
}

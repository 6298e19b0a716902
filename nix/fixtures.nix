# The committed corpus as a package (`packages.fixtures`), for a repository
# that only wants the fixtures: `codex-harvest bundle --into $out` over the
# main pin's tree and each matrix tree (each checked against its own
# SHA256SUMS first), with config/harvest.toml (the rules replay reads above
# a recording), the replay shim bin/codex-replay, BUNDLE.json and a
# SHA256SUMS over every file.
{ pkgs, driver, root }:
let
  inherit (pkgs) lib;
  under = dir: rel: rel == dir || lib.hasPrefix "${dir}/" rel;
  corpus = import ./source.nix {
    inherit root;
    name = "codex-harvest-corpus";
    keep = rel: type:
      rel == "integration" || under "config" rel
      || under "integration/fixtures" rel || under "integration/matrix" rel;
  };
in
pkgs.runCommand "codex-harvest-fixtures" { } ''
  export HOME=/homeless-shelter
  ${driver}/bin/codex-harvest --root ${corpus} bundle --into $out
''

# The version matrix's pins of the project at `root`,
# config/matrix/codex-<version>.exs, each read like config/native.exs
# (nix/read-pins.nix): { "<version>" = pins; }.
root:
let
  dir = root + "/config/matrix";
  files = if builtins.pathExists dir then builtins.attrNames (builtins.readDir dir) else [ ];
  versionOf = f:
    let m = builtins.match "codex-([0-9.]+)[.]exs" f; in
    if m == null then throw "config/matrix/${f} is not a matrix pin: the dir holds only codex-<version>.exs files"
    else builtins.head m;
  read = f:
    let pins = import ./read-pins.nix root "config/matrix/${f}"; in
    if pins.codex.version != versionOf f
    then throw "config/matrix/${f} pins codex ${pins.codex.version}, not the ${versionOf f} its name says"
    else pins;
in
builtins.listToAttrs (map (f: { name = versionOf f; value = read f; }) files)

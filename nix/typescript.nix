# The typescript lane's node_modules, as the driver's `npm ci --omit=optional
# --ignore-scripts` installs it from config/typescript/package-lock.json:
# every package the lock does not mark optional (npm's codex binaries are;
# the lane gives the SDK the pinned codex), each fetched by its integrity
# and unpacked at its place in the lock. No install scripts run. `root` is
# the project whose config/typescript/ pins the SDK.
{ pkgs, root ? ../. }:
let
  inherit (pkgs) lib;
  npmPack = import ./npm-pack.nix { inherit pkgs; };
  lock = builtins.fromJSON (builtins.readFile (root + "/config/typescript/package-lock.json"));
  installed = lib.filterAttrs (place: p: place != "" && !(p.optional or false)) lock.packages;
  # node_modules/@scope/name (or a nested node_modules/a/node_modules/b):
  # the package is what follows the last node_modules/.
  packageOf = place: lib.last (lib.splitString "node_modules/" place);
  tarball = place: p: npmPack {
    name = "${lib.replaceStrings [ "@" "/" ] [ "" "-" ] (packageOf place)}-${p.version}.tgz";
    spec = "${packageOf place}@${p.version}";
    inherit (p) integrity;
  };
in
pkgs.runCommand "codex-harvest-typescript-sdk" { } ''
  mkdir -p $out
  cp ${root + "/config/typescript/package.json"} $out/package.json
  ${lib.concatStrings (lib.mapAttrsToList (place: p: ''
    mkdir -p $out/${place}
    tar -xzf ${tarball place p} -C $out/${place} --strip-components=1
  '') installed)}
''

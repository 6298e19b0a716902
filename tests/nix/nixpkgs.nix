# A stand-in for nixpkgs, for tests on machines that cannot fetch it. It
# offers what the flake asks of nixpkgs, built for real in the build sandbox:
# - runCommand: bash and coreutils of the host, which the test makes visible
#   in the sandbox (extra-sandbox-paths, read-only) as nixpkgs' stdenv would be;
# - fetchPypi: a fixed-output derivation (`pip download` of the file, checked
#   against the pinned sha256 by Nix);
# - nodejs, unzip: the host's, as above;
# - the interpreter with the lock's wheels: the driver-provisioned venv,
#   imported into the store (`venv`);
# - rustPlatform.buildRustPackage: the driver binary under test (`driver`).
# Nothing else: an attribute the flake's checks ask for that is missing here
# fails the evaluation. `run` is in every derivation built here, so that a
# test run builds everything afresh instead of finding an earlier run's
# results valid in the store.
{ venv, driver, run ? "" }:
let
  system = builtins.currentSystem;
  systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];

  lib = rec {
    inherit (builtins) replaceStrings listToAttrs any elem;
    genAttrs = names: f: listToAttrs (map (n: nameValuePair n (f n)) names);
    nameValuePair = name: value: { inherit name value; };
    fix = f: let x = f x; in x;
    optionals = cond: list: if cond then list else [ ];
    escapeShellArg = s: "'${replaceStrings [ "'" ] [ "'\\''" ] s}'";
    hasPrefix = pre: s: builtins.substring 0 (builtins.stringLength pre) s == pre;
    filterAttrs = pred: set: listToAttrs (builtins.concatMap
      (n: if pred n set.${n} then [ (nameValuePair n set.${n}) ] else [ ])
      (builtins.attrNames set));
    mapAttrsToList = f: set: map (n: f n set.${n}) (builtins.attrNames set);
    concatMapAttrs = f: set: builtins.foldl' (a: b: a // b) { } (mapAttrsToList f set);
    optionalString = cond: s: if cond then s else "";
    concatStrings = builtins.concatStringsSep "";
    concatMapStringsSep = sep: f: list: builtins.concatStringsSep sep (map f list);
    # Literal separators only (no regex metacharacters in the flake's uses).
    splitString = sep: s: builtins.filter builtins.isString (builtins.split sep s);
    last = list: builtins.elemAt list (builtins.length list - 1);
    importTOML = path: builtins.fromTOML (builtins.readFile path);
  };

  runCommand = name: env: buildCommand:
    let inputs = (env.nativeBuildInputs or [ ]) ++ (env.buildInputs or [ ]);
    in derivation (removeAttrs env [ "nativeBuildInputs" "buildInputs" ] // {
      inherit name system buildCommand run;
      builder = "/bin/bash";
      args = [
        "-euo"
        "pipefail"
        "-c"
        ''export PATH=${lib.concatMapStringsSep ":" (p: "${p}/bin") inputs}:/usr/bin:/bin; eval "$buildCommand"''
      ];
    });

  # A host command under $out/bin, as a package.
  host = name: commands: runCommand name { } ''
    mkdir -p $out/bin
    ${lib.concatMapStringsSep "\n" (c: "ln -s /usr/bin/${c} $out/bin/${c}") commands}
  '';

  pkgs = {
    inherit lib runCommand;
    stdenv = {
      hostPlatform = { inherit system; isLinux = builtins.match ".*-linux" system != null; };
      cc.cc.lib = null;
    };
    callPackage = f: overrides:
      let fn = import f;
      in fn (builtins.intersectAttrs (builtins.functionArgs fn) pkgs // overrides);
    rustPlatform.buildRustPackage = _: runCommand "codex-harvest" { } ''
      mkdir -p $out/bin
      cp ${builtins.storePath driver} $out/bin/codex-harvest
    '';
    python311 = {
      pkgs.buildPythonPackage = args: args;
      withPackages = _: builtins.storePath venv;
    };
    fetchPypi = { pname, version, python, abi, platform, sha256, ... }:
      let file = "${pname}-${version}-${python}-${abi}-${platform}.whl";
      in runCommand file { outputHash = sha256; outputHashAlgo = "sha256"; outputHashMode = "flat"; } ''
        # The host trusts its certificates there (a TLS-inspecting proxy may sign).
        export HOME=$TMPDIR PIP_NO_CACHE_DIR=1 PIP_CERT=/etc/ssl/certs/ca-certificates.crt
        ${builtins.storePath venv}/bin/python -m pip download --quiet --no-deps --only-binary=:all: \
          ${lib.concatMapStringsSep " " (p: "--platform ${p}") (lib.splitString "[.]" platform)} \
          --dest $TMPDIR/wheels ${lib.escapeShellArg "${pname}==${version}"}
        mv $TMPDIR/wheels/${file} $out
      '';
    autoPatchelfHook = null;
    nodejs = host "nodejs" [ "node" "npm" ];
    unzip = host "unzip" [ "unzip" ];
  };
in
{
  inherit lib;
  legacyPackages = lib.genAttrs systems (_: pkgs);
}

# The pinned toolchain, from the same pins the driver reads:
# - python: the interpreter minor config/pylock.toml names (from nixpkgs, the
#   only thing nixpkgs supplies) with exactly the wheels the lock names for
#   this system, fetched by file name and sha256; nixpkgs' Python packages
#   are not used, and each package's runtime dependency check stays on.
# - codex: the codex package of the artifact config/native.exs pins for this
#   system (a PyPI wheel, or an npm platform build fetched with npm itself),
#   its binary checked against binary_sha256.
{ pkgs, pins }:
let
  inherit (pkgs) lib stdenv;
  system = stdenv.hostPlatform.system;
  artifact = pins.codex.artifacts.${system}
    or (throw "config/native.exs pins no codex artifact for ${system}");

  interpreter = pkgs."python${lib.replaceStrings [ "." ] [ "" ] pins.minor}"
    or (throw "nixpkgs has no Python ${pins.minor}, which config/pylock.toml locks wheels for");

  # A pinned wheel, fetched by its file name and sha256.
  wheel = file: sha256: pkgs.fetchPypi (import ./wheel.nix file // { inherit sha256; });

  locked = lib.listToAttrs (map (p: lib.nameValuePair p.name p) pins.python.packages);
  selected = pins.wheels.${system}
    or (throw "config/pylock.toml locks no wheels for ${system}");

  # One package per locked wheel, depending on the packages the lock says it
  # requires; manylinux wheels are patched against nixpkgs' libraries.
  packages = lib.fix (self: lib.listToAttrs (map
    (w: lib.nameValuePair w.package (interpreter.pkgs.buildPythonPackage {
      pname = w.package;
      inherit (w) version;
      format = "wheel";
      src = wheel w.file w.sha256;
      dependencies = map (d: self.${d}) locked.${w.package}.dependencies;
      nativeBuildInputs = lib.optionals stdenv.hostPlatform.isLinux [ pkgs.autoPatchelfHook ];
      buildInputs = lib.optionals stdenv.hostPlatform.isLinux [ stdenv.cc.cc.lib ];
      # The codex runtime carries a static binary whose bytes are pinned.
      dontStrip = true;
    }))
    selected));

  # The artifact file: a PyPI wheel by name, or an npm tarball by its
  # pinned integrity.
  artifactFile =
    if artifact ? file then wheel artifact.file artifact.sha256
    else import ./npm-pack.nix { inherit pkgs; } {
      name = "codex-${pins.codex.version}-${system}.tgz";
      spec = artifact.npm;
      inherit (artifact) integrity;
    };
in
{
  python = interpreter.withPackages (_: [ packages.openai-codex ]);
  # The fetched artifact, before the binary is taken out of it.
  codexArtifact = artifactFile;
  codex = pkgs.runCommand "codex-${pins.codex.version}" { nativeBuildInputs = [ pkgs.unzip ]; } ''
    mkdir unpacked
    ${if artifact ? file then "unzip -q ${artifactFile} -d unpacked" else "tar -xzf ${artifactFile} -C unpacked"}
    found=$(find unpacked -path '*/bin/codex' -type f)
    if [ "$(printf '%s\n' "$found" | grep -c .)" != 1 ]; then
      echo "expected one */bin/codex in ${artifactFile}, found: $found" >&2
      exit 1
    fi
    # The package the binary came in: bubblewrap in codex-resources and rg
    # in codex-path beside it, as pip or npm install it (without its
    # bubblewrap, codex's sandbox cannot write the workspace). Its Python
    # wrapper is pip's, not codex's.
    cp -r "$(dirname "$(dirname "$found")")" $out
    rm -rf $out/__init__.py $out/__pycache__
    chmod 755 $out/bin/codex
    echo "${artifact.binary_sha256}  $out/bin/codex" | sha256sum -c -
  '';
}

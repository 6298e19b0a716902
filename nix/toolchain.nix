# The pinned toolchain: the codex binary from the openai-codex-cli-bin wheel
# pinned in config/native.exs, and a Python with the pinned SDK wheel (and that
# same codex runtime), fetched by file name and sha256 from the pins.
{ pkgs, pins }:
let
  artifact = pins.codex.artifacts.${pkgs.stdenv.hostPlatform.system}
    or (throw "config/native.exs pins no codex artifact for ${pkgs.stdenv.hostPlatform.system}");
  python3Packages = pkgs.python3Packages;

  # A pinned wheel, fetched by its file name and sha256.
  wheel = { file, sha256, ... }: pkgs.fetchPypi (import ./wheel.nix file // { inherit sha256; });

  cliBin = python3Packages.buildPythonPackage {
    pname = "openai-codex-cli-bin";
    inherit (pins.codex) version;
    format = "wheel";
    src = wheel artifact;
    # The binary is static (musl) on Linux; nothing to patch.
    dontStrip = true;
  };

  sdk = python3Packages.buildPythonPackage {
    pname = "openai-codex";
    inherit (pins.python_sdk) version;
    format = "wheel";
    src = wheel { inherit (pins.python_sdk) file sha256; };
    # pydantic and friends come from nixpkgs; the SDK and codex are the pinned wheels.
    dependencies = [ cliBin ] ++ (with python3Packages; [ pydantic packaging typing-extensions ]);
    dontCheckRuntimeDeps = true;
  };
in
{
  python = pkgs.python3.withPackages (_: [ sdk ]);
  codex = pkgs.runCommand "codex-${pins.codex.version}" { } ''
    mkdir -p $out/bin
    ln -s ${cliBin}/${pkgs.python3.sitePackages}/codex_cli_bin/bin/codex $out/bin/codex
  '';
}

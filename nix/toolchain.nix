# The pinned toolchain: the codex binary from the openai-codex-cli-bin wheel
# pinned in config/native.exs, and a Python with the pinned SDK wheel (and that
# same codex runtime), fetched by file name and sha256 from the pins.
{ pkgs, pins }:
let
  inherit (pkgs) lib;
  artifact = pins.codex.artifacts.${pkgs.stdenv.hostPlatform.system}
    or (throw "config/native.exs pins no codex artifact for ${pkgs.stdenv.hostPlatform.system}");
  # openai_codex_cli_bin-0.163.0-py3-none-manylinux_2_17_x86_64.whl → manylinux_2_17_x86_64
  wheelPlatform = file: lib.removeSuffix ".whl" (lib.last (lib.splitString "-" file));
  python3Packages = pkgs.python3Packages;

  cliBin = python3Packages.buildPythonPackage {
    pname = "openai-codex-cli-bin";
    inherit (pins.codex) version;
    format = "wheel";
    src = pkgs.fetchPypi {
      pname = "openai_codex_cli_bin";
      inherit (pins.codex) version;
      format = "wheel";
      dist = "py3";
      python = "py3";
      abi = "none";
      platform = wheelPlatform artifact.file;
      sha256 = artifact.sha256;
    };
    # The binary is static (musl) on Linux; nothing to patch.
    dontStrip = true;
  };

  sdk = python3Packages.buildPythonPackage {
    pname = "openai-codex";
    inherit (pins.python_sdk) version;
    format = "wheel";
    src = pkgs.fetchPypi {
      pname = "openai_codex";
      inherit (pins.python_sdk) version;
      format = "wheel";
      dist = "py3";
      python = "py3";
      sha256 = pins.python_sdk.sha256;
    };
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

# The codex-rs pin: the single source for which codex binary the fixtures are
# harvested with. Each platform's artifact is either the openai-codex-cli-bin
# wheel (file:, sha256: of the wheel) or the @openai/codex npm platform build
# (npm:, integrity: of the tarball) that carries the static codex binary, and
# binary_sha256: the binary in it. The Nix flake and `codex-harvest` both
# install exactly these files, and codex-harvest runs no codex whose bytes are
# not the pinned binary's. The python_sdk entry names the SDK wheel; its
# sha256 must be one of config/pylock.toml's openai-codex wheels.
#
# Below `import Config` this file is exactly what `codex-harvest pin` writes:
# both readers (the driver and nix/pins.nix) refuse anything else.
#
# Bump with: codex-harvest pin --codex <version>
import Config

config :codex_sdk, :codex_cli,
  version: "0.163.0",
  package: "openai-codex-cli-bin",
  artifacts: %{
    "aarch64-darwin" => %{
      file: "openai_codex_cli_bin-0.163.0-py3-none-macosx_11_0_arm64.whl",
      sha256: "dd0e6570930167f0e15ec94c5fb494a4a5a9dceb0a97113176c7b47c826cda05",
      binary_sha256: "8813367285524ac798dd96d1b071aea30d58708c7226fd236cd275cf1cfdee31"
    },
    "aarch64-linux" => %{
      file: "openai_codex_cli_bin-0.163.0-py3-none-manylinux_2_17_aarch64.whl",
      sha256: "bb2b0d117eeb02608738cf2bcdf51f6a036343d0028272e11a94e72b0d23b141",
      binary_sha256: "8a96f66d059d653e68bfd5f3c79337e6f1d7d170d80bf705eb7d0249b34c0ece"
    },
    "x86_64-darwin" => %{
      file: "openai_codex_cli_bin-0.163.0-py3-none-macosx_10_9_x86_64.whl",
      sha256: "6b4a9e614e30442f9c2b804604b7fba12f218627f709fe5ba1960c01dac15ca1",
      binary_sha256: "73697f229103f463acaafd8659976caaa4892ec11e2c246c7fa97f93d523f90e"
    },
    "x86_64-linux" => %{
      file: "openai_codex_cli_bin-0.163.0-py3-none-manylinux_2_17_x86_64.whl",
      sha256: "76db41fb07fdf9ddacbe892b48d21dfde270031ec0f5666b5e558114355f006d",
      binary_sha256: "399ff69c431c066e40de318fba45c2b07f45a76b19939d247ee4828fc70c4215"
    }
  }

config :codex_sdk, :python_sdk,
  version: "0.163.0",
  file: "openai_codex-0.163.0-py3-none-any.whl",
  sha256: "d151e3ff8188bc2c07a962855d598b93bf87a49ec3440810e45a5f2e1167d99e"

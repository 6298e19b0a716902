# The codex-rs pin: the single source for which codex binary the fixtures are
# harvested with. Each artifact is the openai-codex-cli-bin wheel that carries
# the static codex binary; the Nix flake and `codex-harvest` both install
# exactly these files and refuse any other bytes.
#
# Bump with: codex-harvest pin --codex <version>
import Config

config :codex_sdk, :codex_cli,
  version: "0.163.0",
  package: "openai-codex-cli-bin",
  artifacts: %{
    "aarch64-darwin" => %{
      file: "openai_codex_cli_bin-0.163.0-py3-none-macosx_11_0_arm64.whl",
      sha256: "dd0e6570930167f0e15ec94c5fb494a4a5a9dceb0a97113176c7b47c826cda05"
    },
    "aarch64-linux" => %{
      file: "openai_codex_cli_bin-0.163.0-py3-none-manylinux_2_17_aarch64.whl",
      sha256: "bb2b0d117eeb02608738cf2bcdf51f6a036343d0028272e11a94e72b0d23b141"
    },
    "x86_64-darwin" => %{
      file: "openai_codex_cli_bin-0.163.0-py3-none-macosx_10_9_x86_64.whl",
      sha256: "6b4a9e614e30442f9c2b804604b7fba12f218627f709fe5ba1960c01dac15ca1"
    },
    "x86_64-linux" => %{
      file: "openai_codex_cli_bin-0.163.0-py3-none-manylinux_2_17_x86_64.whl",
      sha256: "76db41fb07fdf9ddacbe892b48d21dfde270031ec0f5666b5e558114355f006d"
    }
  }

# The Python SDK wheel, for the Nix flake (which fetches wheels by file name);
# it must be one of the openai-codex hashes in config/requirements.lock.
config :codex_sdk, :python_sdk,
  version: "0.163.0",
  file: "openai_codex-0.163.0-py3-none-any.whl",
  sha256: "d151e3ff8188bc2c07a962855d598b93bf87a49ec3440810e45a5f2e1167d99e"

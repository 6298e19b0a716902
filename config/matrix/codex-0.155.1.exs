# One codex of the version matrix: harvested besides the main pin
# (config/native.exs) into integration/matrix/codex-<version>/, with the SDKs
# pinned there. Below `import Config` this file is exactly what
# `codex-harvest pin --matrix` writes, in the form of config/native.exs.
#
# Change the matrix with: codex-harvest pin --matrix <version>,<version>,...
import Config

config :codex_sdk, :codex_cli,
  version: "0.155.1",
  package: "openai-codex-cli-bin",
  artifacts: %{
    "aarch64-darwin" => %{
      file: "openai_codex_cli_bin-0.155.1-py3-none-macosx_11_0_arm64.whl",
      sha256: "20f06ff5ba6f10782cb9794b3e1f7bfd01e919a7526c57eece852cee0cbff024",
      binary_sha256: "8eaf1ad12fe6bf89b1710330f58900014322c7c5af677e43be116d8ac5fc0a9e"
    },
    "aarch64-linux" => %{
      file: "openai_codex_cli_bin-0.155.1-py3-none-manylinux_2_17_aarch64.whl",
      sha256: "ecb4d79b4f12a12bec13f1f3c611602a72b8eea1b1fe522113040bf6c98e91c8",
      binary_sha256: "298d3d73d0bbc1367e58a370df5b6216fe30ce0a92e8b6b0afb0377a958dc335"
    },
    "x86_64-darwin" => %{
      file: "openai_codex_cli_bin-0.155.1-py3-none-macosx_10_9_x86_64.whl",
      sha256: "60a965742afb946ffe9d86b9f58aa4f2422e0d8ad9060bc1cb52c35290e8966b",
      binary_sha256: "3e824474baa0667a19547f3b3633c091579163b5ffd03c976fb376d773479eac"
    },
    "x86_64-linux" => %{
      file: "openai_codex_cli_bin-0.155.1-py3-none-manylinux_2_17_x86_64.whl",
      sha256: "b1e3324cae6a042669bf188e02734ea04f0364ab5b2f6df5350cfe6aca724eee",
      binary_sha256: "0753dfe1d8b87a52436deb13eb1c549661ef4c84fee2c5aa688385eebeccb761"
    }
  }

config :codex_sdk, :python_sdk,
  version: "0.163.0",
  file: "openai_codex-0.163.0-py3-none-any.whl",
  sha256: "d151e3ff8188bc2c07a962855d598b93bf87a49ec3440810e45a5f2e1167d99e"

# One codex of the version matrix: harvested besides the main pin
# (config/native.exs) into integration/matrix/codex-<version>/, with the SDKs
# pinned there. Below `import Config` this file is exactly what
# `codex-harvest pin --matrix` writes, in the form of config/native.exs.
#
# Change the matrix with: codex-harvest pin --matrix <version>,<version>,...
import Config

config :codex_sdk, :codex_cli,
  version: "0.144.4",
  package: "openai-codex-cli-bin",
  artifacts: %{
    "aarch64-darwin" => %{
      file: "openai_codex_cli_bin-0.144.4-py3-none-macosx_11_0_arm64.whl",
      sha256: "05db505a9c7f020f58b70837a94e00d32a50086986c267bcc44ea97b573d4a05",
      binary_sha256: "3302acbda5f53de1a71ebdb0c0f2aae0d47f9324aa9fb6b4e78a47014fd51c7d"
    },
    "aarch64-linux" => %{
      file: "openai_codex_cli_bin-0.144.4-py3-none-manylinux_2_17_aarch64.whl",
      sha256: "cd4bb31b8a477a3adba22139c8c493693fa5292ba21e86eef08ace3e96c41294",
      binary_sha256: "306498eb1e4ba092e1a03c6ebeaeba37964ad868a68b167d4fb775c96321db5c"
    },
    "x86_64-darwin" => %{
      file: "openai_codex_cli_bin-0.144.4-py3-none-macosx_10_9_x86_64.whl",
      sha256: "4d587d152d5f0aa25f21ded4d08aac5150da48639b29fc3e57b2a8b413d06903",
      binary_sha256: "1c87c8df60f80a2b08d78bbb9b381fbe0829dc6bbf66b6fa1974cd21e37a5da1"
    },
    "x86_64-linux" => %{
      file: "openai_codex_cli_bin-0.144.4-py3-none-manylinux_2_17_x86_64.whl",
      sha256: "4106229c38f37245c3eea8d904426afd45b8bf19831765715647f5402f757c06",
      binary_sha256: "2b3edc9cdfd1717fba3dbc92817205a8a2c7511d459e456d4817eeff6f78ed7a"
    }
  }

config :codex_sdk, :python_sdk,
  version: "0.163.0",
  file: "openai_codex-0.163.0-py3-none-any.whl",
  sha256: "d151e3ff8188bc2c07a962855d598b93bf87a49ec3440810e45a5f2e1167d99e"

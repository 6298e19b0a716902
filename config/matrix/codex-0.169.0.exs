# One codex of the version matrix: harvested besides the main pin
# (config/native.exs) into integration/matrix/codex-<version>/, with the SDKs
# pinned there. Below `import Config` this file is exactly what
# `codex-harvest pin --matrix` writes, in the form of config/native.exs.
#
# Change the matrix with: codex-harvest pin --matrix <version>,<version>,...
import Config

config :codex_sdk, :codex_cli,
  version: "0.169.0",
  package: "openai-codex-cli-bin",
  artifacts: %{
    "aarch64-darwin" => %{
      npm: "@openai/codex@0.169.0-darwin-arm64",
      integrity: "sha512-5WsWFBbVP78D+6FvNo1MMVxLPZdmcoQlqVJFrF4qx/TmvneLnMQKtLyXkUo54XOTDfoYKpNouTJ/F7gTVA8FnQ==",
      binary_sha256: "739cda86e15d30a6e2b40cf8dcbbfb988aaf48b305b27065573bb8e9fd41d002"
    },
    "aarch64-linux" => %{
      npm: "@openai/codex@0.169.0-linux-arm64",
      integrity: "sha512-NZ/DaQUpcQmxmqee7Z9uC1rzw3GhSbooawcaTe1LN5Yk+WlinUKGdTXJgClRT/9ogQEEM9TWxYzvxPfj5G/xFg==",
      binary_sha256: "3bb41c9a80187773e2a59278d4fc355b1a163c31bb5a79581e37d4fe428af047"
    },
    "x86_64-darwin" => %{
      npm: "@openai/codex@0.169.0-darwin-x64",
      integrity: "sha512-K1FKSsSLl9v3z5TeagBQXyQRDBIGB5Jncy5dxsRxwT3aaTqN3AI8VrCfoxBxKMOOU9O2QX1vg7WkBwNVth/s9A==",
      binary_sha256: "e57da7be8695c079d2d1d156dab79708e43ebb6cf7e34527b8b01d6aa942788e"
    },
    "x86_64-linux" => %{
      npm: "@openai/codex@0.169.0-linux-x64",
      integrity: "sha512-o05NyAOCDygSPRo1yinzxvkRSdmsZyBD9E7mbpmjRanSfM8lypqWtQgEo4XfNkwhuCR2aFu8mlGOsQGFXVbVww==",
      binary_sha256: "b452ca20f838a8855a88a41050ee4a694033fff4ea3ecdad5633e6e0e8d13f2b"
    }
  }

config :codex_sdk, :python_sdk,
  version: "0.163.0",
  file: "openai_codex-0.163.0-py3-none-any.whl",
  sha256: "d151e3ff8188bc2c07a962855d598b93bf87a49ec3440810e45a5f2e1167d99e"

# One codex of the version matrix: harvested besides the main pin
# (config/native.exs) into integration/matrix/codex-<version>/, with the SDKs
# pinned there. Below `import Config` this file is exactly what
# `codex-harvest pin --matrix` writes, in the form of config/native.exs.
#
# Change the matrix with: codex-harvest pin --matrix <version>,<version>,...
import Config

config :codex_sdk, :codex_cli,
  version: "0.171.0",
  package: "openai-codex-cli-bin",
  artifacts: %{
    "aarch64-darwin" => %{
      npm: "@openai/codex@0.171.0-darwin-arm64",
      integrity: "sha512-hIYTkRUpuYpkVfTq4cpby0PXqhAVcIgE7f6FoyY1lt2RyARj3GXS1Can/dIYUBItVhXzhb98HYHZNzCX74QRlQ==",
      binary_sha256: "fc8d77cf7585aded2b9bc487dad29c4ee2f066123e4e76dd3b17653a8322ce42"
    },
    "aarch64-linux" => %{
      npm: "@openai/codex@0.171.0-linux-arm64",
      integrity: "sha512-9z17t4bbUJ9UCIb49O4PoA+ki+45q3rd8nZ8PeH6sYnlKkBld/Xpo/OS3h3Ti954+foshX4o7k5TCU8N7zzqQA==",
      binary_sha256: "9ba12ec7712e2905b2ea00791f4ebddc9528629cc955d11d25272de445e10643"
    },
    "x86_64-darwin" => %{
      npm: "@openai/codex@0.171.0-darwin-x64",
      integrity: "sha512-pwN5uNEKx/mZjwBEf/6CKq6SJMfJS5kruV3sJQAk7ebIPvC58Ote3CicIxETDZtjLj35rNv3PLPd7mHCg6hGPw==",
      binary_sha256: "0cc2c99ee61041ecde0c848f85861ea9cb6e45c5c136fd66383a7eb2198e307c"
    },
    "x86_64-linux" => %{
      npm: "@openai/codex@0.171.0-linux-x64",
      integrity: "sha512-l66NZkQgdk2C3pbcfULDz42yEUB581MVA6I+Y43Wp4OIqEy73HCdmZ0GTjeAHY2ycuH4N00d9VsLrwT1jxshTw==",
      binary_sha256: "b76a027d6b210f9a8da7aaf321dd235c700f0ef7a794d4a5314b9af6c134f0f0"
    }
  }

config :codex_sdk, :python_sdk,
  version: "0.163.0",
  file: "openai_codex-0.163.0-py3-none-any.whl",
  sha256: "d151e3ff8188bc2c07a962855d598b93bf87a49ec3440810e45a5f2e1167d99e"

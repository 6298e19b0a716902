# One codex of the version matrix: harvested besides the main pin
# (config/native.exs) into integration/matrix/codex-<version>/, with the SDKs
# pinned there. Below `import Config` this file is exactly what
# `codex-harvest pin --matrix` writes, in the form of config/native.exs.
#
# Change the matrix with: codex-harvest pin --matrix <version>,<version>,...
import Config

config :codex_sdk, :codex_cli,
  version: "0.160.1",
  package: "openai-codex-cli-bin",
  artifacts: %{
    "aarch64-darwin" => %{
      file: "openai_codex_cli_bin-0.160.1-py3-none-macosx_11_0_arm64.whl",
      sha256: "f720b95c0ac10ee9273faccc55473fc5fad82d3f5175dc99dcf6706a9ff52ae4",
      binary_sha256: "09fa44fdc37a5fc70dc1ace31235f90468a2e193d0e85f7552eab068ea2582be"
    },
    "aarch64-linux" => %{
      file: "openai_codex_cli_bin-0.160.1-py3-none-manylinux_2_17_aarch64.whl",
      sha256: "02bb2347ac8dee3109501c14f84a9046b03ceec5f469f1b0eb1ed16fab9ea660",
      binary_sha256: "fbbaec80443919f86dd63648a0b62759cf6f1d0e09310602fde96885e0bceb3e"
    },
    "x86_64-darwin" => %{
      file: "openai_codex_cli_bin-0.160.1-py3-none-macosx_10_9_x86_64.whl",
      sha256: "e4e14fb2697b785dbba29e1a59dbb1ca4b76a345c7cd601e98710bd8c1714b44",
      binary_sha256: "8757e2a2869f0d9aafe576757a23ecf5774c1b7054a2580833dbde930197eafc"
    },
    "x86_64-linux" => %{
      file: "openai_codex_cli_bin-0.160.1-py3-none-manylinux_2_17_x86_64.whl",
      sha256: "dafe4e4fc0e560850fca28db8cd7e3c7263e22b764d57196c4854068ad17cc30",
      binary_sha256: "f34a4d2301892ae96c90097786bfe5dc269f187b6f69faf42a7b357b8c081e35"
    }
  }

config :codex_sdk, :python_sdk,
  version: "0.163.0",
  file: "openai_codex-0.163.0-py3-none-any.whl",
  sha256: "d151e3ff8188bc2c07a962855d598b93bf87a49ec3440810e45a5f2e1167d99e"

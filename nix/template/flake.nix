{
  description = "An SDK repository whose fixtures codex-harvest gates";

  # Where you keep codex-harvest: a path: or git+file: URL of a checkout, or
  # its repository's flake URL.
  inputs.codex-harvest.url = "path:../codex-harvest";
  inputs.nixpkgs.follows = "codex-harvest/nixpkgs";

  outputs = { self, nixpkgs, codex-harvest }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
    in
    {
      # `nix flake check`: each scenario of config/harvest.toml regenerated
      # in the build sandbox with the pins of config/, compared with
      # integration/fixtures/ (`checks.<system>.reproducibility` over them).
      checks = nixpkgs.lib.genAttrs systems (system:
        codex-harvest.lib.mkGate {
          pkgs = nixpkgs.legacyPackages.${system};
          src = self;
          # Files of the tree no scenario produces fail the gate; "warn"
          # keeps hand-written fixtures while harvested ones replace them.
          unreferenced = "reject";
        });
    };
}

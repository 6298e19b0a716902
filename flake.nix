{
  description = "codex-harvest: reproducible golden fixtures for Codex SDK parity tests";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      # The same pins the driver reads (config/native.exs, config/requirements.lock).
      pins = import ./nix/pins.nix;
    in
    {
      packages = forAllSystems (pkgs:
        let
          toolchain = import ./nix/toolchain.nix { inherit pkgs pins; };
          driver = pkgs.callPackage ./nix/driver.nix { src = self; };
        in
        {
          default = driver;
          inherit (toolchain) codex python;
        });

      apps = forAllSystems (pkgs:
        let
          inherit (self.packages.${pkgs.system}) default python;
          harvest = pkgs.writeShellApplication {
            name = "harvest";
            text = ''
              # In the caller's working tree, with the pinned Python (SDK + codex).
              if [ "$#" -eq 0 ]; then set -- harvest; fi
              exec ${default}/bin/codex-harvest --python ${python}/bin/python "$@"
            '';
          };
        in
        {
          harvest = { type = "app"; program = "${harvest}/bin/harvest"; };
          default = self.apps.${pkgs.system}.harvest;
        });

      checks = forAllSystems (pkgs:
        let
          inherit (self.packages.${pkgs.system}) default python;
        in
        import ./nix/checks.nix { inherit pkgs python; driver = default; src = self; });

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          inputsFrom = [ self.packages.${pkgs.system}.default ];
          packages = [ pkgs.clippy pkgs.rustfmt pkgs.nixpkgs-fmt self.packages.${pkgs.system}.python ];
          CODEX_HARVEST_PYTHON = "${self.packages.${pkgs.system}.python}/bin/python";
        };
      });

      formatter = forAllSystems (pkgs: pkgs.nixpkgs-fmt);
    };
}

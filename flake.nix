{
  description = "codex-harvest: reproducible golden fixtures for Codex SDK parity tests";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f system nixpkgs.legacyPackages.${system});
      # The same pins the driver reads (config/native.exs, config/requirements.lock).
      pins = import ./nix/pins.nix;
    in
    {
      packages = forAllSystems (system: pkgs:
        let
          toolchain = import ./nix/toolchain.nix { inherit pkgs pins; };
          driver = pkgs.callPackage ./nix/driver.nix { src = self; };
        in
        {
          default = driver;
          inherit (toolchain) codex python;
        });

      apps = forAllSystems (system: pkgs:
        let
          inherit (self.packages.${system}) default python;
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
          default = self.apps.${system}.harvest;
        });

      checks = forAllSystems (system: pkgs:
        let
          inherit (self.packages.${system}) default python;
        in
        import ./nix/checks.nix { inherit pkgs python; driver = default; src = self; });

      devShells = forAllSystems (system: pkgs: {
        default = pkgs.mkShell {
          inputsFrom = [ self.packages.${system}.default ];
          packages = [ pkgs.clippy pkgs.rustfmt pkgs.nixpkgs-fmt self.packages.${system}.python ];
          CODEX_HARVEST_PYTHON = "${self.packages.${system}.python}/bin/python";
        };
      });

      formatter = forAllSystems (system: pkgs: pkgs.nixpkgs-fmt);
    };
}

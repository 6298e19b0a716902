{
  description = "codex-harvest: reproducible golden fixtures for Codex SDK parity tests";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-25.11";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      forAllSystems = f: nixpkgs.lib.genAttrs systems (system: f system nixpkgs.legacyPackages.${system});
      # The same pins the driver reads (config/native.exs, config/pylock.toml).
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
          fixtures = import ./nix/fixtures.nix { inherit pkgs driver; root = ./.; };
          typescript-sdk = import ./nix/typescript.nix { inherit pkgs; };
        });

      apps = forAllSystems (system: pkgs:
        let
          inherit (self.packages.${system}) default python codex typescript-sdk;
          harvest = pkgs.writeShellApplication {
            name = "harvest";
            text = ''
              # In the caller's working tree, with the pinned Python (the SDK
              # and its locked wheels) and the pinned codex.
              if [ "$#" -eq 0 ]; then set -- harvest; fi
              export CODEX_HARVEST_PYTHON=${python}/bin/python CODEX_HARVEST_CODEX=${codex}/bin/codex
              export CODEX_HARVEST_TYPESCRIPT_SDK=${typescript-sdk} PATH=${pkgs.nodejs}/bin:$PATH
              exec ${default}/bin/codex-harvest "$@"
            '';
          };
        in
        {
          harvest = { type = "app"; program = "${harvest}/bin/harvest"; };
          default = self.apps.${system}.harvest;
        });

      checks = forAllSystems (system: pkgs:
        import ./nix/checks.nix { inherit pkgs; driver = self.packages.${system}.default; });

      # For another repository's flake (docs/adopting.md), in the shapes of
      # crane's `lib` (functions of `pkgs`), git-hooks.nix's `checks` (an
      # attribute set a flake puts in its own `checks`) and the common
      # `overlays.default` and `templates.default`.
      lib = {
        # The reproducibility gate of the project at `src` (a repository
        # `codex-harvest init` made): one check per scenario and codex, and
        # `reproducibility` over them, with that project's pins;
        # `unreferenced` as `check --unreferenced` takes it.
        mkGate = { pkgs, src, unreferenced ? "reject" }:
          import ./nix/gate.nix {
            inherit pkgs unreferenced;
            root = src.outPath or src;
            driver = pkgs.callPackage ./nix/driver.nix { src = self; };
          };
      };

      overlays.default = final: prev:
        let toolchain = import ./nix/toolchain.nix { pkgs = final; pins = import ./nix/pins.nix; };
        in {
          codex-harvest = final.callPackage ./nix/driver.nix { src = self; };
          codex-harvest-codex = toolchain.codex;
          codex-harvest-python = toolchain.python;
          codex-harvest-typescript-sdk = import ./nix/typescript.nix { pkgs = final; };
        };

      templates.default = {
        path = ./nix/template;
        description = "An SDK repository whose fixtures codex-harvest gates";
      };

      devShells = forAllSystems (system: pkgs: {
        default = pkgs.mkShell {
          inputsFrom = [ self.packages.${system}.default ];
          packages = [ pkgs.clippy pkgs.rustfmt pkgs.nixpkgs-fmt pkgs.nodejs self.packages.${system}.python ];
          CODEX_HARVEST_PYTHON = "${self.packages.${system}.python}/bin/python";
          CODEX_HARVEST_CODEX = "${self.packages.${system}.codex}/bin/codex";
          CODEX_HARVEST_TYPESCRIPT_SDK = "${self.packages.${system}.typescript-sdk}";
        };
      });

      formatter = forAllSystems (system: pkgs: pkgs.nixpkgs-fmt);
    };
}

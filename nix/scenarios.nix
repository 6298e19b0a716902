# One check per scenario: `codex-harvest regenerate` runs it through every
# lane in the build sandbox and compares it with its committed fixtures, into
# a directory of its own that the aggregate gate (`check --regenerated`)
# lays over the committed tree. Each check's source holds only what that
# scenario reads (the inputs its digest covers): config/ (the pins, the
# harvest config, the TypeScript lock; of the version matrix, only a cell's
# own pin), the support modules, its own module, TypeScript module and model
# script, and its committed fixtures, so editing one scenario's script or
# fixture changes that check alone.
#
# With `version`, the checks of that codex of the version matrix: `codex` is
# its binary, the committed files are those of its tree
# (integration/matrix/codex-<version>/), and each check is named
# codex-<version>-<scenario>.
#
# `root` is the project: this repository, or one that `codex-harvest init`
# made, whose `builtin` scenarios come with the driver (their modules and
# scripts are compiled in, so their checks' sources hold the project's
# config/ alone).
{ pkgs, driver, python, codex, typescriptSdk, root, version ? null }:
let
  inherit (pkgs) lib;
  harvestConfig = builtins.fromTOML (builtins.readFile (root + "/config/harvest.toml"));
  names = (harvestConfig.builtin or [ ]) ++ map (s: s.name) (harvestConfig.scenario or [ ]);
  tree = if version == null then "integration/fixtures" else "integration/matrix/codex-${version}";
  recorded = (builtins.fromJSON (builtins.readFile (root + "/${tree}/provenance.json"))).scenarios;
  under = dir: rel: rel == dir || lib.hasPrefix "${dir}/" rel;
  # A directory is entered when something kept can lie below it.
  entered = kept: rel: lib.any (k: lib.hasPrefix "${rel}/" k) kept;
  # config/ but the version matrix's pins: a cell reads its own alone, so
  # changing the matrix moves no other check.
  shared = rel:
    (under "config" rel && !(under "config/matrix" rel))
    || builtins.match "integration/harvest_scenarios/(__init__|_[^/]*)[.]py" rel != null
    || builtins.match "integration/harvest_scenarios_ts/_[^/]*[.]mjs" rel != null;
  source = name:
    let
      own = [
        "integration/harvest_scenarios/${name}.py"
        "integration/harvest_scenarios_ts/${name}.mjs"
        "integration/scripts/${name}.json"
      ] ++ lib.optionals (version != null) [ "config/matrix/codex-${version}.exs" ];
    in
    import ./source.nix {
      inherit root;
      name = "codex-harvest-${name}-inputs";
      keep = rel: type:
        shared rel || builtins.elem rel own
        || (type == "directory" && entered ([ "integration/harvest_scenarios/_" "integration/harvest_scenarios_ts/_" ] ++ own) rel);
    };
  # The scenario's committed fixtures (as provenance.json lists them): what
  # its check compares with.
  committed = name:
    let outputs = map (o: "${tree}/${o}") (recorded.${name}.outputs or [ ]);
    in
    import ./source.nix {
      inherit root;
      name = "codex-harvest-${name}-committed";
      keep = rel: type: builtins.elem rel outputs || (type == "directory" && entered outputs rel);
    };
  attr = name: if version == null then "scenario-${name}" else "codex-${version}-${name}";
  check = name: pkgs.runCommand "codex-harvest-${attr name}" { nativeBuildInputs = [ pkgs.nodejs ]; } ''
    export HOME=/homeless-shelter
    ${driver}/bin/codex-harvest --root ${source name} regenerate --scenario ${name} \
      ${lib.optionalString (version != null) "--codex-version ${version}"} \
      --python ${python}/bin/python --codex-path ${codex}/bin/codex --typescript-sdk ${typescriptSdk} \
      --into $out --expect ${committed name}/${tree}
  '';
in
lib.listToAttrs (map (name: lib.nameValuePair (attr name) (check name)) names)

# A pure reader of the pins (builtins only, no nixpkgs), so Nix and the driver
# read the same numbers: config/native.exs (the codex-rs pin) and the hash lock
# config/requirements.lock (the Python SDK). It reads the subset of Elixir that
# native.exs uses, line by line, and refuses pins that disagree, as the driver does.
#
#   nix eval --offline --json --file nix/pins.nix     # what `codex-harvest pins --format json` prints
let
  root = ./..;
  inherit (builtins) foldl' filter isString split match head elemAt length
    readFile attrNames all elem;

  lines = file: filter isString (split "\n" (readFile file));
  firstMatch = re: s: let m = match re s; in if m == null then null else head m;

  # --- config/native.exs ---------------------------------------------------
  exsLines = map (l: head (split "[[:space:]]*#" l)) (lines (root + "/config/native.exs"));
  str = key: firstMatch "[[:space:]]*${key}: \"([^\"]*)\",?[[:space:]]*" ;
  platformOf = firstMatch "[[:space:]]*\"([^\"]+)\" => %\\{[[:space:]]*";

  sectionOf = firstMatch "config :codex_sdk, :([a-z_]+),.*";

  exs = foldl' (acc: l:
    let
      section = sectionOf l;
      platform = platformOf l;
      version = str "version" l;
      package = str "package" l;
      file = str "file" l;
      sha256 = str "sha256" l;
      binary_sha256 = str "binary_sha256" l;
      setArtifact = k: v: acc // {
        artifacts = acc.artifacts // {
          ${acc.current} = (acc.artifacts.${acc.current} or { }) // { ${k} = v; };
        };
      };
      setSdk = k: v: acc // { sdk = acc.sdk // { ${k} = v; }; };
      value = if version != null then { k = "version"; v = version; }
        else if package != null then { k = "package"; v = package; }
        else if file != null then { k = "file"; v = file; }
        else if sha256 != null then { k = "sha256"; v = sha256; }
        else if binary_sha256 != null then { k = "binary_sha256"; v = binary_sha256; }
        else null;
    in
    if section != null then acc // { inherit section; current = null; }
    else if acc.section == "codex_cli" && platform != null then acc // { current = platform; }
    else if value == null then acc
    else if acc.section == "python_sdk" then setSdk value.k value.v
    else if acc.section == "codex_cli" && acc.current != null then setArtifact value.k value.v
    else if acc.section == "codex_cli" then acc // { ${value.k} = value.v; }
    else acc
  ) { section = null; current = null; artifacts = { }; version = null; package = null; sdk = { }; } exsLines;

  isHex64 = s: match "[0-9a-f]{64}" s != null;
  codex =
    if exs.version == null then throw "config/native.exs: no `version:` in config :codex_sdk, :codex_cli"
    else if exs.package == null then throw "config/native.exs: no `package:`"
    else if exs.artifacts == { } then throw "config/native.exs: `artifacts:` pins no platform"
    else {
      inherit (exs) version package;
      artifacts = builtins.mapAttrs (platform: a:
        if !(a ? file && a ? sha256 && a ? binary_sha256) then throw "config/native.exs: artifact ${platform} needs file:, sha256: and binary_sha256:"
        else if !(isHex64 a.sha256 && isHex64 a.binary_sha256) then throw "config/native.exs: artifact ${platform}: sha256 and binary_sha256 must be 64 hex digits"
        else if match ".*-${exs.version}-.*" a.file == null then throw "config/native.exs: artifact ${platform}: ${a.file} is not version ${exs.version}"
        else { inherit (a) file sha256 binary_sha256; }) exs.artifacts;
    };

  python_sdk =
    if !(exs.sdk ? version && exs.sdk ? file && exs.sdk ? sha256) then
      throw "config/native.exs: config :codex_sdk, :python_sdk needs version:, file: and sha256:"
    else if !(isHex64 exs.sdk.sha256) then throw "config/native.exs: the SDK wheel sha256 must be 64 hex digits"
    else { inherit (exs.sdk) version file sha256; };

  # --- the one form both readers accept ---------------------------------------
  # Above `import Config`, comments; from it on, exactly what `codex-harvest pin`
  # renders from the values read (as src/pins/mod.rs checks), so a repeated key,
  # a repeated platform or a map on one line is refused here as by the driver.
  exsAll = lines (root + "/config/native.exs");
  importAt =
    let hits = filter (i: elemAt exsAll i == "import Config") (builtins.genList (i: i) (length exsAll));
    in if hits == [ ] then throw "config/native.exs: no `import Config` line" else head hits;
  headerOk = all (l: l == "" || match "#.*" l != null) (builtins.genList (i: elemAt exsAll i) importAt);
  renderArtifact = p: let a = codex.artifacts.${p}; in
    "    \"${p}\" => %{\n      file: \"${a.file}\",\n      sha256: \"${a.sha256}\",\n      binary_sha256: \"${a.binary_sha256}\"\n    }";
  rendered =
    "import Config\n\nconfig :codex_sdk, :codex_cli,\n  version: \"${codex.version}\",\n  package: \"${codex.package}\",\n  artifacts: %{\n"
    + builtins.concatStringsSep ",\n" (map renderArtifact (attrNames codex.artifacts))
    + "\n  }\n\nconfig :codex_sdk, :python_sdk,\n  version: \"${python_sdk.version}\",\n  file: \"${python_sdk.file}\",\n  sha256: \"${python_sdk.sha256}\"\n";
  canonical =
    if !headerOk then throw "config/native.exs: only comments may come before `import Config`"
    else if builtins.genList (i: elemAt exsAll (importAt + i)) (length exsAll - importAt) != filter isString (split "\n" rendered)
    then throw "config/native.exs is not in the form `codex-harvest pin` writes (one key per line, each key once, platforms sorted); `codex-harvest pin --codex <version> --no-harvest` rewrites it"
    else true;

  # --- config/requirements.lock ---------------------------------------------
  upper = [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ];
  lower = [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ];
  # PEP 503, as the driver spells names.
  normalize = name: builtins.replaceStrings ([ "_" "." ] ++ upper) ([ "-" "-" ] ++ lower) name;
  lockLines = filter (l: match "[[:space:]]*(#.*)?" l == null) (lines (root + "/config/requirements.lock"));
  python = foldl' (acc: l:
    let
      req = match "([A-Za-z0-9_.-]+)==([^[:space:]\\\\]+)[[:space:]]*\\\\?" l;
      hash = firstMatch "[[:space:]]*--hash=sha256:([0-9a-f]{64})[[:space:]]*\\\\?" l;
      lastIdx = length acc - 1;
    in
    if req != null then acc ++ [{ name = normalize (elemAt req 0); version = elemAt req 1; hashes = [ ]; }]
    else if hash != null && acc != [ ] then
      (builtins.genList (i: elemAt acc i) lastIdx)
      ++ [ ((elemAt acc lastIdx) // { hashes = (elemAt acc lastIdx).hashes ++ [ hash ]; }) ]
    else throw "config/requirements.lock: cannot read the line: ${l}"
  ) [ ] lockLines;

  locked = name: let found = filter (r: r.name == normalize name) python; in
    if found == [ ] then null else head found;

  # --- agreement, as the driver checks it -------------------------------------
  bin = locked codex.package;
  checked =
    if locked "openai-codex" == null then throw "config/requirements.lock does not pin the SDK (openai-codex)"
    else if (locked "openai-codex").version != python_sdk.version || !(elem python_sdk.sha256 (locked "openai-codex").hashes) then
      throw "the pins disagree: config/native.exs pins the SDK wheel ${python_sdk.file} but config/requirements.lock does not accept its hash"
    else if bin == null then throw "config/requirements.lock does not lock ${codex.package}"
    else if bin.version != codex.version then
      throw "the pins disagree: config/native.exs pins codex ${codex.version} but config/requirements.lock pins ${bin.name}==${bin.version}"
    else if !(all (p: elem codex.artifacts.${p}.sha256 bin.hashes) (attrNames codex.artifacts)) then
      throw "the pins disagree: a config/native.exs artifact sha256 is not among the hashes config/requirements.lock accepts for ${bin.name}"
    else true;
in
assert canonical && checked; { inherit codex python python_sdk; }

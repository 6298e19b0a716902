# A pure reader of one codex pin file (builtins only, no nixpkgs), so Nix
# and the driver read the same numbers: `file` (config/native.exs, or a
# version matrix's config/matrix/codex-<version>.exs, in the same form) with
# the Python lock config/pylock.toml (PEP 751). It reads the subset of
# Elixir that the pin files use, line by line, picks each system's wheels
# from the lock by the same rule as the driver, and refuses pins that
# disagree, as the driver does. `root` is the project whose pins these are.
# nix/pins.nix, nix/matrix.nix and nix/gate.nix call it.
root: file:
let
  inherit (builtins) foldl' filter isString split match head elemAt length
    readFile attrNames all elem;

  lines = file: filter isString (split "\n" (readFile file));
  firstMatch = re: s: let m = match re s; in if m == null then null else head m;

  # --- the pin file ----------------------------------------------------------
  exsLines = map (l: head (split "[[:space:]]*#" l)) (lines (root + "/${file}"));
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
      npm = str "npm" l;
      integrity = str "integrity" l;
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
        else if npm != null then { k = "npm"; v = npm; }
        else if integrity != null then { k = "integrity"; v = integrity; }
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
    if exs.version == null then throw "${file}: no `version:` in config :codex_sdk, :codex_cli"
    else if exs.package == null then throw "${file}: no `package:`"
    else if exs.artifacts == { } then throw "${file}: `artifacts:` pins no platform"
    else {
      inherit (exs) version package;
      # Either a PyPI wheel (file:, sha256:) or an npm platform build (npm:, integrity:).
      artifacts = builtins.mapAttrs (platform: a:
        if !(a ? binary_sha256 && isHex64 a.binary_sha256) then throw "${file}: artifact ${platform}: binary_sha256 must be 64 hex digits"
        else if a ? npm then
          if !(a ? integrity) then throw "${file}: artifact ${platform} needs npm:, integrity: and binary_sha256:"
          else if !(builtins.substring 0 (builtins.stringLength "@openai/codex@${exs.version}-") a.npm == "@openai/codex@${exs.version}-") then throw "${file}: artifact ${platform}: npm ${a.npm} is not @openai/codex@${exs.version}-<platform>"
          else if match "sha512-.*" a.integrity == null then throw "${file}: artifact ${platform}: integrity must be npm's sha512-… of the tarball"
          else { inherit (a) npm integrity binary_sha256; }
        else if !(a ? file && a ? sha256) then throw "${file}: artifact ${platform} needs file:, sha256: and binary_sha256:"
        else if !(isHex64 a.sha256) then throw "${file}: artifact ${platform}: sha256 and binary_sha256 must be 64 hex digits"
        else if match ".*-${exs.version}-.*" a.file == null then throw "${file}: artifact ${platform}: ${a.file} is not version ${exs.version}"
        else { inherit (a) file sha256 binary_sha256; }) exs.artifacts;
    };

  python_sdk =
    if !(exs.sdk ? version && exs.sdk ? file && exs.sdk ? sha256) then
      throw "${file}: config :codex_sdk, :python_sdk needs version:, file: and sha256:"
    else if !(isHex64 exs.sdk.sha256) then throw "${file}: the SDK wheel sha256 must be 64 hex digits"
    else { inherit (exs.sdk) version file sha256; };

  # --- the one form both readers accept ---------------------------------------
  # Above `import Config`, comments; from it on, exactly what `codex-harvest pin`
  # renders from the values read (as src/codex/pins/mod.rs checks), so a repeated key,
  # a repeated platform or a map on one line is refused here as by the driver.
  exsAll = lines (root + "/${file}");
  importAt =
    let hits = filter (i: elemAt exsAll i == "import Config") (builtins.genList (i: i) (length exsAll));
    in if hits == [ ] then throw "${file}: no `import Config` line" else head hits;
  headerOk = all (l: l == "" || match "#.*" l != null) (builtins.genList (i: elemAt exsAll i) importAt);
  renderArtifact = p: let a = codex.artifacts.${p}; in
    "    \"${p}\" => %{\n"
    + (if a ? npm then "      npm: \"${a.npm}\",\n      integrity: \"${a.integrity}\",\n"
       else "      file: \"${a.file}\",\n      sha256: \"${a.sha256}\",\n")
    + "      binary_sha256: \"${a.binary_sha256}\"\n    }";
  rendered =
    "import Config\n\nconfig :codex_sdk, :codex_cli,\n  version: \"${codex.version}\",\n  package: \"${codex.package}\",\n  artifacts: %{\n"
    + builtins.concatStringsSep ",\n" (map renderArtifact (attrNames codex.artifacts))
    + "\n  }\n\nconfig :codex_sdk, :python_sdk,\n  version: \"${python_sdk.version}\",\n  file: \"${python_sdk.file}\",\n  sha256: \"${python_sdk.sha256}\"\n";
  canonical =
    if !headerOk then throw "${file}: only comments may come before `import Config`"
    else if builtins.genList (i: elemAt exsAll (importAt + i)) (length exsAll - importAt) != filter isString (split "\n" rendered)
    then throw "${file} is not in the form `codex-harvest pin` writes (one key per line, each key once, platforms sorted); `codex-harvest pin --codex <version> --no-harvest` rewrites it"
    else true;

  # --- config/pylock.toml (PEP 751) -----------------------------------------
  upper = [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ];
  lower = [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ];
  # PEP 503, as the driver spells names.
  normalize = name: builtins.replaceStrings ([ "_" "." ] ++ upper) ([ "-" "-" ] ++ lower) name;
  toml = builtins.fromTOML (readFile (root + "/config/pylock.toml"));
  minor = firstMatch "==([0-9]+\\.[0-9]+)\\.\\*" (toml.requires-python or "");
  python =
    if (toml.lock-version or null) != "1.0" then throw "config/pylock.toml: only PEP 751 lock-version 1.0 is read"
    else if (toml.created-by or null) != "codex-harvest" then throw "config/pylock.toml: this lock is written by `codex-harvest pin`"
    else if minor == null then throw "config/pylock.toml: requires-python must name one interpreter minor, as ==3.11.*"
    else {
      inherit (toml) environments;
      requires_python = toml.requires-python;
      packages = map (p:
        if p.name != normalize p.name then throw "config/pylock.toml: package ${p.name} is not a normalised name"
        else {
          inherit (p) name version;
          dependencies = map (d: d.name) p.dependencies;
          wheels = map (w:
            if !(w ? hashes.sha256 && isHex64 w.hashes.sha256) then throw "config/pylock.toml: ${p.name}: ${w.name} needs hashes.sha256 of 64 hex digits"
            else { inherit (w) name; sha256 = w.hashes.sha256; }) p.wheels;
        }) toml.packages;
    };

  # The Nix systems a wheel installs on, from its platform tag(s): the rule
  # of src/codex/pins/pylock.rs.
  allSystems = [ "x86_64-darwin" "aarch64-darwin" "x86_64-linux" "aarch64-linux" ];
  tagSystems = tag:
    if tag == "any" then allSystems
    else if match "manylinux.*_x86_64" tag != null then [ "x86_64-linux" ]
    else if match "manylinux.*_aarch64" tag != null then [ "aarch64-linux" ]
    else if match "macosx.*_x86_64" tag != null then [ "x86_64-darwin" ]
    else if match "macosx.*_arm64" tag != null then [ "aarch64-darwin" ]
    else if match "macosx.*_universal2" tag != null then [ "x86_64-darwin" "aarch64-darwin" ]
    else [ ];
  wheelSystems = file:
    let
      parts = filter isString (split "-" (builtins.replaceStrings [ ".whl" ] [ "" ] file));
      platformTag = elemAt parts (length parts - 1);
    in
    builtins.concatMap tagSystems (filter isString (split "\\." platformTag));

  # Per pinned system, the one wheel of every package that installs there.
  selectFor = system: map (p:
    let fits = filter (w: elem system (wheelSystems w.name)) p.wheels; in
    if length fits != 1 then throw "config/pylock.toml: ${p.name} ${p.version} has ${toString (length fits)} wheels for ${system}; it needs exactly one"
    else { package = p.name; inherit (p) version; file = (head fits).name; inherit ((head fits)) sha256; }
  ) python.packages;
  wheels = builtins.listToAttrs (map (system: { name = system; value = selectFor system; }) (attrNames codex.artifacts));

  locked = name: let found = filter (p: p.name == normalize name) python.packages; in
    if found == [ ] then null else head found;

  # --- agreement, as the driver checks it -------------------------------------
  sdkLocked = locked "openai-codex";
  bin = locked codex.package;
  wheelArtifacts = filter (p: codex.artifacts.${p} ? file) (attrNames codex.artifacts);
  checked =
    if sdkLocked == null then throw "config/pylock.toml does not pin the SDK (openai-codex)"
    else if sdkLocked.version != python_sdk.version || !(elem python_sdk.sha256 (map (w: w.sha256) sdkLocked.wheels)) then
      throw "the pins disagree: ${file} pins the SDK wheel ${python_sdk.file} but config/pylock.toml does not lock it"
    else if bin != null && bin.version == codex.version
      && !(all (p: elem codex.artifacts.${p}.sha256 (map (w: w.sha256) bin.wheels)) wheelArtifacts) then
      throw "the pins disagree: a ${file} artifact sha256 is not a wheel config/pylock.toml locks for ${bin.name}"
    else builtins.deepSeq wheels true;

  # The codex the SDK bundles, when it is not the pinned one.
  sdk_runtime = if bin != null && bin.version != codex.version then bin.version else null;
in
assert canonical && checked; { inherit codex python python_sdk wheels minor sdk_runtime; }

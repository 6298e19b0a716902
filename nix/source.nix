# The files under `root` that `keep` accepts, as a store path of their own:
# its hash moves only when one of those files does. `keep` takes a path
# relative to `root` and its type; a directory it refuses is not entered.
# Builtins only.
{ root, name, keep }:
let
  prefix = toString root + "/";
in
builtins.path {
  inherit name;
  path = root;
  filter = path: type:
    keep (builtins.substring (builtins.stringLength prefix) (builtins.stringLength path) path) type;
}

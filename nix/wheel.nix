# A wheel's file name (name-version-python-abi-platform.whl) as the arguments
# nixpkgs' fetchPypi takes for it. Builtins only, so it is tested without nixpkgs.
file:
let
  m = builtins.match "([^-]+)-([^-]+)-([^-]+)-([^-]+)-([^-]+)\\.whl" file;
  part = builtins.elemAt m;
in
if m == null then throw "${file} is not a wheel file name (name-version-python-abi-platform.whl)"
else {
  pname = part 0;
  version = part 1;
  format = "wheel";
  dist = part 2;
  python = part 2;
  abi = part 3;
  platform = part 4;
}

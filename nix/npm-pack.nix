# One npm package's tarball, fetched by npm itself (which knows its registry)
# in a fixed-output derivation whose hash is the pinned `integrity` (the
# lock's, or config/native.exs'): the bytes are the pin's or the build fails.
{ pkgs }:
{ name, spec, integrity }:
pkgs.runCommand name
{
  nativeBuildInputs = [ pkgs.nodejs ];
  outputHash = integrity;
  outputHashMode = "flat";
} ''
  export HOME=$TMPDIR npm_config_cache=$TMPDIR/npm-cache
  mkdir $TMPDIR/pack
  npm pack --loglevel=error ${pkgs.lib.escapeShellArg spec} --pack-destination $TMPDIR/pack
  mv $TMPDIR/pack/*.tgz $out
''

# The main pins: config/native.exs (the codex-rs pin) and the Python lock
# config/pylock.toml, read by nix/read-pins.nix.
#
#   nix eval --offline --json --file nix/pins.nix     # what `codex-harvest pins --format json` prints
import ./read-pins.nix ./.. "config/native.exs"

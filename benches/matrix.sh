#!/usr/bin/env bash
# The version matrix's cost: `check` of each codex's tree alone (warm: the
# codex already in the cache), then the whole check (the main pin and every
# matrix codex, what CI runs), then the same whole check from a cache that
# holds the venv and TypeScript SDK but no codex (cold: each matrix codex
# fetched and unpacked on first use), on the release build.
# Usage: bash benches/matrix.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q
bin=./target/release/codex-harvest
$bin doctor >/dev/null
timed() {
  local out rc=0
  out=$(mktemp)
  /usr/bin/time -f "%e %U %S" -o "$out" "$@" >/dev/null 2>&1 || rc=$?
  # time writes "Command exited with non-zero status N" first when it did.
  tail -n 1 "$out" | awk -v rc="$rc" '{ printf "%6.1f s wall, %6.1f s CPU%s\n", $1, $2 + $3, (rc ? "  (exit " rc ")" : "") }'
  rm -f "$out"
}
main=$(sed -n 's/^  version: "\(.*\)",$/\1/p' config/native.exs | head -1)
for exs in config/matrix/codex-*.exs; do
  v=${exs#config/matrix/codex-}
  v=${v%.exs}
  printf 'check --codex-version %-8s (warm)      ' "$v"
  timed $bin check --codex-version "$v"
done
printf 'check --codex-version %-8s (main pin)  ' "$main"
timed $bin check --codex-version "$main"
printf 'check, every codex (warm)                 '
timed $bin check
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
$bin doctor --format json | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["python"]["venv"]); print(d["typescript"]["Ok"]["install"])' | while read -r entry; do
  cp -al "$entry" "$cache/"
done
printf 'check, every codex (cold: no codex cached) '
CODEX_HARVEST_CACHE=$cache timed $bin check

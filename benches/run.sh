#!/usr/bin/env bash
# Times the main commands with the release build. Usage: bash benches/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q
bin=./target/release/codex-harvest
"$bin" doctor >/dev/null   # provision first, so it is not timed
if command -v hyperfine >/dev/null 2>&1; then
  hyperfine --warmup 1 --runs 5 "$bin verify" "$bin check --scenario thread_basic"
  hyperfine --runs 2 "$bin check"
else
  report=$(mktemp)
  for cmd in "verify" "check --scenario thread_basic" "check" "check --jobs 1"; do
    # shellcheck disable=SC2086 # $cmd is a list of words
    /usr/bin/time -f "%e s wall, %M KB max RSS" -o "$report" "$bin" $cmd >/dev/null 2>&1
    echo "codex-harvest $cmd: $(cat "$report")"
  done
  rm -f "$report"
fi

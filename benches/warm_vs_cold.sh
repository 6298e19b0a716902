#!/usr/bin/env bash
# Warm vs cold, paired in one run: the whole catalogue's `check` with scenarios
# forked from a warm worker (the default) and with `--cold` (a fresh interpreter
# each), alternating, RUNS times each (default 5). Prints each run and the
# medians of wall time and of CPU per scenario (user + sys of the whole process
# tree, divided by the number of scenarios).
# Usage: bash benches/warm_vs_cold.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
cargo build --release --locked -q
bin=./target/release/codex-harvest
"$bin" doctor >/dev/null   # provision first, so it is not timed
scenarios=$("$bin" list --format json | python3 -c 'import json, sys; print(len(json.load(sys.stdin)))')
report=$(mktemp)
trap 'rm -f "$report" "$report".*' EXIT
for i in $(seq "$runs"); do
  for mode in warm cold; do
    flag=""
    [ "$mode" = cold ] && flag="--cold"
    # shellcheck disable=SC2086 # $flag is empty or one word
    /usr/bin/time -f "%e %U %S" -o "$report" "$bin" check $flag >/dev/null 2>&1
    read -r wall user sys <"$report"
    cpu=$(python3 -c "print(f'{($user + $sys) / $scenarios:.3f}')")
    echo "run $i $mode: ${wall} s wall, ${cpu} s CPU per scenario"
    echo "$wall $cpu" >>"$report.$mode"
  done
done
median() { sort -n | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }
for mode in warm cold; do
  wall=$(cut -d' ' -f1 "$report.$mode" | median)
  cpu=$(cut -d' ' -f2 "$report.$mode" | median)
  echo "median $mode: ${wall} s wall, ${cpu} s CPU per scenario ($scenarios scenarios, $runs runs)"
  echo "$wall" >"$report.$mode.wall"
done
python3 -c "print(f'warm / cold wall: {float(open(\"$report.warm.wall\").read()) / float(open(\"$report.cold.wall\").read()):.2f}')"

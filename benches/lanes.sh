#!/usr/bin/env bash
# The four lanes as one schedule, measured: `check` with every lane and with
# each lane alone, on the release build, paired and alternating (and against
# a baseline checkout, when given, run for run), with the medians of wall and
# CPU, and `check`'s wall against the ideal: max(CPU / cores, the longest
# job the schedule recorded).
# Usage: bash benches/lanes.sh [RUNS] [BASELINE_CHECKOUT]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
baseline=${2:-}
trees=(".")
if [ -n "$baseline" ]; then
  trees=("$baseline" ".")
fi
for tree in "${trees[@]}"; do
  (cd "$tree" && cargo build --release --locked -q && ./target/release/codex-harvest doctor >/dev/null)
done
cache=${CODEX_HARVEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/codex-harvest}
variants=("" "--lane python" "--lane wire" "--lane exec" "--lane typescript")
samples=$(mktemp)
trap 'rm -f "$samples"' EXIT

# One timed check: "<tree>|<variant>|<wall>|<cpu>|<longest job>".
time_one() {
  local tree=$1 variant=$2 out
  out=$(mktemp)
  # shellcheck disable=SC2086 # $variant is a list of words
  # The main pin's tree only, in a tree that has a version matrix.
  local main=()
  if [ -d "$tree/config/matrix" ]; then
    main=(--codex-version "$(sed -n 's/^  version: "\(.*\)",$/\1/p' "$tree/config/native.exs" | head -1)")
  fi
  (cd "$tree" && /usr/bin/time -f "%e %U %S" -o "$out" ./target/release/codex-harvest check $variant "${main[@]}" >/dev/null 2>&1) || true
  local longest
  longest=$(cd "$tree" && python3 - "$cache/durations.json" "$variant" <<'EOF'
import json, subprocess, sys
# The wire lane is recorded by the Python lane's job (its tap).
lane = {"wire": "python"}.get(l := sys.argv[2].removeprefix("--lane "), l) or None
names = {s["name"] for s in json.loads(subprocess.run(
    ["./target/release/codex-harvest", "list", "--format", "json"],
    capture_output=True, check=True).stdout)}
try:
    durations = json.load(open(sys.argv[1]))
except OSError:
    durations = {}
print(max((v for k, v in durations.items()
           if k.split("/")[0] in names and lane in (None, k.split("/")[-1])), default=0))
EOF
)
  # time writes "Command exited with non-zero status N" first when it did.
  tail -n 1 "$out" | awk -v t="$tree" -v v="$variant" -v l="$longest" '{printf "%s|%s|%.2f|%.2f|%.2f\n", t, v, $1, $2 + $3, l}' >>"$samples"
  rm -f "$out"
}

settle=${CODEX_HARVEST_BENCH_SETTLE:-5}
for _ in $(seq "$runs"); do
  for variant in "${variants[@]}"; do
    for tree in "${trees[@]}"; do
      # ext4 scans past the inodes a run just deleted (thousands: every
      # scenario's scratch and codex home) when the next one creates files;
      # measured, a check started right after another spends up to half
      # again its system time there. A pause keeps each run to itself.
      sleep "$settle"
      time_one "$tree" "$variant"
    done
  done
done

python3 - "$samples" "$(nproc)" <<'EOF'
import statistics, sys
cores = int(sys.argv[2])
rows = [l.rstrip("\n").split("|") for l in open(sys.argv[1])]
groups = {}
for tree, variant, wall, cpu, longest in rows:
    groups.setdefault((tree, variant), []).append((float(wall), float(cpu), float(longest)))
print(f"{'tree':<24} {'check':<20} {'wall':>7} {'CPU':>7} {'ideal':>7} {'wall/ideal':>10}  (medians of {len(next(iter(groups.values())))} runs, {cores} cores)")
for (tree, variant), samples in groups.items():
    wall = statistics.median(s[0] for s in samples)
    cpu = statistics.median(s[1] for s in samples)
    ideal = max(cpu / cores, statistics.median(s[2] for s in samples))
    print(f"{tree:<24} {variant or 'all lanes':<20} {wall:>6.1f}s {cpu:>6.1f}s {ideal:>6.1f}s {wall / ideal:>10.2f}")
trees = list(dict.fromkeys(t for t, _ in groups))
if len(trees) == 2:
    base, new = trees
    print(f"\n{'check':<20} {'wall: ' + new + ' / ' + base:>30}")
    for (tree, variant), samples in groups.items():
        if tree == new:
            ratio = statistics.median(s[0] for s in samples) / statistics.median(s[0] for s in groups[(base, variant)])
            print(f"{variant or 'all lanes':<20} {ratio:>30.2f}")
EOF

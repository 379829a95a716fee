#!/usr/bin/env bash
# The hottest frames of a benchmark run's CPU profile (async-profiler collapsed stacks, as written
# to <dataDir>/runs/<run>/profile.collapsed by runners/bench/migration.sh), see docs/benchmarks.md.
# usage: runners/bench/top-frames.sh <profile.collapsed> [rows=30]
set -euo pipefail
profile=${1:?usage: $0 <profile.collapsed> [rows]}
rows=${2:-30}
awk -v rows="$rows" '
  {
    n = $NF; $NF = ""; sub(/ $/, "")
    k = split($0, f, ";")
    self[f[k]] += n; total += n
    delete seen
    for (i = 1; i <= k; i++) if (!(f[i] in seen)) { seen[f[i]] = 1; incl[f[i]] += n }
  }
  END {
    printf "%d samples (10 ms of CPU each)\n\nself (the frame itself was on the CPU):\n", total
    for (s in self) printf "%7d %5.1f%%  %s\n", self[s], 100 * self[s] / total, s | "sort -rn | head -" rows
    close("sort -rn | head -" rows)
    printf "\ntotal (the frame was on the stack), hogbeam frames only:\n"
    for (s in incl) if (s ~ /dev\/hogbeam/) printf "%7d %5.1f%%  %s\n", incl[s], 100 * incl[s] / total, s | "sort -rn | head -" rows
  }' "$profile"

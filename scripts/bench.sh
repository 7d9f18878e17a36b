#!/usr/bin/env bash
# End-to-end benchmark: generate seeded exports, run omni, and run a baseline on the same files
# in the same run, so results are read as ratios (these machines are noisy).
#
#   scripts/bench.sh [PEOPLE...]        default: 1000000
#
# Needs: a Rust toolchain; python3 with pip (polars is installed from PyPI if missing).
# Prints wall time, peak RSS (/usr/bin/time -v) and records/s for omni and the baseline, and the
# omni/baseline ratio. Not part of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
people=("${@:-1000000}")
data=bench-data
mkdir -p "$data"

echo "==> building (release)"
cargo build --release --locked --bin omni --example gen 2>&1 | tail -1
omni=target/release/omni
gen=target/release/examples/gen

python3 -c 'import polars' 2>/dev/null || pip install --quiet polars

measure() { # label, command... → prints "label wall_s rss_mb"
  local label=$1; shift
  local log; log=$(mktemp)
  /usr/bin/time -v "$@" >/dev/null 2>"$log" || { cat "$log"; return 1; }
  local wall rss
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$log")
  rss=$(awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$log")
  rm -f "$log"
  echo "$label $wall $rss"
}

printf '\n%-10s %-9s %10s %9s %9s %12s %8s\n' people records tool wall_s rss_mb records/s ratio
for n in "${people[@]}"; do
  dir="$data/p$n"
  if [ ! -f "$dir.truth.csv" ]; then
    "$gen" --people "$n" --seed 42 --out "$dir" --truth "$dir.truth.csv" >/dev/null
  fi
  records=$(($(wc -l < "$dir.truth.csv") - 1))
  read -r _ omni_wall omni_rss < <(measure omni "$omni" merge "$dir" -o "$data/out-p$n" --country RU -q)
  read -r _ base_wall base_rss < <(measure polars-read python3 scripts/baseline_polars_read.py "$dir")
  for row in "omni $omni_wall $omni_rss" "polars-read $base_wall $base_rss"; do
    set -- $row
    printf '%-10s %-9s %10s %9s %9s %12.0f %8.2f\n' "$n" "$records" "$1" "$2" "$3" \
      "$(echo "$records / $2" | bc -l)" "$(echo "$2 / $base_wall" | bc -l)"
  done
done

#!/usr/bin/env bash
# The nightly scenario of issue 5: full run vs `--incremental` on a state holding a big history.
#
#   scripts/bench-incremental.sh [PEOPLE]        default: 1000000
#
# History: the seeded exports of bench-data/pPEOPLE (examples/gen.rs --seed 42, generated once
# if missing). One night's delta (about 1% of the history's records), built reproducibly in
# bench-data/pPEOPLE_night/ (a path that sorts after the history's, as dated export folders do:
# exports/2026-11-21/web_shop.csv, then exports/2026-11-22/web_shop.csv; a night file that
# sorted first would take the plain name and rename the saved source `web_shop~2` in every row,
# see docs/state.md):
#   - night_new/*:        a fresh generator run (--seed 4242, PEOPLE/100 people): new people,
#                         some of whom share identifiers with the history (merges);
#   - night_web.csv:      every 200th row of the history's web_shop.csv under a new key: new
#                         records of existing people (grown profiles).
# Then, one after another on the same previous state (a full run with --state over the history):
#   stateless    omni merge HISTORY DELTA                       (the state's overhead, for scale)
#   full         omni merge --state S1 HISTORY DELTA            (what a cron job without it does)
#   incremental  omni merge --state S2 --incremental DELTA
# and prints wall time and peak RSS (/usr/bin/time -v) of each, the ratio, and checks that every
# output file and the saved state's ids are identical. OMNI_TIMINGS=1 stage times go to
# bench-data/incr-*/{full,incremental}.err.
#
# Environment: OMNI (binary; default: builds target/release/omni), OMNI_ARGS (default
# "--country RU"), BENCH_DATA (default bench-data), KEEP=1 (keep the outputs and states, about
# 2 GB at 1M people). Needs GNU time at /usr/bin/time. Timings on a shared machine are noisy:
# run it twice and compare within one run.
set -euo pipefail
cd "$(dirname "$0")/.."
people=${1:-1000000}
data=${BENCH_DATA:-bench-data}
omni_args=(${OMNI_ARGS:---country RU})
[ -x /usr/bin/time ] || { echo "GNU time is missing at /usr/bin/time" >&2; exit 1; }
if [ -z "${OMNI:-}" ]; then
  cargo build --release --locked --bin omni 2>&1 | tail -1 >&2
  OMNI=target/release/omni
fi
gen=target/release/examples/gen
history=$data/p$people
delta=$data/p${people}_night
work=$data/incr-run-$people
if [ ! -d "$history" ]; then
  cargo build --release --locked --example gen 2>&1 | tail -1 >&2
  $gen --people "$people" --seed 42 --out "$history" --truth "$data/p$people.truth.csv" >/dev/null
fi
if [ ! -f "$delta/night_web.csv" ]; then
  [ -x "$gen" ] || cargo build --release --locked --example gen 2>&1 | tail -1 >&2
  rm -rf "$delta" && mkdir -p "$delta"
  $gen --people $((people / 100)) --seed 4242 --out "$delta/night_new" \
    --truth "$data/p${people}_night.truth.csv" >/dev/null
  awk -F, 'NR == 1 { print; next } NR % 200 == 0 { OFS = ","; $1 = "night-" $1; print }' \
    "$history/web_shop.csv" >"$delta/night_web.csv"
fi

# Both parts of the night: omni reads the files of a folder it is given, not its subfolders, so
# passing "$delta" alone read night_web.csv only (2,653 rows instead of about 39,000).
night=("$delta/night_new" "$delta/night_web.csv")

records() { # data rows of the csv files under $1 (parquet counted by omni's report below)
  find -L "$1" -name '*.csv' -exec sh -c 'tail -n +2 "$1" | wc -l' _ {} \; | paste -sd+ | bc
}
measure() { # label, then the command; prints "seconds max_rss_mb cpu_seconds"
  local label=$1; shift
  /usr/bin/time -f '%e %M %U %S' -o "$work/$label.time" env OMNI_TIMINGS=1 "$@" \
    >"$work/$label.out" 2>"$work/$label.err"
  awk '{ printf "%s %.0f %.2f\n", $1, $2 / 1024, $3 + $4 }' "$work/$label.time"
}

rm -rf "$work" && mkdir -p "$work"
echo "==> history: $history (state built by a full run); delta: $delta ($(records "$delta") csv rows)" >&2
# The previous night's outputs are where the incremental run writes (as under cron), so it can
# copy the rows of untouched people from them; the full run recomputes every row.
$OMNI merge "${omni_args[@]}" --quiet --state "$work/state-base" -o "$work/out-incr" "$history"
cp -r "$work/state-base" "$work/state-full"
mv "$work/state-base" "$work/state-incr"
# (disk: each run's outputs and state take about 0.6 GB at 1M people)
read -r none_s none_mb none_cpu < <(measure stateless $OMNI merge "${omni_args[@]}" --quiet \
  -o "$work/out-stateless" "$history" "${night[@]}")
rm -rf "$work/out-stateless"
read -r full_s full_mb full_cpu < <(measure full $OMNI merge "${omni_args[@]}" --quiet \
  --state "$work/state-full" -o "$work/out-full" "$history" "${night[@]}")
read -r incr_s incr_mb incr_cpu < <(measure incremental $OMNI merge "${omni_args[@]}" --quiet \
  --state "$work/state-incr" --incremental -o "$work/out-incr" "${night[@]}")

same=yes
for f in "$work"/out-full/*; do
  name=$(basename "$f")
  case $name in report.json | report.html) continue ;; esac # they name the run kind and time
  cmp -s "$f" "$work/out-incr/$name" || { echo "DIFFERS: $name" >&2; same=no; }
done
# The report differs only in `since_previous.incremental`; compare everything else.
python3 - "$work/out-full/report.json" "$work/out-incr/report.json" <<'EOF' || same=no
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for r in (a, b):
    r.get("since_previous", {}).pop("incremental", None)
    r.get("since_previous", {}).pop("previous_run_at", None)
if a != b:
    sys.exit("DIFFERS: report.json")
EOF
# The saved states: everything after the metadata line (ids, maps, records) must match.
tail -n +3 "$work/state-full/state.omni" | cmp -s - <(tail -n +3 "$work/state-incr/state.omni") \
  || { echo "DIFFERS: saved state body" >&2; same=no; }

# CPU seconds (user + system) are less disturbed by other work on a shared machine than wall time.
ratio() { echo "scale=2; $1 / $2" | bc; }
printf '%-12s %9s %12s %12s\n' run seconds 'CPU seconds' 'peak RSS MB'
printf '%-12s %9s %12s %12s\n' stateless "$none_s" "$none_cpu" "$none_mb" \
  full "$full_s" "$full_cpu" "$full_mb" incremental "$incr_s" "$incr_cpu" "$incr_mb"
echo "state overhead on a full run (full / stateless): $(ratio "$full_s" "$none_s")x wall, $(ratio "$full_cpu" "$none_cpu")x CPU"
echo "speed-up (full / incremental): $(ratio "$full_s" "$incr_s")x wall, $(ratio "$full_cpu" "$incr_cpu")x CPU"
echo "outputs and saved state identical: $same"
echo "stage times: $work/full.err $work/incremental.err" >&2
# The outputs and states are removed (about 2 GB at 1M people) unless KEEP=1.
[ -n "${KEEP:-}" ] || rm -rf "$work"/out-* "$work"/state-*
[ "$same" = yes ]

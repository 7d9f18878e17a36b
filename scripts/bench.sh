#!/usr/bin/env bash
# End-to-end benchmark: omni against peers doing the same job on the same files, in one run.
#
#   scripts/bench.sh [PEOPLE...]          default: 1000000 5000000
#   SETS=international scripts/bench.sh 1000000
#
# Two data sets (SETS, default "default international"), one table each:
#   default        the retail set omni grew up on (cp1251, gzip, Parquet, mostly Russian mobiles)
#   international  `gen --preset international` (issue 19): plain UTF-8 CSV in five files, 40% of
#                  people outside Russia, phones in every written form (`+1-415-…`, `001 415 …`,
#                  `0044 7…`, national forms next to a per-row country), more email aliases;
#                  data in bench-data/iN/
# For each set and size it generates seeded exports once (examples/gen.rs --seed 42, cached in
# bench-data/pN/ with the truth in bench-data/pN.truth.csv), then runs, one after another on the
# same files:
#   omni            omni merge, default guards (the product as shipped)
#   omni-noguards   omni merge with the over-merge guards off (the peers' job exactly)
#   omni-probabilistic  omni merge --match probabilistic (issue 20: the second pass's cost)
#   polars-read     polars only parsing every export (the floor: no normalizing, no linking)
#   bytes-floor     no parsing at all: every input byte read (gzip decoded by zcat) and as many
#                   bytes as omni's out dir holds written and synced (omni syncs its outputs)
#                   the fastest way dd knows here (O_DIRECT, as omni writes on Linux): the I/O
#                   any tool doing omni's whole job pays, on this machine
#   polars_scipy    scripts/peers/polars_scipy.py: polars + scipy connected components
#   duckdb_sql      scripts/peers/duckdb_sql.py: DuckDB SQL min-label propagation
# RUNS times over (default 3), the tools alternating within each round, and prints the median
# wall time and peak RSS (/usr/bin/time -v) of each tool, records/s, the speed ratio to omni,
# bytes of peak RSS per record above the identifiers themselves, a profile-count check, and the
# records/s ratio between the first and the last size (linear scaling = 1.0).
#
# Environment: RUNS (rounds of alternating runs, default 3; the table shows medians),
# PROBABILISTIC (0 skips the omni-probabilistic row), BENCH_DATA
# (default bench-data: data, venv, outputs), PEERS (default
# "polars_scipy duckdb_sql"), OMNI_ARGS (extra `omni merge` arguments, default "--country RU"),
# OMNI (an omni binary to measure instead of building this checkout's, e.g. another worktree's).
# Needs: a Rust toolchain, python3 with venv and pip (the pinned peers of
# scripts/peers/requirements.txt are installed from PyPI into $BENCH_DATA/venv), GNU time at
# /usr/bin/time (Debian: apt-get install time). Not part of .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -gt 0 ]; then people=("$@"); else people=(1000000 5000000); fi
data=${BENCH_DATA:-bench-data}
peers=(${PEERS:-polars_scipy duckdb_sql})
runs=${RUNS:-3}
omni_args=(${OMNI_ARGS:---country RU})
mkdir -p "$data/out"
[ -x /usr/bin/time ] || { echo "GNU time is missing at /usr/bin/time (apt-get install time)" >&2; exit 1; }

gen=target/release/examples/gen
if [ -n "${OMNI:-}" ]; then
  omni=$OMNI
  missing=0
  for n in "${people[@]}"; do
    for set in ${SETS:-default international}; do
      [ -f "$data/${set:0:1}$n.truth.csv" ] || missing=1
    done
  done
  if [ $missing = 1 ]; then
    echo "==> building the generator (release)" >&2
    cargo build --release --locked --example gen 2>&1 | tail -1 >&2
  fi
else
  echo "==> building omni and the generator (release)" >&2
  cargo build --release --locked --bin omni --example gen 2>&1 | tail -1 >&2
  omni=target/release/omni
fi

venv=$data/venv
if ! cmp -s scripts/peers/requirements.txt "$venv/requirements.txt"; then
  echo "==> installing the pinned peers into $venv" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r scripts/peers/requirements.txt
  cp scripts/peers/requirements.txt "$venv/requirements.txt"
fi
py=$venv/bin/python

# The peers link without guards; so does this omni run, for the profile-count check.
noguards=$data/guards-off.toml
printf '[guards]\ngeneric_names = 0\ngeneric_groups = 0\nname_check = []\n' > "$noguards"

# measure LABEL STDOUT_FILE COMMAND... -> "wall_s peak_rss_bytes cpu_s"
measure() {
  local label=$1 stdout=$2; shift 2
  local log=$data/out/$label.time
  echo "==> $label: $*" >&2
  if ! /usr/bin/time -v "$@" >"$stdout" 2>"$log"; then
    tail -20 "$log" >&2
    echo "$label failed" >&2
    return 1
  fi
  awk -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, a, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + a[i]; wall = s }
    /Maximum resident set size/ { rss = $2 * 1024 }
    /User time \(seconds\)|System time \(seconds\)/ { cpu += $2 }
    END { printf "%.2f %.0f %.2f\n", wall, rss, cpu }' "$log"
}

# profiles FILE -> the profile count in omni's report.json or a peer's JSON line
profiles() {
  "$py" -c 'import json, sys; r = json.load(open(sys.argv[1])); print(r["totals"]["profiles"] if "totals" in r else r["profiles"])' "$1"
}

# run_set SET: every tool on every size of SET, figures into $data/out/results-SET.tsv.
run_set() {
set=$1
prefix=${set:0:1}
preset=()
[ "$set" = international ] && preset=(--preset international)
results=$data/out/results-$set.tsv
printf 'people\ttool\trecords\twall_s\trss_bytes\tid_bytes\tprofiles\tcpu_s\n' > "$results"
for n in "${people[@]}"; do
  dir=$data/$prefix$n
  if [ ! -f "$dir.truth.csv" ]; then
    echo "==> generating $n people ($set) into $dir" >&2
    "$gen" "${preset[@]}" --people "$n" --seed 42 --out "$dir" --truth "$dir.truth.csv" > "$dir.summary.json"
  fi
  if [ ! -f "$dir.idbytes" ]; then
    "$py" scripts/peers/identifier_bytes.py "$dir.truth.csv" > "$dir.idbytes"
  fi
  read -r id_bytes _ < "$dir.idbytes"
  records=$(($(wc -l < "$dir.truth.csv") - 1))

  row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$1" "$records" "$2" "$3" "$id_bytes" "$4" "$cpu" >> "$results"; }
  out=$data/out/$prefix$n
  for ((round = 1; round <= runs; round++)); do
  echo "==> $set, $n people: round $round of $runs" >&2
  read -r wall rss cpu < <(measure "omni-$prefix$n" /dev/null "$omni" merge "$dir" -o "$out-omni" -q "${omni_args[@]}")
  row omni "$wall" "$rss" "$(profiles "$out-omni/report.json")"
  read -r wall rss cpu < <(measure "omni-noguards-$prefix$n" /dev/null \
    "$omni" merge "$dir" -o "$out-omni-noguards" -q --config "$noguards" "${omni_args[@]}")
  row omni-noguards "$wall" "$rss" "$(profiles "$out-omni-noguards/report.json")"
  # Issue 20: the probabilistic second pass on the same files (target: at most the exact run's
  # time again, i.e. omni-probabilistic <= 2x omni).
  if [ "${PROBABILISTIC:-1}" = 1 ]; then
  read -r wall rss cpu < <(measure "omni-probabilistic-$prefix$n" /dev/null \
    "$omni" merge "$dir" -o "$out-omni-probabilistic" -q --match probabilistic "${omni_args[@]}")
  row omni-probabilistic "$wall" "$rss" "$(profiles "$out-omni-probabilistic/report.json")"
  fi
  read -r wall rss cpu < <(measure "polars-read-$prefix$n" /dev/null "$py" scripts/baseline_polars_read.py "$dir")
  row polars-read "$wall" "$rss" ""
  out_bytes=$(cat "$out-omni"/* | wc -c)
  read -r wall rss cpu < <(measure "bytes-floor-$prefix$n" /dev/null bash -c '
    for f in "$1"/*; do case $f in *.gz) zcat -- "$f" ;; *) cat -- "$f" ;; esac; done > /dev/null
    head -c "$2" /dev/zero | dd of="$3" bs=1M iflag=fullblock oflag=direct conv=fsync status=none
    rm -f -- "$3"' bytes-floor "$dir" "$out_bytes" "$data/out/bytes-floor.bin")
  row bytes-floor "$wall" "$rss" ""
  for peer in "${peers[@]}"; do
    read -r wall rss cpu < <(measure "$peer-$prefix$n" "$out-$peer.json" "$py" "scripts/peers/$peer.py" "$dir" "$out-$peer")
    row "$peer" "$wall" "$rss" "$(profiles "$out-$peer.json")"
  done
  done
done
}

# table SET: the table, the profile-count check and the scaling line, from results-SET.tsv.
table() {
results=$data/out/results-$1.tsv
echo
echo "== set: $1"
echo "omni ${OMNI:-commit $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.toml || echo ' (modified)')}, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo) RAM"
awk -F'\t' '
  # median of the n values v[1..n] (sorted in place)
  function median(v, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
    return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
  }
  NR == 1 { next }
  { key = $1 SUBSEP $2
    if (!(key in runs)) { order[++rows] = key; tool[key] = $2; people[key] = $1 }
    r = ++runs[key]; walls[key, r] = $4; rsses[key, r] = $5; cpus[key, r] = $8
    recs[key] = $3; idb[key] = $6; prof[key] = $7
    if (!($1 in seen)) { seen[$1] = 1; sizes[++nsizes] = $1 } }
  END {
    for (i = 1; i <= rows; i++) {
      k = order[i]; split("", a); split("", b); split("", c)
      for (r = 1; r <= runs[k]; r++) { a[r] = walls[k, r]; b[r] = rsses[k, r]; c[r] = cpus[k, r] }
      wall[k] = median(a, runs[k]); rss[k] = median(b, runs[k]); cpu[k] = median(c, runs[k])
    }
    printf "\n%-18s %9s %10s %4s %8s %8s %12s %11s %12s %10s %10s\n", "tool", "people", "records", "runs", "wall s", "CPU s", "peak RSS MB", "records/s", "omni faster", "CPU ratio", "B/record*"
    for (i = 1; i <= rows; i++) {
      k = order[i]; o = wall[people[k] SUBSEP "omni"]
      per = tool[k] == "bytes-floor" ? "-" : sprintf("%.1f", (rss[k] - idb[k]) / recs[k])
      oc = cpu[people[k] SUBSEP "omni"]
      printf "%-18s %9s %10s %4d %8.2f %8.2f %12.0f %11.0f %11.2fx %9.2fx %10s\n", tool[k], people[k], recs[k], runs[k], wall[k],
        cpu[k], rss[k] / 1048576, recs[k] / wall[k], wall[k] / o, oc ? cpu[k] / oc : 0, per
    }
    print "wall s and peak RSS: medians over the runs; * (peak RSS - summed length of the distinct canonical identifiers) / records; \"omni faster\" = wall / omni wall, \"CPU ratio\" = CPU (user + system) / omni CPU"
    print "\nProfile counts (peers link without guards: compare with omni-noguards):"
    for (s = 1; s <= nsizes; s++) {
      base = prof[sizes[s] SUBSEP "omni-noguards"]
      for (i = 1; i <= rows; i++) {
        k = order[i]
        if (people[k] != sizes[s] || prof[k] == "") continue
        printf "  %9s people  %-14s %9d profiles  %+7.2f%% vs omni-noguards\n", sizes[s], tool[k], prof[k],
          base ? 100 * (prof[k] - base) / base : 0
      }
    }
    if (nsizes > 1) {
      first = sizes[1]; last = sizes[nsizes]
      printf "\nScaling, records/s at %s people / at %s people (1.00 = linear):\n", last, first
      for (i = 1; i <= rows; i++) {
        k = order[i]; if (people[k] != first) continue
        l = last SUBSEP tool[k]; if (!(l in wall)) continue
        printf "  %-14s %.2f\n", tool[k], (recs[l] / wall[l]) / (recs[k] / wall[k])
      }
    }
  }' "$results"
}

sets=(${SETS:-default international})
for set in "${sets[@]}"; do run_set "$set"; done
for set in "${sets[@]}"; do table "$set"; done
echo
echo "raw figures: $data/out/results-*.tsv; /usr/bin/time logs and outputs: $data/out/"

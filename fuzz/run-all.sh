#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 200), one process at a time at low priority,
# seeding the corpora from testdata/edge and a few typical values. Logs go to $LOGS
# (default /tmp/omni-fuzz); the last line of each log has the executions run.
#   fuzz/run-all.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:-200}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(email phone card id datetime amount csv_reader parquet config)
logs=${LOGS:-/tmp/omni-fuzz}
mkdir -p "$logs"

seed() { # seed TARGET NAME CONTENT
    mkdir -p "corpus/$1"
    printf '%s' "$3" > "corpus/$1/$2"
}
seed email a 'John.Smith+promo@GoogleMail.com'
seed email b ' <Анна@Почта.рф> '
seed phone a $'\x00''8 916 123-45-67'
seed phone b $'\x01''7.9161234567E10'
seed phone c $'\x02''+1 (212) 555-0100 ext. 5'
seed card a 'LC-0048 2133 77'
seed id a 'CRM-000123'
seed datetime a '2024-03-05 14:07:00+03:00'
seed datetime b '05.03.2024 14:07'
seed amount a '1 234,50 ₽'
seed amount b '$1,234.50'
seed config a $'country = "RU"\n[limits]\nmax_rows = 10\n[sources.a.columns]\n"Телефон" = "phone"\n'
mkdir -p corpus/csv_reader
for f in ../testdata/edge/*.csv ../testdata/edge/*.tsv; do
    { printf '\x00'; cat "$f"; } > "corpus/csv_reader/$(basename "$f")"
done

mkdir -p corpus/parquet
cp ../testdata/sample/*.parquet corpus/parquet/

for target in "${targets[@]}"; do
    extra=()
    [ "$target" = csv_reader ] && extra=(-max_len=16384)
    [ "$target" = parquet ] && extra=(-max_len=65536)
    nice -n 19 cargo +nightly fuzz run "$target" "corpus/$target" -- \
        -max_total_time="$secs" -timeout=10 -print_final_stats=1 "${extra[@]}" \
        > "$logs/$target.log" 2>&1 || echo "$target: FAILED (see $logs/$target.log)"
    echo "$target: $(grep -E 'stat::number_of_executed_units' "$logs/$target.log" | tail -1)"
done

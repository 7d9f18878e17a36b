#!/usr/bin/env bash
# Same answer both ways (issue 17): `omni merge` and the Spark job (spark/omni_spark.py on
# local[2]) on generated exports with households, store phones and junk give byte-identical
# profiles, links, edges, refused and rejects, and the same report.json metrics; then a second
# night with --state (a changed file and an extra one), compared again with changes.csv and
# redirects.csv. Night 1 once more with --format parquet: the Parquet tables of both, read with
# pyarrow, hold the same rows in the same order, and the partitioned datasets Spark writes
# from them the same rows once sorted (spark/compare_parquet.py).
#
#   spark/test_equivalence.sh [PEOPLE]        # default 20000; needs java and a venv with pyspark
#
# OMNI (default target/debug/omni) is the binary; SPARK_VENV (default target/venv-spark) holds
# pyspark, pyarrow and pandas (spark/requirements.txt); it is created when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
PEOPLE=${1:-20000}
OMNI=$(realpath "${OMNI:-target/debug/omni}")
VENV=${SPARK_VENV:-target/venv-spark}
if [ ! -x "$VENV/bin/spark-submit" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet -r spark/requirements.txt
fi
export PATH="$(realpath "$VENV")/bin:$PATH"
DIR=$(mktemp -d "${TMPDIR:-/tmp}/omni-spark-eq.XXXXXX")
trap 'rm -rf "$DIR"' EXIT

python3 spark/test_cc.py 2000 2>/dev/null   # the components converge on a long chain
cargo run --quiet --locked --example gen -- --people "$PEOPLE" --seed 7 --out "$DIR/in" --truth "$DIR/truth.csv"

spark() {
    spark-submit --master 'local[2]' --driver-memory 2g \
        --conf spark.sql.shuffle.partitions=2 --conf spark.default.parallelism=2 \
        --conf spark.ui.enabled=false --conf spark.sql.adaptive.enabled=false \
        spark/omni_spark.py --omni-binary "$OMNI" "$@" 2>"$DIR/spark.log" \
        || { tail -50 "$DIR/spark.log"; exit 1; }
}

compare() { # merge-out spark-out [extra tables]
    local failed=0
    for table in profiles links edges refused rejects contacts "${@:3}"; do
        if cmp -s "$1/$table.csv" "$2/$table.csv"; then
            echo "same $table.csv ($(wc -l <"$1/$table.csv") lines)"
        else
            echo "DIFFERENT $table.csv"; diff "$1/$table.csv" "$2/$table.csv" | head -10; failed=1
        fi
    done
    python3 spark/compare_reports.py "$1/report.json" "$2/report.json" || failed=1
    [ -d "$2/parquet/profiles" ] || { echo "no partitioned Parquet in $2/parquet"; failed=1; }
    return $failed
}

# Night 1 without a state is the Parquet run (CSV tables are compared on the --state nights
# below, whose first night writes what a stateless run writes plus changes.csv): three Spark
# runs keep the CI step near five minutes.
echo "== night 1 without a state, --format parquet (rows in order; the partitioned datasets sorted)"
"$OMNI" merge "$DIR/in" -o "$DIR/merge-pq" --format parquet --quiet || [ $? -eq 1 ]
spark -o "$DIR/spark-pq" --format parquet --timings "$DIR/timings.json" "$DIR/in"
cat "$DIR/timings.json"; echo
python3 spark/compare_parquet.py "$DIR/merge-pq" "$DIR/spark-pq"
python3 spark/compare_reports.py "$DIR/merge-pq/report.json" "$DIR/spark-pq/report.json"

echo "== two nights with --state"
"$OMNI" merge "$DIR/in" -o "$DIR/merge1" --state "$DIR/state-m" --quiet || [ $? -eq 1 ]
spark -o "$DIR/spark1" --state "$DIR/state-s" "$DIR/in"
compare "$DIR/merge1" "$DIR/spark1" changes redirects
# Night 2: every 50th web-shop row edited (a new email), and an extra file of new rows.
python3 - "$DIR/in" <<'PY'
import csv, sys, os
d = sys.argv[1]
src = os.path.join(d, "web_shop.csv")
with open(src, newline="", encoding="utf-8") as f:
    text = f.read()
delim = ";" if text.split("\n", 1)[0].count(";") > text.split("\n", 1)[0].count(",") else ","
rows = list(csv.reader(text.splitlines(), delimiter=delim))
header, body = rows[0], rows[1:]
email = next(i for i, h in enumerate(header) if "mail" in h.lower())
for i in range(0, len(body), 50):
    body[i][email] = f"night2.{i}@example.org"
with open(src, "w", newline="", encoding="utf-8") as f:
    csv.writer(f, delimiter=delim).writerows([header] + body)
with open(os.path.join(d, "night_extra.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(header)
    for row in body[1::97]:
        row = list(row)
        row[email] = row[email].upper()
        w.writerow(row)
PY
"$OMNI" merge "$DIR/in" -o "$DIR/merge2" --state "$DIR/state-m" --quiet || [ $? -eq 1 ]
spark -o "$DIR/spark2" --state "$DIR/state-s" "$DIR/in"
compare "$DIR/merge2" "$DIR/spark2" changes redirects
echo "equivalent: omni merge and the Spark job, $PEOPLE people, night 1 in Parquet, two nights with --state in CSV"

#!/usr/bin/env bash
# Cost per stage of the Spark job on local[2] against omni merge on the same files (docs/spark.md).
#   spark/bench.sh EXPORTS_DIR [OMNI]      # OMNI default target/release/omni
# Prints omni merge's wall time and peak RSS, the Spark job's seconds per stage and counts, and
# the bytes of the data between the stages (extracted records, linked records).
set -euo pipefail
cd "$(dirname "$0")/.."
IN=$(realpath "$1")
OMNI=$(realpath "${2:-target/release/omni}")
VENV=${SPARK_VENV:-target/venv-spark}
export PATH="$(realpath "$VENV")/bin:$PATH"
DIR=$(mktemp -d "${TMPDIR:-/tmp}/omni-spark-bench.XXXXXX")
trap 'rm -rf "$DIR"' EXIT
echo "== omni merge"
/usr/bin/time -f "omni merge: %e s wall, %U+%S s CPU, %M KB peak" "$OMNI" merge "$IN" -o "$DIR/merge" -q || true
echo "== spark local[2]"
/usr/bin/time -f "spark job: %e s wall" spark-submit --master 'local[2]' --driver-memory 8g \
    --conf spark.sql.shuffle.partitions=8 --conf spark.ui.enabled=false \
    spark/omni_spark.py --omni-binary "$OMNI" -o "$DIR/spark" --work-dir "$DIR/work" \
    --timings "$DIR/timings.json" "$IN" >/dev/null 2>"$DIR/log" || { tail -30 "$DIR/log"; exit 1; }
cat "$DIR/timings.json"; echo
echo "linked records: $(du -sb "$DIR/work/linked" | cut -f1) bytes (Parquet, snappy)"
for t in profiles links edges refused rejects; do cmp -s "$DIR/merge/$t.csv" "$DIR/spark/$t.csv" && echo "same $t.csv" || echo "DIFFERENT $t.csv"; done

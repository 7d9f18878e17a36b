"""Identifier bytes of a generated data set, for the bench table's bytes-per-record column.

    python scripts/peers/identifier_bytes.py TRUTH.csv

Reads the generator's truth (one row per input record, `identifiers` = `kind:value|...` with the
generator's own canonical values) and prints `distinct_bytes occurrence_bytes distinct_count`:
the summed UTF-8 length of the distinct canonical values (what any linker must hold once,
e.g. in an interner) and of every occurrence (what the records carry). The kind prefix is not
counted. scripts/bench.sh subtracts `distinct_bytes` from peak RSS: "bytes per record above
the identifiers" = (peak RSS - distinct identifier bytes) / records.
"""
import sys

import polars as pl

values = (
    pl.scan_csv(sys.argv[1], infer_schema=False)
    .select(pl.col("identifiers").str.split("|").alias("id"))
    .explode("id")
    .filter(pl.col("id").is_not_null() & (pl.col("id") != ""))
    .collect()["id"]
)
occurrences = int(values.str.replace(r"^[^:]*:", "").str.len_bytes().sum())
distinct = values.unique()
distinct_bytes = int(distinct.str.replace(r"^[^:]*:", "").str.len_bytes().sum())
print(distinct_bytes, occurrences, distinct.len())

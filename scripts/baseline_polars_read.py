"""Baseline for scripts/bench.sh: polars reading every export in a folder as strings.

This is the floor for any tool: parsing the same bytes, no normalization and no linking.
"""
import pathlib
import sys

import polars as pl

rows = 0
for path in sorted(pathlib.Path(sys.argv[1]).iterdir()):
    name = path.name
    if name.endswith(".parquet"):
        rows += pl.read_parquet(path).height
    elif name.endswith((".csv", ".csv.gz", ".tsv")):
        sep = "\t" if name.endswith(".tsv") else None
        raw = path.read_bytes()
        if name.endswith(".gz"):
            import gzip

            raw = gzip.decompress(raw)
        head = raw[:4096]
        if sep is None:
            try:
                text = head.decode("utf-8")
            except UnicodeDecodeError:
                text = head.decode("cp1251")
            first = text.splitlines()[0]
            sep = max([",", ";", "\t", "|"], key=first.count)
        encoding = "utf8-lossy"
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            raw = raw.decode("cp1251").encode("utf-8")
        rows += pl.read_csv(raw, separator=sep, infer_schema=False, encoding=encoding, truncate_ragged_lines=True).height
print(rows)

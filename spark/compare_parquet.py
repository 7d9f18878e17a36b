#!/usr/bin/env python3
"""Compares the Parquet tables of two out dirs written with --format parquet (issue 17).

    compare_parquet.py MERGE_OUT SPARK_OUT

MERGE_OUT/NAME.parquet (omni merge) against SPARK_OUT/NAME.parquet (omni stage finish on the
Spark driver): same schema, same rows in the same order. Then the partitioned dataset
SPARK_OUT/parquet/NAME/bucket=<n>/ that Spark wrote against MERGE_OUT/NAME.parquet: the same
columns and types (the bucket column apart) and the same rows once both are sorted (a dataset
has no row order). Exits 1 on any difference.
"""

import sys

import pyarrow.dataset as ds
import pyarrow.parquet as pq

TABLES = ["profiles", "links", "edges", "refused", "rejects", "contacts"]


def sort_key(row):
    return tuple((v is None, v if v is not None else 0) for v in row)


def rows(table):
    columns = [table.column(i).to_pylist() for i in range(table.num_columns)]
    return sorted(zip(*columns), key=sort_key)


def main(merge, spark):
    failed = False
    for name in TABLES:
        a = pq.read_table(f"{merge}/{name}.parquet")
        b = pq.read_table(f"{spark}/{name}.parquet")
        if a.num_rows == 0 or not a.equals(b):
            print(f"DIFFERENT {name}.parquet ({a.num_rows} and {b.num_rows} rows)")
            failed = True
            continue
        dataset = ds.dataset(f"{spark}/parquet/{name}", format="parquet", partitioning="hive")
        c = dataset.to_table()
        c = c.select([n for n in c.column_names if n != "bucket"])
        if c.schema != a.schema or rows(c) != rows(a):
            print(f"DIFFERENT parquet/{name} (the partitioned dataset): {c.schema} vs {a.schema}")
            failed = True
            continue
        parts = len(dataset.files)
        print(f"same {name}.parquet ({a.num_rows} rows, in order) and parquet/{name} "
              f"({parts} files, sorted)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

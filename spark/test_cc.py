#!/usr/bin/env python3
"""The Spark job's connected components converge on a long chain (the worst case for label
propagation: one iteration per link) and on stars and separate pieces, to the smallest node.

    python3 spark/test_cc.py [CHAIN_LENGTH]     # default 2000; local[2]
"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from pyspark.sql import SparkSession  # noqa: E402

from omni_spark import connected_components  # noqa: E402


def main(n):
    spark = (SparkSession.builder.master("local[2]").appName("omni-cc-test")
             .config("spark.sql.shuffle.partitions", "2").config("spark.ui.enabled", "false")
             .getOrCreate())
    spark.sparkContext.setCheckpointDir("/tmp/omni-cc-test-checkpoints")
    # A chain whose node numbers are shuffled (so no order helps), a star, and a pair.
    order = list(range(10, 10 + n))
    random.Random(7).shuffle(order)
    edges = [(order[i], order[i + 1]) for i in range(n - 1)]
    edges += [(5_000_000, 5_000_000 + k) for k in range(1, 50)]
    edges += [(9_000_001, 9_000_000)]
    stats = []
    result = dict(connected_components(spark.createDataFrame(edges, "a long, b long"), 2, stats)
                  .collect())
    assert all(result[v] == 10 for v in order), "the chain is one component on its smallest node"
    assert all(result[5_000_000 + k] == 5_000_000 for k in range(50)), "the star"
    assert result[9_000_001] == 9_000_000 and result[9_000_000] == 9_000_000, "the pair"
    assert len(result) == n + 50 + 2
    print(f"chain of {n}: one component in {stats[0]['rounds']} rounds")
    spark.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)

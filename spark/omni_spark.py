#!/usr/bin/env python3
"""omni on Spark: one profile per person from exports too large for one machine.

    spark-submit spark/omni_spark.py --omni-binary /opt/omni/bin/omni --out /shared/out \
        /shared/exports/

The omni binary does what `omni merge` does (reading, normalization, guards, linking,
survivorship, the report); Spark does the shuffles: the distinct identifiers and their counts,
the connected components (large-star/small-star over DataFrames, checkpointed) and the grouping
of records by component. The out dir is byte for byte what `omni merge` writes on the same
files, plus partitioned Parquet under OUT/parquet/ (or --parquet-out). docs/spark.md has the
stages, the data between them and the figures.

Needs only `pyspark` and `pyarrow` (no GraphFrames, no jars). The inputs and the out dir are
paths the driver and every executor see under the same name (local disk in local mode; NFS,
/dbfs/, a mounted bucket on a cluster); the omni binary is on every executor at
--omni-binary, or shipped with `spark-submit --files omni` and found by its name.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pyarrow as pa
import pyarrow.parquet as pq
from pyspark import SparkFiles, StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

EXTRACTED = "rec long, ids string, name string, blob binary"
LINKED = "rec long, blob binary, link binary"
EXTRACTED_ARROW = pa.schema(
    [("rec", pa.int64()), ("ids", pa.string()), ("name", pa.string()), ("blob", pa.binary())]
)
LINKED_ARROW = pa.schema([("rec", pa.int64()), ("blob", pa.binary()), ("link", pa.binary())])
ROW_BITS = 40


def parse_args(argv):
    p = argparse.ArgumentParser(
        prog="omni_spark.py",
        description="Run omni merge on Spark (docs/spark.md).",
    )
    p.add_argument("inputs", nargs="+", help="files or folders, as for omni merge")
    p.add_argument("-o", "--out", required=True, help="out dir, as for omni merge")
    p.add_argument("--omni-binary", default="omni", help="path of omni on every node")
    p.add_argument("--state", help="state folder, as for omni merge --state (on the driver)")
    p.add_argument("--parquet-out", help="partitioned Parquet [default: OUT/parquet]")
    p.add_argument("--buckets", type=int, default=16, help="hash buckets of the Parquet tables")
    p.add_argument("--link-partitions", type=int, default=0,
                   help="batches of components linked [default: spark.sql.shuffle.partitions]")
    p.add_argument("--checkpoint-dir", help="reliable checkpoints of the components' lineage")
    p.add_argument("--checkpoint-every", type=int, default=2, help="iterations between checkpoints")
    p.add_argument("--work-dir", help="driver-local scratch [default: a temporary folder]")
    p.add_argument("--csv-escape", choices=["formulas", "none"])
    p.add_argument("--format", choices=["csv", "parquet"], default="csv",
                   help="tables as CSV or Parquet, as for omni merge; with parquet, every table "
                        "is also written partitioned under OUT/parquet/ [default: csv]")
    p.add_argument("--timings", help="write each stage's seconds as JSON here")
    p.add_argument("--omni-arg", action="append", default=[],
                   help="a read option passed to omni (e.g. --omni-arg=--country=US); repeatable")
    return p.parse_args(argv)


def omni_path(binary):
    """The omni binary on this node: the path given, else a file shipped with --files."""
    if os.path.sep in binary and os.path.exists(binary):
        return binary
    shipped = SparkFiles.get(os.path.basename(binary))
    if os.path.exists(shipped):
        return shipped
    return shutil.which(binary) or binary


def omni(binary, args, allowed=(0,)):
    """Runs omni; an exit code outside `allowed` is an error. Gives (stdout, exit code)."""
    done = subprocess.run([omni_path(binary)] + args, capture_output=True, text=True)
    if done.returncode not in allowed:
        raise RuntimeError(f"omni {args[0]} {args[1]} failed ({done.returncode}): {done.stderr}")
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
    return done.stdout, done.returncode


class Timer:
    def __init__(self):
        self.stages = {}
        self.started = time.monotonic()

    def stage(self, name):
        timer = self

        class Stage:
            def __enter__(self):
                self.t = time.monotonic()

            def __exit__(self, *exc):
                timer.stages[name] = round(time.monotonic() - self.t, 2)

        return Stage()


def collect_arrow(df, schema):
    """A DataFrame into a pyarrow Table on the driver."""
    if hasattr(df, "toArrow"):
        return df.toArrow().cast(schema)
    batches = df._collect_as_arrow()
    if not batches:
        return schema.empty_table()
    return pa.Table.from_batches(batches).cast(schema)


# ---- connected components: large-star / small-star (Kiveris et al., SoCC 2014) ----

def _normalized(edges):
    return (edges.select(F.least("a", "b").alias("a"), F.greatest("a", "b").alias("b"))
            .where(F.col("a") != F.col("b")).distinct())


def _large_star(edges):
    both = edges.select(F.col("a").alias("u"), F.col("b").alias("v")).unionByName(
        edges.select(F.col("b").alias("u"), F.col("a").alias("v")))
    least = both.groupBy("u").agg(F.min("v").alias("m"))
    least = least.select("u", F.least("u", "m").alias("m"))
    return _normalized(both.join(least, "u").where(F.col("v") > F.col("u"))
                       .select(F.col("v").alias("a"), F.col("m").alias("b")))


def _small_star(edges):
    down = edges.select(F.col("b").alias("u"), F.col("a").alias("v"))  # to smaller neighbours
    least = down.groupBy("u").agg(F.min("v").alias("m"))
    spokes = down.join(least, "u").select(F.col("v").alias("a"), F.col("m").alias("b"))
    return _normalized(spokes.unionByName(least.select(F.col("u").alias("a"), F.col("m").alias("b"))))


def connected_components(edges, checkpoint_every=2, stats=None):
    """(a, b) edges -> (node, comp), comp the smallest node of its component; nodes without an
    edge are not listed. Alternates large-star and small-star until neither changes the edges:
    O(log^2 n) rounds, also on a long chain. Lineage is cut by a checkpoint every few rounds."""
    current = _normalized(edges).persist(StorageLevel.MEMORY_AND_DISK)
    size = current.count()
    rounds = 0
    while True:
        rounds += 1
        nxt = _small_star(_large_star(current))
        if rounds % checkpoint_every == 0:
            nxt = nxt.checkpoint()
        else:
            nxt = nxt.persist(StorageLevel.MEMORY_AND_DISK)
        nxt_size = nxt.count()
        same = nxt_size == size and nxt.subtract(current).isEmpty()
        current.unpersist()
        current, size = nxt, nxt_size
        if same:
            break
    if stats is not None:
        stats.append({"edges": size, "rounds": rounds})
    nodes = current.select(F.col("b").alias("node"), F.col("a").alias("comp")).unionByName(
        current.select(F.col("a").alias("node"), F.col("a").alias("comp")))
    return nodes.groupBy("node").agg(F.min("comp").alias("comp"))


def star_edges(pairs, key, node):
    """Each group of `pairs` by `key` as a star on its smallest `node`."""
    least = pairs.groupBy(key).agg(F.min(node).alias("m"))
    return (pairs.join(least, key).where(F.col(node) != F.col("m"))
            .select(F.col(node).alias("a"), F.col("m").alias("b")))


# ---- the stages ----

def extract(spark, binary, plan_text, sources):
    def run(batches):
        for batch in batches:
            for i in batch.column("id").to_pylist():
                with tempfile.TemporaryDirectory(prefix="omni-extract-") as d:
                    plan = os.path.join(d, "plan.json")
                    with open(plan, "w") as f:
                        f.write(plan_text)
                    out = os.path.join(d, "out")
                    omni(binary, ["stage", "extract", "--plan", plan, "--source", str(i),
                                  "--out", out])
                    table = pq.read_table(os.path.join(out, "records.parquet"))
                    yield from table.cast(EXTRACTED_ARROW).to_batches(max_chunksize=65536)
                    with open(os.path.join(out, "summary.json"), "rb") as f:
                        summary = f.read()
                    yield pa.record_batch([pa.array([-1 - i], pa.int64()),
                                           pa.array([None], pa.string()),
                                           pa.array([None], pa.string()),
                                           pa.array([summary], pa.binary())],
                                          schema=EXTRACTED_ARROW)

    return spark.range(0, sources, 1, sources).mapInArrow(run, EXTRACTED)


def link(batches, binary, plan_text, generic_text):
    def run(parts):
        tables = [pa.Table.from_batches([b]) for b in parts]
        if not tables:
            return
        table = pa.concat_tables(tables).select(["rec", "blob"])
        if table.num_rows == 0:
            return
        with tempfile.TemporaryDirectory(prefix="omni-link-") as d:
            paths = {name: os.path.join(d, name) for name in
                     ("plan.json", "generic.json", "in.parquet", "out.parquet")}
            with open(paths["plan.json"], "w") as f:
                f.write(plan_text)
            with open(paths["generic.json"], "w") as f:
                f.write(generic_text)
            pq.write_table(table, paths["in.parquet"], compression="none")
            del table, tables
            omni(binary, ["stage", "link", "--plan", paths["plan.json"], "--generic",
                          paths["generic.json"], "--in", paths["in.parquet"], "--out",
                          paths["out.parquet"]])
            out = pq.read_table(paths["out.parquet"]).cast(LINKED_ARROW)
            yield from out.to_batches(max_chunksize=65536)

    return batches.mapInArrow(run, LINKED)


def given_flag(plan):
    flags = F.array(*[F.lit(bool(g)) for g in plan["given_name"]] or [F.lit(False)])
    return F.element_at(flags, F.shiftright(F.col("rec"), ROW_BITS).cast("int") + 1)


def candidate_limit(plan):
    big = 2**62
    limits = F.array(*[F.lit(big if t is None else t).cast("long") for t in plan["candidate_above"]])
    ns = F.substring_index(F.col("id"), ":", 1).cast("int")
    return F.element_at(limits, ns + 1)


def generic_decisions(spark, args, work, plan, plan_path, records, occ, timer, stats):
    """Candidates (more holders than a limit), the raw components of every other identifier,
    and the decision of `omni stage generic`. Returns (raw components, candidate occurrences
    with their raw component, generic keys)."""
    with timer.stage("identifiers"):
        counts = occ.groupBy("id").agg(F.count("*").alias("records"))
        cand = counts.where(F.col("records") > candidate_limit(plan)).persist()
        stats["candidates"] = cand.count()
        occ_c = occ.join(F.broadcast(cand.select("id")), "id", "left_semi")
        occ_n = occ.join(F.broadcast(cand.select("id")), "id", "left_anti")
    with timer.stage("components-raw"):
        cc_stats = []
        raw = connected_components(star_edges(occ_n, "id", "rec"), args.checkpoint_every,
                                   cc_stats).persist(StorageLevel.MEMORY_AND_DISK)
        stats["raw_components"] = cc_stats[0]
    with timer.stage("generic"):
        cand_comp = (occ_c.join(raw, occ_c.rec == raw.node, "left")
                     .select("id", "rec", F.coalesce("comp", "rec").alias("comp"))
                     .persist(StorageLevel.MEMORY_AND_DISK))
        held = cand_comp.groupBy("id").agg(F.count("*").alias("records"),
                                          F.countDistinct("comp").alias("groups"))
        touched = cand_comp.select("id", "comp").distinct()
        named = (records.where(F.col("name").isNotNull()).select("rec", "name")
                 .join(raw, F.col("rec") == raw.node, "left")
                 .select(F.coalesce("comp", "rec").alias("comp"), "rec", "name"))
        names = (touched.join(named, "comp").withColumn("given", given_flag(plan))
                 .groupBy("id", "name", "given")
                 .agg(F.min(F.struct("comp", "rec")).alias("at"))
                 .select("id", "at.comp", "at.rec", "name"))
        candidates_path = os.path.join(work, "candidates.parquet")
        names_path = os.path.join(work, "names.parquet")
        pq.write_table(collect_arrow(held, pa.schema([("id", pa.string()), ("records", pa.int64()),
                                                      ("groups", pa.int64())])), candidates_path)
        pq.write_table(collect_arrow(names, pa.schema([("id", pa.string()), ("comp", pa.int64()),
                                                       ("rec", pa.int64()), ("name", pa.string())])),
                       names_path)
        generic_path = os.path.join(work, "generic.json")
        omni(args.omni_binary, ["stage", "generic", "--plan", plan_path, "--candidates",
                                candidates_path, "--names", names_path, "--out", generic_path])
        with open(generic_path) as f:
            generic_text = f.read()
        stats["generic"] = len(json.loads(generic_text))
    return raw, cand_comp, generic_text


def components(spark, args, raw, cand_comp, generic_text, records, timer, stats):
    """The components the link stage takes: raw components joined by the candidates that are
    not generic. Returns records with their component."""
    with timer.stage("components"):
        keys = [g["key"] for g in json.loads(generic_text)]
        generic = spark.createDataFrame([(k,) for k in keys], "id string")
        joining = cand_comp.join(F.broadcast(generic), "id", "left_anti")
        cc_stats = []
        final = connected_components(star_edges(joining, "id", "comp"), args.checkpoint_every,
                                     cc_stats)
        stats["components"] = cc_stats[0]
        with_raw = (records.select("rec", "blob").join(raw, F.col("rec") == raw.node, "left")
                    .select("rec", "blob", F.coalesce("comp", "rec").alias("raw")))
        return (with_raw.join(final, with_raw.raw == final.node, "left")
                .select(F.coalesce("comp", "raw").alias("comp"), "rec", "blob"))


def write_parquet(spark, out, target, buckets):
    """profiles.csv and links.csv as Parquet, partitioned by a hash bucket of the profile id."""
    import pyarrow.csv as pacsv

    for name in ("profiles", "links"):
        path = os.path.join(out, f"{name}.csv")
        if not os.path.exists(path):
            continue
        header = pacsv.read_csv(path, read_options=pacsv.ReadOptions(block_size=1 << 16)).schema
        types = {col: pa.string() for col in header.names}
        table = pacsv.read_csv(path, convert_options=pacsv.ConvertOptions(column_types=types,
                                                                          strings_can_be_null=False))
        df = spark.createDataFrame(table.to_pandas())
        df = df.withColumn("bucket", F.pmod(F.xxhash64("profile_id"), F.lit(buckets)))
        df.write.mode("overwrite").partitionBy("bucket").parquet(f"{target}/{name}")


# --format parquet: every table the driver wrote as OUT/NAME.parquet, as a dataset partitioned by
# a hash bucket of its key: the profile id where the table has one (rows of no profile, whose id
# is null, fall in one bucket), else the record (source, row).
DATASET_KEYS = {
    "profiles": ["profile_id"],
    "links": ["profile_id"],
    "edges": ["profile_id"],
    "refused": ["profile_id"],
    "contacts": ["profile_id"],
    "rejects": ["source", "row"],
}


def write_datasets(spark, out, target, buckets):
    """OUT/NAME.parquet (typed, from omni) as OUT/parquet/NAME/bucket=<n>/part-*.parquet."""
    for name, key in DATASET_KEYS.items():
        path = os.path.abspath(os.path.join(out, f"{name}.parquet"))
        df = spark.read.parquet("file://" + path)
        df = df.withColumn("bucket", F.pmod(F.xxhash64(*key), F.lit(buckets)))
        df.repartition("bucket").write.mode("overwrite").partitionBy("bucket").parquet(
            f"{target}/{name}")


def main(argv):
    args = parse_args(argv)
    timer = Timer()
    spark = SparkSession.builder.appName("omni").getOrCreate()
    spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    work = args.work_dir or tempfile.mkdtemp(prefix="omni-spark-")
    os.makedirs(work, exist_ok=True)
    spark.sparkContext.setCheckpointDir(args.checkpoint_dir or os.path.join(work, "checkpoints"))
    stats = {}
    plan_path = os.path.join(work, "plan.json")
    with timer.stage("plan"):
        omni(args.omni_binary, ["stage", "plan", "--plan", plan_path] + args.omni_arg + args.inputs)
        with open(plan_path) as f:
            plan_text = f.read()
        plan = json.loads(plan_text)
    with timer.stage("extract"):
        extracted = extract(spark, args.omni_binary, plan_text, len(plan["sources"]))
        extracted = extracted.persist(StorageLevel.MEMORY_AND_DISK)
        summaries = extracted.where(F.col("rec") < 0).select("rec", "blob").collect()
        summary_dir = os.path.join(work, "summaries")
        os.makedirs(summary_dir, exist_ok=True)
        for row in summaries:
            with open(os.path.join(summary_dir, f"summary-{-1 - row.rec}.json"), "wb") as f:
                f.write(row.blob)
        records = extracted.where(F.col("rec") >= 0)
        stats["records"] = records.count()
        occ = (records.where(F.col("ids").isNotNull())
               .select("rec", F.explode(F.split("ids", "\n")).alias("id"))
               .persist(StorageLevel.MEMORY_AND_DISK))
        stats["occurrences"] = occ.count()
    raw, cand_comp, generic_text = generic_decisions(spark, args, work, plan, plan_path, records,
                                                     occ, timer, stats)
    by_comp = components(spark, args, raw, cand_comp, generic_text, records, timer, stats)
    with timer.stage("link"):
        parts = args.link_partitions or int(spark.conf.get("spark.sql.shuffle.partitions"))
        batches = by_comp.repartition(parts, "comp").sortWithinPartitions("rec")
        linked = link(batches, args.omni_binary, plan_text, generic_text)
        linked_dir = os.path.join(work, "linked")
        if spark.sparkContext.master.startswith("local"):
            linked.write.mode("overwrite").parquet("file://" + os.path.abspath(linked_dir))
        else:
            os.makedirs(linked_dir, exist_ok=True)
            pq.write_table(collect_arrow(linked, LINKED_ARROW),
                           os.path.join(linked_dir, "linked.parquet"))
    with timer.stage("finish"):
        generic_path = os.path.join(work, "generic.json")
        finish = ["stage", "finish", "--plan", plan_path, "--generic", generic_path,
                  "--summaries", summary_dir, "--linked", linked_dir, "--out", args.out]
        if args.state:
            finish += ["--state", args.state]
        if args.csv_escape:
            finish += ["--csv-escape", args.csv_escape]
        finish += ["--format", args.format]
        # Exit 1: every output is written, but a file linked nobody (as `omni merge`): the job
        # goes on to the Parquet copies and then exits 1 too, after printing omni's message.
        out, finished = omni(args.omni_binary, finish, allowed=(0, 1))
        sys.stdout.write(out)
    with timer.stage("parquet"):
        target = args.parquet_out or "file://" + os.path.abspath(os.path.join(args.out, "parquet"))
        if args.format == "parquet":
            write_datasets(spark, args.out, target, args.buckets)
        else:
            write_parquet(spark, args.out, target, args.buckets)
    if args.timings:
        with open(args.timings, "w") as f:
            json.dump({"seconds": timer.stages, "stats": stats}, f, indent=1)
    if not args.work_dir:
        shutil.rmtree(work, ignore_errors=True)
    spark.stop()
    return finished


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

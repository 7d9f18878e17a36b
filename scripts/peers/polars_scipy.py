"""Peer: polars + scipy.sparse.csgraph.connected_components doing omni's job on the same files.

    python scripts/peers/polars_scipy.py EXPORTS_DIR OUT_DIR

Reads every export with polars (strings only), normalizes identifiers with polars expressions
(common.py says how), numbers distinct identifiers (by hash), builds the record-identifier graph as a
sparse matrix, runs scipy's connected components and writes `OUT_DIR/profiles.csv`
(source, row, profile) for every record with at least one identifier. Prints one JSON line:
records, identified records, profiles, stage timings.
"""
import pathlib
import sys

import numpy as np
import polars as pl
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from common import (
    EMAIL_SHAPE,
    FLOAT_SHAPE,
    JUNK_EMAIL_DOMAINS,
    JUNK_EMAIL_LOCALS,
    REPEATED_10,
    YANDEX_ALIASES,
    Clock,
    files,
)


def read(path: pathlib.Path, source: dict) -> pl.DataFrame:
    if path.suffix == ".parquet":
        return pl.read_parquet(path)
    data = path if source["encoding"] == "utf8" else path.read_bytes().decode(source["encoding"]).encode()
    return pl.read_csv(data, separator=source["sep"], infer_schema=False)


def unfloat(s: pl.Expr) -> pl.Expr:
    """`7.9161234567E10` -> `79161234567` (spreadsheet floats), other values unchanged."""
    as_int = s.str.replace(",", ".", literal=True).cast(pl.Float64, strict=False).cast(pl.Int64, strict=False)
    return pl.when(s.str.contains(FLOAT_SHAPE)).then(as_int.cast(pl.String)).otherwise(s)


def email(raw: pl.Expr) -> pl.Expr:
    e = raw.str.strip_chars().str.to_lowercase()
    domain = e.str.replace(r"^[^@]*@", "")
    domain = (
        pl.when(domain.is_in(YANDEX_ALIASES))
        .then(pl.lit("yandex.ru"))
        .when(domain == "googlemail.com")
        .then(pl.lit("gmail.com"))
        .otherwise(domain)
    )
    local = e.str.replace(r"@.*$", "").str.replace(r"\+.*$", "")
    local = pl.when(domain == "gmail.com").then(local.str.replace_all(".", "", literal=True)).otherwise(local)
    ok = e.str.contains(EMAIL_SHAPE) & ~local.is_in(JUNK_EMAIL_LOCALS) & ~domain.is_in(JUNK_EMAIL_DOMAINS)
    return pl.when(ok).then("e:" + local + "@" + domain)


def phone(raw: pl.Expr) -> pl.Expr:
    s = unfloat(raw.str.strip_chars())
    digits = s.str.replace_all(r"[^0-9]", "")
    n = digits.str.len_bytes()
    e164 = (
        pl.when(s.str.starts_with("+"))
        .then(digits)
        .when(digits.str.starts_with("00"))
        .then(digits.str.slice(2))
        .when((n == 11) & digits.str.contains("^[78]"))
        .then("7" + digits.str.slice(1))
        .when(n == 10)
        .then("7" + digits)
        .otherwise(digits)
    )
    ok = e164.str.len_bytes().is_between(11, 15) & ~e164.str.slice(-10).str.contains(REPEATED_10)
    return pl.when(ok).then("p:+" + e164)


def card(raw: pl.Expr) -> pl.Expr:
    c = unfloat(raw.str.strip_chars()).str.to_uppercase().str.replace_all(r"[^0-9A-ZА-ЯЁ]", "")
    c = c.str.strip_chars_start("0")
    return pl.when(c.str.len_chars() >= 4).then("c:" + c)


NORMALIZE = {"email": email, "phone": phone, "card": card}


def main() -> None:
    exports, out = sys.argv[1], pathlib.Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    clock = Clock()
    names, offsets, keys = [], [0], []
    for name, path, source in files(exports):
        df = read(path, source)
        base = offsets[-1]
        rec = pl.int_range(base, base + df.height, dtype=pl.Int64).alias("rec")
        for kind, normalize in NORMALIZE.items():
            for column in source[kind]:
                keys.append(df.select(rec, normalize(pl.col(column)).alias("key")).drop_nulls("key"))
        names.append(name)
        offsets.append(base + df.height)
    clock.lap("read+normalize")

    records = offsets[-1]
    # Dense identifier ids from a rank of the keys' 64-bit hashes: ten times faster than ranking
    # the strings, and two of 2M distinct keys collide with odds of about 1 in 10 million.
    edges = pl.concat(keys).with_columns(kid=pl.col("key").hash().rank("dense").cast(pl.Int64) - 1)
    rows = edges["rec"].to_numpy()
    cols = records + edges["kid"].to_numpy()
    vertices = records + (int(edges["kid"].max()) + 1 if edges.height else 0)
    clock.lap("number identifiers")

    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(vertices, vertices)).tocsr()
    _, labels = connected_components(graph, directed=False)
    clock.lap("connected components")

    identified = np.zeros(records, dtype=bool)
    identified[rows] = True
    rec = np.flatnonzero(identified)
    source_of = np.searchsorted(np.array(offsets), rec, side="right") - 1
    profile = labels[rec]
    pl.DataFrame(
        {
            "source": pl.Series(names).gather(source_of),
            "row": rec - np.array(offsets)[source_of] + 1,
            "profile": profile,
        }
    ).write_csv(out / "profiles.csv")
    clock.lap("write")
    clock.report(records=records, identified=int(rec.size), profiles=int(np.unique(profile).size))


if __name__ == "__main__":
    main()

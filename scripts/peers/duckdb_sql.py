"""Peer: DuckDB SQL with min-label propagation doing omni's job on the same files.

    python scripts/peers/duckdb_sql.py EXPORTS_DIR OUT_DIR

The warehouse way (dbt-id-stitching, sql-identity-resolution): DuckDB reads the exports itself
(CSV, gzipped CSV, Parquet; the Windows-1251 file is converted to UTF-8 first, as DuckDB reads
only UTF-8 without its downloadable `encodings` extension), one SQL statement per source and
kind normalizes identifiers into an edge table (record, identifier id), and min-label
propagation runs to a fixed point: every identifier takes the smallest label of its records,
every record the smallest label of its identifiers. Writes `OUT_DIR/profiles.csv` (source, row,
profile) for every record with at least one identifier and prints one JSON line: records,
identified records, profiles, rounds, stage timings.
"""
import pathlib
import sys

import duckdb

from common import (
    EMAIL_SHAPE,
    FLOAT_SHAPE,
    JUNK_EMAIL_DOMAINS,
    JUNK_EMAIL_LOCALS,
    REPEATED_10,
    YANDEX_ALIASES,
    Clock,
    files,
    utf8_copy,
)


def sql_list(values) -> str:
    return "(" + ", ".join("'" + v + "'" for v in values) + ")"


def unfloat(x: str) -> str:
    """`7.9161234567E10` -> `79161234567` (spreadsheet floats), other values unchanged."""
    return (
        f"CASE WHEN regexp_matches({x}, '{FLOAT_SHAPE}') "
        f"THEN CAST(TRY_CAST(replace({x}, ',', '.') AS DOUBLE) AS BIGINT)::VARCHAR ELSE {x} END"
    )


def email(col: str) -> str:
    return f"""
    WITH a AS (SELECT rec, lower(trim({col})) AS e FROM src WHERE {col} IS NOT NULL),
    b AS (SELECT rec, e, split_part(e, '@', 1) AS l0, split_part(e, '@', 2) AS d0 FROM a
          WHERE regexp_matches(e, '{EMAIL_SHAPE}')),
    c AS (SELECT rec, split_part(l0, '+', 1) AS l1,
                 CASE WHEN d0 IN {sql_list(YANDEX_ALIASES)} THEN 'yandex.ru'
                      WHEN d0 = 'googlemail.com' THEN 'gmail.com' ELSE d0 END AS d FROM b)
    SELECT rec, 'e:' || CASE WHEN d = 'gmail.com' THEN replace(l1, '.', '') ELSE l1 END || '@' || d AS key
    FROM c WHERE l1 NOT IN {sql_list(JUNK_EMAIL_LOCALS)} AND d NOT IN {sql_list(JUNK_EMAIL_DOMAINS)}"""


def phone(col: str) -> str:
    return f"""
    WITH a AS (SELECT rec, {unfloat(f"trim({col})")} AS s FROM src WHERE {col} IS NOT NULL),
    b AS (SELECT rec, s, regexp_replace(s, '[^0-9]', '', 'g') AS d FROM a),
    c AS (SELECT rec, CASE WHEN starts_with(s, '+') THEN d
                           WHEN starts_with(d, '00') THEN substr(d, 3)
                           WHEN length(d) = 11 AND left(d, 1) IN ('7', '8') THEN '7' || substr(d, 2)
                           WHEN length(d) = 10 THEN '7' || d ELSE d END AS e FROM b)
    SELECT rec, 'p:+' || e AS key FROM c
    WHERE length(e) BETWEEN 11 AND 15 AND NOT regexp_matches(right(e, 10), '{REPEATED_10}')"""


def card(col: str) -> str:
    return f"""
    WITH a AS (SELECT rec, {unfloat(f"trim({col})")} AS s FROM src WHERE {col} IS NOT NULL),
    b AS (SELECT rec, ltrim(regexp_replace(upper(s), '[^0-9A-ZА-ЯЁ]', '', 'g'), '0') AS c FROM a)
    SELECT rec, 'c:' || c AS key FROM b WHERE length(c) >= 4"""


NORMALIZE = {"email": email, "phone": phone, "card": card}


def main() -> None:
    exports, out = sys.argv[1], pathlib.Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    clock = Clock()
    db = duckdb.connect()  # in memory; DuckDB spills to a temporary folder if it must
    db.execute("CREATE TABLE keys (rec BIGINT, key VARCHAR)")
    db.execute("CREATE TABLE records (source VARCHAR, first BIGINT, rows BIGINT)")
    offset = 0
    for name, path, source in files(exports):
        if path.suffix == ".parquet":
            scan = f"read_parquet('{path}')"
        else:
            data = utf8_copy(path, source["encoding"], out)
            scan = f"read_csv('{data}', delim='{source['sep']}', header=true, all_varchar=true, quote='\"')"
        db.execute(f"CREATE OR REPLACE TEMP TABLE src AS SELECT {offset} + row_number() OVER () - 1 AS rec, * FROM {scan}")
        rows = db.execute("SELECT count(*) FROM src").fetchone()[0]
        db.execute("INSERT INTO records VALUES (?, ?, ?)", [name, offset, rows])
        for kind, normalize in NORMALIZE.items():
            for column in source[kind]:
                db.execute(f"INSERT INTO keys {normalize(chr(34) + column + chr(34))}")
        offset += rows
    db.execute("DROP TABLE src")
    clock.lap("read+normalize")

    # Integer identifier ids, so the propagation joins integers rather than strings.
    db.execute("""CREATE TABLE ids AS SELECT key, row_number() OVER () AS kid FROM (SELECT DISTINCT key FROM keys)""")
    db.execute("CREATE TABLE edges AS SELECT DISTINCT k.rec, i.kid FROM keys k JOIN ids i USING (key)")
    db.execute("DROP TABLE keys; DROP TABLE ids")
    db.execute("CREATE TABLE label AS SELECT DISTINCT rec, rec AS label FROM edges")
    clock.lap("number identifiers")

    rounds = 0
    while True:
        rounds += 1
        db.execute("""
            CREATE OR REPLACE TABLE next AS
            WITH id_label AS (SELECT e.kid, min(l.label) AS label FROM edges e JOIN label l USING (rec) GROUP BY e.kid)
            SELECT e.rec, min(i.label) AS label FROM edges e JOIN id_label i USING (kid) GROUP BY e.rec""")
        changed = db.execute("SELECT count(*) FROM next n JOIN label l USING (rec) WHERE n.label < l.label").fetchone()[0]
        db.execute("DROP TABLE label; ALTER TABLE next RENAME TO label")
        if changed == 0:
            break
    clock.lap("label propagation")

    db.execute(f"""
        COPY (SELECT r.source, l.rec - r.first + 1 AS row, l.label AS profile
              FROM label l JOIN records r ON l.rec >= r.first AND l.rec < r.first + r.rows
              ORDER BY l.rec)
        TO '{out / "profiles.csv"}' (HEADER)""")
    clock.lap("write")
    identified, profiles = db.execute("SELECT count(*), count(DISTINCT label) FROM label").fetchone()
    clock.report(records=offset, identified=identified, profiles=profiles, rounds=rounds)


if __name__ == "__main__":
    main()

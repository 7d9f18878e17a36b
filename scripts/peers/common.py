"""What every peer in scripts/peers/ shares: which file holds which identifier columns, and the
one simple normalization all peers apply (each in its own engine).

The peers do omni's job the way a data engineer would script it for these exports: read the five
files of `examples/gen.rs` (web shop CSV, app Parquet, Windows-1251 loyalty CSV, gzipped `|` till
receipts, email list CSV with a BOM) as they are, normalize emails, phones and cards, link records
that share an identifier, take connected components, and write one profile label per record.
Unlike omni they are told the columns (no role detection) and apply no over-merge guards, so
their profile counts are compared with omni's *guards off* run.

Normalization (the same in every peer, a plain subset of omni's):
- email: trim, lowercase; drop a `+tag` from the local part; gmail/googlemail without dots in
  the local part, googlemail.com -> gmail.com, yandex aliases (ya.ru, yandex.com/.by/.kz/.ua)
  -> yandex.ru; must look like `x@y.z`; junk: local part `noemail`, `noreply`, `test`, ... or an
  example/test/mailinator domain;
- phone: a spreadsheet float (`7.9161234567E10`) becomes its integer; keep the digits; with a
  leading `+` they are the number; a leading `00` is the international call prefix (`0044 7…`
  -> `447…`); else 11 digits starting 7 or 8 are Russian (`+7` + last 10)
  and 10 digits get `+7` (the data is mostly Russian); 11-15 digits in all, else dropped; junk:
  the last 10 digits are one repeated digit;
- card: a spreadsheet float becomes its integer; keep letters and digits, uppercase, strip
  leading zeros; 4 or more characters.

The international set (`gen --preset international`, issue 19) is plain UTF-8 CSV in five files
with a `country` column in three of them; the peers read it with the same rules and, as a script
author would, ignore the country column: national forms of foreign numbers (`(415) 555-0123`,
`020 7946 0958`, `06 12 34 56 78` next to `US`/`GB`/`FR`) are read by the Russian rule or dropped,
where omni reads them with the row's country and libphonenumber.

Identifiers are namespaced (`e:`, `p:`, `c:`) so an email never meets a phone.
"""
from __future__ import annotations

import json
import pathlib
import sys
import time

# File name -> how to read it and the columns that carry identifiers.
SOURCES = {
    "web_shop.csv": {"sep": ",", "encoding": "utf8", "email": ["email"], "phone": ["phone"], "card": []},
    "mobile_app.parquet": {"email": ["email"], "phone": ["phone"], "card": []},
    "loyalty.csv": {
        "sep": ";",
        "encoding": "cp1251",
        "email": ["E-mail"],
        "phone": ["Телефон"],
        "card": ["Номер карты"],
    },
    "pos_receipts.csv.gz": {"sep": "|", "encoding": "utf8", "email": [], "phone": ["phone"], "card": ["card"]},
    "email_list.csv": {"sep": ";", "encoding": "utf8", "email": ["email"], "phone": [], "card": []},
}

# The international set: every file plain UTF-8 CSV with commas.
INTERNATIONAL_SOURCES = {
    "web_shop.csv": {"sep": ",", "encoding": "utf8", "email": ["email"], "phone": ["phone"], "card": []},
    "mobile_app.csv": {"sep": ",", "encoding": "utf8", "email": ["email"], "phone": ["phone"], "card": []},
    "loyalty.csv": {"sep": ",", "encoding": "utf8", "email": ["email"], "phone": ["phone"], "card": ["card_number"]},
    "pos_receipts.csv": {"sep": ",", "encoding": "utf8", "email": [], "phone": ["phone"], "card": ["card"]},
    "email_list.csv": {"sep": ",", "encoding": "utf8", "email": ["email"], "phone": [], "card": []},
}

JUNK_EMAIL_LOCALS = ["noemail", "no-email", "no_email", "nomail", "noreply", "no-reply", "donotreply", "none", "test", "null"]
JUNK_EMAIL_DOMAINS = ["example.com", "example.org", "example.net", "test.com", "test.ru", "mailinator.com"]
YANDEX_ALIASES = ["ya.ru", "yandex.com", "yandex.by", "yandex.kz", "yandex.ua"]

EMAIL_SHAPE = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
FLOAT_SHAPE = r"^[0-9]+([.,][0-9]+)?[eE][+]?[0-9]+$"
# The last 10 digits one digit repeated (0000000000, 1111111111, ...): junk phones.
REPEATED_10 = "^(" + "|".join(d * 10 for d in "0123456789") + ")$"


def files(folder: str) -> list[tuple[str, pathlib.Path, dict]]:
    """The export files in `folder` in name order, each with its source entry (the retail set
    has `mobile_app.parquet`, the international set `mobile_app.csv`)."""
    paths = sorted(pathlib.Path(folder).iterdir())
    retail = any(p.name == "mobile_app.parquet" for p in paths)
    sources = SOURCES if retail else INTERNATIONAL_SOURCES
    out = []
    for path in paths:
        if path.name not in sources:
            sys.exit(f"{path}: unknown export (peers know {', '.join(sources)})")
        out.append((path.name.split(".")[0], path, sources[path.name]))
    return out


def utf8_copy(path: pathlib.Path, encoding: str, tmp: pathlib.Path) -> pathlib.Path:
    """A UTF-8 copy of a file in another encoding (what `iconv` would do before loading)."""
    if encoding == "utf8":
        return path
    out = tmp / (path.name + ".utf8")
    out.write_bytes(path.read_bytes().decode(encoding).encode("utf-8"))
    return out


class Clock:
    """Stage timings, printed with the result as one JSON line on stdout."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.stages: dict[str, float] = {}

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.stages[stage] = round(now - self.last, 2)
        self.last = now

    def report(self, **counts) -> None:
        print(json.dumps({**counts, "stages_s": self.stages, "total_s": round(time.perf_counter() - self.start, 2)}))

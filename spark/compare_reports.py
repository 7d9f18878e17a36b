#!/usr/bin/env python3
"""Compares two report.json files, ignoring what differs between any two runs (timestamps,
the out dir's path, timings). Exit 1 and the differing keys when the metrics differ."""
import json
import sys

IGNORED = {"generated_at", "written_at", "previous_run_at", "out_dir", "elapsed_seconds"}


def strip(value):
    if isinstance(value, dict):
        return {k: strip(v) for k, v in value.items() if k not in IGNORED}
    if isinstance(value, list):
        return [strip(v) for v in value]
    return value


def diff(a, b, path=""):
    if type(a) is not type(b):
        yield path
    elif isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            yield from diff(a.get(k), b.get(k), f"{path}.{k}")
    elif isinstance(a, list):
        if len(a) != len(b):
            yield path + "[len]"
        for i, (x, y) in enumerate(zip(a, b)):
            yield from diff(x, y, f"{path}[{i}]")
    elif a != b:
        yield path


def main(left, right):
    with open(left) as f:
        a = strip(json.load(f))
    with open(right) as f:
        b = strip(json.load(f))
    different = list(diff(a, b))
    if different:
        print("report.json differs at:", *different[:20], sep="\n  ")
        return 1
    print("same report.json metrics")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

#!/usr/bin/env python3
"""Where each stage of `omni merge` spends its CPU: a sampling profile cut by stage.

    scripts/stage-profile.py [--top N] [--freq HZ] OMNI merge ARGS...

Runs the command under `perf record` (CLOCK_MONOTONIC timestamps) with OMNI_TIMINGS=1, stamps
each `omni: timing:` line as it arrives on stderr with the same clock, and gives every sample
to the stage whose window holds it (a stage's window ends at its timing line). Prints, per
stage, its wall time, its sampled CPU and the functions that took the most samples (self time,
every thread). The `report` window also holds the table writing that runs beside the report,
so its functions are listed as they come. Needs `perf` (linux-perf) and a binary with symbols
(the release profile keeps them: `debug = 1`).
"""

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

TIMING = re.compile(r"omni: timing: (\S+)\s+([\d.]+) s")


def record(command, freq, data):
    """Runs `command` under perf; returns [(stage, monotonic end, wall s)] in order."""
    env = dict(os.environ, OMNI_TIMINGS="1")
    perf = ["perf", "record", "-q", "-k", "CLOCK_MONOTONIC", "-F", str(freq), "-o", data, "--"]
    proc = subprocess.Popen(perf + command, env=env, stderr=subprocess.PIPE, text=True)
    stages = []
    for line in proc.stderr:
        now = time.monotonic()
        found = TIMING.search(line)
        if found:
            stages.append((found.group(1), now, float(found.group(2))))
        else:
            sys.stderr.write(line)
    if proc.wait() != 0:
        sys.exit(f"stage-profile: the command exited with {proc.returncode}")
    return stages


def samples(data):
    """(timestamp, symbol) for every sample of the recording."""
    out = subprocess.run(
        ["perf", "script", "-i", data, "-F", "time,ip,sym", "--ns"],
        capture_output=True, text=True, check=True,
    ).stdout
    for line in out.splitlines():
        head, _, rest = line.strip().partition(":")
        try:
            stamp = float(head)
        except ValueError:
            continue
        # `ip sym`: the address, then the symbol (absent where perf has none).
        _, _, symbol = rest.strip().partition(" ")
        yield stamp, short(symbol.strip() or "?")


def short(symbol):
    """A symbol without its hash suffix and offset, generics folded to `<..>`."""
    symbol = re.sub(r"::h[0-9a-f]{16}", "", symbol)
    symbol = re.sub(r"\+0x[0-9a-f]+$", "", symbol)
    while True:
        folded = re.sub(r"<[^<>]*>", "<..>", symbol)
        if folded == symbol:
            return symbol
        symbol = folded


def stage_of(stamp, stages):
    for name, end, _ in stages:
        if stamp <= end:
            return name
    return "exit"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--top", type=int, default=12)
    parser.add_argument("--freq", type=int, default=499)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if not args.command:
        parser.error("give the omni command to profile")
    if shutil.which("perf") is None:
        sys.exit("stage-profile: perf is missing (Debian: apt-get install linux-perf)")
    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "perf.data")
        stages = record(args.command, args.freq, data)
        per_stage = collections.defaultdict(collections.Counter)
        for stamp, symbol in samples(data):
            per_stage[stage_of(stamp, stages)][symbol] += 1
    walls = {name: wall for name, _, wall in stages}
    total = sum(sum(c.values()) for c in per_stage.values())
    print(f"{total / args.freq:.2f} s CPU sampled at {args.freq} Hz")
    for name in [s[0] for s in stages] + ["exit"]:
        counts = per_stage.get(name)
        if not counts:
            continue
        n = sum(counts.values())
        wall = walls.get(name)
        wall_text = f"{wall:.2f} s wall, " if wall is not None else ""
        print(f"\n== {name}: {wall_text}{n / args.freq:.2f} s CPU ({100 * n / total:.1f}% of the run)")
        for symbol, k in counts.most_common(args.top):
            print(f"  {100 * k / n:5.1f}%  {k / args.freq:6.2f} s  {symbol[:110]}")


if __name__ == "__main__":
    main()

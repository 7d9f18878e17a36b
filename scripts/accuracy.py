"""Pairwise precision and recall of an omni run against the generator's ground truth.

    python3 scripts/accuracy.py OUT_DIR TRUTH.csv

Prints omni's figures and those of exact matching on the truth file's canonical identifiers
(the oracle), and checks that omni links everything the oracle links. The same computation as
tests/cli/accuracy.rs, for data sets too large for a debug-mode test.
"""
import csv
import sys
from collections import Counter


def pairs(n):
    return n * (n - 1) // 2


def pairwise(cluster, person):
    by_c, by_p, by_cp = Counter(), Counter(), Counter()
    for c, p in zip(cluster, person):
        by_p[p] += 1
        if c:
            by_c[c] += 1
            by_cp[(c, p)] += 1
    predicted = sum(pairs(n) for n in by_c.values())
    truth = sum(pairs(n) for n in by_p.values())
    correct = sum(pairs(n) for n in by_cp.values())
    return correct / predicted if predicted else 1.0, correct / truth if truth else 1.0


def oracle(identifiers):
    parent = list(range(len(identifiers)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first = {}
    for i, ids in enumerate(identifiers):
        for ident in filter(None, ids.split("|")):
            j = first.setdefault(ident, i)
            a, b = find(i), find(j)
            parent[max(a, b)] = min(a, b)
    return [str(find(i)) if ids else "" for i, ids in enumerate(identifiers)]


def main(out_dir, truth_path):
    with open(f"{out_dir}/links.csv", newline="", encoding="utf-8") as f:
        profile_of = {(r["source"], r["row"]): r["profile_id"] for r in csv.DictReader(f)}
    with open(truth_path, newline="", encoding="utf-8") as f:
        truth = list(csv.DictReader(f))
    omni = [profile_of[(r["source"], r["row"])] for r in truth]
    person = [r["person_id"] for r in truth]
    exact = oracle([r["identifiers"] for r in truth])
    split = 0
    seen = {}
    for o, c in zip(exact, omni):
        if o and seen.setdefault(o, c) != c:
            split += 1
    p, r = pairwise(omni, person)
    ep, er = pairwise(exact, person)
    print(f"rows {len(truth)}")
    print(f"omni            precision {p:.4f}  recall {r:.4f}")
    print(f"exact matching  precision {ep:.4f}  recall {er:.4f}")
    print(f"oracle clusters split by omni: {split}")
    return 1 if split else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))

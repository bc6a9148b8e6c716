"""Compares two feature CSVs of `fmcib predict` (SavePredictions: the input CSV's columns, then
pred_0 ... pred_N) row by row: the same rows in the same order, and every row's feature vector
within a relative L2 tolerance, ||a - b|| / ||b|| <= rtol (b: the reference run).

Prints one line `rows=R features=F max_rel=X max_abs=Y ref_norm_min=Z` and exits 0 when every row
is within rtol, 1 otherwise, 2 on unreadable or mismatching files.

Usage: python3 scripts/gpu/compare_features.py CANDIDATE.csv REFERENCE.csv [--rtol 1e-3]
"""
import argparse
import csv
import math
import sys


def read(path):
    try:
        with open(path, newline="") as f:
            rows = list(csv.reader(f))
    except OSError as e:
        print(f"compare_features: cannot read {path}: {e}", file=sys.stderr)
        sys.exit(2)
    if not rows:
        print(f"compare_features: {path} is empty", file=sys.stderr)
        sys.exit(2)
    header, body = rows[0], rows[1:]
    cols = [i for i, h in enumerate(header) if h.startswith("pred_")]
    if not cols or not body:
        print(f"compare_features: {path} has no pred_* columns or no rows", file=sys.stderr)
        sys.exit(2)
    keys = [tuple(r[i] for i in range(len(r)) if i not in cols) for r in body]
    try:
        feats = [[float(r[i]) for i in cols] for r in body]
    except (ValueError, IndexError) as e:
        print(f"compare_features: {path}: bad feature value ({e})", file=sys.stderr)
        sys.exit(2)
    return header, keys, feats


def main():
    p = argparse.ArgumentParser()
    p.add_argument("candidate")
    p.add_argument("reference")
    p.add_argument("--rtol", type=float, default=1e-3)
    a = p.parse_args()
    ha, ka, fa = read(a.candidate)
    hb, kb, fb = read(a.reference)
    if ha != hb or ka != kb:
        print(f"compare_features: {a.candidate} and {a.reference} differ in columns or rows", file=sys.stderr)
        sys.exit(2)
    max_rel = max_abs = 0.0
    ref_norm_min = math.inf
    for x, y in zip(fa, fb):
        if not all(math.isfinite(v) for v in x + y):
            print("compare_features: non-finite feature", file=sys.stderr)
            sys.exit(1)
        diff = math.sqrt(sum((u - v) ** 2 for u, v in zip(x, y)))
        norm = math.sqrt(sum(v * v for v in y))
        ref_norm_min = min(ref_norm_min, norm)
        max_rel = max(max_rel, diff / norm if norm > 0 else (0.0 if diff == 0 else math.inf))
        max_abs = max(max_abs, max(abs(u - v) for u, v in zip(x, y)))
    print(f"rows={len(fa)} features={len(fa[0])} max_rel={max_rel:.3e} max_abs={max_abs:.3e} "
          f"ref_norm_min={ref_norm_min:.3e}")
    sys.exit(0 if max_rel <= a.rtol and ref_norm_min > 0 else 1)


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Writes the drift benchmark's tables: a reference and a current table of N rows x 25
columns (20 numeric, 5 categorical), as CSV (what mlloop reads) and as one .npz (what the
SciPy side loads, so that its timing is the statistics alone).

Seeded and deterministic. About half of the features drift in the current table: shifted
or rescaled numeric columns, re-weighted categories, a few missing values and ties, so
every code path (missing values, ties, new categories) is exercised.

Usage: make_drift_tables.py OUT_DIR [ROWS]   (ROWS defaults to 1,000,000)
"""
import os
import sys

import numpy as np


def numeric_columns(rng, n, current):
    cols = []
    for j in range(20):
        drifted = current and j % 2 == 0
        kind = j % 4
        if kind == 0:
            x = rng.normal(0.3 * drifted, 1.0, n)
        elif kind == 1:
            x = rng.lognormal(0.0, 0.5 + 0.2 * drifted, n)
        elif kind == 2:
            x = rng.uniform(0.0, 1.0 + 0.2 * drifted, n)
        else:
            # Ties: a rounded gamma, as counts and prices are.
            x = np.round(rng.gamma(2.0 + drifted, 3.0, n), 1)
        if j % 5 == 1:
            x[rng.random(n) < 0.02] = np.nan
        cols.append(x.astype(np.float32))
    return cols


def categorical_columns(rng, n, current):
    cols = []
    for j, k in enumerate([3, 7, 12, 30, 60]):
        weights = np.arange(1, k + 1, dtype=np.float64)[::-1]
        if current and j % 2 == 0:
            weights = weights[::-1].copy()  # popular categories become rare
        weights /= weights.sum()
        cols.append(rng.choice(k, size=n, p=weights).astype(np.int32))
    return cols


def write_csv(path, numeric, categorical):
    n = numeric[0].shape[0]
    header = ",".join([f"x{j}" for j in range(20)] + [f"c{j}" for j in range(5)])
    table = np.empty((n, 25), dtype=object)
    with open(path, "w") as out:
        out.write(header + "\n")
        step = 100_000
        for start in range(0, n, step):
            stop = min(n, start + step)
            parts = []
            for x in numeric:
                s = np.char.mod("%.9g", x[start:stop].astype(np.float64))  # round-trips float32
                s[np.isnan(x[start:stop])] = ""
                parts.append(s)
            for c in categorical:
                parts.append(np.char.add("v", c[start:stop].astype(str)))
            rows = parts[0]
            for p in parts[1:]:
                rows = np.char.add(np.char.add(rows, ","), p)
            out.write("\n".join(rows.tolist()))
            out.write("\n")
    del table


def main():
    out_dir = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    os.makedirs(out_dir, exist_ok=True)
    arrays = {}
    for side, seed in (("reference", 20261122), ("current", 20261123)):
        rng = np.random.default_rng(seed)
        numeric = numeric_columns(rng, n, side == "current")
        categorical = categorical_columns(rng, n, side == "current")
        write_csv(os.path.join(out_dir, f"{side}.csv"), numeric, categorical)
        for j, x in enumerate(numeric):
            arrays[f"{side}_x{j}"] = x
        for j, c in enumerate(categorical):
            arrays[f"{side}_c{j}"] = c
    np.savez(os.path.join(out_dir, "tables.npz"), **arrays)


if __name__ == "__main__":
    main()

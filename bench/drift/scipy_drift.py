#!/usr/bin/python3
"""The SciPy side of the drift benchmark: the same statistics mlloop computes, column by
column, on the arrays make_drift_tables.py saved (loading is not timed).

Numeric columns (missing values dropped): KS two-sample (scipy.stats.ks_2samp, method
'auto'), Wasserstein-1 normalised by the reference's std (scipy.stats.wasserstein_distance),
and on 10 equal-width bins over the pooled range (np.histogram_bin_edges, as Evidently and
mlloop bin): PSI (shares floored at 1e-4) and Jensen-Shannon distance (base 2,
scipy.spatial.distance.jensenshannon). Categorical columns: chi-squared on the 2 x k
contingency table (scipy.stats.chi2_contingency, no correction) and Jensen-Shannon on the
category shares.

Usage: scipy_drift.py TABLES.npz OUT.json [REPEATS]
Writes {"seconds": best of REPEATS, "features": {name: {method: value}}}.
"""
import json
import sys
import time

import numpy as np
from scipy import stats
from scipy.spatial import distance


def numeric(ref, cur):
    ref = ref[~np.isnan(ref)].astype(np.float64)
    cur = cur[~np.isnan(cur)].astype(np.float64)
    ks = stats.ks_2samp(ref, cur)
    w = stats.wasserstein_distance(ref, cur) / max(np.std(ref), 1e-3)
    edges = np.histogram_bin_edges(np.concatenate([ref, cur]), bins=10)
    r = np.histogram(ref, edges)[0] / len(ref)
    c = np.histogram(cur, edges)[0] / len(cur)
    rf, cf = np.maximum(r, 1e-4), np.maximum(c, 1e-4)
    psi = float(np.sum((cf - rf) * np.log(cf / rf)))
    js = float(distance.jensenshannon(r, c, base=2))
    return {"ks": float(ks.statistic), "ks_p": float(ks.pvalue), "wasserstein": float(w),
            "psi": psi, "jensenshannon": js}


def categorical(ref, cur):
    k = int(max(ref.max(), cur.max())) + 1
    r = np.bincount(ref, minlength=k)
    c = np.bincount(cur, minlength=k)
    keep = (r + c) > 0
    chi = stats.chi2_contingency(np.vstack([r[keep], c[keep]]), correction=False)
    js = float(distance.jensenshannon(r / r.sum(), c / c.sum(), base=2))
    return {"chisquare": float(chi[0]), "chisquare_p": float(chi[1]), "jensenshannon": js}


def run(tables):
    out = {}
    for j in range(20):
        out[f"x{j}"] = numeric(tables[f"reference_x{j}"], tables[f"current_x{j}"])
    for j in range(5):
        out[f"c{j}"] = categorical(tables[f"reference_c{j}"], tables[f"current_c{j}"])
    return out


def main():
    data = np.load(sys.argv[1])
    tables = {k: data[k] for k in data.files}
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    best = None
    for _ in range(repeats):
        start = time.perf_counter()
        features = run(tables)
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    with open(sys.argv[2], "w") as f:
        json.dump({"seconds": best, "features": features}, f, indent=1)
    print(f"scipy: {best:.3f} s")


if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Checks that mlloop's drift report (JSON) and the SciPy side (scipy_drift.py's JSON) agree
statistic by statistic, and prints the largest relative difference of each.

Usage: compare_results.py MLLOOP.json SCIPY.json   (exit 1 when a difference exceeds 1e-9)
"""
import json
import sys

TOLERANCE = 1e-9


def main():
    ours = json.load(open(sys.argv[1]))
    scipy = json.load(open(sys.argv[2]))["features"]
    worst = {}
    compared = 0
    for f in ours["features"]:
        entries = [{"method": f["method"], "statistic": f["statistic"], "p_value": f["p_value"]}]
        entries += f["statistics"]
        for e in entries:
            ref = scipy[f["name"]]
            for key, value in ((e["method"], e["statistic"]), (e["method"] + "_p", e["p_value"])):
                if key not in ref or value is None:
                    continue
                diff = abs(value - ref[key]) / max(abs(ref[key]), 1e-300)
                if ref[key] == 0 and value == 0:
                    diff = 0.0
                # p-values below 1e-300 are 0 to both sides in practice
                if key.endswith("_p") and max(abs(value), abs(ref[key])) < 1e-250:
                    diff = 0.0
                compared += 1
                if key not in worst or diff > worst[key][0]:
                    worst[key] = (diff, f["name"])
    print(f"compared {compared} values with SciPy; largest relative difference per statistic:")
    bad = False
    for key in sorted(worst):
        diff, name = worst[key]
        print(f"  {key:16s} {diff:.2e}  ({name})")
        bad |= diff > TOLERANCE
    if bad:
        print(f"DISAGREEMENT above {TOLERANCE}")
        sys.exit(1)


if __name__ == "__main__":
    main()

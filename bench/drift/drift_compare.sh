#!/bin/sh
# The drift benchmark of docs/BENCHMARKS.md: mlloop's batch drift report against SciPy on the
# same generated tables (1,000,000 rows x 25 columns each: 20 numeric, 5 categorical), in one
# run, and a check that both sides computed the same numbers.
#
#   bench/drift/drift_compare.sh [ROWS] [DATA_DIR]
#
# Needs Debian's python3 with numpy and scipy (python3-scipy) for the data and the SciPy side,
# and the Release benchmark build (make bench). Data is generated once into DATA_DIR
# (default build-bench/drift-data) and reused.
set -eu
ROWS=${1:-1000000}
DIR=${2:-build-bench/drift-data}
PY=/usr/bin/python3
BENCH=build-bench/bench/drift_table_bench
[ -x "$BENCH" ] || { echo "build the benchmarks first: make bench" >&2; exit 2; }
mkdir -p "$DIR"
if [ ! -f "$DIR/tables.npz" ] || [ "$(cat "$DIR/rows" 2>/dev/null)" != "$ROWS" ]; then
  echo "generating $ROWS rows per table into $DIR ..."
  $PY bench/drift/make_drift_tables.py "$DIR" "$ROWS"
  echo "$ROWS" > "$DIR/rows"
fi
echo "== machine: $(nproc) cores, $(uname -sr); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== SciPy (statistics only, arrays already in memory; best of 3)"
$PY bench/drift/scipy_drift.py "$DIR/tables.npz" "$DIR/scipy.json" 3
echo "== mlloop, both cores (statistics best of 5)"
"$BENCH" "$DIR/reference.csv" "$DIR/current.csv" "$DIR/mlloop.json" 5 0 --profile "$DIR/reference.profile" | tee "$DIR/mlloop.txt"
echo "== mlloop, one core"
"$BENCH" "$DIR/reference.csv" "$DIR/current.csv" "$DIR/mlloop1.json" 5 1 | tee "$DIR/mlloop1.txt"
echo "== agreement with SciPy"
$PY bench/drift/compare_results.py "$DIR/mlloop.json" "$DIR/scipy.json"
echo "== ratios (SciPy time / mlloop time, this run)"
$PY - "$DIR" <<'PYEOF'
import json, re, sys
d = sys.argv[1]
scipy = json.load(open(d + "/scipy.json"))["seconds"]
both = open(d + "/mlloop.txt").read()
one = open(d + "/mlloop1.txt").read()
full2 = float(re.search(r"^statistics: ([0-9.]+) s", both, re.M).group(1))
prof2 = float(re.search(r"^statistics against the profile: ([0-9.]+) s", both, re.M).group(1))
full1 = float(re.search(r"^statistics: ([0-9.]+) s", one, re.M).group(1))
print(f"SciPy {scipy:.3f} s")
print(f"full set, two tables, both cores: {full2:.3f} s = {scipy / full2:.0f}x SciPy")
print(f"full set, two tables, one core:   {full1:.3f} s = {scipy / full1:.0f}x SciPy")
print(f"current table against the saved reference profile, both cores: {prof2:.3f} s = {scipy / prof2:.0f}x SciPy")
PYEOF

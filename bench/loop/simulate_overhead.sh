#!/usr/bin/env bash
# The loop's own cost on the full Elec2 simulation (three policies), as a ratio to the
# XGBoost training inside the same run: total wall time / training time. Target: <= 1.1.
#
# usage: bench/loop/simulate_overhead.sh [MLLOOP_BINARY] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/../.."
mlloop=${1:-build/bin/mlloop}
runs=${2:-5}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Alternating: with the registry on disk (artifacts fsynced, as `make demo` runs it) and in
# memory, so the price of durability shows in the same run.
for i in $(seq 1 "$runs"); do
  "$mlloop" simulate examples/elec2/model.yaml --compare --store "$out/store$i" \
    --json "$out/disk$i.json" -q > /dev/null
  "$mlloop" simulate examples/elec2/model.yaml --compare --json "$out/mem$i.json" -q > /dev/null
done

# Debian's python3 reads the JSON; the product itself needs no Python.
/usr/bin/python3 - "$out" "$runs" <<'PY'
import json, statistics, sys
out, runs = sys.argv[1], int(sys.argv[2])
def report(kind):
  rows = []
  for i in range(1, runs + 1):
    r = json.load(open(f"{out}/{kind}{i}.json"))
    train = sum(p["train_seconds"] for p in r["policies"])
    rows.append((r["total_seconds"], train, r["total_seconds"] / train, r["load_seconds"],
                 {p["name"]: (p["wall_seconds"], p["train_seconds"], p["retrains"]) for p in r["policies"]}))
  print(f"registry {kind}:")
  for total, train, ratio, load, pol in rows:
    print(f"  total {total:6.3f} s  training {train:6.3f} s  ratio {ratio:5.3f}  load {load*1000:5.1f} ms  " +
          "  ".join(f"{n}: {w:.2f}/{t:.2f} s ({k} retrains)" for n, (w, t, k) in pol.items()))
  med = statistics.median(r[2] for r in rows)
  print(f"  median ratio total/training over {runs} runs: {med:.3f}")

report("disk")
report("mem")
PY

#!/usr/bin/env bash
# Times CSV ingest of the shipped Elec2 file (decompressed, 3,091,689 bytes) in one run:
#   ours    BM_CsvParseElec2: io::ParseCsv, 7 numeric features + binary label
#   memchr  BM_NewlineScanElec2: count '\n' with memchr, the cheapest pass over the bytes
#   python  Debian's python3, csv.reader + float() on the same 7 columns + label compare
# and prints MB/s (10^6 bytes per second) of each, from CPU time and from wall time, plus
# ratios. Each figure is the median of the repetitions.
#
# Usage: bench/io/csv_ingest_compare.sh [BENCH_BINARY] [--benchmark_repetitions=N] [flags...]
#   BENCH_BINARY defaults to build-io/bench/csv_reader_bench under the repository root.
#   --benchmark_repetitions=N (default 5) also sets the number of Python repetitions; other
#   flags go to the benchmark binary unchanged.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bench="${1:-$root/build-io/bench/csv_reader_bench}"
shift || true
reps=5
flags=()
for arg in "$@"; do
  case "$arg" in
    --benchmark_repetitions=*) reps="${arg#*=}" ;;
    *) flags+=("$arg") ;;
  esac
done
data="$root/examples/elec2/electricity.csv.gz"
python=/usr/bin/python3  # Debian's interpreter, standard library only

if [[ ! -x "$bench" ]]; then
  echo "benchmark binary not found: $bench (build target csv_reader_bench)" >&2
  exit 1
fi

json="$(mktemp)"
trap 'rm -f "$json"' EXIT

"$bench" --benchmark_filter='Elec2' --benchmark_repetitions="$reps" \
  --benchmark_report_aggregates_only=true --benchmark_out="$json" --benchmark_out_format=json \
  "${flags[@]}" >&2

"$python" - "$json" "$data" "$reps" <<'PY'
import csv, gzip, io, json, statistics, sys, time

json_path, data_path, reps = sys.argv[1], sys.argv[2], int(sys.argv[3])
with open(data_path, "rb") as f:
    data = gzip.decompress(f.read())  # outside the timing, as in the C++ benchmark
n_bytes = len(data)

FEATURES = ["day", "period", "nswprice", "nswdemand", "vicprice", "vicdemand", "transfer"]

def parse(raw):
    # The same job as BM_CsvParseElec2: bytes in, float feature rows and 0/1 labels out.
    reader = csv.reader(io.StringIO(raw.decode("utf-8")))
    header = next(reader)
    idx = [header.index(name) for name in FEATURES]
    label = header.index("class")
    x, y = [], []
    for row in reader:
        x.append([float(row[i]) for i in idx])
        v = row[label]
        if v == "UP":
            y.append(1.0)
        elif v == "DOWN":
            y.append(0.0)
        else:
            raise ValueError(f"bad label {v!r}")
    return x, y

cpu, wall = [], []
for _ in range(reps):
    c0, w0 = time.process_time(), time.perf_counter()
    x, y = parse(data)
    cpu.append(time.process_time() - c0)
    wall.append(time.perf_counter() - w0)
assert len(y) == 45312 and sum(y) == 19237, (len(y), sum(y))

with open(json_path) as f:
    runs = json.load(f)["benchmarks"]
def median_of(name):
    for b in runs:
        if b.get("run_name") == name and b.get("aggregate_name") == "median":
            scale = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
            return b["cpu_time"] * scale, b["real_time"] * scale
    sys.exit(f"no median for {name} in the benchmark output")

rows = {
    "ours (io::ParseCsv)": median_of("BM_CsvParseElec2"),
    "memchr newline scan": median_of("BM_NewlineScanElec2"),
    "python3 csv + float()": (statistics.median(cpu), statistics.median(wall)),
}
mbps = {k: (n_bytes / c / 1e6, n_bytes / w / 1e6) for k, (c, w) in rows.items()}
print(f"input: {n_bytes} bytes (Elec2, decompressed); median of {reps} repetitions; MB = 10^6 bytes")
print(f"{'':24} {'MB/s (CPU)':>12} {'MB/s (wall)':>12}")
for k, (c, w) in mbps.items():
    print(f"{k:24} {c:12.1f} {w:12.1f}")
ours, ceiling, py = (mbps[k][0] for k in rows)
print(f"ours / python3 csv : {ours / py:6.1f}x")
print(f"ours / memchr      : {ours / ceiling:6.3f} (fraction of the newline-scan ceiling)")
PY

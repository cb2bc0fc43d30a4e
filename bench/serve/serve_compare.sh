#!/usr/bin/env bash
# Single-row predictions of `mlloop serve` with the Elec2 champion against nginx-light serving
# a fixed small JSON body (the ceiling), wrk -t2 -c64 on loopback, in the same run; prints
# both and the ratio (issue 6's target: at least 0.5, with the inference log on, as `mlloop
# serve` runs by default), then the same server with --no-log for the log's cost.
# docs/BENCHMARKS.md, "Serving".
# Usage: bench/serve/serve_compare.sh [BUILD_DIR]   (default build; needs BUILD_DIR/bin/mlloop)
# WRK_DURATION=10s by default. Needs wrk, nginx-light and curl (`make bench` installs them).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
MLLOOP=$BUILD/bin/mlloop
source bench/serve/bench_lib.sh
BENCH_OUT=$(mktemp -d)
trap bench_cleanup EXIT

STORE=$BENCH_OUT/store
"$MLLOOP" simulate examples/elec2/model.yaml --store "$STORE" -q > "$BENCH_OUT/simulate.txt"
"$MLLOOP" models show champion --store "$STORE" | head -1

echo "wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION, POST of one Elec2 row (bench/serve/predict_one_row.lua); $(nproc) cores"
start_nginx 18180
run_wrk "nginx-light (fixed body)" http://127.0.0.1:18180/ bench/serve/predict_one_row.lua
NGINX_RPS=$WRK_RPS
kill "$(cat "$NGINX_DIR/nginx.pid")"; sleep 0.5

"$MLLOOP" serve --store "$STORE" --port 18181 --threads 2 > "$BENCH_OUT/serve.txt" & BENCH_PIDS+=($!)
wait_port 18181
curl -s -X POST -H 'Content-Type: application/json' \
  -d '{"instances": [[2, 0, 0.056443, 0.439155, 0.003467, 0.422915, 0.414912]]}' \
  http://127.0.0.1:18181/v1/models/elec2:predict; echo
run_wrk "mlloop serve (Elec2, 1 row)" http://127.0.0.1:18181/v1/models/elec2:predict \
  bench/serve/predict_one_row.lua
SERVE_RPS=$WRK_RPS
kill -TERM "${BENCH_PIDS[-1]}"; wait "${BENCH_PIDS[-1]}" || true
grep "inference log flushed" "$BENCH_OUT/serve.txt"

"$MLLOOP" serve --store "$STORE" --port 18182 --threads 2 --no-log > "$BENCH_OUT/serve_nolog.txt" & BENCH_PIDS+=($!)
wait_port 18182
run_wrk "mlloop serve --no-log" http://127.0.0.1:18182/v1/models/elec2:predict \
  bench/serve/predict_one_row.lua
NOLOG_RPS=$WRK_RPS
kill -TERM "${BENCH_PIDS[-1]}"; wait "${BENCH_PIDS[-1]}" || true

awk -v s="$SERVE_RPS" -v n="$NGINX_RPS" 'BEGIN { printf "ratio mlloop/nginx: %.2f (target >= 0.50)\n", s / n }'
awk -v s="$NOLOG_RPS" -v n="$NGINX_RPS" 'BEGIN { printf "ratio mlloop --no-log/nginx: %.2f\n", s / n }'
echo "full wrk output: $BENCH_OUT"

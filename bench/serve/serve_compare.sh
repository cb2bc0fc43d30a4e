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

elec2_store "$MLLOOP"
"$MLLOOP" models show champion --store "$STORE" | head -1

echo "wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION, POST of one Elec2 row (bench/serve/predict_one_row.lua); $(nproc) cores"
nginx_once "nginx-light (fixed body)" 18180 bench/serve/predict_one_row.lua

start_serve "$MLLOOP" 18181 serve.txt
curl -s -X POST -H 'Content-Type: application/json' \
  -d '{"instances": [[2, 0, 0.056443, 0.439155, 0.003467, 0.422915, 0.414912]]}' \
  http://127.0.0.1:18181/v1/models/elec2:predict; echo
run_wrk "mlloop serve (Elec2, 1 row)" http://127.0.0.1:18181/v1/models/elec2:predict \
  bench/serve/predict_one_row.lua
SERVE_RPS=$WRK_RPS
stop_serve
grep "inference log flushed" "$BENCH_OUT/serve.txt"

start_serve "$MLLOOP" 18182 serve_nolog.txt --no-log
run_wrk "mlloop serve --no-log" http://127.0.0.1:18182/v1/models/elec2:predict \
  bench/serve/predict_one_row.lua
NOLOG_RPS=$WRK_RPS
stop_serve

awk -v s="$SERVE_RPS" -v n="$NGINX_RPS" 'BEGIN { printf "ratio mlloop/nginx: %.2f (target >= 0.50)\n", s / n }'
awk -v s="$NOLOG_RPS" -v n="$NGINX_RPS" 'BEGIN { printf "ratio mlloop --no-log/nginx: %.2f\n", s / n }'
echo "full wrk output: $BENCH_OUT"

#!/usr/bin/env bash
# Single-row predictions of two builds of `mlloop serve` (say, before and after a change to the
# request path) against nginx-light's fixed body, wrk -t2 -c64 on loopback, all in one run:
# nginx, then each build, then each build again in the reverse order (the machine's load drifts).
# Usage: bench/serve/serve_before_after.sh BUILD_BEFORE BUILD_AFTER   (each with bin/mlloop)
set -euo pipefail
cd "$(dirname "$0")/../.."
BEFORE=$1/bin/mlloop
AFTER=$2/bin/mlloop
source bench/serve/bench_lib.sh

elec2_store "$AFTER"
echo "wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION, POST of one Elec2 row; $(nproc) cores"
nginx_once "nginx-light (fixed body)" 18180 bench/serve/predict_one_row.lua

serve_once() {  # LABEL BINARY PORT
  start_serve "$2" "$3" "$1.serve.txt" --reload-interval 0
  run_wrk "$1" "http://127.0.0.1:$3/v1/models/elec2:predict" bench/serve/predict_one_row.lua
  stop_serve
  awk -v s="$WRK_RPS" -v n="$NGINX_RPS" -v l="$1" 'BEGIN { printf "  %s / nginx: %.2f\n", l, s / n }'
}
serve_once before-1 "$BEFORE" 18181
serve_once after-1 "$AFTER" 18182
serve_once after-2 "$AFTER" 18183
serve_once before-2 "$BEFORE" 18184
echo "full wrk output: $BENCH_OUT"

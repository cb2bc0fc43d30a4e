#!/usr/bin/env bash
# Latency at a load below saturation: nginx-light (fixed body) and `mlloop serve` with the
# Elec2 champion and its inference log on, each offered the same paced load (wrk -t2 -c64,
# every connection pausing 1 ms between requests: bench/serve/predict_one_row_paced.lua), in
# the same run. wrk's own percentiles at saturation (serve_compare.sh) are a queue's; these
# are the servers' at a fixed offered load. docs/BENCHMARKS.md, "Serving".
# Usage: bench/serve/serve_p99.sh [BUILD_DIR...]   (default build; each needs bin/mlloop)
# Several build directories (say, before and after a change) each serve in turn, in the
# order given, after the same nginx run; each server has an inference log of its own.
# WRK_CONNECTIONS=96 offers about half of nginx's saturated rate on a 2-core machine (the
# load issue 6's p99 target names); the default 64, about a third. WRK_DURATION: 10s.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILDS=("$@")
[ ${#BUILDS[@]} -gt 0 ] || BUILDS=(build)
source bench/serve/bench_lib.sh
PACED=bench/serve/predict_one_row_paced.lua

elec2_store "${BUILDS[0]}/bin/mlloop"
echo "wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION --latency, 1 ms pause per connection between requests; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
nginx_once "nginx-light (fixed body)" 18280 "$PACED"
port=18281
for build in "${BUILDS[@]}"; do
  start_serve "$build/bin/mlloop" $port "serve-$port.txt" --log-dir "$BENCH_OUT/log-$port"
  run_wrk "mlloop serve ($build)" http://127.0.0.1:$port/v1/models/elec2:predict "$PACED"
  stop_serve
  port=$((port + 1))
done
echo "full wrk output: $BENCH_OUT"

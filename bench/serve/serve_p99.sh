#!/usr/bin/env bash
# Latency at a load below saturation: nginx-light (fixed body) and `mlloop serve` with the
# Elec2 champion and its inference log on, each offered the same paced load (wrk -t2 -c64,
# every connection pausing 1 ms between requests: bench/serve/predict_one_row_paced.lua), in
# the same run. wrk's own percentiles at saturation (serve_compare.sh) are a queue's; these
# are the servers' at a fixed offered load. docs/BENCHMARKS.md, "Serving".
# Usage: bench/serve/serve_p99.sh [BUILD_DIR...]   (default build; each needs bin/mlloop)
# Several build directories (say, before and after a change) each serve in turn, in the
# order given, after the same nginx run; each server has an inference log of its own.
# WRK_CONNECTIONS=84 offers about half of nginx's saturated rate on a 2-core machine (the
# load issue 6's p99 target names: 41,000-44,000 requests/s against nginx's 70,000-81,000);
# 96, about 0.6 of it; the default 64, about a third. WRK_DURATION: 10s.
# REPEAT=N runs the whole round N times (the builds' order reversed every other round, as
# the machine's load drifts) and ends with each server's p99: median, range and how many
# runs were under 2 ms. One run's p99 moves by about 0.2 ms on a shared 2-core machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILDS=("$@")
[ ${#BUILDS[@]} -gt 0 ] || BUILDS=(build)
source bench/serve/bench_lib.sh
PACED=bench/serve/predict_one_row_paced.lua

REPEAT=${REPEAT:-1}

elec2_store "${BUILDS[0]}/bin/mlloop"
echo "wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION --latency, 1 ms pause per connection between requests; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
declare -A P99S  # label -> the p99s of its runs, in ms
for round in $(seq "$REPEAT"); do
  order=("${BUILDS[@]}")
  if [ $((round % 2)) = 0 ]; then  # reversed every other round
    order=()
    for ((i = ${#BUILDS[@]} - 1; i >= 0; i--)); do order+=("${BUILDS[i]}"); done
  fi
  nginx_once "nginx-light (fixed body)" 18280 "$PACED"
  P99S["nginx-light (fixed body)"]+="$WRK_P99_MS "
  port=18281
  for build in "${order[@]}"; do
    start_serve "$build/bin/mlloop" $port "serve-$round-$port.txt" --log-dir "$BENCH_OUT/log-$round-$port"
    run_wrk "mlloop serve ($build)" http://127.0.0.1:$port/v1/models/elec2:predict "$PACED"
    P99S["mlloop serve ($build)"]+="$WRK_P99_MS "
    stop_serve
    port=$((port + 1))
  done
done
if [ "$REPEAT" -gt 1 ]; then
  echo "p99 over $REPEAT rounds:"
  for label in "nginx-light (fixed body)" "${BUILDS[@]/#/mlloop serve (}"; do
    [[ $label == "mlloop serve ("* ]] && label+=")"
    printf '%s\n' ${P99S[$label]} | sort -g | awk -v label="$label" '
      { v[NR] = $1; if ($1 < 2) under++ }
      END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "  %-40s median %.2f ms, %.2f-%.2f ms, %d of %d under 2 ms\n", label, m, v[1], v[NR], under, NR }'
  done
fi
echo "full wrk output: $BENCH_OUT"

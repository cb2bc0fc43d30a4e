#!/usr/bin/env bash
# What a request costs the server: CPU time and system calls per request of nginx-light
# (fixed body) and of `mlloop serve` (Elec2 champion, inference log on), each under the same
# paced load as serve_p99.sh, in the same run. perf stat counts the server's processes (both
# nginx workers) for 6 s in the middle of each 10 s wrk run. docs/BENCHMARKS.md, "Serving".
# Usage: bench/serve/serve_cpu.sh [BUILD_DIR...]   (default build; each needs bin/mlloop)
# WRK_CONNECTIONS=96 by default here (the p99 target's load); REPEAT=N rounds, the builds'
# order reversed every other round. Needs perf (linux-perf) and the rights to count
# another process's syscalls (root, or kernel.perf_event_paranoid <= 1 and tracefs access).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILDS=("$@")
[ ${#BUILDS[@]} -gt 0 ] || BUILDS=(build)
WRK_CONNECTIONS=${WRK_CONNECTIONS:-96}
source bench/serve/bench_lib.sh
PACED=bench/serve/predict_one_row_paced.lua
REPEAT=${REPEAT:-1}

# measure LABEL URL PIDS: the paced wrk run against URL while perf stat counts PIDS
# (comma-separated); prints requests/s, p99, CPU µs and syscalls per request.
measure() {
  local label=$1 url=$2 pids=$3 out="$BENCH_OUT/perf.txt"
  run_wrk "$label" "$url" "$PACED" > "$BENCH_OUT/wrk-line.txt" &
  local wrk_pid=$!
  sleep 2
  perf stat -x, -e task-clock,raw_syscalls:sys_enter -p "$pids" -- sleep 6 2> "$out"
  wait "$wrk_pid"
  local rps p99
  rps=$(awk '/^Requests\/sec/ {print $2}' "$BENCH_OUT/${label//\//_}.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$BENCH_OUT/${label//\//_}.txt")
  awk -F, -v rps="$rps" -v p99="$p99" -v label="$label" '
    /task-clock/ { ms = $1 } /sys_enter/ { calls = $1 }
    END { n = rps * 6
          printf "%-40s %9.0f req/s  p99 %-8s  CPU %5.2f us/request  %4.2f syscalls/request\n",
                 label, rps, p99, ms * 1000 / n, calls / n }' "$out"
}

elec2_store "${BUILDS[0]}/bin/mlloop"
echo "wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION, 1 ms pause per connection; perf stat over 6 s; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$REPEAT"); do
  order=("${BUILDS[@]}")
  if [ $((round % 2)) = 0 ]; then
    order=()
    for ((i = ${#BUILDS[@]} - 1; i >= 0; i--)); do order+=("${BUILDS[i]}"); done
  fi
  start_nginx 18290
  workers=$(pgrep -d, -P "$(cat "$NGINX_DIR/nginx.pid")")
  measure "nginx-light (fixed body)" http://127.0.0.1:18290/ "$workers"
  kill "$(cat "$NGINX_DIR/nginx.pid")"; sleep 0.5
  port=18291
  for build in "${order[@]}"; do
    start_serve "$build/bin/mlloop" $port "serve-$round-$port.txt" --log-dir "$BENCH_OUT/log-$round-$port"
    measure "mlloop serve ($build)" http://127.0.0.1:$port/v1/models/elec2:predict "${BENCH_PIDS[-1]}"
    stop_serve
    port=$((port + 1))
  done
done

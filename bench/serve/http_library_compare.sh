#!/usr/bin/env bash
# Chooses the HTTP library by measurement (docs/DECISIONS.md, "Serving"): the cpp-httplib and
# Boost.Beast prototypes (httplib_fixed.cc, beast_fixed.cc) and nginx-light each answer a fixed
# small JSON body; wrk -t2 -c64 on loopback, one after the other in the same run.
# Usage: bench/serve/http_library_compare.sh [BENCH_BUILD_DIR]   (default build-bench, as
# `make bench` builds it). WRK_DURATION=10s by default.
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${1:-build-bench}/bin
source bench/serve/bench_lib.sh

echo "wrk -t$WRK_THREADS -c$WRK_CONNECTIONS -d$WRK_DURATION, fixed body ${#FIXED_BODY} bytes; $(nproc) cores"
nginx_once nginx-light 18080

# prototype LABEL BINARY PORT THREADS: run one prototype under wrk, then stop it.
prototype() {
  "$BIN/$2" "$3" "$4" & BENCH_PIDS+=($!)
  wait_port "$3"
  run_wrk "$1 ($4 threads)" "http://127.0.0.1:$3/"
  kill "${BENCH_PIDS[-1]}"; wait "${BENCH_PIDS[-1]}" 2>/dev/null || true
}
# cpp-httplib holds a pool thread per keep-alive connection: 64 threads serve wrk's 64
# connections, 2 (one per core) leave most of them waiting.
prototype cpp-httplib httplib_fixed 18081 2
prototype cpp-httplib httplib_fixed 18081 64
prototype beast beast_fixed 18082 1
prototype beast beast_fixed 18082 2
echo "full wrk output: $BENCH_OUT"

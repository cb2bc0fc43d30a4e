# Shared by the serve benchmark scripts (sourced, not run, from the repository's root): an
# nginx-light serving a fixed small JSON body as the ceiling, `mlloop serve` with the Elec2
# champion, wrk runs, and cleanup of what the script started. Sourcing it makes BENCH_OUT (a
# temporary directory for every output) and stops what the script started when it exits.
# Needs wrk and nginx-light (`make bench` installs them).

WRK_THREADS=${WRK_THREADS:-2}
WRK_CONNECTIONS=${WRK_CONNECTIONS:-64}
WRK_DURATION=${WRK_DURATION:-10s}
FIXED_BODY='{"predictions":[0.5],"model_version":"1"}'
BENCH_PIDS=()

bench_cleanup() {
  for pid in "${BENCH_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${BENCH_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "${NGINX_DIR:-}" ] && [ -f "$NGINX_DIR/nginx.pid" ]; then
    kill "$(cat "$NGINX_DIR/nginx.pid")" 2>/dev/null || true
  fi
}

BENCH_OUT=$(mktemp -d)
trap bench_cleanup EXIT

# wait_port PORT: until something answers HTTP on 127.0.0.1:PORT (10 s at most).
wait_port() {
  for _ in $(seq 100); do
    curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0
    sleep 0.1
  done
  echo "nothing answers on port $1" >&2
  return 1
}

# start_nginx PORT: nginx, 2 workers (one per core of the target machine), returning
# FIXED_BODY for every request, with its files in a temporary directory.
start_nginx() {
  NGINX_DIR=$(mktemp -d)
  cat > "$NGINX_DIR/nginx.conf" <<CONF
worker_processes 2;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log;
daemon on;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $NGINX_DIR/body;
  proxy_temp_path $NGINX_DIR/proxy;
  fastcgi_temp_path $NGINX_DIR/fastcgi;
  uwsgi_temp_path $NGINX_DIR/uwsgi;
  scgi_temp_path $NGINX_DIR/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$1;
    location / {
      default_type application/json;
      return 200 '$FIXED_BODY';
    }
  }
}
CONF
  nginx -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/error.log"
  wait_port "$1"
}

# nginx_once LABEL PORT [LUA_SCRIPT]: start_nginx on PORT, run_wrk against it, stop it.
# Sets NGINX_RPS.
nginx_once() {
  start_nginx "$2"
  run_wrk "$1" "http://127.0.0.1:$2/" "${3:-}"
  NGINX_RPS=$WRK_RPS
  kill "$(cat "$NGINX_DIR/nginx.pid")"; sleep 0.5
}

# elec2_store MLLOOP: `MLLOOP simulate` of examples/elec2 into $BENCH_OUT/store, whose
# champion the servers serve. Sets STORE.
elec2_store() {
  STORE=$BENCH_OUT/store
  "$1" simulate examples/elec2/model.yaml --store "$STORE" -q > "$BENCH_OUT/simulate.txt"
}

# start_serve MLLOOP PORT OUTPUT [SERVE_ARGS...]: `MLLOOP serve` of $STORE on PORT with 2
# threads, its output in $BENCH_OUT/OUTPUT, until it answers. stop_serve: SIGTERM to the
# last one started, and wait for it to drain.
start_serve() {
  local mlloop=$1 port=$2 output=$3
  shift 3
  "$mlloop" serve --store "$STORE" --port "$port" --threads 2 "$@" > "$BENCH_OUT/$output" &
  BENCH_PIDS+=($!)
  wait_port "$port"
}
stop_serve() {
  kill -TERM "${BENCH_PIDS[-1]}"; wait "${BENCH_PIDS[-1]}" || true
}

# run_wrk LABEL URL [LUA_SCRIPT]: prints "LABEL requests/s p50 p99" and keeps the full wrk
# output in $BENCH_OUT/LABEL.txt (a slash in LABEL becomes _). Sets WRK_RPS, and WRK_P99_MS
# (the p99 in milliseconds).
run_wrk() {
  local label=$1 url=$2 script=${3:-}
  local args=(-t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" --latency)
  [ -n "$script" ] && args+=(-s "$script")
  local out="$BENCH_OUT/${label//\//_}.txt"
  wrk "${args[@]}" "$url" > "$out"
  WRK_RPS=$(awk '/^Requests\/sec/ {print $2}' "$out")
  local p50 p99 errors
  p50=$(awk '$1 == "50%" {print $2}' "$out")
  p99=$(awk '$1 == "99%" {print $2}' "$out")
  WRK_P99_MS=$(awk '$1 == "99%" {v = $2 + 0; if ($2 ~ /us$/) v /= 1000; else if ($2 ~ /[0-9]s$/ && $2 !~ /ms$/) v *= 1000; printf "%.2f", v}' "$out")
  errors=$(grep -E 'Non-2xx|Socket errors' "$out" | tr '\n' ' ' || true)
  printf '%-28s %12s req/s   p50 %-9s p99 %-9s %s\n' "$label" "$WRK_RPS" "$p50" "$p99" "$errors"
}

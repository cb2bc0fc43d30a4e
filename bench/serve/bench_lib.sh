# Shared by the serve benchmark scripts (sourced, not run): an nginx-light serving a fixed
# small JSON body as the ceiling, wrk runs, and cleanup of what the script started.
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

# run_wrk LABEL URL [LUA_SCRIPT]: prints "LABEL requests/s p50 p99" and keeps the full wrk
# output in $BENCH_OUT/LABEL.txt. Sets WRK_RPS.
run_wrk() {
  local label=$1 url=$2 script=${3:-}
  local args=(-t"$WRK_THREADS" -c"$WRK_CONNECTIONS" -d"$WRK_DURATION" --latency)
  [ -n "$script" ] && args+=(-s "$script")
  wrk "${args[@]}" "$url" > "$BENCH_OUT/$label.txt"
  WRK_RPS=$(awk '/^Requests\/sec/ {print $2}' "$BENCH_OUT/$label.txt")
  local p50 p99 errors
  p50=$(awk '$1 == "50%" {print $2}' "$BENCH_OUT/$label.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$BENCH_OUT/$label.txt")
  errors=$(grep -E 'Non-2xx|Socket errors' "$BENCH_OUT/$label.txt" | tr '\n' ' ' || true)
  printf '%-28s %12s req/s   p50 %-9s p99 %-9s %s\n' "$label" "$WRK_RPS" "$p50" "$p99" "$errors"
}

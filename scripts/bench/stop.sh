#!/usr/bin/env bash
# Stops the nginx that scripts/bench/setup.sh started, by its PID file, and nothing else.
set -u
RUN="${GOWRK_BENCH_RUN:-/tmp/gowrk-bench}"
f="$RUN/nginx/nginx.pid"
[ -s "$f" ] || { echo "[bench stop] nginx: no pid file"; exit 0; }
pid=$(cat "$f")
if kill -0 "$pid" 2>/dev/null; then
  kill -QUIT "$pid"
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  echo "[bench stop] nginx ($pid) stopped"
fi
rm -f "$f"

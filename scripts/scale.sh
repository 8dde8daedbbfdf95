#!/usr/bin/env bash
# Scaling with -t: requests/s for -t 1, 2, 4, 8 (50 connections a thread),
# gowrk beside wrk over HTTP/1.1 and beside h2load over h2c (10 streams), the
# generator pinned to the first half of the CPUs and nginx (one worker a
# CPU) to the second half, so that nginx is not the limit. Needs a machine
# with at least 16 CPUs for -t8; prints a Markdown table of requests/s and
# of requests per generator CPU-second (user + system, from bash's times).
#
# usage: scripts/scale.sh [seconds]   (default 5 s a run; about 3 minutes)
# Tools come from PATH (Debian: nginx-light, wrk, nghttp2-client); set
# GOWRK, WRK, H2LOAD or NGINX_CMD to a command to use another (a prefix such as
# "ld.so --library-path DIR /path/wrk" works). Loopback only; every run is
# bounded by -d and timeout.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
secs=${1:-5}
GOWRK=${GOWRK:-$here/gowrk}
WRK=${WRK:-wrk}
H2LOAD=${H2LOAD:-h2load}
NGINX_CMD=${NGINX_CMD:-nginx}
unset NGINX # (nginx reads inherited sockets from $NGINX)
cpus=$(nproc)
half=$((cpus / 2))
gen="0-$((half - 1))"
srv="$half-$((cpus - 1))"
dir=$(mktemp -d /tmp/gowrk-scale.XXXXXX)
mkdir -p "$dir/logs"
user=""
[ "$(id -u)" -ne 0 ] || user="user root root;"
cat >"$dir/nginx.conf" <<EOF
$user
worker_processes $half;
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events { worker_connections 20000; }
http {
  access_log off;
  client_body_temp_path $dir/body;
  proxy_temp_path $dir/proxy;
  fastcgi_temp_path $dir/fastcgi;
  uwsgi_temp_path $dir/uwsgi;
  scgi_temp_path $dir/scgi;
  keepalive_requests 100000000;
  server {
    listen 127.0.0.1:18180;
    listen 127.0.0.1:18181 http2;
    location / { return 200 "hello world\n"; }
  }
}
EOF
# shellcheck disable=SC2086
taskset -c "$srv" $NGINX_CMD -p "$dir" -c "$dir/nginx.conf"
trap 'kill "$(cat "$dir/nginx.pid")" 2>/dev/null || true' EXIT
sleep 1

# measure NAME CMD...: runs CMD pinned to the generator's CPUs; prints
# "NAME requests/s cpu-seconds" (requests/s parsed from the tool's output).
measure() {
  local name=$1
  shift
  local out="$dir/$name.out"
  # shellcheck disable=SC2068
  { time -p timeout $((secs + 5)) taskset -c "$gen" $@ >"$out" 2>&1; } 2>"$dir/$name.time" || true
  local cpu rps
  cpu=$(awk '/^user|^sys/ {s += $2} END {printf "%.2f", s}' "$dir/$name.time")
  rps=$(awk '/^Requests\/sec:/ {print $2} /finished in/ {for (i = 1; i <= NF; i++) if ($i == "req/s,") print $(i-1)}' "$out" | head -1)
  echo "$name ${rps:-0} $cpu"
}

echo "| -t | gowrk h1 req/s | wrk req/s | ratio | gowrk h1 per CPU-s | wrk per CPU-s | gowrk h2c req/s | h2load req/s | ratio | gowrk h2c per CPU-s | h2load per CPU-s |"
echo "|---|---|---|---|---|---|---|---|---|---|---|"
for t in 1 2 4 8; do
  [ "$t" -le "$half" ] || continue
  c=$((50 * t))
  read -r _ g1 gc1 < <(measure "gowrk-h1-$t" "$GOWRK" -t"$t" -c"$c" -d"${secs}s" http://127.0.0.1:18180/)
  read -r _ w1 wc1 < <(measure "wrk-$t" "$WRK" -t"$t" -c"$c" -d"${secs}s" http://127.0.0.1:18180/)
  read -r _ g2 gc2 < <(measure "gowrk-h2c-$t" "$GOWRK" --h2c --streams 10 -t"$t" -c"$c" -d"${secs}s" http://127.0.0.1:18181/)
  read -r _ h2 hc2 < <(measure "h2load-$t" "$H2LOAD" -t"$t" -c"$c" -m10 -D"$secs" http://127.0.0.1:18181/)
  awk -v t="$t" -v g1="$g1" -v w1="$w1" -v gc1="$gc1" -v wc1="$wc1" -v g2="$g2" -v h2="$h2" -v gc2="$gc2" -v hc2="$hc2" -v s="$secs" 'BEGIN {
    printf "| %d | %.0f | %.0f | %.2f | %.0f | %.0f | %.0f | %.0f | %.2f | %.0f | %.0f |\n", t, g1, w1, (w1 > 0 ? g1 / w1 : 0),
      (gc1 > 0 ? g1 * s / gc1 : 0), (wc1 > 0 ? w1 * s / wc1 : 0), g2, h2, (h2 > 0 ? g2 / h2 : 0),
      (gc2 > 0 ? g2 * s / gc2 : 0), (hc2 > 0 ? h2 * s / hc2 : 0) }'
done
echo
echo "(generator on CPUs $gen, nginx ($half workers) on CPUs $srv; $secs s a run; raw outputs in $dir)"

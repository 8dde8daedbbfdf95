#!/usr/bin/env bash
# Before vs after in one run: the loop engine's requests per generator
# CPU-second against nginx, gowrk built at REF (default main) beside the
# working tree, rounds interleaved (the order alternates), the generator
# pinned to CPU 0 and nginx to CPU 1, every run -t1 -c50 -d3s. Prints each
# run, then the median of each and their ratio (after / before): the
# machines are small and noisy, so only the ratio means anything. Also
# prints the paired median: the median over rounds of each round's
# after / before, which a drift in the machine's load moves less.
#
# usage: scripts/bench-ab.sh [REF] [ROUNDS]   (default main, 10 rounds: about a minute)
# AFTER_ARGS adds flags to the working tree's runs only: REF=HEAD with
# AFTER_ARGS='--log /tmp/x.csv' measures a flag on against off
# (word-split; a path with spaces will not do). BEFORE_GOFLAGS and
# AFTER_GOFLAGS add go build flags to each side: REF=HEAD with
# BEFORE_GOFLAGS='-tags noh3' measures HTTP/3's presence (a REF before
# 49663c2 has no noh3 tag: the tag is then ignored and quic-go linked).
# Each gowrk run holds flock /tmp/bench.lock, so that benchmarks sharing
# the machine take turns run by run.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
ref=${1:-main}
rounds=${2:-10}
tmp=$(mktemp -d)
trap 'kill "${npid:-}" 2>/dev/null || true; rm -rf "$tmp"' EXIT
mkdir -p "$tmp/before"
git -C "$here" archive "$ref" | tar -x -C "$tmp/before"
# shellcheck disable=SC2086
(cd "$tmp/before" && go build ${BEFORE_GOFLAGS:-} -o "$tmp/gowrk-before" .)
# shellcheck disable=SC2086
(cd "$here" && go build ${AFTER_GOFLAGS:-} -o "$tmp/gowrk-after" .)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$tmp/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $tmp/nginx.pid;
error_log $tmp/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $tmp/body; proxy_temp_path $tmp/proxy; fastcgi_temp_path $tmp/fastcgi;
  uwsgi_temp_path $tmp/uwsgi; scgi_temp_path $tmp/scgi;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$port; location / { default_type text/plain; return 200 "Hello, World!"; } }
}
CONF
taskset -c 1 nginx -c "$tmp/nginx.conf" -p "$tmp" &
npid=$!
sleep 1
for r in $(seq 1 "$rounds"); do
  order="before after"
  (( r % 2 )) || order="after before"
  for v in $order; do
    extra=""
    [ "$v" = after ] && extra=${AFTER_ARGS:-}
    # shellcheck disable=SC2086
    flock /tmp/bench.lock timeout 20 taskset -c 0 "$tmp/gowrk-$v" $extra --engine loop -t1 -c50 -d3s -q -f json "http://127.0.0.1:$port/" 2>/dev/null |
      python3 -c "import json,sys; j=json.load(sys.stdin); print('$v', round(j['requests']/(j['cpu_us']/1e6)))"
  done
done | tee "$tmp/runs"
python3 - "$tmp/runs" <<'PY'
import statistics, sys
runs = [l.split() for l in open(sys.argv[1])]
bs = [int(n) for v, n in runs if v == "before"]
as_ = [int(n) for v, n in runs if v == "after"]
b, a = statistics.median(bs), statistics.median(as_)
paired = statistics.median(x / y for x, y in zip(as_, bs))
print(f"median requests per CPU-second: before {b:.0f}, after {a:.0f}, ratio {a / b:.3f}, paired median {paired:.3f}")
PY

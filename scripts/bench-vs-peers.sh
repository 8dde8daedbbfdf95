#!/usr/bin/env bash
# Runs gowrk side by side with wrk (HTTP/1.1) and h2load (HTTP/2, h2c and
# TLS) through ../shared/bench/peers.sh: generator pinned to one core, nginx
# to the other, rounds interleaved, requests per generator CPU-second
# compared. Every run is bounded (8 s; 5 s for the 10k-connection suite).
#
# usage: scripts/bench-vs-peers.sh [suites] [rounds]
#   suites  default h1,h2c,h2tls,mem    rounds  default 3
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bench="${BENCH:-$here/../shared/bench}"
suites=${1:-h1,h2c,h2tls,mem}
rounds=${2:-3}
(cd "$here" && make build >/dev/null)
bash "$bench/setup.sh" --no-app
g="$here/gowrk"
exec bash "$bench/peers.sh" --suites "$suites" --rounds "$rounds" \
  --only wrk,h2load-m10,h2load-m1,gowrk,gowrk-m10,gowrk-m1 \
  --gen "h1|gowrk|wrk|$g -t1 -c{C} -d{D}s --latency {URL}" \
  --gen "mem|gowrk|wrk|$g -t1 -c{C} -d{D}s {URL}" \
  --gen "h2c|gowrk-m10|wrk|$g -t1 -c{C} -d{D}s --h2c --streams 10 {URL}" \
  --gen "h2c|gowrk-m1|wrk|$g -t1 -c{C} -d{D}s --h2c {URL}" \
  --gen "h2tls|gowrk-m10|wrk|$g -t1 -c{C} -d{D}s --http2 -k --streams 10 {URL}" \
  --gen "h2tls|gowrk-m1|wrk|$g -t1 -c{C} -d{D}s --http2 -k {URL}"

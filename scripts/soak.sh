#!/usr/bin/env bash
# Soak checks (not part of make test): 10,000 connections for 60 s, then a
# 10-minute run at 2000 requests/s, against the loopback nginx that
# scripts/bench/setup.sh starts. Prints memory, goroutines and open files
# over each run and fails if memory grows after warm-up or goroutines and
# descriptors do not return to their baseline.
#
# usage: scripts/soak.sh [conns-duration] [rate-duration]   (defaults 60s 10m)
# env:   SOAK_URL (default http://127.0.0.1:18080/, loopback only)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
export SOAK_CONNS_DURATION=${1:-60s} SOAK_RATE_DURATION=${2:-10m}
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if ! curl -s -o /dev/null "${SOAK_URL:-http://127.0.0.1:18080/}"; then
  bash "$here/scripts/bench/setup.sh"
fi
cd "$here"
go test -tags soak -count=1 -v -timeout 30m -run 'TestSoak' ./loadgen/ 2>&1 | grep -v '^=== RUN'

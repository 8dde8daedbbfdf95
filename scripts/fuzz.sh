#!/usr/bin/env bash
# Runs one fuzz target for a while: scripts/fuzz.sh TARGET PACKAGE FUZZTIME.
# Go 1.26's fuzz coordinator can end a duration-bounded run with a bare
# "context deadline exceeded" and no failing input, when a loaded machine
# keeps a worker busy past -fuzztime (go.dev/issue/75804, fixed in Go
# 1.27). Such a run is tried once more; a run that wrote a failing input,
# or fails any other way, fails at once.
set -uo pipefail
target=$1 pkg=$2 time=$3
for try in 1 2; do
  out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$time" "$pkg" 2>&1)
  rc=$?
  echo "$out" | tail -3
  [ $rc -eq 0 ] && exit 0
  if [ $try -eq 1 ] && echo "$out" | grep -q 'context deadline exceeded' && ! echo "$out" | grep -q 'Failing input written'; then
    echo "fuzz $target: the coordinator's deadline race (go.dev/issue/75804), no failing input: trying once more"
    continue
  fi
  echo "$out"
  exit $rc
done

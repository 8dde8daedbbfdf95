#!/usr/bin/env bash
# Runs gowrk as an Indexed Job of N shards against URL for DURATION,
# started together START_IN seconds after the Job is created (time for the
# pods to be scheduled and to start), then collects and merges their reports.
#   scripts/k8s/run.sh N URL [DURATION] [START_IN]   e.g. run.sh 3 http://api:8080/ 60s 60
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=$1 url=$2 duration=${3:-60s} start_in=${4:-60}
start_at=$(date -u -d "+${start_in} seconds" +%Y-%m-%dT%H:%M:%SZ)
sed -e "s|__N__|$n|g" -e "s|__START_AT__|$start_at|g" -e "s|__URL__|$url|g" -e "s|__DURATION__|$duration|g" "$here/job.yaml" | kubectl apply -f -
echo "shards start at $start_at" >&2
kubectl wait --for=condition=complete --timeout=30m job/gowrk || true
"$here/collect.sh" "$n"

#!/usr/bin/env bash
# Runs gowrk as an Indexed Job of N shards against URL for DURATION,
# started together START_IN seconds after the Job is created (time for the
# pods to be scheduled and to start), waits for the Job to end, then
# collects and merges the shards' reports (collect.sh, which gets the
# remaining arguments: gowrk merge's flags).
#   scripts/k8s/run.sh N URL [DURATION] [START_IN] [merge flags...]
#   e.g. run.sh 3 http://api:8080/ 60s 60 --fail-on 'p99<250ms'
# DURATION is whole seconds, minutes or hours (60s, 5m, 1h).
# Environment: GRACE (seconds, default 120): how long after the run's end
# the Job may take before Kubernetes stops it (activeDeadlineSeconds =
# START_IN + DURATION + GRACE), so that a pod never scheduled does not keep
# it waiting; JOB_YAML: the manifest (default: job.yaml beside this script).
# stdout holds only the merged report. Exit status: gowrk merge's (1 when a
# shard is missing or failed, 3 when a --fail-on threshold fails), or 2
# when the arguments are wrong or the Job cannot be created.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 2 ]; then echo "usage: run.sh N URL [DURATION] [START_IN] [merge flags...]" >&2; exit 2; fi
n=$1 url=$2 duration=${3:-60s} start_in=${4:-60}
shift $(($# < 4 ? $# : 4))
case $duration in
  *[!0-9smh]* | [smh]* | *[smh]?*) secs= ;;
  *s) secs=${duration%s} ;;
  *m) secs=$((${duration%m} * 60)) ;;
  *h) secs=$((${duration%h} * 3600)) ;;
  *) secs=$duration ;;
esac
if [ -z "$secs" ]; then echo "run.sh: DURATION $duration: give whole seconds, minutes or hours (60s, 5m, 1h)" >&2; exit 2; fi
deadline=$((start_in + secs + ${GRACE:-120}))
start_at=$(date -u -d "+${start_in} seconds" +%Y-%m-%dT%H:%M:%SZ)
# create, not apply: an earlier Job of this name must not be taken for this one.
if ! sed -e "s|__N__|$n|g" -e "s|__START_AT__|$start_at|g" -e "s|__URL__|$url|g" \
  -e "s|__DURATION__|$duration|g" -e "s|__DEADLINE__|$deadline|g" "${JOB_YAML:-$here/job.yaml}" |
  kubectl create -f - >&2; then
  echo "run.sh: the Job was not created (an earlier one? kubectl delete job gowrk)" >&2
  exit 2
fi
echo "run.sh: shards start at $start_at; the Job ends by ${deadline}s from now" >&2
while :; do
  cond=$(kubectl get job gowrk -o jsonpath='{range .status.conditions[?(@.status=="True")]}{.type} {.reason}{"\n"}{end}')
  case $'\n'$cond in
    *$'\n'Complete*) break ;;
    *$'\n'Failed*) echo "run.sh: the Job failed: $(printf '%s\n' "$cond" | sed -n 's/^Failed //p')" >&2; break ;;
  esac
  sleep 2
done
exec "$here/collect.sh" "$n" "$@"

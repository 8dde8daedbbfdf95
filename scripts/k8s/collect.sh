#!/usr/bin/env bash
# Collects the N shards' JSON reports of the gowrk Job (kubectl logs of
# each completion index) into reports/shard-I.json, and merges them:
# gowrk merge names missing or failed shards and exits 1 if any is missing.
#   scripts/k8s/collect.sh N [gowrk merge flags...]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=$1; shift
mkdir -p reports
files=()
for i in $(seq 0 $((n - 1))); do
  pod=$(kubectl get pods -l job-name=gowrk,batch.kubernetes.io/job-completion-index="$i" -o name | head -1)
  if [ -z "$pod" ]; then echo "shard $i: no pod" >&2; continue; fi
  kubectl logs "$pod" | "$here/extract-report.sh" > "reports/shard-$i.json"
  if [ -s "reports/shard-$i.json" ]; then files+=("reports/shard-$i.json"); else echo "shard $i: no report in its log" >&2; fi
done
exec gowrk merge "$@" "${files[@]}"

#!/usr/bin/env bash
# Collects the N shards' JSON reports of the gowrk Job (kubectl logs of the
# pod of each completion index that succeeded) into reports/shard-I.json,
# and merges them: gowrk merge names missing or failed shards and exits 1
# if any is missing. A shard with no pod, or none that succeeded, is
# missing; stderr says which and why (its pods' phases, the last line of a
# latest failed pod's log).
#   scripts/k8s/collect.sh N [gowrk merge flags...]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
n=$1; shift
mkdir -p reports
files=()
for i in $(seq 0 $((n - 1))); do
  rm -f "reports/shard-$i.json"
  # One line per pod of index i, oldest first: NAME PHASE.
  pods=$(kubectl get pods -l job-name=gowrk,batch.kubernetes.io/job-completion-index="$i" --sort-by=.metadata.creationTimestamp \
    -o jsonpath='{range .items[*]}{.metadata.name} {.status.phase}{"\n"}{end}')
  if [ -z "$pods" ]; then echo "shard $i: no pod" >&2; continue; fi
  pod=$(printf '%s\n' "$pods" | awk '$2 == "Succeeded" { print $1; exit }')
  if [ -z "$pod" ]; then
    last=$(printf '%s\n' "$pods" | tail -n 1 | cut -d' ' -f1)
    echo "shard $i: no pod succeeded ($(printf '%s\n' "$pods" | paste -sd, | sed 's/,/, /g')); $last's log ends: $(kubectl logs "$last" 2>&1 | tail -n 1)" >&2
    continue
  fi
  kubectl logs "$pod" | "$here/extract-report.sh" > "reports/shard-$i.json"
  if [ -s "reports/shard-$i.json" ]; then files+=("reports/shard-$i.json"); else echo "shard $i: no report in $pod's log" >&2; fi
done
exec gowrk merge "$@" "${files[@]}"

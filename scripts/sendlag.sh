#!/usr/bin/env bash
# Measures how well gowrk holds a constant-rate schedule: for each rate it
# runs gowrk -R against a loopback target and prints the achieved rate, the
# send lag (how late requests were sent against their schedule), the timer
# lateness of idle connections and the CPU gowrk used. Every run is bounded.
#
# usage: scripts/sendlag.sh [URL] [seconds] [rates...]
#   URL      default http://127.0.0.1:18080/ (nginx from scripts/bench/setup.sh)
#   seconds  default 5
#   rates    default 1 10 100 1000 10000 50000 100000
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
url=${1:-http://127.0.0.1:18080/}
secs=${2:-5}
shift $(( $# > 2 ? 2 : $# )) || true
rates=("$@")
[ ${#rates[@]} -gt 0 ] || rates=(1 10 100 1000 10000 50000 100000)
case "$url" in http://127.*|http://localhost*|http://\[::1\]*) ;; *) echo "loopback targets only" >&2; exit 2;; esac
gowrk="$here/gowrk"
[ -x "$gowrk" ] || (cd "$here" && make build >/dev/null)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '| rate/s | achieved/s | send lag p50 | p99 | max | timer lateness p99 | gowrk CPU s |\n|---|---|---|---|---|---|---|\n'
for r in "${rates[@]}"; do
  /usr/bin/time -f '%U %S' -o "$tmp/time" timeout $((secs + 10)) \
    "$gowrk" -t2 -c100 -d"${secs}s" -R "$r" -f json "$url" >"$tmp/out.json" 2>"$tmp/err" || true
  read -r user sys <"$tmp/time"
  /usr/bin/python3 - "$tmp/out.json" "$r" "$user" "$sys" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
lag = d["send_lag"]; pct = lag["percentiles_us"]
ms = lambda us: f"{us/1000:.2f} ms"
print(f"| {sys.argv[2]} | {d['rate']['achieved']:.1f} | {ms(pct['50'])} | {ms(pct['99'])} | {ms(lag['max_us'])} "
      f"| {ms(d['rate']['timer_lag_p99_us'])} | {float(sys.argv[3]) + float(sys.argv[4]):.2f} |")
PY
done

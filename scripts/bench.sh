#!/usr/bin/env bash
# gowrk's engines side by side with the peer tools, from a fresh clone:
# scripts/bench/setup.sh installs the peers from Debian (wrk, h2load, ab),
# builds wrk2 from the snapshot in scripts/bench/peers/, and starts nginx
# with one worker on CPU 1; every generator runs on CPU 0, bounded in time
# and under flock /tmp/bench.lock, rounds interleaved. The truth for every
# count is nginx's own (stub_status). Prints each run, then medians and
# ratios against the peer: the machines are small and noisy, so read ratios
# from one run, never absolute speeds.
#
#   1. HTTP/1.1 closed loop, -t1 -c50 (8 s) and -t1 -c10000 (5 s): requests
#      per generator CPU-second and peak RSS, gowrk --engine loop and
#      goroutine beside wrk, ab -k and h2load --h1;
#   2. -t1 -c100 -R 50k for 10 s: requests nginx counted and generator CPU,
#      gowrk beside wrk2;
#   3. p50 latency over gowrk serve --delay 10ms minus the server's own p50
#      service time: gowrk's overhead, beside wrk's;
#   4. HTTP/2, h2c and TLS: -t1 -c50 with 10 streams and with 1, and -t1
#      -c1000 with 10 streams (5 s), beside h2load -m10 / -m1;
#   5. Lua scripts (scripts/lua/): auth.lua, counter.lua, response.lua,
#      gowrk beside wrk running the same file, -t1 -c50 -d5s;
#   6. HTTP/3 beside HTTP/2 over TLS against the same Caddy, -t1 -c50
#      --streams 10 and -t1 -c1000 (scripts/bench-h3.sh): Caddy's count per
#      generator CPU-second, and peak RSS.
#
# usage: scripts/bench.sh [rounds] [sections]   (default 3 rounds, sections
#        123456; about 20 minutes; e.g. scripts/bench.sh 3 4 for HTTP/2 only)
#        GOWRK=path compares another build (default: make build's ./gowrk).
#        scripts/bench/stop.sh stops nginx afterwards.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
rounds=${1:-3}
sections=${2:-123456}
if [ -z "${GOWRK:-}" ]; then (cd "$here" && make build >/dev/null); fi
g="${GOWRK:-$here/gowrk}"
bash "$here/scripts/bench/setup.sh"
export PATH="${PEERS_BIN:-/tmp/peers/bin}:$PATH:/usr/sbin"
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
out=$(mktemp -d /tmp/gowrk-bench-XXXX)
# The lock is opened for reading (flock(1)'s way, as bench-ab.sh and
# bench-h3.sh take it), so a lock file another user made still serves.
[ -e /tmp/bench.lock ] || : >/tmp/bench.lock
echo "# $(date -u +%FT%TZ) $(nproc) CPUs; gowrk $("$g" --version 2>&1 | head -1); $(wrk -v 2>&1 | head -1 | cut -c1-30); $(h2load --version 2>&1 | head -1); $(nginx -v 2>&1); raw results in $out"

# median_awk defines median(list) for awk: the median of a space-separated
# list of numbers (every table below takes its medians with it).
median_awk='
  function median(list,   a, i, j, m, x) { m = split(list, a, " ")
    for (i = 2; i <= m; i++) { x = a[i] + 0; for (j = i - 1; j >= 1 && a[j] + 0 > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
    return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2 }'
# sendlag FILE: the send lag p50 and p99 (us, tab apart) of gowrk's JSON
# report in FILE (stderr lines around it are skipped).
sendlag() {
  python3 -c 'import json, sys
t = open(sys.argv[1]).read(); d, _ = json.JSONDecoder().raw_decode(t[t.index("{"):])
p = d["send_lag"]["percentiles_us"]; print(p["50"], p["99"], sep="\t")' "$1" 2>/dev/null || printf -- '-\t-\n'
}
# lagmedians: the medians of section 2's send lag p50 and p99 over the
# rounds ($out/lag.tsv, a line a round), or "- -" when none was read.
lagmedians() {
  awk -F'\t' "$median_awk"'$1 ~ /^[0-9]+$/ { p50 = p50 " " $1; p99 = p99 " " $2 }
    END { if (p50 == "") print "- -"; else print median(p50), median(p99) }' "$out/lag.tsv" 2>/dev/null || echo "- -"
}
stub() { curl -s http://127.0.0.1:18089/ | awk 'NR==3{print $3}'; }
# sleeps: the nginx worker's voluntary context switches so far, the times
# it went to sleep with nothing to read (few per request: they came in
# bursts), as "PID COUNT"; "- -" when it cannot be read.
sleeps() {
  local w
  w=$(pgrep -P "$(cat "${GOWRK_BENCH_RUN:-/tmp/gowrk-bench}/nginx/nginx.pid" 2>/dev/null)" 2>/dev/null | head -1) &&
    awk -v w="$w" '/^voluntary_ctxt_switches/{print w, $2; found = 1} END{if (!found) print "- -"}' "/proc/$w/status" 2>/dev/null ||
    echo "- -"
}
# slept BEFORE AFTER: the worker's sleeps between two readings of sleeps;
# "-" when either failed or the worker was replaced between them.
slept() {
  set -- $1 $2
  if [ "$1" != - ] && [ "$1" = "$3" ]; then echo $(($4 - $2)); else echo -; fi
}
# counted SECTION WORKLOAD TOOL ROUND CMD...: runs CMD on CPU 0 under the
# bench lock (30 s at most), sets n (requests nginx counted during it, less
# the stub_status request itself), c (CPU seconds), rss (peak MB) and z
# (the nginx worker's sleeps), all read inside the lock so that no other
# run is counted, and appends them to $out/results.tsv.
counted() {
  local sec=$1 wl=$2 tool=$3 round=$4 a b s0
  shift 4
  {
    flock 9
    a=$(stub); s0=$(sleeps)
    taskset -c 0 /usr/bin/time -f "%U %S %M" -o "$out/time" timeout 30 "$@" >"$out/$sec-$wl-$tool-$round.out" 2>&1 || true
    b=$(stub); z=$(slept "$s0" "$(sleeps)")
  } 9</tmp/bench.lock
  n=$((b - a - 1))
  c=$(awk '{printf "%.2f", $1 + $2}' "$out/time")
  rss=$(awk '{printf "%.0f", $3/1024}' "$out/time")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$sec" "$wl" "$tool" "$round" "$n" "$c" "$rss" "$z" >>"$out/results.tsv"
  echo "| $wl | $tool | $round | $n | $c | $(awk -v c="$c" -v n="$n" 'BEGIN{if (c > 0) printf "%.0f", n/c; else print "-"}') | $rss |"
}
runs_header() {
  echo "| workload | tool | round | requests nginx counted | generator CPU s | per CPU-s | peak RSS MB |"
  echo "|---|---|---|---|---|---|---|"
}
# summary SECTION PEER: medians over the rounds of requests per CPU-second,
# requests counted and peak RSS for each workload and tool, and each tool's
# ratio to PEER's median on the same workload.
summary() {
  echo
  echo "Medians over $rounds rounds, as ratios to $2 on the same workload:"
  echo "| workload | tool | per CPU-s | x $2 | requests counted | peak RSS MB | RSS x $2 |"
  echo "|---|---|---|---|---|---|---|"
  awk -F'\t' -v sec="$1" -v peer="$2" "$median_awk"'
    function ratio(a, b) { return b > 0 ? sprintf("%.2f", a / b) : "-" }
    $1 == sec { k = $2 SUBSEP $3; if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
      pcs[k] = pcs[k] " " ($6 > 0 ? $5 / $6 : 0); cnt[k] = cnt[k] " " $5; rss[k] = rss[k] " " $7 }
    END {
      for (i = 1; i <= nk; i++) { k = order[i]; split(k, w, SUBSEP)
        p = median(pcs[k]); r = median(rss[k]); pk = w[1] SUBSEP peer
        pp = (pk in pcs) ? median(pcs[pk]) : 0; pr = (pk in rss) ? median(rss[pk]) : 0
        printf "| %s | %s | %.0f | %s | %.0f | %.0f | %s |\n", w[1], w[2], p, ratio(p, pp), median(cnt[k]), r, ratio(r, pr) }
    }' "$out/results.tsv"
}

if [[ $sections == *1* ]]; then
echo
echo "## 1. HTTP/1.1 closed loop, -t1, 50 connections for 8 s and 10,000 for 5 s"
runs_header
for r in $(seq 1 "$rounds"); do
  for wl in c50 c10000; do
    C=${wl#c}; D=8; [ "$C" = 10000 ] && D=5
    u=http://127.0.0.1:18080/
    counted 1 "$wl" wrk "$r" wrk -t1 -c"$C" -d"$D"s --timeout 10s "$u"
    counted 1 "$wl" ab "$r" ab -q -k -c "$C" -t "$D" -n 50000000 "$u"
    counted 1 "$wl" h2load-h1 "$r" h2load --h1 -t1 -c"$C" -D "$D" "$u"
    counted 1 "$wl" gowrk-loop "$r" "$g" -q --engine loop -t1 -c"$C" -d"$D"s "$u"
    counted 1 "$wl" gowrk-goroutine "$r" "$g" -q --engine goroutine -t1 -c"$C" -d"$D"s "$u"
  done
done
summary 1 wrk
fi

if [[ $sections == *2* ]]; then
echo
echo "## 2. -t1 -c100 -R 50000 for 10 s: of 500,000 due, what nginx counted, and the generator's CPU"
if command -v wrk2 >/dev/null 2>&1; then
  runs_header
  for r in $(seq 1 "$rounds"); do
    counted 2 R50k wrk2 "$r" wrk2 -t1 -c100 -d10s -R50000 http://127.0.0.1:18080/
    counted 2 R50k gowrk-loop "$r" "$g" -q -f json --engine loop -t1 -c100 -d10s -R50k http://127.0.0.1:18080/
    sendlag "$out/2-R50k-gowrk-loop-$r.out" >>"$out/lag.tsv"
  done
  summary 2 wrk2
  echo "(requests counted over 500,000 is the share of the schedule delivered; per CPU-s is requests nginx counted per generator CPU-second)"
  echo
  echo "How the requests came (medians): nginx's sleeps per 1,000 requests (few: they came in bursts), and gowrk's send lag (how late each request went against its schedule; wrk2 does not report its own):"
  echo "| tool | nginx sleeps per 1,000 requests | send lag p50 us | p99 us |"
  echo "|---|---|---|---|"
  read -r p50 p99 <<<"$(lagmedians)"
  awk -F'\t' -v p50="$p50" -v p99="$p99" "$median_awk"'
    $1 == 2 && $5 > 0 && $8 ~ /^[0-9]+$/ { sl[$3] = sl[$3] " " 1000 * $8 / $5 }
    END { split("wrk2 gowrk-loop", k, " ")
      for (i = 1; i <= 2; i++) printf "| %s | %s | %s | %s |\n", k[i], (sl[k[i]] == "" ? "-" : sprintf("%.1f", median(sl[k[i]]))), (i == 1 ? "-" : p50), (i == 1 ? "-" : p99) }' "$out/results.tsv"
else
  echo "wrk2 is missing: scripts/bench/setup.sh builds it from scripts/bench/peers/ (needs build-essential and libssl-dev)"
fi
fi

if [[ $sections == *3* ]]; then
echo
echo "## 3. overhead over a known 10 ms service time (gowrk serve --delay 10ms; -t1 -c10 -d5s)"
echo "| tool | round | tool's p50 | server's p50 | overhead |"
echo "|---|---|---|---|---|"
us() { # "10.52ms" / "812.00us" / "1.02s" -> microseconds
  awk -v v="$1" 'BEGIN{ if (v ~ /us$/) {sub(/us$/,"",v); print v+0} else if (v ~ /ms$/) {sub(/ms$/,"",v); print v*1000} else {sub(/s$/,"",v); print v*1e6} }'
}
for r in $(seq 1 "$rounds"); do
  for tool in wrk gowrk-loop; do
    taskset -c 1 "$g" serve -l 127.0.0.1:18099 --delay 10ms -d 8s >/tmp/bench-serve.out 2>/dev/null &
    sp=$!
    sleep 0.5
    case $tool in
      wrk) flock /tmp/bench.lock taskset -c 0 wrk -t1 -c10 -d5s --latency http://127.0.0.1:18099/ >/tmp/bench-ovh.out 2>&1 || true
           p50=$(awk '/^ +50%/{print $2}' /tmp/bench-ovh.out) ;;
      gowrk-loop) flock /tmp/bench.lock taskset -c 0 "$g" --engine loop -t1 -c10 -d5s --latency http://127.0.0.1:18099/ >/tmp/bench-ovh.out 2>&1 || true
           p50=$(awk '/^ +50%/{print $2}' /tmp/bench-ovh.out) ;;
    esac
    wait "$sp" || true
    sp50=$(sed -n 's/.* p50 \([^,]*\),.*/\1/p' /tmp/bench-serve.out)
    echo "| $tool | $r | $p50 | $sp50 | $(awk -v a="$(us "$p50")" -v b="$(us "$sp50")" 'BEGIN{printf "%.0fus", a-b}') |"
  done
done
fi

if [[ $sections == *4* ]]; then
echo
echo "## 4. HTTP/2, -t1: 50 connections x 10 streams and x 1 (8 s), 1,000 x 10 (5 s); h2c and TLS"
runs_header
for r in $(seq 1 "$rounds"); do
  for proto in h2c tls; do
    u=http://127.0.0.1:18081/; tls=(--h2c); [ $proto = tls ] && { u=https://127.0.0.1:18443/; tls=(-k --http2); }
    for wl in c50m10 c50m1 c1000m10; do
      C=${wl#c}; C=${C%m*}; M=${wl#*m}; D=8; [ "$C" = 1000 ] && D=5
      counted 4 "$proto-$wl" h2load "$r" h2load -t1 -c"$C" -m"$M" -D "$D" "$u"
      counted 4 "$proto-$wl" gowrk "$r" "$g" -q "${tls[@]}" -t1 -c"$C" --streams "$M" -d"$D"s "$u"
    done
  done
done
summary 4 h2load
fi

if [[ $sections == *5* ]]; then
echo
echo "## 5. Lua scripts, -t1 -c50 -d5s"
runs_header
for r in $(seq 1 "$rounds"); do
  for script in auth counter response; do
    f="$here/scripts/lua/$script.lua"
    counted 5 "$script" wrk "$r" wrk -t1 -c50 -d5s -s "$f" http://127.0.0.1:18080/
    counted 5 "$script" gowrk "$r" "$g" -q -t1 -c50 -d5s -s "$f" http://127.0.0.1:18080/
  done
done
summary 5 wrk
fi

if [[ $sections == *6* ]]; then
echo
echo "## 6. HTTP/3 beside HTTP/2 over TLS, against Caddy (Caddy's count per generator CPU-second)"
bash "$here/scripts/bench-h3.sh" "$g" "$rounds"
fi

# The headline table (issue 28's shape): one row per workload, gowrk's
# median beside the peer's from the sections that ran, as ratios.
echo
echo "## Summary: gowrk beside the peer, medians over $rounds rounds (ratios from this run only)"
echo "| workload | peer | gowrk | ratio |"
echo "|---|---|---|---|"
awk -F'\t' "$median_awk"'
  function has(k) { return (k in cnt) }
  function m(arr, k) { return median(arr[k]) }
  { k = $1 SUBSEP $2 SUBSEP $3; cnt[k] = cnt[k] " " $5; cpu[k] = cpu[k] " " $6; rss[k] = rss[k] " " $7
    pcs[k] = pcs[k] " " ($6 > 0 ? $5 / $6 : 0) }
  # row LABEL SEC WL PEER GOWRK: per CPU-s and peak RSS
  function row(label, sec, wl, peer, g,   kp, kg, a, b) {
    kp = sec SUBSEP wl SUBSEP peer; kg = sec SUBSEP wl SUBSEP g
    if (!has(kp) || !has(kg)) return
    a = m(pcs, kp); b = m(pcs, kg)
    printf "| %s, per CPU-s; peak RSS | %s %.0f; %.0f MB | %.0f; %.0f MB | %.2fx; %.2fx |\n", label, peer, a, m(rss, kp), b, m(rss, kg), (a > 0 ? b / a : 0), (m(rss, kp) > 0 ? m(rss, kg) / m(rss, kp) : 0)
  }
  END {
    row("HTTP/1.1 -t1 -c50", 1, "c50", "wrk", "gowrk-loop")
    row("HTTP/1.1 -t1 -c10000", 1, "c10000", "wrk", "gowrk-loop")
    row("h2c -c50 x 10 streams", 4, "h2c-c50m10", "h2load", "gowrk")
    row("h2c -c1000 x 10 streams", 4, "h2c-c1000m10", "h2load", "gowrk")
    row("TLS -c50 x 10 streams", 4, "tls-c50m10", "h2load", "gowrk")
    row("TLS -c1000 x 10 streams", 4, "tls-c1000m10", "h2load", "gowrk")
    kp = 2 SUBSEP "R50k" SUBSEP "wrk2"; kg = 2 SUBSEP "R50k" SUBSEP "gowrk-loop"
    if (has(kp) && has(kg)) {
      a = m(cnt, kp); b = m(cnt, kg); ca = m(cpu, kp); cb = m(cpu, kg)
      printf "| -t1 -c100 -R 50k 10 s: delivered (of 500,000), CPU s | wrk2 %.0f (%.1f%%), %.2f s | %.0f (%.1f%%), %.2f s | %.2fx CPU (%.2fx per delivered request) |\n", a, a / 5000, ca, b, b / 5000, cb, (ca > 0 ? cb / ca : 0), ((ca > 0 && b > 0) ? (cb / b) / (ca / a) : 0)
    }
  }' "$out/results.tsv"
read -r p50 p99 <<<"$(lagmedians)"
[ "$p50" = - ] || echo "(-R 50k: gowrk sent its requests with a median send lag of $p50 us, p99 $p99 us; wrk2 does not report its own)"

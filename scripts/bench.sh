#!/usr/bin/env bash
# gowrk's engines side by side with the peer tools, on ../shared/bench
# (generator pinned to CPU 0, nginx to CPU 1, rounds interleaved; every run
# bounded in time and wrapped in flock /tmp/bench.lock). Prints ratios, not
# absolute speeds: the machines are small and noisy.
#
#   1. -t1 -c50 and -t1 -c10000: requests per generator CPU-second and peak
#      RSS, gowrk --engine loop and --engine goroutine beside wrk, ab -k and
#      h2load --h1 (peers.sh suites h1 and mem);
#   2. -t1 -c100 -R 50k for 10 s: the rate nginx counted and the generator's
#      CPU, gowrk beside wrk2 (built by setup.sh into /tmp/peers/bin/wrk2);
#   3. p50 latency over gowrk serve --delay 10ms minus the server's own p50
#      service time: gowrk's overhead, beside wrk's;
#   4. HTTP/2, h2c and TLS: -t1 -c50 with 10 streams and with 1, and -t1
#      -c1000 with 10 streams, beside h2load -m10 / -m1: requests nginx
#      counted per generator CPU-second, and peak RSS.
#   5. Lua scripts (scripts/lua/): a static one (auth.lua), a dynamic
#      request() (counter.lua) and a response() (response.lua), gowrk beside
#      wrk running the same file, -t1 -c50 -d5s: nginx's count per generator
#      CPU-second.
#   6. HTTP/3 beside HTTP/2 over TLS against the same Caddy, -t1 -c50
#      --streams 10 and -t1 -c1000 (scripts/bench-h3.sh): Caddy's count per
#      generator CPU-second, and peak RSS.
#
# usage: scripts/bench.sh [rounds] [sections]   (default 3 rounds, sections
#        123456; about 16 minutes; e.g. scripts/bench.sh 3 4 for HTTP/2 only)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bench="${BENCH:-$here/../shared/bench}"
rounds=${1:-3}
sections=${2:-123456}
(cd "$here" && make build >/dev/null)
g="$here/gowrk"
bash "$bench/setup.sh" --no-app >/dev/null
export PATH="/tmp/peers/bin:$PATH"

if [[ $sections == *1* ]]; then
echo "## 1. closed loop, 50 and 10,000 connections"
bash "$bench/peers.sh" --suites h1,mem --rounds "$rounds" \
  --only wrk,ab,h2load-h1,gowrk-loop,gowrk-goroutine \
  --gen "h1|gowrk-loop|wrk|$g --engine loop -t1 -c{C} -d{D}s --latency {URL}" \
  --gen "h1|gowrk-goroutine|wrk|$g --engine goroutine -t1 -c{C} -d{D}s --latency {URL}" \
  --gen "mem|gowrk-loop|wrk|$g --engine loop -t1 -c{C} -d{D}s {URL}" \
  --gen "mem|gowrk-goroutine|wrk|$g --engine goroutine -t1 -c{C} -d{D}s {URL}" | sed -n '/^### suite/,$p'

fi

stub() { curl -s http://127.0.0.1:18089/ | awk 'NR==3{print $3}'; }
cpu_of() { awk '{printf "%.2f", $1 + $2}' "$1"; }
# counted CMD...: runs CMD on CPU 0 under the bench lock (30 s at most) and
# sets n (requests nginx counted during it), c (its CPU seconds) and rss (MB).
counted() {
  local a b
  a=$(stub)
  flock /tmp/bench.lock taskset -c 0 /usr/bin/time -f "%U %S %M" -o /tmp/bench-counted.time timeout 30 "$@" >/tmp/bench-counted.out 2>&1 || true
  b=$(stub)
  n=$((b - a - 1))
  c=$(cpu_of /tmp/bench-counted.time)
  rss=$(awk '{printf "%.0f", $3/1024}' /tmp/bench-counted.time)
}
if [[ $sections == *2* ]]; then
echo
echo "## 2. -t1 -c100 -R 50000 for 10 s (nginx's count; generator CPU seconds)"
echo "| tool | round | requests nginx counted | of 500,000 | generator CPU s | CPU us per request |"
echo "|---|---|---|---|---|---|"
for r in $(seq 1 "$rounds"); do
  for tool in wrk2 gowrk-loop; do
    case $tool in
      wrk2) cmd=(wrk2 -t1 -c100 -d10s -R50000 http://127.0.0.1:18080/) ;;
      gowrk-loop) cmd=("$g" --engine loop -t1 -c100 -d10s -R50k http://127.0.0.1:18080/) ;;
    esac
    counted "${cmd[@]}"
    echo "| $tool | $r | $n | $(awk -v n="$n" 'BEGIN{printf "%.2f%%", 100*n/500000}') | $c | $(awk -v c="$c" -v n="$n" 'BEGIN{printf "%.2f", 1e6*c/n}') |"
  done
done

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
echo "## 4. HTTP/2, -t1 -c50 (peers.sh suites h2c and h2tls; nginx's count per generator CPU-second)"
bash "$bench/peers.sh" --suites h2c,h2tls --rounds "$rounds" \
  --only h2load-m10,h2load-m1,gowrk-m10,gowrk-m1 \
  --gen "h2c|gowrk-m10|wrk|$g -q -t1 -c{C} --h2c --streams 10 -d{D}s {URL}" \
  --gen "h2c|gowrk-m1|wrk|$g -q -t1 -c{C} --h2c -d{D}s {URL}" \
  --gen "h2tls|gowrk-m10|wrk|$g -q -k -t1 -c{C} --http2 --streams 10 -d{D}s {URL}" \
  --gen "h2tls|gowrk-m1|wrk|$g -q -k -t1 -c{C} --http2 -d{D}s {URL}" | sed -n '/^### suite/,$p'
echo
echo "## 4b. HTTP/2, -t1 -c1000, 10 streams each, 5 s"
echo "| tool | protocol | round | requests nginx counted | generator CPU s | per CPU-s | peak RSS MB |"
echo "|---|---|---|---|---|---|---|"
for r in $(seq 1 "$rounds"); do
  for proto in h2c tls; do
    url=http://127.0.0.1:18081/; [ $proto = tls ] && url=https://127.0.0.1:18443/
    for tool in h2load gowrk; do
      case $tool in
        h2load) cmd=(h2load -t1 -c1000 -m10 -D5 "$url") ;;
        gowrk) if [ $proto = tls ]; then cmd=("$g" -q -k --http2 -t1 -c1000 --streams 10 -d5s "$url"); else cmd=("$g" -q --h2c -t1 -c1000 --streams 10 -d5s "$url"); fi ;;
      esac
      counted "${cmd[@]}"
      echo "| $tool | $proto | $r | $n | $c | $(awk -v c="$c" -v n="$n" 'BEGIN{printf "%.0f", n/c}') | $rss |"
    done
  done
done
fi

if [[ $sections == *5* ]]; then
echo
echo "## 5. Lua scripts, -t1 -c50 -d5s (nginx's count per generator CPU-second)"
echo "| script | tool | round | requests nginx counted | generator CPU s | per CPU-s |"
echo "|---|---|---|---|---|---|"
for r in $(seq 1 "$rounds"); do
  for script in auth counter response; do
    for tool in wrk gowrk; do
      f="$here/scripts/lua/$script.lua"
      case $tool in
        wrk) cmd=(wrk -t1 -c50 -d5s -s "$f" http://127.0.0.1:18080/) ;;
        gowrk) cmd=("$g" -q -t1 -c50 -d5s -s "$f" http://127.0.0.1:18080/) ;;
      esac
      counted "${cmd[@]}"
      echo "| $script | $tool | $r | $n | $c | $(awk -v c="$c" -v n="$n" 'BEGIN{printf "%.0f", n/c}') |"
    done
  done
done
fi

if [[ $sections == *6* ]]; then
echo
echo "## 6. HTTP/3 beside HTTP/2 over TLS, against Caddy (Caddy's count per generator CPU-second)"
bash "$here/scripts/bench-h3.sh" "$g" "$rounds"
fi

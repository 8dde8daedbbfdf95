#!/usr/bin/env bash
# HTTP/3 beside HTTP/2 over TLS against the same Caddy (Debian's 2.6.2,
# `servers { protocols h1 h2 h3 }`, respond "hello"): requests Caddy's
# access log counted per generator CPU-second, and peak RSS, at -t1 -c50
# --streams 10 and -t1 -c1000, 5 s each. gowrk on CPU 0, Caddy on CPU 1;
# every run bounded in time and under flock /tmp/bench.lock. Ratios, not
# absolute speeds: the machines are small and shared.
#
# usage: scripts/bench-h3.sh [gowrk binary] [rounds]   (bench.sh section 6)
set -euo pipefail
g=${1:-./gowrk}
rounds=${2:-1}
command -v caddy >/dev/null || { echo "caddy is not installed (scripts/install-test-deps.sh)"; exit 1; }
dir=$(mktemp -d)
port=18543
cat > "$dir/Caddyfile" <<CONF
{
	admin off
	auto_https disable_redirects
	skip_install_trust
	local_certs
	servers {
		protocols h1 h2 h3
	}
}
https://localhost:$port {
	tls internal
	log {
		output file $dir/access.log
		format json
	}
	respond "hello" 200
}
CONF
HOME=$dir XDG_DATA_HOME=$dir XDG_CONFIG_HOME=$dir taskset -c 1 timeout 600 caddy run --config "$dir/Caddyfile" --adapter caddyfile >"$dir/caddy.out" 2>&1 &
caddy_pid=$!
trap 'kill $caddy_pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do [ -f "$dir/access.log" ] && break; curl -sk -o /dev/null "https://localhost:$port/" || true; sleep 0.2; done
logged() { grep -c "\"proto\":\"$1\"" "$dir/access.log" || true; }
echo "| run | protocol | round | requests Caddy counted | generator CPU s | per CPU-s | peak RSS MB |"
echo "|---|---|---|---|---|---|---|"
for r in $(seq 1 "$rounds"); do
  for conc in "-c50 --streams 10" "-c1000"; do
    for proto in http2 http3; do
      log=HTTP/2.0; [ $proto = http3 ] && log=HTTP/3.0
      a=$(logged $log)
      # shellcheck disable=SC2086
      flock /tmp/bench.lock taskset -c 0 /usr/bin/time -f "%U %S %M" -o "$dir/time" timeout 30 "$g" -q -k -t1 $conc -d5s --$proto "https://localhost:$port/" >/dev/null 2>&1 || true
      sleep 1
      b=$(logged $log)
      read -r u s m < "$dir/time"
      awk -v run="$conc" -v p=$proto -v r="$r" -v n=$((b - a)) -v u="$u" -v s="$s" -v m="$m" \
        'BEGIN{c=u+s; printf "| %s | %s | %d | %d | %.2f | %.0f | %.0f |\n", run, p, r, n, c, n/c, m/1024}'
    done
  done
done

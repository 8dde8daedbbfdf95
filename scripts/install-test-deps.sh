#!/usr/bin/env bash
# Installs, from Debian's packages, the real servers gowrk's tests run
# against: nginx (nginx-light, with stub_status and HTTP/2), FastAPI
# under uvicorn, Prometheus, Chromium (the HTML report), stress-ng (a CPU
# hog beside the capacity search), for HTTP/2 nghttpd, h2load, hypercorn
# and Node, tinyproxy (--proxy) and for HTTP/3 Caddy. Idempotent; needs root (or sudo) only when something is missing.
set -euo pipefail
need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
/usr/bin/python3 -c 'import fastapi, uvicorn' >/dev/null 2>&1 || need+=(python3-fastapi python3-uvicorn)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
# HTTP/2 interop: nghttpd, h2load, hypercorn, Node's http2 module.
command -v nghttpd >/dev/null 2>&1 || need+=(nghttp2-server)
command -v h2load >/dev/null 2>&1 || need+=(nghttp2-client)
/usr/bin/python3 -c 'import hypercorn' >/dev/null 2>&1 || need+=(python3-hypercorn)
command -v node >/dev/null 2>&1 || need+=(nodejs)
# --proxy's tests go through a real forward proxy (HTTP and CONNECT).
command -v tinyproxy >/dev/null 2>&1 || [ -x /usr/bin/tinyproxy ] || need+=(tinyproxy)
# HTTP/3: Caddy serves it beside HTTP/1.1 and HTTP/2 (cli/caddy_h3_test.go).
command -v caddy >/dev/null 2>&1 || need+=(caddy)
# The HTML report's test opens it in headless Chromium.
[ -x /usr/bin/chromium ] || need+=(chromium)
# The capacity search's test runs a CPU hog beside it: stress-ng (the
# test binary spins on one CPU instead where it is missing).
command -v stress-ng >/dev/null 2>&1 || need+=(stress-ng)
if [ ${#need[@]} -eq 0 ]; then
  echo "test dependencies present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null

#!/usr/bin/env bash
# Installs, from Debian's packages, the real servers gowrk's tests run
# against: nginx (nginx-light, with stub_status and HTTP/2) and FastAPI
# under uvicorn. Idempotent; needs root (or sudo) only when something is missing.
set -euo pipefail
need=()
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
/usr/bin/python3 -c 'import fastapi, uvicorn' >/dev/null 2>&1 || need+=(python3-fastapi python3-uvicorn)
command -v prometheus >/dev/null 2>&1 || need+=(prometheus)
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

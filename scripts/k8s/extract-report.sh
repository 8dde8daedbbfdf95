#!/usr/bin/env bash
# Reads a pod's log (stdout and stderr together, as kubectl logs gives them)
# and writes the JSON report in it: the lines from a line "{" to a line "}".
# gowrk writes its warnings as lines starting "gowrk:", never inside the report.
set -euo pipefail
sed -n '/^{$/,/^}$/p'

#!/bin/sh
# build.sh builds the control plane that test/k8s runs the Indexed Job recipe
# against (etcd, kube-apiserver, kube-controller-manager, kubectl) into
#   ${GOWRK_K8S_CACHE:-$HOME/.cache/gowrk-k8s}/<key>/
# where <key> is a hash of this directory's go.mod and go.sum, and prints that
# directory on stdout. A directory that holds all four programs is reused: the
# cold build takes about 20 minutes on 2 cores, a warm one nothing.
#
# The build runs under nice so that it yields the CPU to whatever else runs.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
key=$(cat "$here/go.mod" "$here/go.sum" | sha256sum | cut -c1-16)
dir=${GOWRK_K8S_CACHE:-$HOME/.cache/gowrk-k8s}/$key
progs="etcd kube-apiserver kube-controller-manager kubectl"

complete() {
	for p in $progs; do [ -x "$dir/$p" ] || return 1; done
}

if ! complete; then
	mkdir -p "$dir"
	tmp=$(mktemp -d "$dir/.build.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	start=$(date +%s)
	cd "$here"
	echo "build.sh: building the control plane into $dir (about 20 minutes cold on 2 cores)" >&2
	nice -n 10 go build -trimpath -o "$tmp/etcd" ./etcd
	for p in kube-apiserver kube-controller-manager kubectl; do
		nice -n 10 go build -trimpath -o "$tmp/$p" "k8s.io/kubernetes/cmd/$p"
	done
	# Move into place only once all four are built, so that an interrupted
	# build is never taken for a complete one.
	for p in $progs; do mv "$tmp/$p" "$dir/$p"; done
	echo "build.sh: built in $(($(date +%s) - start)) s" >&2
fi
echo "$dir"

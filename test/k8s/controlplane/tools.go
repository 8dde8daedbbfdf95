//go:build tools

// Package controlplane only names the programs build.sh builds, so that go mod
// tidy keeps the modules they need.
package controlplane

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)

// Command etcd is etcd's own server, built from go.etcd.io/etcd/server/v3 so
// that the control plane of test/k8s needs no package from outside Go modules.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }

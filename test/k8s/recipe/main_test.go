// Package recipe tests scripts/k8s, the Indexed Job recipe: TestK8sRecipe
// decodes the Job and runs its command line as local processes (fast, no
// cluster); TestK8sRun runs run.sh and collect.sh unchanged with a real
// kubectl against a real control plane (package cluster) whose nodes run
// pods as local processes (package nodeagent). make k8s-test runs them.
package recipe

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gowrk/gowrk/test/k8s/cluster"
	"github.com/gowrk/gowrk/test/k8s/nodeagent"
)

// root is the checkout's root, where scripts/k8s and gowrk's main are.
var root, _ = filepath.Abs("../../..")

// binDir holds the gowrk built from the checkout and (when the control
// plane is built) kubectl: the pods' PATH, and the scripts'.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "gowrk-k8s-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	binDir = filepath.Join(dir, "bin")
	code := 2
	if out, err := exec.Command("go", "build", "-C", root, "-o", filepath.Join(binDir, "gowrk"), ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build gowrk: %v: %s\n", err, out)
	} else {
		code = m.Run()
	}
	if env != nil {
		env.agent.Stop()
		if err := env.cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	if code == 0 {
		os.RemoveAll(dir)
	} else {
		fmt.Fprintf(os.Stderr, "the cluster's logs and the pods' are under %s\n", dir)
	}
	os.Exit(code)
}

// testEnv is the control plane and its node agent, shared by the tests
// that need them, started by the first (clusterOnce) and stopped by
// TestMain.
type testEnv struct {
	cluster *cluster.Cluster
	agent   *nodeagent.Agent
}

var (
	env         *testEnv
	envErr      error
	clusterOnce sync.Once
)

// nodes is how many nodes the agent registers, each with 2 CPUs: job.yaml
// asks 2 CPUs per pod, so one shard per node.
const nodes = 3

// needCluster returns the shared cluster, starting it on first use from
// the programs in $GOWRK_K8S_BIN (make k8s-test builds them and sets it);
// without it the test skips.
func needCluster(t *testing.T) *testEnv {
	bin := os.Getenv("GOWRK_K8S_BIN")
	if bin == "" {
		t.Skip("GOWRK_K8S_BIN is not set: make k8s-test builds the control plane (test/k8s/controlplane/build.sh) and sets it")
	}
	clusterOnce.Do(func() {
		if err := os.Symlink(filepath.Join(bin, "kubectl"), filepath.Join(binDir, "kubectl")); err != nil {
			envErr = err
			return
		}
		dir := filepath.Join(filepath.Dir(binDir), "cluster")
		logs := filepath.Join(filepath.Dir(binDir), "pods")
		os.MkdirAll(dir, 0o755)
		os.MkdirAll(logs, 0o755)
		ctx := context.Background()
		c, err := cluster.Start(ctx, bin, dir)
		if err != nil {
			envErr = err
			return
		}
		a, err := nodeagent.Start(ctx, c.Client, nodeagent.Config{Nodes: nodes, CPU: "2",
			Path: binDir + ":/usr/bin:/bin", LogDir: logs})
		if err != nil {
			c.Stop()
			envErr = err
			return
		}
		env = &testEnv{cluster: c, agent: a}
	})
	if envErr != nil {
		t.Fatalf("the control plane: %v", envErr)
	}
	return env
}

// mergedReport is the part of gowrk merge -f json's report the tests read.
type mergedReport struct {
	Requests uint64 `json:"requests"`
	InFlight uint64 `json:"in_flight_at_stop"`
	Config   struct {
		Connections int `json:"connections"`
	} `json:"config"`
	Merged struct {
		Parts      int   `json:"parts"`
		Count      int   `json:"shard_count"`
		Missing    []int `json:"missing_shards"`
		Incomplete bool  `json:"incomplete"`
		Spread     int64 `json:"start_spread_us"`
	} `json:"merged"`
}

func decodeMerged(t *testing.T, out []byte) mergedReport {
	t.Helper()
	var m mergedReport
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("stdout is not one JSON report: %v: %.300s", err, out)
	}
	return m
}

// script runs scripts/k8s/NAME with args in dir, with kubeconfig, PATH
// holding gowrk and kubectl, and extra environment; it returns the exit
// code, stdout and stderr.
func script(t *testing.T, dir, kubeconfig string, extra []string, name string, args ...string) (int, []byte, string) {
	t.Helper()
	return startScript(t, dir, kubeconfig, extra, name, args...)()
}

// startScript starts what script runs and returns the function that waits
// for it.
func startScript(t *testing.T, dir, kubeconfig string, extra []string, name string, args ...string) func() (int, []byte, string) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{filepath.Join(root, "scripts/k8s", name)}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "KUBECONFIG="+kubeconfig, "PATH="+binDir+":"+os.Getenv("PATH"))
	cmd.Env = append(cmd.Env, extra...)
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return func() (int, []byte, string) {
		t.Helper()
		err := cmd.Wait()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		} else if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s %q: exit %d after %s; stderr:\n%s", name, args, code, time.Since(start).Round(time.Second), errb.String())
		return code, []byte(out.String()), errb.String()
	}
}

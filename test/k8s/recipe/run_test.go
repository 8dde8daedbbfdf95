package recipe

import (
	"context"
	"strings"
	"testing"

	"github.com/gowrk/gowrk/loadgen/testserver"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestK8sRun runs scripts/k8s/run.sh unchanged, with a real kubectl,
// against the real control plane: the real job controller creates one pod
// per completion index, the node agent runs them on three nodes as gowrk
// processes against one counting server on loopback, and collect.sh
// merges their kubectl logs. The merged count is the server's (up to what
// was in flight at the stops), the start spread is reported, and a
// threshold is evaluated on the merged figures (exit 3).
func TestK8sRun(t *testing.T) {
	e := needCluster(t)
	ctx := context.Background()
	kc, err := e.cluster.Namespace(ctx, "run")
	if err != nil {
		t.Fatal(err)
	}
	srv := testserver.StartT(t, testserver.Behaviour{})
	dir := t.TempDir()
	code, out, _ := script(t, dir, kc, []string{"GRACE=60"}, "run.sh", "3", srv.URL(), "3s", "8", "-f", "json")
	if code != 0 {
		t.Fatalf("run.sh: exit %d", code)
	}
	m := decodeMerged(t, out)
	served := uint64(srv.Requests.Load())
	t.Logf("merged: %d requests, %d in flight at the stops, start spread %d µs; the server counted %d", m.Requests, m.InFlight, m.Merged.Spread, served)
	if m.Merged.Count != 3 || m.Merged.Parts != 3 || m.Merged.Incomplete || served < m.Requests || served > m.Requests+m.InFlight {
		t.Errorf("merged %+v, %d completed, %d in flight; the server served %d", m.Merged, m.Requests, m.InFlight, served)
	}
	pods, err := e.cluster.Client.CoreV1().Pods("run").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	onNode := map[string]string{}
	for _, p := range pods.Items {
		onNode[p.Spec.NodeName] = p.Annotations["batch.kubernetes.io/job-completion-index"]
	}
	if len(pods.Items) != 3 || len(onNode) != 3 {
		t.Errorf("%d pods on nodes %v: want 3, one per node", len(pods.Items), onNode)
	}
	code, out, errs := script(t, dir, kc, nil, "collect.sh", "3", "--fail-on", "rps>=1e8")
	if code != 3 || !strings.Contains(errs, "rps>=1e8: FAIL") {
		t.Errorf("collect.sh --fail-on rps>=1e8: exit %d, stderr %q; want 3 and the threshold failed", code, errs)
	}
	if !strings.Contains(string(out), "start spread") {
		t.Errorf("the text report does not show the start spread:\n%s", out)
	}
}

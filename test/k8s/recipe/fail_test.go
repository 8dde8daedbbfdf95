package recipe

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen/testserver"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// indexPods lists ns's pods of the Job's completion index i.
func indexPods(t *testing.T, e *testEnv, ns, i string) []corev1.Pod {
	t.Helper()
	l, err := e.cluster.Client.CoreV1().Pods(ns).List(context.Background(),
		metav1.ListOptions{LabelSelector: "batch.kubernetes.io/job-completion-index=" + i})
	if err != nil {
		t.Fatal(err)
	}
	return l.Items
}

// killMidRun waits until index 1's pod has run for a second after the
// barrier (start_in seconds after now) and kills its process; it returns
// the pod's name.
func killMidRun(t *testing.T, e *testEnv, ns string, start_in time.Duration) string {
	t.Helper()
	time.Sleep(time.Until(time.Now().Add(start_in + time.Second)))
	for range 50 {
		if ps := indexPods(t, e, ns, "1"); len(ps) == 1 && ps[0].Status.Phase == corev1.PodRunning {
			if err := e.agent.Kill(ns, ps[0].Name); err != nil {
				t.Fatal(err)
			}
			return ps[0].Name
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("index 1's pod is not running after the barrier")
	return ""
}

// TestK8sPodKilled: a shard's pod killed mid-run (exit 137) fails its
// index alone (backoffLimitPerIndex 0: the others run on); run.sh says the
// Job failed, collect.sh names the shard, the merge of the other two says
// it is missing, and the exit code is 1.
func TestK8sPodKilled(t *testing.T) {
	e := needCluster(t)
	kc, err := e.cluster.Namespace(context.Background(), "killed")
	if err != nil {
		t.Fatal(err)
	}
	srv := testserver.StartT(t, testserver.Behaviour{})
	wait := startScript(t, t.TempDir(), kc, []string{"GRACE=60"}, "run.sh", "3", srv.URL(), "5s", "6")
	killMidRun(t, e, "killed", 6*time.Second)
	code, out, errs := wait()
	if code != 1 || !strings.Contains(errs, "shard 1: no pod succeeded") || !strings.Contains(errs, "FailedIndexes") ||
		!strings.Contains(string(out), "missing") {
		t.Errorf("run.sh: exit %d, stdout:\n%s\nwant 1, shard 1 named on stderr and missing in the report", code, out)
	}
	if ps := indexPods(t, e, "killed", "1"); len(ps) != 1 || ps[0].Status.ContainerStatuses[0].State.Terminated.ExitCode != 137 {
		t.Errorf("index 1: %d pods; want one, killed (exit 137), and no retry", len(ps))
	}
}

// TestK8sRetryAfterBarrier: with a Job that retries a failed index
// (backoffLimitPerIndex 1, through JOB_YAML), the retry of the shard
// killed mid-run starts after the job controller's 10 s back-off, past the
// barrier: gowrk refuses it (exit 2, "in the past"), so the shard is
// missing and run.sh exits 1. That is why job.yaml retries nothing.
func TestK8sRetryAfterBarrier(t *testing.T) {
	e := needCluster(t)
	kc, err := e.cluster.Namespace(context.Background(), "retry")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(root, "scripts/k8s/job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	yamlFile := filepath.Join(t.TempDir(), "job.yaml")
	os.WriteFile(yamlFile, []byte(strings.Replace(string(b), "backoffLimitPerIndex: 0", "backoffLimitPerIndex: 1", 1)), 0o644)
	srv := testserver.StartT(t, testserver.Behaviour{})
	wait := startScript(t, t.TempDir(), kc, []string{"GRACE=60", "JOB_YAML=" + yamlFile}, "run.sh", "3", srv.URL(), "3s", "6")
	killMidRun(t, e, "retry", 6*time.Second)
	code, _, errs := wait()
	ps := indexPods(t, e, "retry", "1")
	codes := map[int32]bool{}
	for _, p := range ps {
		if cs := p.Status.ContainerStatuses; len(cs) == 1 && cs[0].State.Terminated != nil {
			codes[cs[0].State.Terminated.ExitCode] = true
		}
	}
	if code != 1 || len(ps) != 2 || !codes[137] || !codes[2] || !strings.Contains(errs, "in the past") {
		t.Errorf("run.sh: exit %d; index 1: %d pods, exit codes %v; want 1, the killed pod (137) and its retry refused (2, \"in the past\" on stderr)", code, len(ps), codes)
	}
}

// TestK8sUnscheduled: one node filled (a pod asking its 2 CPUs), and the
// two nodes where shards run cordoned once they run, one shard's pod is
// never scheduled; the Job's deadline (START_IN + DURATION + GRACE) stops
// it (DeadlineExceeded), collect.sh says that shard has no pod, and
// run.sh exits 1 with the other two merged.
func TestK8sUnscheduled(t *testing.T) {
	e := needCluster(t)
	ctx := context.Background()
	kc, err := e.cluster.Namespace(ctx, "unscheduled")
	if err != nil {
		t.Fatal(err)
	}
	pods := e.cluster.Client.CoreV1().Pods("unscheduled")
	filler := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "filler", Namespace: "unscheduled"},
		Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{Name: "sleep", Image: "none",
			Command: []string{"sleep", "600"}, Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}}}}}}
	if _, err := pods.Create(ctx, filler, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	defer pods.Delete(ctx, "filler", metav1.DeleteOptions{})
	srv := testserver.StartT(t, testserver.Behaviour{})
	wait := startScript(t, t.TempDir(), kc, []string{"GRACE=5"}, "run.sh", "3", srv.URL(), "3s", "6", "-f", "json")
	cordoned := 0
	for cordoned < 2 {
		l, err := pods.List(ctx, metav1.ListOptions{LabelSelector: "job-name=gowrk"})
		if err != nil {
			t.Fatal(err)
		}
		cordoned = 0
		for _, p := range l.Items {
			if p.Spec.NodeName != "" {
				cordon(t, e, p.Spec.NodeName, true)
				defer cordon(t, e, p.Spec.NodeName, false)
				cordoned++
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	code, out, errs := wait()
	var missing string
	for _, i := range []string{"0", "1", "2"} {
		if len(indexPods(t, e, "unscheduled", i)) == 0 {
			missing = i
		}
	}
	if code != 1 || missing == "" || !strings.Contains(errs, "DeadlineExceeded") || !strings.Contains(errs, "shard "+missing+": no pod") {
		t.Fatalf("run.sh: exit %d, the shard without a pod %q; want 1, DeadlineExceeded and that shard named", code, missing)
	}
	m := decodeMerged(t, out)
	served := uint64(srv.Requests.Load())
	if m.Merged.Parts != 2 || len(m.Merged.Missing) != 1 || served < m.Requests || served > m.Requests+m.InFlight {
		t.Errorf("merged %+v, %d completed; the server served %d", m.Merged, m.Requests, served)
	}
}

// cordon sets node's spec.unschedulable, as kubectl cordon and uncordon do.
func cordon(t *testing.T, e *testEnv, node string, on bool) {
	t.Helper()
	nodes := e.cluster.Client.CoreV1().Nodes()
	n, err := nodes.Get(context.Background(), node, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n.Spec.Unschedulable != on {
		n.Spec.Unschedulable = on
		if _, err := nodes.Update(context.Background(), n, metav1.UpdateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

package recipe

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gowrk/gowrk/loadgen/testserver"
	batchv1 "k8s.io/api/batch/v1"
	"sigs.k8s.io/yaml"
)

// fillJob is scripts/k8s/job.yaml with its placeholders filled in, as
// scripts/k8s/run.sh fills them.
func fillJob(t *testing.T, n int, startAt, url, duration string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, "scripts/k8s/job.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.NewReplacer("__N__", fmt.Sprint(n), "__START_AT__", startAt, "__URL__", url,
		"__DURATION__", duration, "__DEADLINE__", "600").Replace(string(b))
}

// TestK8sRecipe: the Indexed Job is well formed (strict decode into
// Kubernetes' own batch/v1 Job: a misspelt or misplaced field fails;
// Indexed, completions = parallelism = N, backoffLimitPerIndex 0, a
// deadline, the completion index in --shard, one --start-at), and its
// container's exact command line, run as N local processes with the index
// Kubernetes would give each, against one counting server, gives logs from
// which extract-report.sh and gowrk merge make one report of everything
// the server served. No cluster: TestK8sRun runs it on one.
func TestK8sRecipe(t *testing.T) {
	const n = 3
	srv := testserver.StartT(t, testserver.Behaviour{})
	startAt := time.Now().Add(2 * time.Second).UTC().Truncate(time.Second).Add(time.Second).Format(time.RFC3339)
	filled := fillJob(t, n, startAt, srv.URL(), "2s")
	var job batchv1.Job
	if err := yaml.UnmarshalStrict([]byte(filled), &job); err != nil {
		t.Fatalf("job.yaml does not decode strictly into batch/v1 Job: %v", err)
	}
	spec := job.Spec
	if job.APIVersion != "batch/v1" || job.Kind != "Job" || spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion ||
		spec.Completions == nil || *spec.Completions != n || spec.Parallelism == nil || *spec.Parallelism != n ||
		spec.BackoffLimitPerIndex == nil || *spec.BackoffLimitPerIndex != 0 || spec.ActiveDeadlineSeconds == nil {
		t.Fatalf("not an Indexed Job of %d completions and parallelism, backoffLimitPerIndex 0 and a deadline: %+v", n, spec)
	}
	c := spec.Template.Spec.Containers[0]
	args := append(slices.Clone(c.Command), c.Args...)
	if i := slices.Index(args, "--shard"); i < 0 || args[i+1] != fmt.Sprintf("$(JOB_COMPLETION_INDEX)/%d", n) || !slices.Contains(args, "--start-at") {
		t.Fatalf("the container's command line %q lacks --shard $(JOB_COMPLETION_INDEX)/%d or --start-at", args, n)
	}
	if len(c.Env) == 0 || c.Env[0].Name != "JOB_COMPLETION_INDEX" || c.Env[0].ValueFrom == nil ||
		c.Env[0].ValueFrom.FieldRef.FieldPath != "metadata.annotations['batch.kubernetes.io/job-completion-index']" {
		t.Fatalf("JOB_COMPLETION_INDEX is not taken from the completion index annotation: %+v", c.Env)
	}
	misspelt := strings.Replace(filled, "completionMode:", "completionMod:", 1)
	if err := yaml.UnmarshalStrict([]byte(misspelt), &batchv1.Job{}); err == nil || !strings.Contains(err.Error(), "completionMod") {
		t.Errorf("a misspelt field: %v; the strict decode must name it", err)
	}
	var logs []*bytes.Buffer
	var cmds []*exec.Cmd
	for i := range n {
		a := make([]string, len(args)-1)
		for k, v := range args[1:] { // Kubernetes expands $(VAR) from the container's environment
			a[k] = strings.ReplaceAll(v, "$(JOB_COMPLETION_INDEX)", fmt.Sprint(i))
		}
		cmd := exec.Command(filepath.Join(binDir, "gowrk"), a...)
		var log bytes.Buffer
		cmd.Stdout, cmd.Stderr = &log, &log
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, logs = append(cmds, cmd), append(logs, &log)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("shard %d: %v: %s", i, err, logs[i])
		}
	}
	dir := t.TempDir()
	var files []string
	for i := range logs {
		ex := exec.Command("bash", filepath.Join(root, "scripts/k8s/extract-report.sh"))
		ex.Stdin = logs[i]
		out, err := ex.Output()
		if err != nil || len(out) == 0 {
			t.Fatalf("extract-report.sh on shard %d's log: %v", i, err)
		}
		f := filepath.Join(dir, fmt.Sprintf("shard-%d.json", i))
		os.WriteFile(f, out, 0o644)
		files = append(files, f)
	}
	out, err := exec.Command(filepath.Join(binDir, "gowrk"), append([]string{"merge", "-f", "json"}, files...)...).Output()
	if err != nil {
		t.Fatalf("gowrk merge: %v", err)
	}
	m := decodeMerged(t, out)
	served := uint64(srv.Requests.Load())
	if m.Merged.Count != n || m.Merged.Incomplete || served < m.Requests || served > m.Requests+m.InFlight || m.Config.Connections != 300 {
		t.Errorf("merged %d completed, %d in flight, %d connections, shards %+v; the server served %d", m.Requests, m.InFlight, m.Config.Connections, m.Merged, served)
	}
}

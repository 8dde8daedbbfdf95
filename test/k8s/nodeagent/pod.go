package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
)

// logPath is where container c of pod ns/name writes its stdout and stderr.
func (a *Agent) logPath(ns, name, c string) string {
	return filepath.Join(a.cfg.LogDir, ns+"_"+name+"_"+c+".log")
}

// start runs p's first container as a local process, once, and reports
// it Running; a goroutine reports its end. A pod that cannot start (no
// command, a field reference this agent does not know) fails at once,
// its log saying why.
func (a *Agent) start(ctx context.Context, p *corev1.Pod) {
	a.mu.Lock()
	_, seen := a.procs[p.UID]
	a.mu.Unlock()
	if seen {
		return
	}
	c := p.Spec.Containers[0]
	log, err := os.Create(a.logPath(p.Namespace, p.Name, c.Name))
	if err != nil {
		return
	}
	cmd, err := a.command(p, c)
	if err == nil {
		cmd.Stdout, cmd.Stderr = log, log
		err = cmd.Start()
	}
	pp := &podProc{ns: p.Namespace, name: p.Name, cmd: cmd, exited: make(chan struct{})}
	a.mu.Lock()
	a.procs[p.UID] = pp
	a.mu.Unlock()
	started := metav1.Now()
	if err != nil {
		fmt.Fprintf(log, "nodeagent: %v\n", err)
		log.Close()
		a.report(ctx, p, exited(c.Name, started, 128, "StartError"))
		close(pp.exited)
		return
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		a.report(ctx, p, corev1.ContainerStatus{Name: c.Name, Image: c.Image, Ready: true, Started: &[]bool{true}[0],
			ContainerID: fmt.Sprintf("nodeagent://%d", cmd.Process.Pid),
			State:       corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: started}}})
		err := cmd.Wait()
		log.Close()
		code := 0
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			code = ee.ExitCode()
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				code = 128 + int(ws.Signal())
			}
		}
		reason := "Completed"
		if code != 0 {
			reason = "Error"
		}
		a.report(ctx, p, exited(c.Name, started, int32(code), reason))
		close(pp.exited)
		a.signal()
	}()
}

func exited(name string, started metav1.Time, code int32, reason string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
		ExitCode: code, Reason: reason, StartedAt: started, FinishedAt: metav1.Now()}}}
}

// report writes p's status for its container status cs: Running while
// cs is running, then Succeeded (exit code 0) or Failed.
func (a *Agent) report(ctx context.Context, p *corev1.Pod, cs corev1.ContainerStatus) {
	phase := corev1.PodRunning
	ready := corev1.ConditionTrue
	if t := cs.State.Terminated; t != nil {
		phase, ready = corev1.PodSucceeded, corev1.ConditionFalse
		if t.ExitCode != 0 {
			phase = corev1.PodFailed
		}
	}
	retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := a.client.CoreV1().Pods(p.Namespace).Get(ctx, p.Name, metav1.GetOptions{})
		if err != nil || cur.UID != p.UID {
			return err
		}
		now := metav1.Now()
		s := &cur.Status
		s.Phase, s.HostIP, s.PodIP = phase, "127.0.0.1", "127.0.0.1"
		s.HostIPs, s.PodIPs = []corev1.HostIP{{IP: "127.0.0.1"}}, []corev1.PodIP{{IP: "127.0.0.1"}}
		if s.StartTime == nil {
			s.StartTime = &now
		}
		s.ContainerStatuses = []corev1.ContainerStatus{cs}
		s.Conditions = []corev1.PodCondition{
			{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: now},
			{Type: corev1.ContainersReady, Status: ready, LastTransitionTime: now},
			{Type: corev1.PodReady, Status: ready, LastTransitionTime: now},
		}
		_, err = a.client.CoreV1().Pods(p.Namespace).UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
}

// command is the process for container c of p: its command and args with
// $(VAR) expanded from its environment, looked up in Config.Path, and that
// environment (env, valueFrom.fieldRef, HOSTNAME) with PATH.
func (a *Agent) command(p *corev1.Pod, c corev1.Container) (*exec.Cmd, error) {
	env := map[string]string{}
	list := []string{"PATH=" + a.cfg.Path, "HOSTNAME=" + p.Name}
	for _, e := range c.Env {
		v := expand(e.Value, env)
		if e.ValueFrom != nil {
			if e.ValueFrom.FieldRef == nil {
				return nil, fmt.Errorf("env %s: only valueFrom.fieldRef is supported", e.Name)
			}
			var err error
			if v, err = fieldValue(p, e.ValueFrom.FieldRef.FieldPath); err != nil {
				return nil, fmt.Errorf("env %s: %w", e.Name, err)
			}
		}
		env[e.Name] = v
		list = append(list, e.Name+"="+v)
	}
	argv := append(append([]string{}, c.Command...), c.Args...)
	if len(c.Command) == 0 {
		return nil, fmt.Errorf("container %s has no command: there are no images here to take an entrypoint from", c.Name)
	}
	for i := range argv {
		argv[i] = expand(argv[i], env)
	}
	bin := argv[0]
	if !strings.Contains(bin, "/") {
		bin = ""
		for _, d := range filepath.SplitList(a.cfg.Path) {
			if f := filepath.Join(d, argv[0]); isExecutable(f) {
				bin = f
				break
			}
		}
		if bin == "" {
			return nil, fmt.Errorf("%s: not found in %s", argv[0], a.cfg.Path)
		}
	}
	cmd := exec.Command(bin, argv[1:]...)
	cmd.Env = list
	return cmd, nil
}

func isExecutable(f string) bool {
	st, err := os.Stat(f)
	return err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0
}

// fieldValue is the downward API's value of path for p.
func fieldValue(p *corev1.Pod, path string) (string, error) {
	for _, m := range []struct {
		prefix string
		from   map[string]string
	}{{"metadata.annotations['", p.Annotations}, {"metadata.labels['", p.Labels}} {
		if k, ok := strings.CutPrefix(path, m.prefix); ok && strings.HasSuffix(k, "']") {
			return m.from[strings.TrimSuffix(k, "']")], nil
		}
	}
	switch path {
	case "metadata.name":
		return p.Name, nil
	case "metadata.namespace":
		return p.Namespace, nil
	case "metadata.uid":
		return string(p.UID), nil
	case "spec.nodeName":
		return p.Spec.NodeName, nil
	case "spec.serviceAccountName":
		return p.Spec.ServiceAccountName, nil
	case "status.hostIP", "status.podIP":
		return "127.0.0.1", nil
	}
	return "", fmt.Errorf("field %q is not supported here", path)
}

// expand replaces $(VAR) in s with env's VAR, as Kubernetes does: an
// undefined VAR stays as written, and $$ is a literal $.
func expand(s string, env map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case strings.HasPrefix(s[i:], "$$"):
			b.WriteByte('$')
			i++
		case strings.HasPrefix(s[i:], "$("):
			end := strings.IndexByte(s[i:], ')')
			if v, ok := env[s[i+2:i+max(end, 2)]]; end > 0 && ok {
				b.WriteString(v)
				i += end
				continue
			}
			b.WriteByte('$')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

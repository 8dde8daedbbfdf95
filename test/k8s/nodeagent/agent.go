// Package nodeagent is the scheduler and the kubelet of test/k8s's cluster,
// written with client-go: it registers nodes (all at 127.0.0.1), binds each
// pending pod to a node (not cordoned) with room for its CPU requests (fewest pods first),
// runs each bound pod's container command and args as a local process with
// the environment Kubernetes gives it (downward API fields included),
// reports the pod's phases and exit code, and serves the containers' logs
// at the kubelet's /containerLogs endpoint, so that kubectl logs works
// through the API server. There are no images: a command is looked up in
// Config.Path. Pods with more than one container, init containers, probes
// and volumes are not run as Kubernetes would (only the first container runs).
package nodeagent

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// Config says what nodes to register and how pods run.
type Config struct {
	Nodes  int    // nodes node-0 ... node-(Nodes-1)
	CPU    string // each node's allocatable CPU, e.g. "2"
	Path   string // PATH in which a container's command is looked up, and its processes' PATH
	LogDir string // where the containers' logs are written (must exist)
}

// Agent runs the nodes. The informer's handlers only signal kick; one
// goroutine (loop) schedules and starts pods; a goroutine per process
// waits for it and reports its end. mu guards the maps.
type Agent struct {
	client kubernetes.Interface
	cfg    Config
	nodes  []string
	lister cache.Indexer
	kick   chan struct{}
	cancel context.CancelFunc
	done   chan struct{}
	logs   *http.Server

	mu       sync.Mutex
	assigned map[types.UID]string   // pods bound by this agent, before the informer shows it
	procs    map[types.UID]*podProc // pods started: running or exited
	wg       sync.WaitGroup         // the processes' goroutines
}

// podProc is one pod's process; exited is closed once it has been reported.
type podProc struct {
	ns, name string
	cmd      *exec.Cmd
	exited   chan struct{}
}

// Start registers the nodes, starts the log server and the loop, and
// returns once the informer has synced.
func Start(ctx context.Context, client kubernetes.Interface, cfg Config) (*Agent, error) {
	ctx, cancel := context.WithCancel(ctx)
	a := &Agent{client: client, cfg: cfg, kick: make(chan struct{}, 1), cancel: cancel, done: make(chan struct{}),
		assigned: map[types.UID]string{}, procs: map[types.UID]*podProc{}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		cancel()
		return nil, err
	}
	if a.logs, err = a.serveLogs(l); err != nil {
		cancel()
		return nil, err
	}
	for i := range cfg.Nodes {
		name := fmt.Sprintf("node-%d", i)
		if err := a.register(ctx, name, l.Addr().(*net.TCPAddr).Port); err != nil {
			a.logs.Close()
			cancel()
			return nil, fmt.Errorf("register %s: %w", name, err)
		}
		a.nodes = append(a.nodes, name)
	}
	f := informers.NewSharedInformerFactory(client, 0)
	inf := f.Core().V1().Pods().Informer()
	kick := func(any) { a.signal() }
	inf.AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: kick, UpdateFunc: func(_, n any) { kick(n) }, DeleteFunc: kick})
	a.lister = inf.GetIndexer()
	f.Start(ctx.Done())
	if !cache.WaitForCacheSync(ctx.Done(), inf.HasSynced) {
		a.logs.Close()
		cancel()
		return nil, fmt.Errorf("the pod informer did not sync")
	}
	go a.loop(ctx)
	return a, nil
}

func (a *Agent) signal() {
	select {
	case a.kick <- struct{}{}:
	default:
	}
}

// register creates node name, Ready, with the kubelet endpoint at
// 127.0.0.1:port.
func (a *Agent) register(ctx context.Context, name string, port int) error {
	n, err := a.client.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name,
		Labels: map[string]string{corev1.LabelHostname: name, corev1.LabelOSStable: "linux"}}}, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	res := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(a.cfg.CPU),
		corev1.ResourceMemory: resource.MustParse("8Gi"), corev1.ResourcePods: resource.MustParse("110")}
	now := metav1.Now()
	n.Status = corev1.NodeStatus{Capacity: res, Allocatable: res, Phase: corev1.NodeRunning,
		Conditions:      []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", LastHeartbeatTime: now, LastTransitionTime: now}},
		Addresses:       []corev1.NodeAddress{{Type: corev1.NodeInternalIP, Address: "127.0.0.1"}},
		DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(port)}},
		NodeInfo:        corev1.NodeSystemInfo{OperatingSystem: "linux", Architecture: "amd64", KubeletVersion: "v1.37.2-gowrk-nodeagent"}}
	_, err = a.client.CoreV1().Nodes().UpdateStatus(ctx, n, metav1.UpdateOptions{})
	return err
}

// loop reconciles on every pod event, and every second in case an API
// call failed.
func (a *Agent) loop(ctx context.Context) {
	defer close(a.done)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.kick:
		case <-t.C:
		}
		a.reconcile(ctx)
	}
}

func (a *Agent) reconcile(ctx context.Context) {
	var pending []*corev1.Pod
	for _, o := range a.lister.List() {
		p := o.(*corev1.Pod)
		switch {
		case p.DeletionTimestamp != nil:
			a.delete(ctx, p)
		case p.Spec.NodeName == "" && a.node(p) == "":
			pending = append(pending, p)
		case p.Status.Phase == corev1.PodPending && a.ours(a.node(p)):
			a.start(ctx, p)
		}
	}
	for _, p := range pending {
		a.schedule(ctx, p)
	}
}

// node is the node p is bound to, as the informer or this agent knows it.
func (a *Agent) node(p *corev1.Pod) string {
	if p.Spec.NodeName != "" {
		return p.Spec.NodeName
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.assigned[p.UID]
}

func (a *Agent) ours(node string) bool {
	for _, n := range a.nodes {
		if n == node {
			return true
		}
	}
	return false
}

// delete ends a pod being deleted: its process is killed, and once it has
// exited the pod is deleted at once (grace 0), as a kubelet confirms.
func (a *Agent) delete(ctx context.Context, p *corev1.Pod) {
	if !a.ours(a.node(p)) {
		return
	}
	a.mu.Lock()
	pp := a.procs[p.UID]
	a.mu.Unlock()
	if pp != nil {
		select {
		case <-pp.exited:
		default:
			pp.cmd.Process.Signal(syscall.SIGKILL)
			return // its goroutine reports the end and kicks the loop
		}
	}
	zero := int64(0)
	a.client.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero, Preconditions: &metav1.Preconditions{UID: &p.UID}})
}

// schedule binds p to the node that is not cordoned (spec.unschedulable)
// with room for its CPU requests and the fewest pods; a pod no node has
// room for stays pending.
func (a *Agent) schedule(ctx context.Context, p *corev1.Pod) {
	used := map[string]int64{}
	count := map[string]int{}
	for _, o := range a.lister.List() {
		q := o.(*corev1.Pod)
		n := a.node(q)
		if n == "" || q.Status.Phase == corev1.PodSucceeded || q.Status.Phase == corev1.PodFailed {
			continue
		}
		used[n] += cpuRequest(q)
		count[n]++
	}
	alloc := resource.MustParse(a.cfg.CPU)
	best := ""
	for _, n := range a.nodes {
		if node, err := a.client.CoreV1().Nodes().Get(ctx, n, metav1.GetOptions{}); err != nil || node.Spec.Unschedulable {
			continue // cordoned
		}
		if used[n]+cpuRequest(p) <= alloc.MilliValue() && (best == "" || count[n] < count[best]) {
			best = n
		}
	}
	if best == "" {
		return
	}
	b := &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace, UID: p.UID},
		Target: corev1.ObjectReference{Kind: "Node", Name: best}}
	if err := a.client.CoreV1().Pods(p.Namespace).Bind(ctx, b, metav1.CreateOptions{}); err != nil {
		return
	}
	a.mu.Lock()
	a.assigned[p.UID] = best
	a.mu.Unlock()
}

// cpuRequest is the sum of p's containers' CPU requests, in millicores.
func cpuRequest(p *corev1.Pod) int64 {
	var m int64
	for _, c := range p.Spec.Containers {
		if q, ok := c.Resources.Requests[corev1.ResourceCPU]; ok {
			m += q.MilliValue()
		}
	}
	return m
}

// Kill sends SIGKILL to the process of pod ns/name, as if its container
// had been killed: the pod fails with exit code 137.
func (a *Agent) Kill(ns, name string) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, pp := range a.procs {
		if pp.ns == ns && pp.name == name {
			return pp.cmd.Process.Signal(syscall.SIGKILL)
		}
	}
	return fmt.Errorf("pod %s/%s has no process here", ns, name)
}

// Stop kills every process still running, waits for their reports (or
// their failure, the context being cancelled), and stops the loop and the
// log server. The nodes stay registered.
func (a *Agent) Stop() {
	a.mu.Lock()
	for _, pp := range a.procs {
		select {
		case <-pp.exited:
		default:
			pp.cmd.Process.Signal(syscall.SIGKILL)
		}
	}
	a.mu.Unlock()
	a.wg.Wait()
	a.cancel()
	<-a.done
	a.logs.Close()
}

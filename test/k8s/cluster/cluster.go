// Package cluster starts a Kubernetes control plane on loopback from the
// programs test/k8s/controlplane/build.sh builds: etcd, kube-apiserver (on
// 127.0.0.1, a static admin token, AlwaysAllow) and a kube-controller-manager
// that runs only the job controller. There is no scheduler and no kubelet:
// package nodeagent is both. Stop ends exactly the processes Start started.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Cluster is a running control plane. Its fields are set by Start and
// read-only after; Stop may be called once, from one goroutine.
type Cluster struct {
	Dir    string // owned by the cluster: etcd's data, keys, tokens, the programs' logs
	Server string // the API server's URL, https://127.0.0.1:PORT
	Token  string // the admin's bearer token (group system:masters)
	Config *rest.Config
	Client kubernetes.Interface
	procs  []*proc
}

// proc is one program the cluster started; done is closed when it exited.
type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error // Wait's, set before done is closed
}

// Start starts etcd, kube-apiserver and kube-controller-manager from the
// directory bin, with their state and logs under dir (which must exist),
// and returns once the API server is ready. On error it stops what it
// started.
func Start(ctx context.Context, bin, dir string) (*Cluster, error) {
	c := &Cluster{Dir: dir}
	if err := c.start(ctx, bin); err != nil {
		c.Stop()
		return nil, err
	}
	return c, nil
}

func (c *Cluster) start(ctx context.Context, bin string) error {
	tok := make([]byte, 16)
	rand.Read(tok)
	c.Token = hex.EncodeToString(tok)
	if err := os.WriteFile(c.path("tokens.csv"), []byte(c.Token+",admin,admin,system:masters\n"), 0o600); err != nil {
		return err
	}
	if err := writeServiceAccountKey(c.path("sa.key"), c.path("sa.pub")); err != nil {
		return err
	}
	ports, err := freePorts(3)
	if err != nil {
		return err
	}
	client := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peer := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	if err := c.run(bin, "etcd", "--name=default", "--data-dir="+c.path("etcd"),
		"--listen-client-urls="+client, "--advertise-client-urls="+client,
		"--listen-peer-urls="+peer, "--initial-advertise-peer-urls="+peer,
		"--initial-cluster=default="+peer, "--unsafe-no-fsync", "--log-level=warn"); err != nil {
		return err
	}
	c.Server = "https://127.0.0.1:" + strconv.Itoa(ports[2])
	if err := c.run(bin, "kube-apiserver", "--etcd-servers="+client,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port="+strconv.Itoa(ports[2]),
		// The API server's own Service endpoints cannot be a loopback address.
		"--endpoint-reconciler-type=none",
		"--cert-dir="+c.path("certs"), "--token-auth-file="+c.path("tokens.csv"),
		"--authorization-mode=AlwaysAllow",
		"--service-account-issuer=https://kubernetes.default.svc",
		"--service-account-key-file="+c.path("sa.pub"), "--service-account-signing-key-file="+c.path("sa.key"),
		"--service-cluster-ip-range=10.96.0.0/16",
		// Nodes are 127.0.0.1; the node agent serves container logs there.
		"--kubelet-preferred-address-types=InternalIP"); err != nil {
		return err
	}
	c.Config = &rest.Config{Host: c.Server, BearerToken: c.Token, TLSClientConfig: rest.TLSClientConfig{Insecure: true}, QPS: 100, Burst: 200}
	if c.Client, err = kubernetes.NewForConfig(c.Config); err != nil {
		return err
	}
	if err := c.waitReady(ctx); err != nil {
		return err
	}
	kc, err := c.Kubeconfig("default")
	if err != nil {
		return err
	}
	return c.run(bin, "kube-controller-manager", "--kubeconfig="+kc, "--controllers=job",
		"--leader-elect=false", "--secure-port=0", "--use-service-account-credentials=false")
}

func (c *Cluster) path(name string) string { return filepath.Join(c.Dir, name) }

// run starts bin/name with args, its output to DIR/name.log.
func (c *Cluster) run(bin, name string, args ...string) error {
	log, err := os.Create(c.path(name + ".log"))
	if err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(bin, name), args...)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		log.Close()
		return fmt.Errorf("start %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); log.Close(); close(p.done) }()
	c.procs = append(c.procs, p)
	return nil
}

// waitReady waits up to a minute for /readyz, failing at once if a
// program exits.
func (c *Cluster) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var last error
	for {
		for _, p := range c.procs {
			select {
			case <-p.done:
				return fmt.Errorf("%s exited: %v (see %s)", p.name, p.err, c.path(p.name+".log"))
			default:
			}
		}
		body, err := c.Client.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx)
		if err == nil && string(body) == "ok" {
			return nil
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("the API server is not ready after a minute: %v (see %s)", last, c.path("kube-apiserver.log"))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Namespace creates namespace ns with its default service account (no
// controller here creates it, and pods need it) and returns the path of a
// kubeconfig whose context is that namespace.
func (c *Cluster) Namespace(ctx context.Context, ns string) (string, error) {
	_, err := c.Client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return "", err
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "default", Namespace: ns}}
	if _, err := c.Client.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", err
	}
	return c.Kubeconfig(ns)
}

// Kubeconfig writes DIR/kubeconfig-NS, the admin's kubeconfig with ns as
// its context's namespace, and returns its path.
func (c *Cluster) Kubeconfig(ns string) (string, error) {
	f := c.path("kubeconfig-" + ns)
	s := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: %s
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    token: %s
contexts:
- name: local
  context:
    cluster: local
    user: admin
    namespace: %s
current-context: local
`, c.Server, c.Token, ns)
	return f, os.WriteFile(f, []byte(s), 0o600)
}

// Stop ends the programs Start started, last first: SIGTERM, then SIGKILL
// after ten seconds. It returns the first program that had exited before
// Stop (a crash), if any.
func (c *Cluster) Stop() error {
	var errs []error
	for i := len(c.procs) - 1; i >= 0; i-- {
		p := c.procs[i]
		select {
		case <-p.done:
			errs = append(errs, fmt.Errorf("%s had exited: %v (see %s)", p.name, p.err, c.path(p.name+".log")))
			continue
		default:
		}
		p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill()
			<-p.done
		}
	}
	c.procs = nil
	return errors.Join(errs...)
}

// freePorts returns n loopback ports that were free a moment ago.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

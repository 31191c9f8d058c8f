// Package testenv runs the project's real test cluster: etcd,
// kube-apiserver and kube-controller-manager, built from source by
// scripts/testenv-build.sh and started here on 127.0.0.1 with random free
// ports. It writes kubeconfigs for three ways of authenticating (static
// token, client certificate, exec credential plugin).
//
// controller-runtime's envtest runs only etcd and kube-apiserver; the
// built-in view/edit/admin roles, namespace deletion and legacy token Secrets
// also need kube-controller-manager, so this harness manages all three.
package testenv

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Files written into the cluster directory.
const (
	KubeconfigFile     = "kubeconfig"      // static admin token
	KubeconfigCertFile = "kubeconfig-cert" // client certificate
	KubeconfigExecFile = "kubeconfig-exec" // exec credential plugin
	stateFile          = "cluster.json"
)

// Cluster is a running test cluster.
type Cluster struct {
	Dir        string `json:"dir"`
	Host       string `json:"host"`
	AdminToken string `json:"-"`
	CAFile     string `json:"ca_file"`
	Pids       []int  `json:"pids"`
}

// Kubeconfig is the path of the admin kubeconfig.
func (c *Cluster) Kubeconfig() string { return filepath.Join(c.Dir, KubeconfigFile) }

// Options configure Start.
type Options struct {
	// Dir holds certificates, data, logs and kubeconfigs. It is created.
	Dir string
	// BinDir holds etcd, kube-apiserver and kube-controller-manager.
	BinDir string
	// Progress receives one line per step; nil discards.
	Progress io.Writer
}

// Start launches the cluster detached from this process (so that a CLI can
// exit and leave it running) and waits until it serves requests and the
// controller manager has created the default service account.
func Start(ctx context.Context, o Options) (c *Cluster, err error) {
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	for _, b := range []string{"etcd", "kube-apiserver", "kube-controller-manager"} {
		if _, err := os.Stat(filepath.Join(o.BinDir, b)); err != nil {
			return nil, fmt.Errorf("test cluster binary %s missing in %q: run scripts/testenv-build.sh (make cluster-up does)", b, o.BinDir)
		}
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	if prev, err := Load(dir); err == nil && prev.alive() {
		return nil, fmt.Errorf("a test cluster is already running from %s (pids %v); stop it first (make cluster-down)", dir, prev.Pids)
	}
	_ = os.RemoveAll(filepath.Join(dir, "etcd-data"))
	for _, d := range []string{dir, filepath.Join(dir, "pki"), filepath.Join(dir, "logs")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	c = &Cluster{Dir: dir}
	defer func() {
		if err != nil {
			_ = c.Stop()
		}
	}()

	p, err := newPKI()
	if err != nil {
		return nil, err
	}
	pk := filepath.Join(dir, "pki")
	c.CAFile = filepath.Join(pk, "ca.crt")
	files := map[string][]byte{
		"ca.crt":     p.caPEM,
		"server.crt": p.serverPEM,
		"server.key": p.serverKey,
	}
	certPEM, keyPEM, err := p.issue("nhi-cert-admin", []string{"system:masters"}, x509.ExtKeyUsageClientAuth, nil, nil)
	if err != nil {
		return nil, err
	}
	files["client.crt"], files["client.key"] = certPEM, keyPEM
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(pk, name), b, 0o600); err != nil {
			return nil, err
		}
	}
	saKey, saPub, err := writeServiceAccountKey(pk)
	if err != nil {
		return nil, err
	}
	c.AdminToken = randomHex(24)
	tokens := fmt.Sprintf("%s,nhi-admin,nhi-admin-uid,system:masters\n", c.AdminToken)
	if err := os.WriteFile(filepath.Join(pk, "tokens.csv"), []byte(tokens), 0o600); err != nil {
		return nil, err
	}

	ports, err := freePorts(4)
	if err != nil {
		return nil, err
	}
	etcdURL := "http://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	c.Host = "https://127.0.0.1:" + strconv.Itoa(ports[2])

	fmt.Fprintf(o.Progress, "starting etcd on %s\n", etcdURL)
	if err := c.launch(o.BinDir, "etcd",
		"--name=nhi-dev", "--data-dir="+filepath.Join(dir, "etcd-data"),
		"--listen-client-urls="+etcdURL, "--advertise-client-urls="+etcdURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL,
		"--initial-cluster=nhi-dev="+peerURL, "--unsafe-no-fsync", "--log-level=warn",
	); err != nil {
		return nil, err
	}

	fmt.Fprintf(o.Progress, "starting kube-apiserver on %s\n", c.Host)
	if err := c.launch(o.BinDir, "kube-apiserver",
		"--etcd-servers="+etcdURL,
		"--bind-address=127.0.0.1", "--advertise-address=127.0.0.1", "--secure-port="+strconv.Itoa(ports[2]),
		"--tls-cert-file="+filepath.Join(pk, "server.crt"), "--tls-private-key-file="+filepath.Join(pk, "server.key"),
		"--client-ca-file="+c.CAFile,
		"--token-auth-file="+filepath.Join(pk, "tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+saPub, "--service-account-signing-key-file="+saKey,
		"--service-cluster-ip-range=10.96.0.0/24",
		"--endpoint-reconciler-type=none",
		"--profiling=false",
	); err != nil {
		return nil, err
	}
	if err := c.writeKubeconfigs(); err != nil {
		return nil, err
	}
	if err := c.waitReady(ctx, 2*time.Minute); err != nil {
		return nil, err
	}

	fmt.Fprintln(o.Progress, "starting kube-controller-manager")
	kcm := filepath.Join(dir, KubeconfigFile)
	if err := c.launch(o.BinDir, "kube-controller-manager",
		"--kubeconfig="+kcm, "--authentication-kubeconfig="+kcm, "--authorization-kubeconfig="+kcm,
		"--service-account-private-key-file="+saKey, "--root-ca-file="+c.CAFile,
		"--leader-elect=false", "--bind-address=127.0.0.1", "--secure-port="+strconv.Itoa(ports[3]),
		"--controllers=*", "--profiling=false",
	); err != nil {
		return nil, err
	}
	if err := c.waitDefaultServiceAccount(ctx, 2*time.Minute); err != nil {
		return nil, err
	}
	if err := c.save(); err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Progress, "test cluster ready: KUBECONFIG=%s\n", c.Kubeconfig())
	return c, nil
}

func (c *Cluster) launch(binDir, name string, args ...string) error {
	pid, err := launchDetached(filepath.Join(c.Dir, "logs"), name, filepath.Join(binDir, name), args...)
	if err != nil {
		return err
	}
	c.Pids = append(c.Pids, pid)
	return c.save()
}

// launchDetached starts bin in its own process group, logging to
// logDir/name.log, so that it outlives this process; the caller records the
// pid so that a later process can stop it.
func launchDetached(logDir, name, bin string, args ...string) (int, error) {
	logf, err := os.Create(filepath.Join(logDir, name+".log"))
	if err != nil {
		return 0, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return 0, fmt.Errorf("starting %s: %w", name, err)
	}
	// Reap the child if it exits while this process lives.
	go func() { _ = cmd.Wait() }()
	return cmd.Process.Pid, nil
}

func (c *Cluster) httpClient() (*http.Client, error) {
	ca, err := os.ReadFile(c.CAFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}, nil
}

func (c *Cluster) get(ctx context.Context, hc *http.Client, path string) (int, []byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Host+path, nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.AdminToken)
	resp, err := hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, body, nil
}

// poll calls ok every 250ms until it reports true, the deadline passes or
// ctx ends.
func (c *Cluster) poll(ctx context.Context, limit time.Duration, what string, ok func(context.Context, *http.Client) bool) error {
	hc, err := c.httpClient()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	for {
		if !c.alive() {
			return fmt.Errorf("a test cluster process exited while waiting for %s; see the logs in %s", what, filepath.Join(c.Dir, "logs"))
		}
		if ok(ctx, hc) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out after %s waiting for %s; see the logs in %s", limit, what, filepath.Join(c.Dir, "logs"))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func (c *Cluster) waitReady(ctx context.Context, limit time.Duration) error {
	return c.poll(ctx, limit, "kube-apiserver /readyz", func(ctx context.Context, hc *http.Client) bool {
		code, _, err := c.get(ctx, hc, "/readyz")
		return err == nil && code == http.StatusOK
	})
}

func (c *Cluster) waitDefaultServiceAccount(ctx context.Context, limit time.Duration) error {
	return c.poll(ctx, limit, "kube-controller-manager to create the default service account", func(ctx context.Context, hc *http.Client) bool {
		code, _, err := c.get(ctx, hc, "/api/v1/namespaces/default/serviceaccounts/default")
		return err == nil && code == http.StatusOK
	})
}

func (c *Cluster) alive() bool {
	if len(c.Pids) == 0 {
		return false
	}
	for _, pid := range c.Pids {
		if syscall.Kill(pid, 0) != nil {
			return false
		}
	}
	return true
}

func (c *Cluster) save() error {
	b, _ := json.MarshalIndent(c, "", "  ")
	return os.WriteFile(filepath.Join(c.Dir, stateFile), b, 0o600)
}

// Load reads the state of a cluster started from dir.
func Load(dir string) (*Cluster, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		return nil, err
	}
	c := &Cluster{}
	return c, json.Unmarshal(b, c)
}

// Stop terminates the cluster's processes (TERM, then KILL after 10s) and
// removes its etcd data.
func (c *Cluster) Stop() error {
	err := stopPids(c.Pids, 10*time.Second)
	c.Pids = nil
	_ = os.RemoveAll(filepath.Join(c.Dir, "etcd-data"))
	_ = os.Remove(filepath.Join(c.Dir, stateFile))
	return err
}

// stopPids terminates processes in reverse start order: TERM, then KILL
// after grace.
func stopPids(pids []int, grace time.Duration) error {
	var errs []error
	for i := len(pids) - 1; i >= 0; i-- {
		pid := pids[i]
		if syscall.Kill(pid, syscall.SIGTERM) != nil {
			continue
		}
		deadline := time.Now().Add(grace)
		for syscall.Kill(pid, 0) == nil && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if syscall.Kill(pid, 0) == nil {
			if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
				errs = append(errs, fmt.Errorf("killing pid %d: %w", pid, err))
			}
		}
	}
	return errors.Join(errs...)
}

// StopDir stops the cluster started from dir, if any.
func StopDir(dir string) error {
	c, err := Load(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	return c.Stop()
}

func (c *Cluster) writeKubeconfigs() error {
	pk := filepath.Join(c.Dir, "pki")
	cluster := fmt.Sprintf("clusters:\n- name: nhi-dev\n  cluster:\n    server: %s\n    certificate-authority: %s\n", c.Host, c.CAFile)
	head := "apiVersion: v1\nkind: Config\ncurrent-context: nhi-dev\n" + cluster +
		"contexts:\n- name: nhi-dev\n  context:\n    cluster: nhi-dev\n    user: nhi-dev\n"
	token := head + fmt.Sprintf("users:\n- name: nhi-dev\n  user:\n    token: %s\n", c.AdminToken)
	cert := head + fmt.Sprintf("users:\n- name: nhi-dev\n  user:\n    client-certificate: %s\n    client-key: %s\n",
		filepath.Join(pk, "client.crt"), filepath.Join(pk, "client.key"))
	plugin := filepath.Join(c.Dir, "exec-credential.sh")
	cred := fmt.Sprintf(`{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":%q}}`, c.AdminToken)
	script := "#!/bin/sh\n# Exec credential plugin of the test cluster.\ncat <<'EOF'\n" + cred + "\nEOF\n"
	if err := os.WriteFile(plugin, []byte(script), 0o700); err != nil {
		return err
	}
	execCfg := head + fmt.Sprintf("users:\n- name: nhi-dev\n  user:\n    exec:\n      apiVersion: client.authentication.k8s.io/v1\n      command: %s\n      interactiveMode: Never\n", plugin)
	for name, body := range map[string]string{KubeconfigFile: token, KubeconfigCertFile: cert, KubeconfigExecFile: execCfg} {
		if err := os.WriteFile(filepath.Join(c.Dir, name), []byte(body), 0o600); err != nil {
			return err
		}
	}
	return nil
}

func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	var ports []int
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// BinDirFromEnv returns NHI_TESTENV_BIN, or KUBEBUILDER_ASSETS as envtest
// users set it.
func BinDirFromEnv() string {
	for _, k := range []string{"NHI_TESTENV_BIN", "KUBEBUILDER_ASSETS"} {
		if v := strings.TrimSpace(os.Getenv(k)); v != "" {
			return v
		}
	}
	return ""
}

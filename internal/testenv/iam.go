package testenv

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/iamfake"
)

// The IAM test target: versitygw (an independent implementation of the IAM
// Query API, built by scripts/testenv-build.sh) behind the managed-policy
// fake of package iamfake, which `nhi-dev-cluster iam-proxy` serves.
const (
	AWSEnvFile   = "aws.env"
	iamStateFile = "iam.json"
	// IAMAccountID is versitygw's account ID.
	IAMAccountID = "000000000000"
	IAMRegion    = "us-east-1"
)

// IAM is a running IAM test server.
type IAM struct {
	Dir string `json:"dir"`
	// Endpoint is the proxy every client uses.
	Endpoint string `json:"endpoint"`
	// Upstream is versitygw itself.
	Upstream  string `json:"upstream"`
	AccessKey string `json:"access_key"`
	SecretKey string `json:"-"`
	Pids      []int  `json:"pids"`

	inProcess *http.Server
	// Fake is the managed-policy fake when served in this process.
	Fake *iamfake.Server `json:"-"`
}

// StoreFile is versitygw's file-backed IAM store.
func (i *IAM) StoreFile() string { return filepath.Join(i.Dir, "iam-data", "iam.json") }

// IAMOptions configure StartIAM.
type IAMOptions struct {
	Dir string
	// Versitygw is the versitygw binary.
	Versitygw string
	// Proxy is the command that serves the fake:
	// <Proxy...> -listen ADDR -upstream URL. Empty: serve it in this
	// process until Stop.
	Proxy []string
	// AccessKey and SecretKey are the root credentials; random when empty.
	AccessKey, SecretKey string
}

// StartIAM launches versitygw and the proxy detached, waits until both
// answer, and writes aws.env with the standard AWS environment variables.
func StartIAM(ctx context.Context, o IAMOptions) (*IAM, error) {
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	for _, d := range []string{"logs", "iam-data"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	i := &IAM{
		Dir:       dir,
		Upstream:  fmt.Sprintf("http://127.0.0.1:%d", ports[0]),
		Endpoint:  fmt.Sprintf("http://127.0.0.1:%d", ports[1]),
		AccessKey: o.AccessKey,
		SecretKey: o.SecretKey,
	}
	if i.AccessKey == "" || i.SecretKey == "" {
		i.AccessKey, i.SecretKey = "AKIANHIDEV"+strings.ToUpper(randomHex(5)), randomHex(20)
	}
	if err := i.launch("versitygw", o.Versitygw, "--health", "/healthz", "-p", fmt.Sprintf("127.0.0.1:%d", ports[0]),
		"-a", i.AccessKey, "-s", i.SecretKey, "iam", "--dir", filepath.Join(dir, "iam-data")); err != nil {
		return nil, err
	}
	if len(o.Proxy) > 0 {
		proxy := append(append([]string{}, o.Proxy[1:]...), "-listen", fmt.Sprintf("127.0.0.1:%d", ports[1]), "-upstream", i.Upstream)
		if err := i.launch("iam-proxy", o.Proxy[0], proxy...); err != nil {
			_ = i.Stop()
			return nil, err
		}
	} else if err := i.serveFake(fmt.Sprintf("127.0.0.1:%d", ports[1])); err != nil {
		_ = i.Stop()
		return nil, err
	}
	for _, u := range []string{i.Upstream, i.Endpoint} {
		if err := i.waitHealthy(ctx, u+"/healthz", 30*time.Second); err != nil {
			_ = i.Stop()
			return nil, err
		}
	}
	env := fmt.Sprintf("export AWS_ENDPOINT_URL_IAM=%s\nexport AWS_ENDPOINT_URL_STS=%s\nexport AWS_ACCESS_KEY_ID=%s\nexport AWS_SECRET_ACCESS_KEY=%s\nexport AWS_REGION=%s\n"+
		"# For the project's tests: versitygw without the managed-policy fake, and its store.\nexport NHI_TEST_IAM_UPSTREAM=%s\nexport NHI_TEST_IAM_STORE=%s\n",
		i.Endpoint, i.Endpoint, i.AccessKey, i.SecretKey, IAMRegion, i.Upstream, i.StoreFile())
	if err := os.WriteFile(filepath.Join(dir, AWSEnvFile), []byte(env), 0o600); err != nil {
		_ = i.Stop()
		return nil, err
	}
	return i, i.save()
}

func (i *IAM) serveFake(addr string) error {
	u, err := url.Parse(i.Upstream)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	i.Fake = iamfake.New(u, IAMAccountID)
	i.inProcess = &http.Server{Handler: i.Fake, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = i.inProcess.Serve(l) }()
	return nil
}

func (i *IAM) launch(name, bin string, args ...string) error {
	pid, err := launchDetached(filepath.Join(i.Dir, "logs"), name, bin, args...)
	if err != nil {
		return err
	}
	i.Pids = append(i.Pids, pid)
	return i.save()
}

func (i *IAM) waitHealthy(ctx context.Context, url string, limit time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	hc := &http.Client{Timeout: 2 * time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := hc.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("timed out after %s waiting for %s; see the logs in %s", limit, url, filepath.Join(i.Dir, "logs"))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (i *IAM) save() error {
	b, _ := json.MarshalIndent(i, "", "  ")
	return os.WriteFile(filepath.Join(i.Dir, iamStateFile), b, 0o600)
}

// Stop terminates the proxy and versitygw and removes the IAM data.
func (i *IAM) Stop() error {
	if i.inProcess != nil {
		_ = i.inProcess.Close()
	}
	err := stopPids(i.Pids, 5*time.Second)
	i.Pids = nil
	_ = os.RemoveAll(filepath.Join(i.Dir, "iam-data"))
	_ = os.Remove(filepath.Join(i.Dir, iamStateFile))
	_ = os.Remove(filepath.Join(i.Dir, AWSEnvFile))
	return err
}

// StopIAMDir stops the IAM server started from dir, if any.
func StopIAMDir(dir string) error {
	b, err := os.ReadFile(filepath.Join(dir, iamStateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	i := &IAM{}
	if err := json.Unmarshal(b, i); err != nil {
		return err
	}
	return i.Stop()
}

// Backdate rewrites times in versitygw's store, which it reads on every
// request, so tests can seed identities and keys that are years old: IAM
// sets creation and last-use times itself. keyID picks an access key of the
// user; empty backdates the user (or role) itself. Zero times are left.
func (i *IAM) Backdate(kind, name, keyID string, created, lastUsed time.Time) error {
	b, err := os.ReadFile(i.StoreFile())
	if err != nil {
		return err
	}
	var store map[string]any
	if err := json.Unmarshal(b, &store); err != nil {
		return err
	}
	coll, _ := store[kind+"s"].(map[string]any)
	ent, ok := coll[name].(map[string]any)
	if !ok {
		return fmt.Errorf("no %s %q in the IAM store", kind, name)
	}
	target := ent
	if keyID != "" {
		target = nil
		keys, _ := ent["AccessKeys"].([]any)
		for _, k := range keys {
			if km, ok := k.(map[string]any); ok && km["AccessKeyId"] == keyID {
				target = km
			}
		}
		if target == nil {
			return fmt.Errorf("no access key %s on user %q in the IAM store", keyID, name)
		}
	}
	if !created.IsZero() {
		target["CreateDate"] = created.UTC().Format(time.RFC3339)
	}
	if !lastUsed.IsZero() {
		target["LastUsedDate"] = lastUsed.UTC().Format(time.RFC3339)
	}
	out, err := json.Marshal(store)
	if err != nil {
		return err
	}
	tmp := i.StoreFile() + ".nhi-tmp"
	if err := os.WriteFile(tmp, out, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, i.StoreFile())
}

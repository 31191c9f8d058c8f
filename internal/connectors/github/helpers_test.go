package github

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/githubfake"
)

const org = "acme"

// fast bounds retries so that tests of failures take milliseconds.
func fast(cfg Config) Config {
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 3
	}
	if cfg.RetryWaitMax == 0 {
		cfg.RetryWaitMax = 20 * time.Millisecond
	}
	return cfg
}

func fake(t *testing.T) *githubfake.Server {
	t.Helper()
	s := githubfake.New()
	t.Cleanup(s.Close)
	// Installation tokens hold only their App's permissions, as on GitHub.
	s.RequirePermissions(true)
	return s
}

// scannerPerms are the read permissions a scanning App needs (the
// connector's documented set), plus extra ones.
func scannerPerms(extra map[string]string) map[string]string {
	p := map[string]string{
		"metadata": "read", "administration": "read", "secrets": "read",
		"organization_administration": "read", "organization_personal_access_tokens": "read",
		"organization_secrets": "read", "organization_hooks": "read", "members": "read",
	}
	for k, v := range extra {
		p[k] = v
	}
	return p
}

func tokenClient(t *testing.T, s *githubfake.Server, cfg Config) *Client {
	t.Helper()
	cfg.BaseURL, cfg.Organization, cfg.Token = s.URL(), org, s.Token()
	c, err := New(context.Background(), fast(cfg))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// app registers a GitHub App on the fake, installs it on the organisation
// with perms ("all" repositories), and returns a client authenticated as
// that installation.
func appClient(t *testing.T, s *githubfake.Server, cfg Config, perms map[string]string) (*Client, int64) {
	t.Helper()
	return appClientFor(t, s, cfg, githubfake.Installation{Permissions: perms})
}

// appClientFor is appClient with the scanner's installation as given (App
// 77, "nhi-scanner" unless set).
func appClientFor(t *testing.T, s *githubfake.Server, cfg Config, in githubfake.Installation) (*Client, int64) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	if in.AppID == 0 {
		in.AppID = 77
	}
	if in.AppSlug == "" {
		in.AppSlug = "nhi-scanner"
	}
	s.AddApp(in.AppID, &key.PublicKey)
	inst := s.AddInstallation(org, in)
	cfg.BaseURL, cfg.Organization = s.URL(), org
	cfg.AppID, cfg.InstallationID = in.AppID, inst
	cfg.PrivateKeyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	c, err := New(context.Background(), fast(cfg))
	if err != nil {
		t.Fatal(err)
	}
	return c, inst
}

// recLogger records what the client logs.
type recLogger struct {
	mu    sync.Mutex
	lines []string
	waits []time.Duration
}

func (r *recLogger) add(level, msg string, kv []any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lines = append(r.lines, fmt.Sprintf("%s %s %v", level, msg, kv))
	if msg == "retrying request" {
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i] == "timeout" {
				if d, err := time.ParseDuration(fmt.Sprint(kv[i+1])); err == nil {
					r.waits = append(r.waits, d)
				}
			}
		}
	}
}
func (r *recLogger) Error(m string, kv ...any) { r.add("ERROR", m, kv) }
func (r *recLogger) Info(m string, kv ...any)  { r.add("INFO", m, kv) }
func (r *recLogger) Debug(m string, kv ...any) { r.add("DEBUG", m, kv) }
func (r *recLogger) Warn(m string, kv ...any)  { r.add("WARN", m, kv) }

func (r *recLogger) text() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return strings.Join(r.lines, "\n")
}

func (r *recLogger) maxWait() (time.Duration, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var m time.Duration
	for _, w := range r.waits {
		m = max(m, w)
	}
	return m, len(r.waits)
}

// pubKey is an OpenSSH ed25519 public key line, distinct per n.
func pubKey(n int) string {
	b := make([]byte, 32)
	b[0], b[1] = byte(n), byte(n>>8)
	return "ssh-ed25519 " + b64(append([]byte("\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20"), b...))
}

func (r *recLogger) minWait() time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	var m time.Duration
	for i, w := range r.waits {
		if i == 0 || w < m {
			m = w
		}
	}
	return m
}

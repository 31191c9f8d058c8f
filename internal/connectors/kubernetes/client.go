// Package kubernetes is the Kubernetes connector: it reads and writes service
// accounts and their RBAC grants through client-go. It has no Terraform
// imports, so the provider and the drift reporter share it.
package kubernetes

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// DefaultPrefix is the default prefix of governance annotations.
const DefaultPrefix = "nhi.dev"

// Managed-by marker put on every declared service account and every binding
// the provider creates.
const (
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedByValue = "terraform-provider-nhi"
)

// Connection says how to reach the API server. The first that applies wins:
// InCluster; Host (with Token or client certificate); a kubeconfig
// (ConfigPath, or the KUBECONFIG environment variable, or ~/.kube/config)
// with an optional Context. Exec credential plugins in the kubeconfig work.
type Connection struct {
	ConfigPath    string
	ConfigContext string

	Host                 string
	Token                string
	ClusterCACertificate string
	ClientCertificate    string
	ClientKey            string
	Insecure             bool

	InCluster bool
}

// RESTConfig builds the client-go configuration for a connection.
func (c Connection) RESTConfig() (*rest.Config, error) {
	if c.InCluster {
		cfg, err := rest.InClusterConfig()
		if err != nil {
			return nil, fmt.Errorf("in_cluster is set but this process is not running in a pod: %w", err)
		}
		return cfg, nil
	}
	if c.Host != "" {
		cfg := &rest.Config{
			Host:        c.Host,
			BearerToken: c.Token,
			TLSClientConfig: rest.TLSClientConfig{
				Insecure: c.Insecure,
				CAData:   []byte(c.ClusterCACertificate),
				CertData: []byte(c.ClientCertificate),
				KeyData:  []byte(c.ClientKey),
			},
		}
		if (c.ClientCertificate == "") != (c.ClientKey == "") {
			return nil, errors.New("client_certificate and client_key must be set together")
		}
		return cfg, nil
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	if c.ConfigPath != "" {
		rules.ExplicitPath = c.ConfigPath
		if _, err := os.Stat(c.ConfigPath); err != nil {
			return nil, fmt.Errorf("kubeconfig %q cannot be read: %w", c.ConfigPath, err)
		}
	}
	overrides := &clientcmd.ConfigOverrides{CurrentContext: c.ConfigContext}
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, overrides).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("no usable Kubernetes configuration: %w", err)
	}
	return cfg, nil
}

// Client is the Kubernetes connector.
type Client struct {
	cs      kubernetes.Interface
	markers Markers
	// snap, when set, shares list results across reads (see snapshot).
	snap *snapshot
	// rolesUnlistable: listing roles was refused once in this command, so
	// role checks ask role by role (MissingRoles).
	rolesUnlistable atomic.Bool
	// namespacesUnlistable: the same for namespaces (namespaceExists).
	namespacesUnlistable atomic.Bool
}

// DefaultRequestTimeout bounds one request with its retries (at most six
// attempts and 30 s of waiting), unless the configuration sets its own.
const DefaultRequestTimeout = 2 * time.Minute

// New builds a connector from a REST configuration.
func New(cfg *rest.Config, prefix string) (*Client, error) {
	if err := ValidatePrefix(prefix); err != nil {
		return nil, fmt.Errorf("annotation prefix %w", err)
	}
	cfg = rest.CopyConfig(cfg)
	// client-go's client-side limit is fixed (5 requests/s, bursts of 10
	// by default). Unless the configuration sets one of its own, the
	// connector's limit adapts to the server instead: high while the API
	// server keeps up, cut by its 429s (limiter.go). A negative QPS turns
	// client-go's limiter off.
	var limit *adaptiveLimiter
	if cfg.QPS == 0 && cfg.RateLimiter == nil {
		cfg.QPS = -1
		limit = newAdaptiveLimiter(DefaultRateLimit, DefaultRetryPolicy.MaxRetryAfter)
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = "terraform-provider-nhi"
	}
	// A server that accepts a connection and never answers must not hang
	// a plan: bound each request, its retries included.
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultRequestTimeout
	}
	// Every request of the clientset goes through the connector's one
	// retry layer (retry.go): bounded, jittered, ctx-aware retries of
	// idempotent requests, and errors that say what happened. It sits
	// below client-go's authentication wrappers: a retry resends the
	// request as authenticated, and the layer never reads the token.
	cfg.Wrap(func(rt http.RoundTripper) http.RoundTripper {
		t := newRetryTransport(rt, DefaultRetryPolicy)
		t.limit = limit
		return t
	})
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("building Kubernetes client: %w", err)
	}
	return NewFromClientset(cs, prefix), nil
}

// NewFromClientset wraps an existing clientset. Its requests do not get the
// retry layer New installs.
func NewFromClientset(cs kubernetes.Interface, prefix string) *Client {
	if prefix == "" {
		prefix = DefaultPrefix
	}
	return &Client{cs: cs, markers: Markers{Prefix: prefix}}
}

// Clientset exposes the underlying clientset (for tests and the harness).
func (c *Client) Clientset() kubernetes.Interface { return c.cs }

// Markers returns the marker keys this client writes.
func (c *Client) Markers() Markers { return c.markers }

// System implements nhi.Inventory.
func (c *Client) System() string { return "kubernetes" }

// ValidatePrefix checks an annotation prefix (a DNS subdomain).
func ValidatePrefix(p string) error {
	if errs := validation.IsDNS1123Subdomain(p); len(errs) > 0 {
		return fmt.Errorf("%q is not a DNS subdomain: %s", p, strings.Join(errs, "; "))
	}
	return nil
}

// Markers are the annotation keys governance is stored under.
type Markers struct{ Prefix string }

func (m Markers) Owner() string      { return m.Prefix + "/owner" }
func (m Markers) Purpose() string    { return m.Prefix + "/purpose" }
func (m Markers) ExpiresAt() string  { return m.Prefix + "/expires-at" }
func (m Markers) Scopes() string     { return m.Prefix + "/scopes" }
func (m Markers) OnExpiry() string   { return m.Prefix + "/on-expiry" }
func (m Markers) DisabledAt() string { return m.Prefix + "/disabled-at" }

// RotationDueAt is the annotation on a governed token Secret that records
// when a plan replaces it (RFC 3339, or RotationNever).
func (m Markers) RotationDueAt() string { return m.Prefix + "/rotation-due-at" }

// RotationNever is the rotation-due marker of a token under a policy with no
// max_credential_age and no rotate_after.
const RotationNever = "never"

// ServiceAccount names the annotation on a provider-created binding that
// records which declaration it belongs to ("namespace/name").
func (m Markers) ServiceAccount() string { return m.Prefix + "/service-account" }

// IsReservedKey reports whether a label or annotation key belongs to the
// provider's own markers, which users may not set through labels.
func (m Markers) IsReservedKey(k string) bool {
	return k == ManagedByLabel || strings.HasPrefix(k, m.Prefix+"/")
}

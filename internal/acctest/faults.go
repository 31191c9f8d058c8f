package acctest

// Fault proxies in front of the shared test cluster (internal/testenv/
// faultproxy), for tests of the provider, the connector and the reporter
// through a faulty network.

import (
	"fmt"
	"path/filepath"
	"testing"

	"k8s.io/client-go/rest"

	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/faultproxy"
)

// MixedFaults are the acceptance tests' random faults: 429 (with the
// proxy's Retry-After), bodiless 503 and resets before forwarding, 7% each,
// so 21% of the requests get one. Lost answers are injected by rules, where
// a test says which request loses its answer.
var MixedFaults = faultproxy.Rates{TooManyRequests: 0.07, Unavailable: 0.07, Reset: 0.07}

// KubeProxy starts a fault proxy in front of the test cluster's API server,
// with no faults yet, Retry-After 1 on its 429s and the given seed. It is
// closed when the test ends.
func KubeProxy(t testing.TB, seed uint64) *faultproxy.Proxy {
	t.Helper()
	cfg := RESTConfig(t)
	pcfg, err := faultproxy.ForKubernetes(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pcfg.Seed, pcfg.RetryAfter = seed, 1
	p, err := faultproxy.New(pcfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// RESTConfig is the test cluster's REST configuration (its admin
// kubeconfig, which authenticates with a bearer token, so it works through
// a proxy too).
func RESTConfig(t testing.TB) *rest.Config {
	t.Helper()
	cfg, err := k8s.Connection{ConfigPath: Kubeconfig(t)}.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// ProxiedKubeconfig writes a copy of the test cluster's kubeconfig that
// reaches it through p, and returns its path (in the test's temporary
// directory).
func ProxiedKubeconfig(t testing.TB, p *faultproxy.Proxy) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "kubeconfig-proxied")
	if err := p.WriteKubeconfig(Kubeconfig(t), path); err != nil {
		t.Fatal(err)
	}
	return path
}

// ProxiedClient returns a connector (with the retry layer New installs) to
// the test cluster through p.
func ProxiedClient(t testing.TB, p *faultproxy.Proxy) *k8s.Client {
	t.Helper()
	c, err := k8s.New(p.RESTConfig(RESTConfig(t)), k8s.DefaultPrefix)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ProviderBlockAt renders a provider block whose Kubernetes connection uses
// the kubeconfig at path (such as ProxiedKubeconfig's); extra is added
// inside it.
func ProviderBlockAt(path, extra string) string {
	return fmt.Sprintf(`
provider "nhi" {
  kubernetes {
    config_path = %q
  }
%s
}
`, path, extra)
}

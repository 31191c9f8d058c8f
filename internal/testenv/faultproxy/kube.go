package faultproxy

import (
	"fmt"
	"os"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
)

// ForKubernetes returns the Config of a proxy in front of the API server of
// cfg (its Host and CA), with no faults yet.
func ForKubernetes(cfg *rest.Config) (Config, error) {
	ca := cfg.CAData
	if len(ca) == 0 && cfg.CAFile != "" {
		b, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return Config{}, fmt.Errorf("reading the API server's CA: %w", err)
		}
		ca = b
	}
	return Config{Upstream: cfg.Host, UpstreamCA: ca}, nil
}

// RESTConfig returns a copy of cfg that reaches the API server through the
// proxy: the proxy's URL as Host, the proxy's CA as the only trusted CA.
// Bearer tokens (static, file or exec plugin) pass through unchanged; client
// certificates cannot, as TLS ends at the proxy.
func (p *Proxy) RESTConfig(cfg *rest.Config) *rest.Config {
	c := rest.CopyConfig(cfg)
	c.Host = p.URL()
	c.TLSClientConfig.CAFile = ""
	c.TLSClientConfig.CAData = p.CAPEM()
	c.TLSClientConfig.ServerName = ""
	c.TLSClientConfig.Insecure = false
	return c
}

// WriteKubeconfig copies the kubeconfig at src to dst (mode 0600) with every
// cluster whose server is the proxy's upstream pointed at the proxy and
// trusting the proxy's CA. Use it for the provider's config_path and the
// reporter's kubeconfig in tests.
func (p *Proxy) WriteKubeconfig(src, dst string) error {
	kc, err := clientcmd.LoadFromFile(src)
	if err != nil {
		return fmt.Errorf("reading kubeconfig %s: %w", src, err)
	}
	n := 0
	for _, c := range kc.Clusters {
		if c.Server != p.Upstream() && c.Server+"/" != p.Upstream() && c.Server != p.Upstream()+"/" {
			continue
		}
		c.Server = p.URL()
		c.CertificateAuthority = ""
		c.CertificateAuthorityData = p.CAPEM()
		c.TLSServerName = ""
		c.InsecureSkipTLSVerify = false
		n++
	}
	if n == 0 {
		return fmt.Errorf("kubeconfig %s has no cluster with server %s", src, p.Upstream())
	}
	return clientcmd.WriteToFile(*kc, dst)
}

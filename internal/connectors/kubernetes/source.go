package kubernetes

import (
	"context"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// SourceConfig is a drift `source "kubernetes" "<name>"` block: a cluster,
// reached through a kubeconfig, and the namespaces to scan.
type SourceConfig struct {
	// Kubeconfig is the kubeconfig file; empty uses the default loading
	// rules (KUBECONFIG, ~/.kube/config).
	Kubeconfig string
	// Context is the kubeconfig context; empty uses its current one.
	Context string
	// Namespaces limits the scan; empty scans every namespace.
	Namespaces []string
	// AnnotationPrefix is the prefix of the governance annotations;
	// empty is DefaultPrefix.
	AnnotationPrefix string
}

// scanTimeout bounds each request of a drift scan.
const scanTimeout = 60 * time.Second

var sourceSchema = &hcl.BodySchema{Attributes: []hcl.AttributeSchema{
	{Name: "kubeconfig"}, {Name: "context"}, {Name: "namespaces"}, {Name: "annotation_prefix"},
}}

// source is the drift `source "kubernetes"` block.
func source() system.Source {
	return system.Source{
		Schema:  sourceSchema,
		Example: `source "kubernetes" "prod" { kubeconfig = "~/.kube/config" }`,
		Decode:  decodeSource,
	}
}

func decodeSource(attrs hcl.Attributes, dir string) (system.SourceConfig, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	s := &SourceConfig{}
	str := func(name string, dst *string) bool {
		a, ok := attrs[name]
		if !ok {
			return false
		}
		v, d := system.String(a)
		diags = append(diags, d...)
		*dst = v
		return !d.HasErrors()
	}
	if str("kubeconfig", &s.Kubeconfig) {
		s.Kubeconfig = system.ExpandPath(s.Kubeconfig, dir)
	}
	str("context", &s.Context)
	str("annotation_prefix", &s.AnnotationPrefix)
	if a, ok := attrs["namespaces"]; ok {
		var d hcl.Diagnostics
		s.Namespaces, d = system.Strings(a)
		diags = append(diags, d...)
		for _, ns := range s.Namespaces {
			if err := ValidateNamespace(ns); err != nil {
				diags = append(diags, system.Errorf(a.Expr.Range(), "Invalid namespace", "namespaces: %v.", err))
			}
		}
	}
	return s, diags
}

// Locations implements system.SourceConfig: the namespaces to scan.
func (s *SourceConfig) Locations() []string { return s.Namespaces }

// Connect implements system.SourceConfig. Each request of the scan is
// bounded, and list snapshots stay off: a scan lists everything once anyway.
func (s *SourceConfig) Connect(context.Context) (nhi.Scanner, error) {
	cfg, err := Connection{ConfigPath: s.Kubeconfig, ConfigContext: s.Context}.RESTConfig()
	if err != nil {
		return nil, err
	}
	cfg.Timeout = scanTimeout
	prefix := s.AnnotationPrefix
	if prefix == "" {
		prefix = DefaultPrefix
	}
	c, err := New(cfg, prefix)
	if err != nil {
		return nil, err
	}
	return c, nil
}

package framework

import (
	"fmt"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/nhi-ops/terraform-provider-nhi/internal/clock"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// ProviderData is what the provider's Configure hands every resource and
// data source.
type ProviderData struct {
	Clock  clock.Clock
	Policy nhi.Policy

	kubeOnce   sync.Once
	kubeConfig k8s.Connection
	kubePrefix string
	kube       *k8s.Client
	kubeErr    error
}

// NewProviderData builds provider data; the Kubernetes client is built on
// first use, so configurations that never touch Kubernetes need no cluster.
func NewProviderData(c clock.Clock, p nhi.Policy, kube k8s.Connection, prefix string) *ProviderData {
	return &ProviderData{Clock: c, Policy: p, kubeConfig: kube, kubePrefix: prefix}
}

// KubernetesMarkers are the marker keys the Kubernetes connector writes,
// known without connecting.
func (d *ProviderData) KubernetesMarkers() k8s.Markers { return k8s.Markers{Prefix: d.kubePrefix} }

// Kubernetes returns the Kubernetes connector.
func (d *ProviderData) Kubernetes() (*k8s.Client, error) {
	d.kubeOnce.Do(func() {
		cfg, err := d.kubeConfig.RESTConfig()
		if err != nil {
			d.kubeErr = err
			return
		}
		d.kube, d.kubeErr = k8s.New(cfg, d.kubePrefix)
		if d.kubeErr == nil {
			// One provider process serves one Terraform command: share
			// list snapshots across its reads (see the connector's
			// consistency rule).
			d.kube.EnableSnapshots()
		}
	})
	return d.kube, d.kubeErr
}

// KubernetesOrDiag returns the Kubernetes connector, or nil after adding the
// standard diagnostic for an unusable configuration.
func (d *ProviderData) KubernetesOrDiag(diags *diag.Diagnostics) *k8s.Client {
	c, err := d.Kubernetes()
	if err != nil {
		KubernetesDiag(diags, err)
		return nil
	}
	return c
}

// Inventories returns every configured connector's inventory.
func (d *ProviderData) Inventories() ([]nhi.Inventory, error) {
	k, err := d.Kubernetes()
	if err != nil {
		return nil, err
	}
	return []nhi.Inventory{k}, nil
}

// KubernetesDiag adds the standard error for an unusable Kubernetes
// configuration.
func KubernetesDiag(diags *diag.Diagnostics, err error) {
	diags.AddError("Kubernetes connection is not configured",
		fmt.Sprintf("%v\n\nConfigure the provider's kubernetes block (config_path and config_context, or host with token or a client certificate, or in_cluster = true), or set KUBECONFIG.", err))
}

// ProviderDataFrom extracts provider data in Configure of a resource or data
// source. It returns nil (and no error) before the provider is configured.
func ProviderDataFrom(raw any, diags *diag.Diagnostics) *ProviderData {
	if raw == nil {
		return nil
	}
	pd, ok := raw.(*ProviderData)
	if !ok {
		diags.AddError("Unexpected provider data", fmt.Sprintf("expected *framework.ProviderData, got %T; this is a bug in the provider, please report it", raw))
		return nil
	}
	return pd
}

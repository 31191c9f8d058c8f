package framework

import (
	"context"
	"fmt"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/nhi-ops/terraform-provider-nhi/internal/clock"
	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// ProviderData is what the provider's Configure hands every resource and
// data source.
type ProviderData struct {
	Clock  clock.Clock
	Policy nhi.Policy
	// RequireOIDCSubject turns the open-federated-trust warning of
	// nhi_aws_iam_role into an error.
	RequireOIDCSubject bool

	// KubernetesConfigured and AWSConfigured say which connectors the
	// configuration names; the inventory data sources list those.
	KubernetesConfigured bool
	AWSConfigured        bool

	awsOnce   sync.Once
	awsConfig awsc.Connection
	aws       *awsc.Client
	awsErr    error

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

// SetAWS records how to reach AWS; the client is built on first use.
func (d *ProviderData) SetAWS(c awsc.Connection) { d.awsConfig, d.AWSConfigured = c, true }

// AWSTags are the governance tag keys the AWS connector writes.
func (d *ProviderData) AWSTags() awsc.Markers {
	return awsc.Markers{Prefix: awsc.TagPrefix(d.kubePrefix)}
}

// AWS returns the AWS IAM connector.
func (d *ProviderData) AWS(ctx context.Context) (*awsc.Client, error) {
	d.awsOnce.Do(func() { d.aws, d.awsErr = awsc.New(ctx, d.awsConfig, d.kubePrefix) })
	return d.aws, d.awsErr
}

// AWSOrDiag returns the AWS connector, or nil after adding the standard
// diagnostic for an unusable configuration.
func (d *ProviderData) AWSOrDiag(ctx context.Context, diags *diag.Diagnostics) *awsc.Client {
	c, err := d.AWS(ctx)
	if err != nil {
		diags.AddError("AWS connection is not configured",
			fmt.Sprintf("%v\n\nConfigure the provider's aws block (region, profile, assume_role, endpoint) or the standard AWS environment variables and shared configuration files.", err))
		return nil
	}
	return c
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

// Inventories returns every configured connector's inventory: Kubernetes
// when its block is present or no other connector is configured, AWS when
// its block is present.
func (d *ProviderData) Inventories(ctx context.Context) ([]nhi.Inventory, error) {
	var out []nhi.Inventory
	if d.KubernetesConfigured || !d.AWSConfigured {
		k, err := d.Kubernetes()
		if err != nil {
			return nil, fmt.Errorf("kubernetes: %w", err)
		}
		out = append(out, k)
	}
	if d.AWSConfigured {
		a, err := d.AWS(ctx)
		if err != nil {
			return nil, fmt.Errorf("aws: %w", err)
		}
		out = append(out, a)
	}
	return out, nil
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

package framework

import (
	"context"
	"errors"
	"fmt"
	"strings"
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

	// awsUnknown and kubeUnknown name the attributes of a connector's
	// block whose values are not known yet (first plan of a configuration
	// where they come from other resources). Such a connector is never built
	// from ambient settings instead.
	awsUnknown  []string
	kubeUnknown []string

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

// SetKubernetesUnknown records that these attributes of the kubernetes block
// are not known yet: the connector is not built until they are.
func (d *ProviderData) SetKubernetesUnknown(attrs []string) { d.kubeUnknown = attrs }

// SetAWSUnknown records that these attributes of the aws block are not known
// yet: the connector is not built until they are.
func (d *ProviderData) SetAWSUnknown(attrs []string) { d.awsUnknown = attrs }

// KubernetesPending reports whether the kubernetes configuration is not
// known yet. Plan-time checks that need the cluster skip themselves then;
// the apply, which runs with a known configuration, reaches the cluster.
func (d *ProviderData) KubernetesPending() bool { return len(d.kubeUnknown) > 0 }

// AWSPending reports whether the aws configuration is not known yet.
func (d *ProviderData) AWSPending() bool { return len(d.awsUnknown) > 0 }

// ErrConfigUnknown is wrapped by the errors of connectors whose provider
// configuration is not known yet.
var ErrConfigUnknown = errors.New("provider configuration is not known yet")

func unknownErr(block string, attrs []string) error {
	names := make([]string, len(attrs))
	for i, a := range attrs {
		names[i] = block + "." + a
	}
	return fmt.Errorf("%w: %s depends on values Terraform learns only during apply (other resources' attributes), "+
		"so the provider does not know which %s to connect to and will not guess from KUBECONFIG, AWS_* variables or files", ErrConfigUnknown, strings.Join(names, ", "), block)
}

// UnknownConfigDetail is the fix offered with an unknown configuration.
const UnknownConfigDetail = "\n\nResources whose plan can wait plan with unknown values; this one must read the system now. " +
	"Create what the provider configuration depends on first (terraform apply -target=<that resource>), " +
	"or configure the provider from values known at plan time (variables, data sources of another provider, files)."

// AWSTags are the governance tag keys the AWS connector writes.
func (d *ProviderData) AWSTags() awsc.Markers {
	return awsc.Markers{Prefix: awsc.TagPrefix(d.kubePrefix)}
}

// AWS returns the AWS IAM connector.
func (d *ProviderData) AWS(ctx context.Context) (*awsc.Client, error) {
	if d.AWSPending() {
		return nil, unknownErr("aws", d.awsUnknown)
	}
	d.awsOnce.Do(func() { d.aws, d.awsErr = awsc.New(ctx, d.awsConfig, d.kubePrefix) })
	return d.aws, d.awsErr
}

// AWSOrDiag returns the AWS connector, or nil after adding the standard
// diagnostic for an unusable configuration.
func (d *ProviderData) AWSOrDiag(ctx context.Context, diags *diag.Diagnostics) *awsc.Client {
	c, err := d.AWS(ctx)
	if errors.Is(err, ErrConfigUnknown) {
		diags.AddError("AWS connection is not known yet", err.Error()+UnknownConfigDetail)
		return nil
	}
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
	if d.KubernetesPending() {
		return nil, unknownErr("kubernetes", d.kubeUnknown)
	}
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
	if errors.Is(err, ErrConfigUnknown) {
		diags.AddError("Kubernetes connection is not known yet", err.Error()+UnknownConfigDetail)
		return
	}
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

// KubernetesForPlan returns the connector for a plan-time check, or nil:
// after adding a diagnostic when the configuration is unusable, and without
// one when it is only not known yet, in which case the caller plans unknown
// values and leaves the check to the apply.
func (d *ProviderData) KubernetesForPlan(diags *diag.Diagnostics) *k8s.Client {
	if d.KubernetesPending() {
		return nil
	}
	return d.KubernetesOrDiag(diags)
}

// AWSForPlan is KubernetesForPlan for the AWS connector.
func (d *ProviderData) AWSForPlan(ctx context.Context, diags *diag.Diagnostics) *awsc.Client {
	if d.AWSPending() {
		return nil
	}
	return d.AWSOrDiag(ctx, diags)
}

package framework

// The per-system accessors of ProviderData before #11, kept as thin
// wrappers over Connection while the call sites switch to their own
// package's helpers (services/kubernetes kube/markers, services/aws
// iam/tags). This file is deleted once nothing calls them.

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
)

func (d *ProviderData) kubeConn() *Lazy[*k8s.Client] {
	return Connection[*k8s.Client](d, k8s.SystemName)
}
func (d *ProviderData) awsConn() *Lazy[*awsc.Client] {
	return Connection[*awsc.Client](d, awsc.SystemName)
}

// KubernetesPending reports whether the kubernetes configuration is not
// known yet.
//
// Deprecated: use the connector's Pending.
func (d *ProviderData) KubernetesPending() bool { return len(d.kubeConn().Pending()) > 0 }

// AWSPending reports whether the aws configuration is not known yet.
//
// Deprecated: use the connector's Pending.
func (d *ProviderData) AWSPending() bool { return len(d.awsConn().Pending()) > 0 }

// AWSTags are the governance tag keys the AWS connector writes.
//
// Deprecated: use services/aws tags(pd).
func (d *ProviderData) AWSTags() awsc.Markers {
	return awsc.Markers{Prefix: awsc.TagPrefix(d.Prefix)}
}

// AWS returns the AWS IAM connector.
//
// Deprecated: use services/aws iam(pd).Get.
func (d *ProviderData) AWS(ctx context.Context) (*awsc.Client, error) { return d.awsConn().Get(ctx) }

// AWSOrDiag returns the AWS connector, or nil after adding the standard
// diagnostic for an unusable configuration.
//
// Deprecated: use services/aws iam(pd).OrDiag.
func (d *ProviderData) AWSOrDiag(ctx context.Context, diags *diag.Diagnostics) *awsc.Client {
	c, ok := d.awsConn().OrDiag(ctx, diags)
	if !ok {
		return nil
	}
	return c
}

// AWSForPlan is KubernetesForPlan for the AWS connector.
//
// Deprecated: use services/aws iam(pd).ForPlan.
func (d *ProviderData) AWSForPlan(ctx context.Context, diags *diag.Diagnostics) *awsc.Client {
	c, ok := d.awsConn().ForPlan(ctx, diags)
	if !ok {
		return nil
	}
	return c
}

// KubernetesMarkers are the marker keys the Kubernetes connector writes,
// known without connecting.
//
// Deprecated: use services/kubernetes markers(pd).
func (d *ProviderData) KubernetesMarkers() k8s.Markers { return k8s.Markers{Prefix: d.Prefix} }

// Kubernetes returns the Kubernetes connector.
//
// Deprecated: use services/kubernetes kube(pd).Get.
func (d *ProviderData) Kubernetes() (*k8s.Client, error) {
	return d.kubeConn().Get(context.Background())
}

// KubernetesOrDiag returns the Kubernetes connector, or nil after adding the
// standard diagnostic for an unusable configuration.
//
// Deprecated: use services/kubernetes kube(pd).OrDiag.
func (d *ProviderData) KubernetesOrDiag(diags *diag.Diagnostics) *k8s.Client {
	c, ok := d.kubeConn().OrDiag(context.Background(), diags)
	if !ok {
		return nil
	}
	return c
}

// KubernetesForPlan returns the connector for a plan-time check, or nil:
// after adding a diagnostic when the configuration is unusable, and without
// one when it is only not known yet.
//
// Deprecated: use services/kubernetes kube(pd).ForPlan.
func (d *ProviderData) KubernetesForPlan(diags *diag.Diagnostics) *k8s.Client {
	c, ok := d.kubeConn().ForPlan(context.Background(), diags)
	if !ok {
		return nil
	}
	return c
}

// KubernetesDiag adds the standard error for an unusable Kubernetes
// configuration.
//
// Deprecated: Lazy.OrDiag adds it.
func KubernetesDiag(diags *diag.Diagnostics, err error) {
	l := &Lazy[*k8s.Client]{Name: k8s.SystemName, Title: "Kubernetes",
		Hint:  "Configure the provider's kubernetes block (config_path and config_context, or host with token or a client certificate, or in_cluster = true), or set KUBECONFIG.",
		Build: func(context.Context) (*k8s.Client, error) { return nil, err }}
	l.OrDiag(context.Background(), diags)
}

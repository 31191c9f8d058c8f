package kubernetes

import (
	"context"
	"os"

	"github.com/hashicorp/terraform-plugin-framework-validators/providervalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
)

// hint says how to configure the connection, shown with connection errors.
const hint = "Configure the provider's kubernetes block (config_path and config_context, or host with token or a client certificate, or in_cluster = true), or set KUBECONFIG."

// System is Kubernetes as the provider sees it: the provider's kubernetes
// block, its connector and its resources.
func System() framework.System {
	block := path.MatchRoot(k8s.SystemName)
	return framework.System{
		Core:    k8s.Descriptor(),
		Actions: framework.Actions{Disable: true, RevokeCredentials: true},
		Block: schema.SingleNestedBlock{
			MarkdownDescription: "How to reach the Kubernetes API server. With no block, the provider uses `KUBE_CONFIG_PATH`, `KUBECONFIG` or `~/.kube/config`.",
			Attributes: map[string]schema.Attribute{
				"config_path":            schema.StringAttribute{Optional: true, MarkdownDescription: "Path of a kubeconfig file. Defaults to `KUBE_CONFIG_PATH`, then the standard `KUBECONFIG` rules. Exec credential plugins in it work."},
				"config_context":         schema.StringAttribute{Optional: true, MarkdownDescription: "Context of the kubeconfig to use. Defaults to `KUBE_CTX`, then the kubeconfig's current context."},
				"host":                   schema.StringAttribute{Optional: true, MarkdownDescription: "API server URL. When set, the kubeconfig is not used."},
				"token":                  schema.StringAttribute{Optional: true, Sensitive: true, MarkdownDescription: "Bearer token, with `host`."},
				"cluster_ca_certificate": schema.StringAttribute{Optional: true, MarkdownDescription: "PEM CA certificate of the API server, with `host`."},
				"client_certificate":     schema.StringAttribute{Optional: true, MarkdownDescription: "PEM client certificate, with `host` and `client_key`."},
				"client_key":             schema.StringAttribute{Optional: true, Sensitive: true, MarkdownDescription: "PEM client key, with `host` and `client_certificate`."},
				"insecure":               schema.BoolAttribute{Optional: true, MarkdownDescription: "Skip verification of the API server's certificate. For local clusters only."},
				"in_cluster":             schema.BoolAttribute{Optional: true, MarkdownDescription: "Use the pod's service account (when the provider runs inside a cluster)."},
			},
		},
		// A client certificate authenticates only with its key: say so at
		// validate time, on the attribute, not when the apply connects.
		ConfigValidators: []provider.ConfigValidator{
			providervalidator.RequiredTogether(block.AtName("client_certificate"), block.AtName("client_key")),
		},
		PrefixCheck: k8s.ValidatePrefix,
		Configure:   configure,
		Resources: []func() resource.Resource{
			NewServiceAccountResource,
			NewServiceAccountTokenResource,
		},
		EphemeralResources: []func() ephemeral.EphemeralResource{
			NewTokenEphemeralResource,
			NewServiceAccountTokenValueEphemeralResource,
		},
		ListResources:     ListResources(),
		LocationValidator: NamespaceValidator(),
		ScopeExamples:     []string{"clusterrole:cluster-admin", "clusterrole:*@kube-system"},
	}
}

// kube is the Kubernetes connector of the provider.
func kube(pd *framework.ProviderData) *framework.Lazy[*k8s.Client] {
	return framework.Connection[*k8s.Client](pd, k8s.SystemName)
}

// markers are the marker keys the connector writes, known without
// connecting.
func markers(pd *framework.ProviderData) k8s.Markers { return k8s.Markers{Prefix: pd.Prefix} }

type blockModel struct {
	ConfigPath           types.String `tfsdk:"config_path"`
	ConfigContext        types.String `tfsdk:"config_context"`
	Host                 types.String `tfsdk:"host"`
	Token                types.String `tfsdk:"token"`
	ClusterCACertificate types.String `tfsdk:"cluster_ca_certificate"`
	ClientCertificate    types.String `tfsdk:"client_certificate"`
	ClientKey            types.String `tfsdk:"client_key"`
	Insecure             types.Bool   `tfsdk:"insecure"`
	InCluster            types.Bool   `tfsdk:"in_cluster"`
}

func (k *blockModel) unknown() []string {
	return framework.UnknownAttrs(map[string]attr.Value{
		"config_path": k.ConfigPath, "config_context": k.ConfigContext, "host": k.Host, "token": k.Token,
		"cluster_ca_certificate": k.ClusterCACertificate, "client_certificate": k.ClientCertificate,
		"client_key": k.ClientKey, "insecure": k.Insecure, "in_cluster": k.InCluster,
	})
}

// configure reads the kubernetes block. Without one the connector uses
// KUBE_CONFIG_PATH, KUBE_CTX and the standard kubeconfig rules, and the
// inventory data sources list the cluster unless another system's block is
// present. Values not known yet (a host from another resource) are never
// replaced by those ambient settings: the connector waits for the apply.
func configure(ctx context.Context, req framework.ConfigureRequest) (framework.Connector, diag.Diagnostics) {
	var k *blockModel
	diags := req.Config.GetAttribute(ctx, path.Root(k8s.SystemName), &k)
	if diags.HasError() {
		return nil, diags
	}
	conn := k8s.Connection{
		ConfigPath:    os.Getenv("KUBE_CONFIG_PATH"),
		ConfigContext: os.Getenv("KUBE_CTX"),
	}
	var unknown []string
	if k != nil {
		unknown = k.unknown()
		setIf(&conn.ConfigPath, k.ConfigPath)
		setIf(&conn.ConfigContext, k.ConfigContext)
		setIf(&conn.Host, k.Host)
		setIf(&conn.Token, k.Token)
		setIf(&conn.ClusterCACertificate, k.ClusterCACertificate)
		setIf(&conn.ClientCertificate, k.ClientCertificate)
		setIf(&conn.ClientKey, k.ClientKey)
		conn.Insecure = k.Insecure.ValueBool()
		conn.InCluster = k.InCluster.ValueBool()
	}
	prefix := req.Prefix
	return &framework.Lazy[*k8s.Client]{
		Name: k8s.SystemName, Title: "Kubernetes", Hint: hint,
		Block: k != nil, Auto: true, Unknown: unknown,
		Build: func(context.Context) (*k8s.Client, error) {
			cfg, err := conn.RESTConfig()
			if err != nil {
				return nil, err
			}
			c, err := k8s.New(cfg, prefix)
			if err != nil {
				return nil, err
			}
			// One provider process serves one Terraform command: share
			// list snapshots across its reads (see the connector's
			// consistency rule).
			c.EnableSnapshots()
			return c, nil
		},
	}, diags
}

// setIf copies a known, non-empty value; callers have checked unknowns.
func setIf(dst *string, v types.String) {
	if s := v.ValueString(); s != "" {
		*dst = s
	}
}

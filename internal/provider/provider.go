// Package provider is the nhi provider: its configuration (one block per
// connector, plus policy) and the list of resources and data sources.
package provider

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/datasource"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/provider"
	"github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/clock"
	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/services/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/services/inventory"
	"github.com/nhi-ops/terraform-provider-nhi/internal/services/kubernetes"
)

// EnvEvaluationTime overrides "now" for expiry evaluation.
const EnvEvaluationTime = "NHI_EVALUATION_TIME"

var (
	_ provider.Provider                       = &nhiProvider{}
	_ provider.ProviderWithEphemeralResources = &nhiProvider{}
)

type nhiProvider struct {
	version string
	// clock is the wall clock unless a test injects another.
	clock clock.Clock
}

// New returns a provider factory.
func New(version string) func() provider.Provider {
	return NewWithClock(version, clock.System{})
}

// NewWithClock returns a provider factory with an injected clock.
func NewWithClock(version string, c clock.Clock) func() provider.Provider {
	return func() provider.Provider { return &nhiProvider{version: version, clock: c} }
}

type providerModel struct {
	AnnotationPrefix types.String     `tfsdk:"annotation_prefix"`
	EvaluationTime   types.String     `tfsdk:"evaluation_time"`
	Kubernetes       *kubernetesModel `tfsdk:"kubernetes"`
	AWS              *awsModel        `tfsdk:"aws"`
	Policy           *policyModel     `tfsdk:"policy"`
}

type awsModel struct {
	Region      types.String     `tfsdk:"region"`
	Profile     types.String     `tfsdk:"profile"`
	Endpoint    types.String     `tfsdk:"endpoint"`
	MaxAttempts types.Int64      `tfsdk:"max_attempts"`
	AssumeRole  *assumeRoleModel `tfsdk:"assume_role"`
}

type assumeRoleModel struct {
	RoleARN     types.String `tfsdk:"role_arn"`
	ExternalID  types.String `tfsdk:"external_id"`
	SessionName types.String `tfsdk:"session_name"`
}

type kubernetesModel struct {
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

type policyModel struct {
	MaxLifetime        types.String `tfsdk:"max_lifetime"`
	WarnBefore         types.String `tfsdk:"warn_before"`
	ForbiddenScopes    types.List   `tfsdk:"forbidden_scopes"`
	OwnerPattern       types.String `tfsdk:"owner_pattern"`
	MaxTokenExpiration types.String `tfsdk:"max_token_expiration"`
	MaxCredentialAge   types.String `tfsdk:"max_credential_age"`
	RequireOIDCSubject types.Bool   `tfsdk:"require_oidc_subject"`
}

func (p *nhiProvider) Metadata(_ context.Context, _ provider.MetadataRequest, resp *provider.MetadataResponse) {
	resp.TypeName = "nhi"
	resp.Version = p.version
}

func (p *nhiProvider) Schema(_ context.Context, _ provider.SchemaRequest, resp *provider.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "Governs non-human identities (service accounts, tokens, keys) with an owner, a purpose, scopes and an expiry.",
		Attributes: map[string]schema.Attribute{
			"annotation_prefix": schema.StringAttribute{
				Optional:            true,
				MarkdownDescription: "Prefix of the governance annotations written on declared identities (`<prefix>/owner`, `<prefix>/purpose`, `<prefix>/expires-at`, ...). Defaults to `nhi.dev`. Must be a DNS subdomain.",
				Validators: []validator.String{framework.StringCheck{
					Summary: "Invalid annotation prefix", Desc: "a DNS subdomain",
					Check: k8s.ValidatePrefix,
				}},
			},
			"evaluation_time": schema.StringAttribute{
				Optional: true,
				MarkdownDescription: "Evaluate expiry and policy as of this instant (RFC 3339 or `YYYY-MM-DD`) instead of now, to preview " +
					"what a plan will look like later (\"at quarter end\"). Can also be set with the `NHI_EVALUATION_TIME` environment variable; the attribute wins.",
				Validators: []validator.String{framework.Expiry()},
			},
		},
		Blocks: map[string]schema.Block{
			"kubernetes": schema.SingleNestedBlock{
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
			"aws": schema.SingleNestedBlock{
				MarkdownDescription: "How to reach AWS IAM, for the `nhi_aws_*` resources and for AWS in the inventory data sources (which list AWS only when this block is present). " +
					"Credentials come from the AWS SDK's standard chain: environment variables, the shared config and credentials files (`profile`), IAM Identity Center (SSO), " +
					"web identity, container and instance roles. The block holds no secrets.",
				Attributes: map[string]schema.Attribute{
					"region":  schema.StringAttribute{Optional: true, MarkdownDescription: "Region for STS and request signing (IAM is global). Defaults to `AWS_REGION` or the profile's region, then `us-east-1`."},
					"profile": schema.StringAttribute{Optional: true, MarkdownDescription: "Named profile of the shared configuration files. Defaults to `AWS_PROFILE`."},
					"endpoint": schema.StringAttribute{
						Optional: true, MarkdownDescription: "IAM and STS endpoint URL, for IAM-compatible systems and tests. Defaults to AWS's (`AWS_ENDPOINT_URL_IAM` and `AWS_ENDPOINT_URL_STS` also work).",
						Validators: []validator.String{framework.StringCheck{Summary: "Invalid endpoint", Desc: "an http(s) URL", Check: httpURL}},
					},
					"max_attempts": schema.Int64Attribute{
						Optional: true, MarkdownDescription: "Attempts per API call, the first included, when IAM throttles (`Throttling`) or fails with a 5xx; backoff is jittered and capped at 10s, and every wait ends when Terraform cancels. Default 8.",
						Validators: []validator.Int64{framework.Int64Between{Min: 1, Max: 25}},
					},
				},
				Blocks: map[string]schema.Block{
					"assume_role": schema.SingleNestedBlock{
						MarkdownDescription: "Assume this role with the credentials found, and act as it.",
						Attributes: map[string]schema.Attribute{
							"role_arn": schema.StringAttribute{Optional: true, MarkdownDescription: "ARN of the role to assume, such as `arn:aws:iam::123456789012:role/nhi-admin`.",
								Validators: []validator.String{framework.StringCheck{Summary: "Invalid role ARN", Desc: "a role ARN", Check: roleARN}}},
							"external_id":  schema.StringAttribute{Optional: true, MarkdownDescription: "External ID the role's trust policy requires."},
							"session_name": schema.StringAttribute{Optional: true, MarkdownDescription: "Session name, seen in CloudTrail. Default `terraform-provider-nhi`."},
						},
					},
				},
			},
			"policy": schema.SingleNestedBlock{
				MarkdownDescription: "Organisation policy, enforced at plan time with errors that name the offending attribute.",
				Attributes: map[string]schema.Attribute{
					"max_lifetime": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "Longest time from now that `expires_at` may be set to, such as `\"90d\"`. Default `\"365d\"`. Checked when an identity is created and whenever its `expires_at` changes.",
						Validators:          []validator.String{framework.Duration()},
					},
					"warn_before": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "How long before `expires_at` plans start to warn. Default `\"30d\"`.",
						Validators:          []validator.String{framework.Duration()},
					},
					"forbidden_scopes": schema.ListAttribute{
						Optional:            true,
						ElementType:         types.StringType,
						MarkdownDescription: "Scopes no declaration may hold, as globs: `\"clusterrole:cluster-admin\"`, `\"clusterrole:*@kube-system\"`, `\"policy:arn:aws:iam::aws:policy/AdministratorAccess\"`. `*` matches any characters, `/` included.",
						Validators:          []validator.List{framework.Each(framework.ScopePattern())},
					},
					"max_token_expiration": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "Longest `expiration` a short-lived token from `nhi_kubernetes_token` may have. Default `\"24h\"`.",
						Validators:          []validator.String{framework.Duration()},
					},
					"max_credential_age": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "Longest a long-lived credential (`nhi_kubernetes_service_account_token`) may live before a plan rotates it; `rotate_after` may not exceed it. Default `\"90d\"`.",
						Validators:          []validator.String{framework.Duration()},
					},
					"require_oidc_subject": schema.BoolAttribute{
						Optional: true,
						MarkdownDescription: "Make it an error, instead of a warning, when an `nhi_aws_iam_role` trust policy lets an OIDC issuer's tokens assume the role " +
							"without a condition on their subject (`<issuer>:sub`), or with one every subject matches (`\"*\"`, GitHub's `\"repo:*\"`). Default `false`.",
					},
					"owner_pattern": schema.StringAttribute{
						Optional:            true,
						MarkdownDescription: "Regular expression every `owner` must match in full, such as `\"team:[a-z-]+|[a-z.]+@example\\\\.com\"`.",
						Validators:          []validator.String{framework.Regex()},
					},
				},
			},
		},
	}
}

func (p *nhiProvider) Configure(ctx context.Context, req provider.ConfigureRequest, resp *provider.ConfigureResponse) {
	var cfg providerModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &cfg)...)
	if resp.Diagnostics.HasError() {
		return
	}

	var c clock.Clock = p.clock
	if at, src := cfg.EvaluationTime.ValueString(), "evaluation_time"; at != "" || os.Getenv(EnvEvaluationTime) != "" {
		if at == "" {
			at, src = os.Getenv(EnvEvaluationTime), EnvEvaluationTime
		}
		t, err := nhi.ParseExpiry(at)
		if err != nil {
			if src == "evaluation_time" {
				resp.Diagnostics.AddAttributeError(path.Root("evaluation_time"), "Invalid evaluation time", "evaluation_time "+err.Error())
			} else {
				resp.Diagnostics.AddError("Invalid "+EnvEvaluationTime, fmt.Sprintf("The environment variable %s %v. Unset it to evaluate as of now.", EnvEvaluationTime, err))
			}
			return
		}
		c = clock.Fixed(t)
	}

	pol := nhi.DefaultPolicy()
	if cp := cfg.Policy; cp != nil {
		for _, d := range []struct {
			name  string
			value types.String
			dst   *time.Duration
		}{
			{"max_lifetime", cp.MaxLifetime, &pol.MaxLifetime},
			{"warn_before", cp.WarnBefore, &pol.WarnBefore},
			{"max_token_expiration", cp.MaxTokenExpiration, &pol.MaxTokenExpiration},
			{"max_credential_age", cp.MaxCredentialAge, &pol.MaxCredentialAge},
		} {
			if v := d.value.ValueString(); v != "" {
				parsed, err := nhi.ParseDuration(v)
				if err != nil {
					resp.Diagnostics.AddAttributeError(path.Root("policy").AtName(d.name), "Invalid duration", "policy."+d.name+" "+err.Error())
				}
				*d.dst = parsed
			}
		}
		if !cp.ForbiddenScopes.IsUnknown() {
			resp.Diagnostics.Append(cp.ForbiddenScopes.ElementsAs(ctx, &pol.ForbiddenScopes, false)...)
		}
		if v := cp.OwnerPattern.ValueString(); v != "" {
			re, err := nhi.CompileOwnerPattern(v)
			if err != nil {
				resp.Diagnostics.AddAttributeError(path.Root("policy").AtName("owner_pattern"), "Invalid regular expression", "policy.owner_pattern "+err.Error())
			}
			pol.OwnerPattern = re
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	// Values Terraform learns only during apply (a cluster endpoint from
	// another resource) are unknown here on a first plan. Such a connector
	// is never built from ambient settings instead (KUBECONFIG, AWS_*), which
	// may describe another cluster or account.
	for _, u := range []struct {
		name string
		v    attr.Value
	}{{"annotation_prefix", cfg.AnnotationPrefix}, {"evaluation_time", cfg.EvaluationTime}} {
		if u.v.IsUnknown() {
			resp.Diagnostics.AddAttributeError(path.Root(u.name), "Value must be known when planning",
				u.name+" decides what every plan shows, so it cannot depend on values known only after apply. Set it from a variable or a literal.")
		}
	}
	if cfg.Policy != nil {
		for _, a := range cfg.Policy.unknown() {
			resp.Diagnostics.AddAttributeError(path.Root("policy").AtName(a), "Value must be known when planning",
				"policy."+a+" decides what every plan allows, so it cannot depend on values known only after apply. Set it from a variable or a literal.")
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	conn := k8s.Connection{
		ConfigPath:    os.Getenv("KUBE_CONFIG_PATH"),
		ConfigContext: os.Getenv("KUBE_CTX"),
	}
	var kubeUnknown []string
	if k := cfg.Kubernetes; k != nil {
		kubeUnknown = k.unknown()
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
	prefix := k8s.DefaultPrefix
	setIf(&prefix, cfg.AnnotationPrefix)

	pd := framework.NewProviderData(c, pol, conn, prefix)
	pd.KubernetesConfigured = cfg.Kubernetes != nil
	pd.SetKubernetesUnknown(kubeUnknown)
	if cfg.Policy != nil {
		pd.RequireOIDCSubject = cfg.Policy.RequireOIDCSubject.ValueBool()
	}
	if a := cfg.AWS; a != nil {
		ac := awsc.Connection{MaxAttempts: int(a.MaxAttempts.ValueInt64())}
		setIf(&ac.Region, a.Region)
		setIf(&ac.Profile, a.Profile)
		setIf(&ac.Endpoint, a.Endpoint)
		if r := a.AssumeRole; r != nil {
			setIf(&ac.AssumeRoleARN, r.RoleARN)
			setIf(&ac.AssumeRoleExternalID, r.ExternalID)
			setIf(&ac.AssumeRoleSessionName, r.SessionName)
		}
		pd.SetAWS(ac)
		pd.SetAWSUnknown(a.unknown())
	}
	resp.ResourceData = pd
	resp.DataSourceData = pd
	resp.EphemeralResourceData = pd
}

func httpURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q is not an http(s) URL such as \"https://iam.amazonaws.com\"", s)
	}
	return nil
}

func roleARN(s string) error {
	if !strings.HasPrefix(s, "arn:") || !strings.Contains(s, ":role/") {
		return fmt.Errorf("%q is not a role ARN such as \"arn:aws:iam::123456789012:role/nhi-admin\"", s)
	}
	return nil
}

// unknownNames lists the names whose values are unknown.
func unknownNames(vals map[string]attr.Value) []string {
	var out []string
	for name, v := range vals {
		if v.IsUnknown() {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func (k *kubernetesModel) unknown() []string {
	return unknownNames(map[string]attr.Value{
		"config_path": k.ConfigPath, "config_context": k.ConfigContext, "host": k.Host, "token": k.Token,
		"cluster_ca_certificate": k.ClusterCACertificate, "client_certificate": k.ClientCertificate,
		"client_key": k.ClientKey, "insecure": k.Insecure, "in_cluster": k.InCluster,
	})
}

func (a *awsModel) unknown() []string {
	vals := map[string]attr.Value{"region": a.Region, "profile": a.Profile, "endpoint": a.Endpoint, "max_attempts": a.MaxAttempts}
	if r := a.AssumeRole; r != nil {
		vals["assume_role.role_arn"], vals["assume_role.external_id"], vals["assume_role.session_name"] = r.RoleARN, r.ExternalID, r.SessionName
	}
	return unknownNames(vals)
}

func (p *policyModel) unknown() []string {
	return unknownNames(map[string]attr.Value{
		"max_lifetime": p.MaxLifetime, "warn_before": p.WarnBefore, "owner_pattern": p.OwnerPattern,
		"max_token_expiration": p.MaxTokenExpiration, "max_credential_age": p.MaxCredentialAge,
		"require_oidc_subject": p.RequireOIDCSubject, "forbidden_scopes": p.ForbiddenScopes,
	})
}

// setIf copies a known, non-empty value; callers have checked unknowns.
func setIf(dst *string, v types.String) {
	if s := v.ValueString(); s != "" {
		*dst = s
	}
}

func (p *nhiProvider) Resources(context.Context) []func() resource.Resource {
	return []func() resource.Resource{
		kubernetes.NewServiceAccountResource,
		kubernetes.NewServiceAccountTokenResource,
		aws.NewIAMUserResource,
		aws.NewIAMRoleResource,
		aws.NewIAMAccessKeyResource,
	}
}

func (p *nhiProvider) EphemeralResources(context.Context) []func() ephemeral.EphemeralResource {
	return []func() ephemeral.EphemeralResource{
		kubernetes.NewTokenEphemeralResource,
		kubernetes.NewServiceAccountTokenValueEphemeralResource,
	}
}

func (p *nhiProvider) DataSources(context.Context) []func() datasource.DataSource {
	return []func() datasource.DataSource{
		inventory.NewIdentitiesDataSource,
		inventory.NewUndeclaredDataSource,
	}
}

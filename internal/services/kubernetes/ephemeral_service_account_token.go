package kubernetes

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

var _ ephemeral.EphemeralResourceWithConfigure = &tokenValueEphemeralResource{}

// NewServiceAccountTokenValueEphemeralResource is the factory of the
// ephemeral nhi_kubernetes_service_account_token, which reads the value of
// a governed long-lived token without putting it in state.
func NewServiceAccountTokenValueEphemeralResource() ephemeral.EphemeralResource {
	return &tokenValueEphemeralResource{}
}

type tokenValueEphemeralResource struct{ tokenEphemeralResource }

type tokenValueModel struct {
	Namespace      types.String `tfsdk:"namespace"`
	Name           types.String `tfsdk:"name"`
	ServiceAccount types.String `tfsdk:"service_account"`
	Token          types.String `tfsdk:"token"`
}

func (e *tokenValueEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_kubernetes_service_account_token"
}

func (e *tokenValueEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "The value of a token created by the resource `nhi_kubernetes_service_account_token`, read when Terraform needs it " +
			"and never stored in a plan or in state. Pass it to another provider's configuration or to a write-only argument. " +
			"Tokens of service accounts that have expired or been disabled are refused.",
		Attributes: map[string]schema.Attribute{
			"namespace":       schema.StringAttribute{Required: true, MarkdownDescription: "`namespace` of the `nhi_kubernetes_service_account_token`."},
			"name":            schema.StringAttribute{Required: true, MarkdownDescription: "`name` of the `nhi_kubernetes_service_account_token`."},
			"service_account": schema.StringAttribute{Computed: true, MarkdownDescription: "The service account the token authenticates as."},
			"token":           schema.StringAttribute{Computed: true, Sensitive: true, MarkdownDescription: "The token."},
		},
	}
}

func (e *tokenValueEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m tokenValueModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || e.pd == nil {
		return
	}
	c := e.pd.KubernetesOrDiag(&resp.Diagnostics)
	if c == nil {
		return
	}
	ref := nhi.Ref{Location: m.Namespace.ValueString(), Name: m.Name.ValueString()}
	t, err := c.GetTokenSecret(ctx, ref)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Reading the token failed", err.Error())
		return
	}
	if !t.Declared {
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Token is not declared",
			fmt.Sprintf("Secret %s was not created by nhi_kubernetes_service_account_token, so nothing governs it. Declare a token with that resource and read it here.", ref))
		return
	}
	if !e.eligible(ctx, c, nhi.Ref{Location: ref.Location, Name: t.ServiceAccount}, &resp.Diagnostics) {
		return
	}
	if exp := t.Governance.ExpiresAt; !exp.IsZero() && !e.pd.Clock.Now().Before(exp) {
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Token has expired",
			fmt.Sprintf("the token %s expired at %s. Extend its expires_at, or remove it.", ref, nhi.FormatTime(exp)))
		return
	}
	tok, err := c.ReadTokenValue(ctx, ref)
	if err != nil {
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Reading the token failed", err.Error())
		return
	}
	m.ServiceAccount = types.StringValue(t.ServiceAccount)
	m.Token = types.StringValue(tok)
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}

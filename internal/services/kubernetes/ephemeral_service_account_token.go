package kubernetes

import (
	"context"
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
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
	UID            types.String `tfsdk:"uid"`
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
			"Tokens of service accounts that have expired or been disabled are refused. " +
			"Pass the token resource's `namespace`, `name` and `uid`, so Terraform reads the value only once the token exists.",
		Attributes: map[string]schema.Attribute{
			"namespace": schema.StringAttribute{Required: true, MarkdownDescription: "`namespace` of the `nhi_kubernetes_service_account_token`."},
			"name":      schema.StringAttribute{Required: true, MarkdownDescription: "`name` of the `nhi_kubernetes_service_account_token`."},
			"uid": schema.StringAttribute{Optional: true,
				MarkdownDescription: "`uid` of the `nhi_kubernetes_service_account_token`. With it, Terraform opens this ephemeral resource only once " +
					"that token exists (its `uid` is unknown until then), also when the token is being replaced, and the value is refused when " +
					"the Secret found has another UID (it was deleted and created again).",
				Validators: []validator.String{UIDValidator("nhi_kubernetes_service_account_token")}},
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
	c, ok := kube(e.pd).OrDiag(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	ref := nhi.Ref{Location: m.Namespace.ValueString(), Name: m.Name.ValueString()}
	uid := m.UID.ValueString()
	t, err := c.GetTokenSecret(ctx, ref)
	if !(lookup{Title: "Token", What: "token Secret", Short: "token", Resource: "nhi_kubernetes_service_account_token", Anew: "create it anew",
		Ref: ref, At: path.Root("name"), UIDAt: path.Root("uid"), WantUID: uid, GotUID: t.UID,
		NotFound: "Declare it with nhi_kubernetes_service_account_token and pass that resource's namespace, name and uid:\n\n" +
			"  namespace = nhi_kubernetes_service_account_token.<name>.namespace\n" +
			"  name      = nhi_kubernetes_service_account_token.<name>.name\n" +
			"  uid       = nhi_kubernetes_service_account_token.<name>.uid\n\n" +
			"Their values are known only once the token exists, so Terraform opens this after the apply has created it."}).found(err, &resp.Diagnostics) {
		return
	}
	switch {
	case !t.Declared && !t.MarkersIncomplete:
		resp.Diagnostics.AddAttributeError(path.Root("name"), "Token is not declared",
			fmt.Sprintf("Secret %s does not carry the governance of nhi_kubernetes_service_account_token (owner, purpose and rotation due), so nothing governs it. "+
				"Declare a token with that resource (terraform import adopts this one) and read it here.", ref))
		return
	}
	// Errors about the token's service account are reported on name, the
	// argument the user wrote: service_account is computed.
	acct := account{Ref: nhi.Ref{Location: ref.Location, Name: t.ServiceAccount}, At: path.Root("name"),
		NotFound: fmt.Sprintf("It is the service account of token Secret %s; declare it with nhi_kubernetes_service_account, or remove the token.", ref)}
	if !e.eligible(ctx, c, acct, &resp.Diagnostics) {
		return
	}
	if exp := t.Governance.ExpiresAt; nhi.Expired(e.pd.Clock.Now(), exp) {
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

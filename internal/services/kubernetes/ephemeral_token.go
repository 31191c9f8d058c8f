package kubernetes

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral"
	"github.com/hashicorp/terraform-plugin-framework/ephemeral/schema"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

var _ ephemeral.EphemeralResourceWithConfigure = &tokenEphemeralResource{}

// NewTokenEphemeralResource is the factory of the ephemeral
// nhi_kubernetes_token.
func NewTokenEphemeralResource() ephemeral.EphemeralResource { return &tokenEphemeralResource{} }

type tokenEphemeralResource struct{ pd *framework.ProviderData }

type boundObjectModel struct {
	Kind types.String `tfsdk:"kind"`
	Name types.String `tfsdk:"name"`
	UID  types.String `tfsdk:"uid"`
}

type tokenModel struct {
	Namespace   types.String      `tfsdk:"namespace"`
	Name        types.String      `tfsdk:"service_account"`
	UID         types.String      `tfsdk:"service_account_uid"`
	Audiences   []string          `tfsdk:"audiences"`
	Expiration  types.String      `tfsdk:"expiration"`
	BoundObject *boundObjectModel `tfsdk:"bound_object"`
	Token       types.String      `tfsdk:"token"`
	ExpiresAt   types.String      `tfsdk:"expires_at"`
}

func (e *tokenEphemeralResource) Metadata(_ context.Context, req ephemeral.MetadataRequest, resp *ephemeral.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_kubernetes_token"
}

func (e *tokenEphemeralResource) Schema(_ context.Context, _ ephemeral.SchemaRequest, resp *ephemeral.SchemaResponse) {
	resp.Schema = schema.Schema{
		MarkdownDescription: "A short-lived token for a declared service account, minted through the TokenRequest API when Terraform " +
			"needs it. It is never in a plan or in state: use it to configure another provider, or in a write-only argument. " +
			"A service account that has expired or been disabled gets no token. " +
			"In the configuration that declares the service account, pass its `uid` as `service_account_uid`: Terraform then mints the token " +
			"only after the apply has created the account, so the configuration works in one apply.",
		Attributes: map[string]schema.Attribute{
			"namespace": schema.StringAttribute{Required: true, MarkdownDescription: "Namespace of the service account.",
				Validators: []validator.String{NamespaceValidator()}},
			"service_account": schema.StringAttribute{Required: true, MarkdownDescription: "Name of a service account declared with `nhi_kubernetes_service_account`.",
				Validators: []validator.String{ServiceAccountNameValidator()}},
			"service_account_uid": schema.StringAttribute{Optional: true,
				MarkdownDescription: "UID of the service account: pass the `uid` of the `nhi_kubernetes_service_account` that declares it. " +
					"Terraform opens an ephemeral resource during plan as soon as its arguments are known, and a namespace and name are known " +
					"before the account exists; its `uid` is known only once it exists, so with it Terraform waits for the apply that creates the " +
					"account, and a configuration that declares the account and uses its token works in one apply. The token is refused when the " +
					"account found has another UID (it was deleted and created again).",
				Validators: []validator.String{UIDValidator("nhi_kubernetes_service_account")}},
			"audiences": schema.ListAttribute{Optional: true, ElementType: types.StringType,
				MarkdownDescription: "Audiences of the token. Default: the API server's."},
			"expiration": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Lifetime of the token, such as `\"1h\"`: at least `10m`, at most the provider's `policy.max_token_expiration` (default `24h`). Default `\"1h\"`.",
				Validators:          []validator.String{framework.Duration()}},
			"bound_object": schema.SingleNestedAttribute{Optional: true,
				MarkdownDescription: "Bind the token to an object: it stops working when the object is deleted.",
				Attributes: map[string]schema.Attribute{
					"kind": schema.StringAttribute{Required: true, MarkdownDescription: "`Pod`, `Secret` or `Node`.",
						Validators: []validator.String{stringvalidator.OneOf("Pod", "Secret", "Node")}},
					"name": schema.StringAttribute{Required: true, MarkdownDescription: "Name of the object, in the service account's namespace for a Pod or Secret."},
					"uid":  schema.StringAttribute{Optional: true, MarkdownDescription: "UID of the object, to bind to this instance of it."},
				}},
			"token":      schema.StringAttribute{Computed: true, Sensitive: true, MarkdownDescription: "The token."},
			"expires_at": schema.StringAttribute{Computed: true, MarkdownDescription: "When the token expires (RFC 3339)."},
		},
	}
}

func (e *tokenEphemeralResource) Configure(_ context.Context, req ephemeral.ConfigureRequest, resp *ephemeral.ConfigureResponse) {
	e.pd = framework.ProviderDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (e *tokenEphemeralResource) Open(ctx context.Context, req ephemeral.OpenRequest, resp *ephemeral.OpenResponse) {
	var m tokenModel
	resp.Diagnostics.Append(req.Config.Get(ctx, &m)...)
	if resp.Diagnostics.HasError() || e.pd == nil {
		return
	}
	exp, written := time.Hour, "1h"
	if v := m.Expiration.ValueString(); v != "" {
		written = v
		d, err := nhi.ParseDuration(v)
		if err != nil {
			resp.Diagnostics.AddAttributeError(path.Root("expiration"), "Invalid duration", "expiration "+err.Error())
			return
		}
		exp = d
	}
	if exp < k8s.MinTokenExpiration {
		resp.Diagnostics.AddAttributeError(path.Root("expiration"), "Token expiration too short",
			fmt.Sprintf("expiration %q is shorter than the TokenRequest API's minimum of 10m; set it to \"10m\" or more.", written))
		return
	}
	if max := e.pd.Policy.MaxTokenExpiration; max > 0 && exp > max {
		resp.Diagnostics.AddAttributeError(path.Root("expiration"), "Token expiration exceeds policy",
			fmt.Sprintf("expiration %q is longer than the provider's policy.max_token_expiration of %s; shorten it.", written, max))
		return
	}
	c, ok := kube(e.pd).OrDiag(ctx, &resp.Diagnostics)
	if !ok {
		return
	}
	acct := account{
		Ref: nhi.Ref{Location: m.Namespace.ValueString(), Name: m.Name.ValueString()},
		UID: m.UID.ValueString(), At: path.Root("service_account"), UIDAt: path.Root("service_account_uid"),
		NotFound: "Declare it with nhi_kubernetes_service_account and pass that resource's namespace, name and uid:\n\n" +
			"  namespace           = nhi_kubernetes_service_account.<name>.namespace\n" +
			"  service_account     = nhi_kubernetes_service_account.<name>.name\n" +
			"  service_account_uid = nhi_kubernetes_service_account.<name>.uid\n\n" +
			"Terraform opens an ephemeral resource during plan as soon as its arguments are known; a namespace and name are known " +
			"before the account exists, its uid only once it does, so with the uid Terraform opens this after the apply has created the account.",
	}
	ref := acct.Ref
	if !e.eligible(ctx, c, acct, &resp.Diagnostics) {
		return
	}
	tr := k8s.TokenRequest{Audiences: m.Audiences, Expiration: exp}
	if b := m.BoundObject; b != nil {
		tr.Bound = &k8s.BoundObject{Kind: b.Kind.ValueString(), Name: b.Name.ValueString(), UID: b.UID.ValueString()}
	}
	tok, err := c.RequestToken(ctx, ref, tr)
	if err != nil {
		resp.Diagnostics.AddError("Requesting a token failed", err.Error())
		return
	}
	m.Token = types.StringValue(tok.Value)
	m.ExpiresAt = types.StringValue(nhi.FormatTime(tok.ExpiresAt))
	resp.Diagnostics.Append(resp.Result.Set(ctx, &m)...)
}

// account is the service account a token is asked for, as the user wrote it.
type account struct {
	Ref nhi.Ref
	// UID is the UID the configuration expects, or "" when not given.
	UID string
	// At is the attribute the user wrote that names the account; errors
	// about the account are reported there.
	At path.Path
	// UIDAt is the attribute holding UID.
	UIDAt path.Path
	// NotFound is the fix offered when the account does not exist and no
	// UID was given.
	NotFound string
}

// eligible refuses tokens to service accounts that are missing, replaced,
// undeclared, disabled or expired (as of the provider's evaluation time).
func (e *tokenEphemeralResource) eligible(ctx context.Context, c *k8s.Client, a account, diags *diag.Diagnostics) bool {
	ref := a.Ref
	id, err := c.Get(ctx, ref)
	if !(lookup{Title: "Service account", What: "service account", Short: "account", Resource: "nhi_kubernetes_service_account", Anew: "declare it anew",
		Ref: ref, At: a.At, UIDAt: a.UIDAt, WantUID: a.UID, GotUID: id.ID, NotFound: a.NotFound}).found(err, diags) {
		return false
	}
	switch {
	case !id.Declared:
		diags.AddAttributeError(a.At, "Service account is not declared",
			fmt.Sprintf("service account %s has no owner, purpose or expiry: it is not declared with nhi_kubernetes_service_account, so it gets no token. Declare it (terraform import adopts it).", ref))
		return false
	case id.Disabled:
		diags.AddAttributeError(a.At, "Service account is disabled",
			fmt.Sprintf("service account %s was disabled on expiry, so it gets no token. Extend its expires_at in a reviewed change to re-enable it.", ref))
		return false
	case nhi.Expired(e.pd.Clock.Now(), id.Governance.ExpiresAt):
		diags.AddAttributeError(a.At, "Service account has expired",
			fmt.Sprintf("service account %s expired at %s, so it gets no token. Extend its expires_at in a reviewed change if it is still needed.", ref, nhi.FormatTime(id.Governance.ExpiresAt)))
		return false
	}
	return true
}

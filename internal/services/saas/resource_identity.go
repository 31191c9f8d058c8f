package saas

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	saasc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/saas"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

var (
	_ resource.ResourceWithConfigure   = &identityResource{}
	_ resource.ResourceWithImportState = &identityResource{}
	_ resource.ResourceWithModifyPlan  = &identityResource{}
)

// NewIdentityResource is the factory of nhi_identity.
func NewIdentityResource() resource.Resource { return &identityResource{} }

type identityResource struct {
	pd *framework.ProviderData
}

type identityModel struct {
	ID        types.String          `tfsdk:"id"`
	System    types.String          `tfsdk:"system"`
	Kind      types.String          `tfsdk:"kind"`
	Name      types.String          `tfsdk:"name"`
	Owner     types.String          `tfsdk:"owner"`
	Purpose   types.String          `tfsdk:"purpose"`
	Scopes    types.Set             `tfsdk:"scopes"`
	ExpiresAt framework.ExpiryValue `tfsdk:"expires_at"`
	OnExpiry  types.String          `tfsdk:"on_expiry"`
	Status    types.String          `tfsdk:"status"`
}

// subject names the identity for people: "salesforce integration user
// billing-sync".
func (m *identityModel) subject() string {
	kind := "identity"
	if k := m.Kind.ValueString(); k != "" {
		kind = strings.ReplaceAll(k, "_", " ")
	}
	return fmt.Sprintf("%s %s %s", m.System.ValueString(), kind, m.Name.ValueString())
}

func (m *identityModel) governance(ctx context.Context, diags *diag.Diagnostics) framework.GovernanceValues {
	return framework.GovernanceValues{Owner: m.Owner, Purpose: m.Purpose, Scopes: framework.SetStrings(ctx, m.Scopes, diags), ExpiresAt: m.ExpiresAt, OnExpiry: m.OnExpiry}
}

func (r *identityResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_identity"
}

func (r *identityResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = identitySchema()
}

func identitySchema() schema.Schema {
	attrs := framework.GovernanceAttributes(scopeValidator(),
		"Each scope is a free-form string naming a permission, role or grant as the system calls it (`api`, `Billing Admin`, `chat:write`, `https://www.googleapis.com/auth/drive.readonly`), "+
			"compared as written with the `scopes` of the system's inventory export. The provider cannot grant or remove them.")
	// Nothing computes what the system grants: the drift reporter compares
	// the declaration with the export instead.
	delete(attrs, "effective_scopes")
	s := attrs["scopes"].(schema.SetAttribute)
	s.MarkdownDescription = strings.Replace(s.MarkdownDescription, " Scopes are enforced: a grant made out of band shows in the next plan as a change that removes it.", "", 1)
	attrs["scopes"] = s
	attrs["on_expiry"] = schema.StringAttribute{
		Optional: true, Computed: true, Default: stringdefault.StaticString(string(nhi.OnExpiryWarn)),
		MarkdownDescription: "What a plan does once `expires_at` has passed: `warn` (default) warns, `block` fails the plan until `expires_at` is extended or the resource removed, " +
			"so an expired identity cannot be forgotten. `disable` is refused: it needs a connector that can remove the identity's access, and this resource has none.",
		Validators: []validator.String{onExpiryValidator{}},
	}
	attrs["status"] = schema.StringAttribute{
		Computed: true,
		MarkdownDescription: "`active`; `expiring` (within the provider's `policy.warn_before` of `expires_at`); or `expired` (past `expires_at`: the identity keeps whatever access " +
			"it has in its system until someone removes it there, and the drift reporter reports it while its export lists it as active).",
	}
	attrs["id"] = schema.StringAttribute{Computed: true, MarkdownDescription: "`system/name`, such as `salesforce/billing-sync`: the import ID.",
		PlanModifiers: []planmodifier.String{stringplanmodifier.UseStateForUnknown()}}
	attrs["system"] = schema.StringAttribute{
		Required: true, MarkdownDescription: "System the identity lives in: a short lowercase name such as `salesforce`, `slack`, `google-workspace` or `datadog`, " +
			"the `system` of the drift reporter's `inventory` block that reads its export. Changing it replaces the declaration.",
		PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
		Validators:    []validator.String{framework.StringCheck{Summary: "Invalid system", Desc: "a short lowercase name", Check: saasc.ValidateSystem}},
	}
	attrs["kind"] = schema.StringAttribute{
		Required: true, MarkdownDescription: "Kind of identity, in lowercase letters, digits and `_`: such as `integration_user`, `bot`, `oauth_app` or `api_key`. Reports name the identity by it.",
		Validators: []validator.String{framework.StringCheck{Summary: "Invalid kind", Desc: "lowercase letters, digits and _", Check: checkKind}},
	}
	attrs["name"] = schema.StringAttribute{
		Required: true, MarkdownDescription: "The identity's name or ID in its system (a username, a bot's or app's name or client ID), as the system's export lists it. " +
			"Changing it replaces the declaration.",
		PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
		Validators:    []validator.String{framework.StringCheck{Summary: "Invalid name", Desc: "a name", Check: checkName}},
	}
	return schema.Schema{
		MarkdownDescription: "An identity in a system the provider has no connector for (a SaaS tool's integration user, bot, OAuth app or API key), declared with an owner, " +
			"a purpose, its scopes and an expiry. It makes no API calls: the declaration is the governance. Plans check it like every other identity " +
			"(`policy.owner_pattern`, `policy.max_lifetime`, `policy.forbidden_scopes`, expiry warnings, and with `on_expiry = \"block\"` a plan that fails once it has expired), " +
			"and the drift reporter compares the declarations in the state with the system's inventory export (`inventory` blocks): identities nobody declared, " +
			"declared ones the export no longer lists, scopes that differ, expired identities still active, stale ones. Destroying the resource removes the declaration only; " +
			"the identity stays in its system.",
		Attributes: attrs,
	}
}

func scopeValidator() validator.String {
	return framework.StringCheck{Summary: "Invalid scope", Desc: "a non-empty string", Check: func(s string) error {
		switch {
		case strings.TrimSpace(s) == "":
			return fmt.Errorf("contains an empty scope; remove it, or name the permission, role or grant as the system calls it, such as \"api\"")
		case strings.TrimSpace(s) != s:
			return fmt.Errorf("%q has leading or trailing whitespace; remove it (exports are compared as written)", s)
		}
		return nil
	}}
}

func checkKind(s string) error {
	if strings.HasPrefix(s, nhi.Placeholder) {
		return fmt.Errorf("is still the placeholder %q written by `drift --generate-imports`: set the kind of identity, such as \"integration_user\", \"bot\", \"oauth_app\" or \"api_key\"", s)
	}
	return saasc.ValidateKind(s)
}

func checkName(s string) error {
	switch {
	case strings.TrimSpace(s) == "":
		return fmt.Errorf("is empty: set the identity's name or ID in its system, as its export lists it")
	case strings.TrimSpace(s) != s:
		return fmt.Errorf("%q has leading or trailing whitespace; remove it", s)
	}
	return nil
}

// onExpiryValidator accepts "warn" and "block", and refuses "disable"
// saying why.
type onExpiryValidator struct{}

func (onExpiryValidator) Description(context.Context) string { return `"warn" or "block"` }
func (v onExpiryValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (onExpiryValidator) ValidateString(ctx context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	switch v := req.ConfigValue.ValueString(); v {
	case string(nhi.OnExpiryWarn), string(nhi.OnExpiryBlock):
	case string(nhi.OnExpiryDisable):
		var sys types.String
		req.Config.GetAttribute(ctx, path.Root("system"), &sys)
		where := "its system"
		if s := sys.ValueString(); s != "" {
			where = s
		}
		resp.Diagnostics.AddAttributeError(req.Path, `on_expiry "disable" needs a connector`,
			fmt.Sprintf("on_expiry is \"disable\", but the provider has no connector to %s: nhi_identity makes no API calls, so nothing could remove the identity's access when it expires. "+
				"Use \"block\" to make plans fail once it has expired, until expires_at is extended or the resource removed (and disable it in %s by hand), or \"warn\" to only warn. "+
				"Either way the drift reporter reports it as expired while the export of %s lists it as active (NHI004).", where, where, where))
	default:
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid value", fmt.Sprintf("on_expiry is %q; expected \"warn\" or \"block\".", v))
	}
}

func (r *identityResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.pd = framework.ProviderDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *identityResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.pd == nil {
		return
	}
	var plan identityModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	var statePtr *framework.GovernanceValues
	if !req.State.Raw.IsNull() {
		var state identityModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		g := state.governance(ctx, &resp.Diagnostics)
		statePtr = &g
	}
	if resp.Diagnostics.HasError() {
		return
	}
	gov := plan.governance(ctx, &resp.Diagnostics)
	g := framework.PlanGovernance(ctx, r.pd, plan.subject(), gov, statePtr, &resp.Diagnostics, framework.Manual(plan.System.ValueString()))
	if resp.Diagnostics.HasError() {
		return
	}
	plan.Status, _ = framework.PlanStatusAndScopes(g, gov.Scopes, nil, &resp.Diagnostics)
	if !plan.System.IsUnknown() && !plan.Name.IsUnknown() {
		plan.ID = types.StringValue(ref(&plan).String())
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

func ref(m *identityModel) nhi.Ref {
	return nhi.Ref{Location: m.System.ValueString(), Name: m.Name.ValueString()}
}

// record completes a planned model for state: the ID, and the status as of
// the provider's clock when the plan could not know it.
func (r *identityResource) record(m *identityModel, diags *diag.Diagnostics) {
	m.ID = types.StringValue(ref(m).String())
	if m.Status.IsUnknown() || m.Status.IsNull() {
		m.Status = r.status(m, diags)
	}
}

// status is the declaration's status as of the provider's clock.
func (r *identityResource) status(m *identityModel, diags *diag.Diagnostics) types.String {
	var exp nhi.Governance
	if v := m.ExpiresAt.ValueString(); v != "" {
		exp.ExpiresAt = framework.ParseExpiryAttr(m.ExpiresAt, diags)
	}
	return framework.StatusValue(r.pd, nhi.Identity{Governance: exp})
}

// Create records the declaration; there is nothing to create.
func (r *identityResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer identityIdentity.AfterCreate(ctx, resp)
	var plan identityModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.record(&plan, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Read refreshes the status from the provider's clock; the declaration is
// the only record there is.
func (r *identityResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	defer identityIdentity.AfterRead(ctx, req, resp)
	var state identityModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	if resp.Diagnostics.HasError() || r.pd == nil {
		return
	}
	state.Status = r.status(&state, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

// Update records the changed declaration.
func (r *identityResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer identityIdentity.AfterUpdate(ctx, resp)
	var plan identityModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	r.record(&plan, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

// Delete removes the declaration only: the identity stays in its system
// (and the drift reporter reports it as undeclared while its export lists
// it).
func (r *identityResource) Delete(context.Context, resource.DeleteRequest, *resource.DeleteResponse) {
}

// ImportState takes "system/name". The governance comes from the
// configuration: the next plan records it as an in-place update.
func (r *identityResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if identityIdentity.ImportByIdentity(ctx, req, resp) {
		return
	}
	sys, name, ok := strings.Cut(req.ID, "/")
	errSys := saasc.ValidateSystem(sys)
	if !ok || name == "" || errSys != nil || checkName(name) != nil {
		why := "It must be the system's name, a slash and the identity's name in it."
		switch {
		case ok && errSys != nil:
			why = "Its system part " + errSys.Error() + "."
		case ok && name != "":
			why = "Its name part " + checkName(name).Error() + "."
		}
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("The import ID %q is not of the form system/name. %s Import an identity with, for example:\n\n  terraform import nhi_identity.billing_sync salesforce/billing-sync", req.ID, why))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("system"), sys)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), name)...)
}

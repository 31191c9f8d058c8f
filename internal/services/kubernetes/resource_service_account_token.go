package kubernetes

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

var (
	_ resource.ResourceWithConfigure   = &tokenResource{}
	_ resource.ResourceWithImportState = &tokenResource{}
	_ resource.ResourceWithModifyPlan  = &tokenResource{}
)

// NewServiceAccountTokenResource is the factory of
// nhi_kubernetes_service_account_token.
func NewServiceAccountTokenResource() resource.Resource { return &tokenResource{} }

type tokenResource struct{ pd *framework.ProviderData }

type tokenResourceModel struct {
	ID             types.String          `tfsdk:"id"`
	Namespace      types.String          `tfsdk:"namespace"`
	ServiceAccount types.String          `tfsdk:"service_account"`
	Name           types.String          `tfsdk:"name"`
	UID            types.String          `tfsdk:"uid"`
	Owner          types.String          `tfsdk:"owner"`
	Purpose        types.String          `tfsdk:"purpose"`
	ExpiresAt      framework.ExpiryValue `tfsdk:"expires_at"`
	RotateAfter    types.String          `tfsdk:"rotate_after"`
	CreatedAt      types.String          `tfsdk:"created_at"`
	RotationDueAt  types.String          `tfsdk:"rotation_due_at"`
}

func (m *tokenResourceModel) ref() nhi.Ref {
	return nhi.Ref{Location: m.Namespace.ValueString(), Name: m.Name.ValueString()}
}

func (r *tokenResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_kubernetes_service_account_token"
}

func (r *tokenResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	replace := []planmodifier.String{stringplanmodifier.RequiresReplace()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A governed long-lived token for a declared service account, for the few cases that truly need one " +
			"(such as an external CI system): a `kubernetes.io/service-account-token` Secret carrying its own owner, purpose and expiry. " +
			"The Secret carries the provider's governance markers (the managed-by label and the `owner`, `purpose` and `rotation-due-at` " +
			"annotations); a token Secret without all of them is a legacy token of its service account, whatever its labels say, except that one an earlier version " +
			"wrote (owner and purpose, no `rotation-due-at`) is kept until this resource adds the marker. " +
			"A plan replaces it once `rotate_after` (or the provider's `policy.max_credential_age`) has passed since it was created, and warns before. " +
			"**The token is never in state**: read it with the ephemeral `nhi_kubernetes_service_account_token` and pass it on as an ephemeral value.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "`namespace/name` of the Secret."},
			"namespace": schema.StringAttribute{Required: true, PlanModifiers: replace, MarkdownDescription: "Namespace of the service account and the Secret.",
				Validators: []validator.String{NamespaceValidator()}},
			"service_account": schema.StringAttribute{Required: true, PlanModifiers: replace,
				MarkdownDescription: "Name of a service account declared with `nhi_kubernetes_service_account`.",
				Validators:          []validator.String{ServiceAccountNameValidator()}},
			"name": schema.StringAttribute{Computed: true, PlanModifiers: keep,
				MarkdownDescription: "Generated name of the Secret (`<service_account>-token-<suffix>`), so that a replacement can exist beside the token it replaces."},
			"uid":   schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "UID of the Secret."},
			"owner": schema.StringAttribute{Required: true, MarkdownDescription: "Who is responsible for this credential. Must match the provider's `policy.owner_pattern` when one is set, and be an active person or team of the provider's `owners` directory when one is configured (a new or changed owner is refused otherwise; an owner who leaves later is warned about on every plan, and the drift reporter flags the token: NHI006).", Validators: []validator.String{framework.NotBlank("owner")}},
			"purpose": schema.StringAttribute{Required: true, MarkdownDescription: "Why this long-lived credential exists, for example the system that holds it.",
				Validators: []validator.String{framework.NotBlank("purpose")}},
			"expires_at": schema.StringAttribute{Optional: true, CustomType: framework.ExpiryType{},
				MarkdownDescription: "When this credential must be gone (RFC 3339 or `YYYY-MM-DD`). When set or changed, no further away than the provider's `policy.max_lifetime`. " +
					"Past it, plans fail until it is extended or the resource removed.",
				Validators: []validator.String{framework.Expiry()}},
			"rotate_after": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Replace the token this long after it was created, such as `\"30d\"`. Default and maximum: the provider's `policy.max_credential_age` (`90d`).",
				Validators:          []validator.String{framework.Duration()}},
			"created_at": schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "When the token was created (RFC 3339)."},
			"rotation_due_at": schema.StringAttribute{Computed: true,
				MarkdownDescription: "When a plan will replace the token: `created_at` plus `rotate_after`. Reference the resource in `replace_triggered_by` to roll consumers with it."},
		},
	}
}

func (r *tokenResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.pd = framework.ProviderDataFrom(req.ProviderData, &resp.Diagnostics)
}

// period is the rotation period for a plan, or 0 with an attribute error.
func (r *tokenResource) period(m *tokenResourceModel, diags *diag.Diagnostics) time.Duration {
	return framework.RotationPeriod(r.pd, m.RotateAfter, diags)
}

// ModifyPlan applies the policy and plans rotation: once rotation_due_at has
// passed (as of the provider's evaluation time) the token is replaced, with
// a warning before.
func (r *tokenResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.pd == nil {
		return
	}
	var plan tokenResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	subject := fmt.Sprintf("token of service account %s/%s", plan.Namespace.ValueString(), plan.ServiceAccount.ValueString())
	period := r.period(&plan, &resp.Diagnostics)

	var state *tokenResourceModel
	if !req.State.Raw.IsNull() {
		state = &tokenResourceModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
	}
	r.checkPolicy(ctx, &plan, state, subject, &resp.Diagnostics)
	if resp.Diagnostics.HasError() || period == 0 {
		return
	}
	if state == nil || state.CreatedAt.IsNull() || state.CreatedAt.ValueString() == "" {
		plan.RotationDueAt = types.StringUnknown()
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	rot, ok := framework.PlanRotation(r.pd, subject, "token", state.CreatedAt.ValueString(), period, &resp.Diagnostics)
	if !ok {
		return
	}
	if rot.Replace {
		framework.PlanReplace(ctx, resp, path.Root("rotation_due_at"), []string{"rotation_due_at", "name", "id", "uid", "created_at"}, nil)
		return
	}
	plan.RotationDueAt = types.StringValue(nhi.FormatTime(rot.Due))
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// checkPolicy applies the policy to a long-lived token as to the identities
// it governs: the owner matches owner_pattern and is an active person or
// team in the owners directory (a new token for one who left is refused,
// an existing one warns, or fails with owner_must_exist = "error"), and an
// expiry, once set or changed, lies within max_lifetime. An expired token
// fails the plan. A token without an expiry lives no longer than its
// rotation period, which max_credential_age bounds.
func (r *tokenResource) checkPolicy(ctx context.Context, plan, state *tokenResourceModel, subject string, diags *diag.Diagnostics) {
	framework.CheckOwner(r.pd, plan.Owner, diags)
	var priorOwner *types.String
	if state != nil {
		priorOwner = &state.Owner
	}
	framework.CheckOwnerDirectory(ctx, r.pd, "the "+subject, plan.Owner, priorOwner, diags)
	v := plan.ExpiresAt
	if v.IsNull() || v.IsUnknown() {
		return
	}
	exp, err := nhi.ParseExpiry(v.ValueString())
	if err != nil {
		return // the attribute's validator says why
	}
	now := r.pd.Clock.Now()
	var prior *framework.ExpiryValue
	if state != nil {
		prior = &state.ExpiresAt
	}
	switch {
	case nhi.Expired(now, exp) && state == nil:
		diags.AddAttributeError(path.Root("expires_at"), "Expiry is in the past",
			fmt.Sprintf("expires_at %s is already past (as of %s). Set a future date for the %s.", nhi.FormatTime(exp), nhi.FormatTime(now), subject))
	case nhi.Expired(now, exp):
		diags.AddAttributeError(path.Root("expires_at"), fmt.Sprintf("The %s has expired", subject),
			fmt.Sprintf("expires_at %s is past (as of %s). Remove the resource to delete the credential, or extend expires_at in a reviewed change.",
				nhi.FormatTime(exp), nhi.FormatTime(now)))
	case framework.ExpiryChanged(exp, prior):
		framework.CheckLifetime(r.pd, exp, diags)
	}
}

func (r *tokenResource) governance(m *tokenResourceModel, diags *diag.Diagnostics) nhi.Governance {
	g := nhi.Governance{Owner: m.Owner.ValueString(), Purpose: m.Purpose.ValueString()}
	if m.ExpiresAt.ValueString() != "" {
		g.ExpiresAt = framework.ParseExpiryAttr(m.ExpiresAt, diags)
	}
	return g
}

func (r *tokenResource) setComputed(m *tokenResourceModel, t k8s.TokenSecret, diags *diag.Diagnostics) {
	m.ID = types.StringValue(t.Ref.String())
	m.Name = types.StringValue(t.Ref.Name)
	m.UID = types.StringValue(t.UID)
	m.CreatedAt = types.StringValue(nhi.FormatTime(t.CreatedAt))
	if due := framework.RotationDueValue(t.CreatedAt, r.period(m, diags)); !due.IsNull() {
		m.RotationDueAt = due
	}
}

func (r *tokenResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer tokenIdentity.AfterCreate(ctx, resp)
	var m tokenResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	g := r.governance(&m, &resp.Diagnostics)
	c, _ := kube(r.pd).OrDiag(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	period := r.period(&m, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	t, err := c.CreateTokenSecret(ctx, k8s.TokenSecretSpec{
		ServiceAccount: nhi.Ref{Location: m.Namespace.ValueString(), Name: m.ServiceAccount.ValueString()}, Governance: g,
		RotateAfter: period,
	})
	if err != nil {
		resp.Diagnostics.AddError("Creating the token failed", err.Error())
		if t.Ref.Name != "" {
			// The Secret exists and could not be deleted again: record it,
			// so Terraform tracks (and replaces) it instead of losing it.
			r.setComputed(&m, t, &resp.Diagnostics)
			resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
		}
		return
	}
	r.setComputed(&m, t, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *tokenResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	defer tokenIdentity.AfterRead(ctx, req, resp)
	var m tokenResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	c, _ := kube(r.pd).OrDiag(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	t, err := c.GetTokenSecret(ctx, m.ref())
	if k8s.IsNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Reading the token failed", err.Error())
		return
	}
	r.readInto(&m, t, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

// readInto refreshes a model from the token Secret as found (a Read, or a
// list resource's result).
func (r *tokenResource) readInto(m *tokenResourceModel, t k8s.TokenSecret, diags *diag.Diagnostics) {
	m.Namespace = types.StringValue(t.Ref.Location)
	m.ServiceAccount = types.StringValue(t.ServiceAccount)
	m.Owner = types.StringValue(t.Governance.Owner)
	m.Purpose = types.StringValue(t.Governance.Purpose)
	if !t.Governance.ExpiresAt.IsZero() {
		m.ExpiresAt = framework.NewExpiryValue(nhi.FormatTime(t.Governance.ExpiresAt))
	} else {
		m.ExpiresAt = framework.ExpiryValue{StringValue: types.StringNull()}
	}
	r.setComputed(m, t, diags)
	// Record the rotation-due marker as found, so a Secret that lacks it (and
	// so counts as a legacy token) or carries another plans an update that
	// writes it again.
	switch {
	case !t.RotationDueAt.IsZero():
		m.RotationDueAt = types.StringValue(nhi.FormatTime(t.RotationDueAt))
	case !t.Declared:
		m.RotationDueAt = types.StringNull()
	}
}

func (r *tokenResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer tokenIdentity.AfterUpdate(ctx, resp)
	var m tokenResourceModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	g := r.governance(&m, &resp.Diagnostics)
	c, _ := kube(r.pd).OrDiag(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	period := r.period(&m, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	t, err := c.UpdateTokenSecretGovernance(ctx, m.ref(), g, period)
	if err != nil {
		resp.Diagnostics.AddError("Updating the token failed", err.Error())
		return
	}
	r.setComputed(&m, t, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *tokenResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m tokenResourceModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	c, _ := kube(r.pd).OrDiag(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	// By the UID in state: a delete that cannot touch a replacement of the
	// Secret is safe to retry after a lost answer.
	if err := c.DeleteTokenSecret(ctx, m.ref(), m.UID.ValueString()); err != nil {
		resp.Diagnostics.AddError("Deleting the token failed", err.Error())
	}
}

func (r *tokenResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if tokenIdentity.ImportByIdentity(ctx, req, resp) {
		return
	}
	ns, name, ok := strings.Cut(req.ID, "/")
	if !ok || ns == "" || name == "" {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("The import ID %q is not of the form namespace/secret-name, such as ci/deployer-token-x7k2p.", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("namespace"), ns)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), name)...)
}

package aws

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework-validators/stringvalidator"
	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/boolplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/objectplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// Keys of the delivery Secret: the names the AWS SDKs read from the
// environment, so `envFrom: secretRef` configures a workload as is.
const (
	SecretKeyID     = "AWS_ACCESS_KEY_ID"
	SecretKeySecret = "AWS_SECRET_ACCESS_KEY"
)

var (
	_ resource.ResourceWithConfigure   = &accessKeyResource{}
	_ resource.ResourceWithImportState = &accessKeyResource{}
	_ resource.ResourceWithModifyPlan  = &accessKeyResource{}
)

// NewIAMAccessKeyResource is the factory of nhi_aws_iam_access_key.
func NewIAMAccessKeyResource() resource.Resource { return &accessKeyResource{} }

type accessKeyResource struct{ pd *framework.ProviderData }

type accessKeyModel struct {
	ID               types.String `tfsdk:"id"`
	User             types.String `tfsdk:"user"`
	Status           types.String `tfsdk:"status"`
	RotateAfter      types.String `tfsdk:"rotate_after"`
	KubernetesSecret types.Object `tfsdk:"kubernetes_secret"`
	Delivered        types.Bool   `tfsdk:"delivered"`
	CreatedAt        types.String `tfsdk:"created_at"`
	RotationDueAt    types.String `tfsdk:"rotation_due_at"`
}

var secretAttrTypes = map[string]attr.Type{"namespace": types.StringType, "name": types.StringType}

func (m *accessKeyModel) secretRef() nhi.Ref {
	at := m.KubernetesSecret.Attributes()
	ns, _ := at["namespace"].(types.String)
	n, _ := at["name"].(types.String)
	return nhi.Ref{Location: ns.ValueString(), Name: n.ValueString()}
}

func (r *accessKeyResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_aws_iam_access_key"
}

func (r *accessKeyResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	resp.Schema = schema.Schema{
		MarkdownDescription: "A governed access key of a user declared with `nhi_aws_iam_user`, rotated through plans: once `rotate_after` (default and maximum: " +
			"the provider's `policy.max_credential_age`, 90 days) has passed since the key was created, a plan replaces it, and warns before. " +
			"AWS allows two keys per user; a third is refused at plan time.\n\n" +
			"**The secret access key is never in Terraform state.** IAM shows it once, at creation; the provider writes it straight into the " +
			"Kubernetes Secret named by `kubernetes_secret` (keys `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`, the variables the AWS SDKs read), " +
			"through the provider's `kubernetes` connection, where workloads mount it. If that Secret is deleted the secret is lost, so the next plan replaces the key.\n\n" +
			"With `lifecycle { create_before_destroy = true }` a rotation creates the new key and rewrites the Secret first, then deletes the old key; " +
			"the old key's deletion leaves the Secret alone because it no longer holds that key. Without it the old key and Secret go first.",
		Attributes: map[string]schema.Attribute{
			"id": schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "The access key ID (`AKIA...`); not secret."},
			"user": schema.StringAttribute{Required: true, PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
				MarkdownDescription: "Name of the IAM user, declared with `nhi_aws_iam_user` (reference it: `user = nhi_aws_iam_user.x.name`).",
				Validators:          []validator.String{framework.StringCheck{Summary: "Invalid user", Desc: "an IAM user name", Check: framework.TrimQuoted(awsc.ValidateUserName)}}},
			"status": schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("Active"),
				MarkdownDescription: "`Active` (default) or `Inactive`. While the user is disabled on expiry its keys stay `Inactive`: left out, it is planned `Inactive`; set to `Active`, the plan is refused.",
				Validators:          []validator.String{stringvalidator.OneOf("Active", "Inactive")}},
			"rotate_after": schema.StringAttribute{Optional: true,
				MarkdownDescription: "Replace the key this long after it was created, such as `\"30d\"`. Default and maximum: the provider's `policy.max_credential_age`.",
				Validators:          []validator.String{framework.Duration()}},
			"kubernetes_secret": schema.SingleNestedAttribute{Required: true,
				MarkdownDescription: "The Opaque Secret the key is delivered to. The provider creates and owns it. The plan checks that the namespace exists and that no Secret of that name made by someone else is in the way, so no key is created that cannot be delivered. Changing it replaces the key, since the secret cannot be read back. " +
					"After an import by `<user>/<access key ID>`, the first plan keeps the key (an in-place update that records this attribute) when this Secret already holds it, and replaces it otherwise.",
				PlanModifiers: []planmodifier.Object{objectplanmodifier.RequiresReplaceIf(secretChanged,
					"Changing the Secret replaces the key; after an import the plan replaces it only when the Secret does not hold it.",
					"Changing the Secret replaces the key; after an import the plan replaces it only when the Secret does not hold it.")},
				Attributes: map[string]schema.Attribute{
					"namespace": schema.StringAttribute{Required: true, MarkdownDescription: "Namespace of the Secret.",
						Validators: []validator.String{framework.StringCheck{Summary: "Invalid namespace", Desc: "a Kubernetes namespace name", Check: framework.TrimQuoted(k8s.ValidateNamespace)}}},
					"name": schema.StringAttribute{Required: true, MarkdownDescription: "Name of the Secret.",
						Validators: []validator.String{framework.StringCheck{Summary: "Invalid Secret name", Desc: "a Kubernetes object name", Check: framework.TrimQuoted(k8s.ValidateServiceAccountName)}}},
				},
			},
			"delivered": schema.BoolAttribute{Computed: true, PlanModifiers: []planmodifier.Bool{boolplanmodifier.UseStateForUnknown()},
				MarkdownDescription: "Whether the Secret holds this key. `false` after the Secret was deleted or rewritten out of band; the next plan then replaces the key."},
			"created_at": schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "When IAM created the key (RFC 3339)."},
			"rotation_due_at": schema.StringAttribute{Computed: true,
				MarkdownDescription: "When a plan will replace the key: `created_at` plus `rotate_after`. Reference the resource in `replace_triggered_by` to roll consumers with it."},
		},
	}
}

// delivery is the Kubernetes connection of the provider, through which a
// key's secret is delivered to its Secret.
func delivery(pd *framework.ProviderData) *framework.Lazy[*k8s.Client] {
	return framework.Connection[*k8s.Client](pd, k8s.SystemName)
}

func (r *accessKeyResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.pd = framework.ProviderDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *accessKeyResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.pd == nil {
		return
	}
	var plan accessKeyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	if resp.Diagnostics.HasError() {
		return
	}
	period := framework.RotationPeriod(r.pd, plan.RotateAfter, &resp.Diagnostics)
	var state *accessKeyModel
	if !req.State.Raw.IsNull() {
		state = &accessKeyModel{}
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	subject := "access key of IAM user " + plan.User.ValueString()
	var cfgStatus types.String
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("status"), &cfgStatus)...)
	if !plan.User.IsUnknown() && !resp.Diagnostics.HasError() {
		r.checkUser(ctx, &plan, state, cfgStatus, &resp.Diagnostics)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	if state == nil {
		r.checkDelivery(ctx, &plan, &resp.Diagnostics)
		if resp.Diagnostics.HasError() {
			return
		}
		if len(iam(r.pd).Pending()) > 0 {
			// The user could not be read: Create checks it, and a
			// disabled user's key is created Inactive, so a status the
			// configuration leaves to the default is not known yet.
			if cfgStatus.IsNull() {
				plan.Status = types.StringUnknown()
			}
		}
		plan.RotationDueAt = types.StringUnknown()
		resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
		return
	}
	replace := func(because path.Path) {
		framework.PlanReplace(ctx, resp, because, []string{"rotation_due_at", "id", "created_at"}, []string{"delivered"})
	}
	if state.KubernetesSecret.IsNull() && !plan.KubernetesSecret.IsNull() {
		// Imported by <user>/<key ID>: keep the key when the Secret the
		// configuration names already holds it.
		if !r.adopt(ctx, &plan, state, &resp.Diagnostics) {
			replace(path.Root("kubernetes_secret"))
			return
		}
	}
	if !state.Delivered.IsNull() && !state.Delivered.ValueBool() {
		resp.Diagnostics.AddAttributeWarning(path.Root("kubernetes_secret"), "The Secret no longer holds the key, so this plan replaces it",
			fmt.Sprintf("Secret %s does not hold access key %s any more (deleted or rewritten out of band). IAM never shows a secret twice, "+
				"so the key is replaced by a new one delivered to the Secret.", state.secretRef(), state.ID.ValueString()))
		replace(path.Root("rotation_due_at"))
		return
	}
	rot, ok := framework.PlanRotation(r.pd, subject, "access key", state.CreatedAt.ValueString(), period, &resp.Diagnostics)
	if !ok {
		return
	}
	if rot.Replace {
		replace(path.Root("rotation_due_at"))
		return
	}
	plan.RotationDueAt = types.StringValue(nhi.FormatTime(rot.Due))
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
}

// secretChanged replaces the key when the Secret it was delivered to
// changes. A key imported by <user>/<key ID> has no Secret in state yet:
// ModifyPlan decides then, since that needs the provider's connections.
func secretChanged(_ context.Context, req planmodifier.ObjectRequest, resp *objectplanmodifier.RequiresReplaceIfFuncResponse) {
	resp.RequiresReplace = !req.StateValue.IsNull()
}

// adopt reports whether an imported key can be kept: the Secret the
// configuration names holds it. Otherwise it warns why the key is replaced.
func (r *accessKeyResource) adopt(ctx context.Context, plan, state *accessKeyModel, diags *diag.Diagnostics) bool {
	id := state.ID.ValueString()
	if plan.KubernetesSecret.IsUnknown() {
		diags.AddAttributeWarning(path.Root("kubernetes_secret"), "The imported key is replaced",
			fmt.Sprintf("kubernetes_secret is not known until apply, so the plan cannot check that it holds access key %s; "+
				"IAM never shows a secret twice, so the key is replaced by a new one delivered there.", id))
		return false
	}
	ref := plan.secretRef()
	k, ok := delivery(r.pd).OrDiag(ctx, diags)
	if !ok {
		return false
	}
	held, err := k.DeliveredCredentialID(ctx, ref)
	switch {
	case err != nil && !k8s.IsNotFound(err):
		diags.AddAttributeError(path.Root("kubernetes_secret"), "Cannot read the access key's Secret", err.Error())
		return false
	case held == id:
		plan.Delivered = types.BoolValue(true)
		return true
	}
	if err := k.CheckDeliveryTarget(ctx, ref); err != nil {
		// A replacement would delete the key first and then fail to
		// deliver the new one: refuse before anything is deleted.
		diags.AddAttributeError(path.Root("kubernetes_secret"), "The imported key cannot be kept or replaced there",
			fmt.Sprintf("kubernetes_secret %s: %v. The key's secret cannot be read back, so keeping access key %s needs the Secret this provider "+
				"delivered it to, and replacing it needs a Secret the provider may write.", ref, err, id))
		return false
	}
	diags.AddAttributeWarning(path.Root("kubernetes_secret"), "The imported key is replaced: its Secret does not hold it",
		fmt.Sprintf("Secret %s does not hold access key %s (it is missing, or holds another key). IAM never shows a secret twice, "+
			"so the key is replaced by a new one delivered to the Secret. To keep the key, name the Secret that holds it.", ref, id))
	return false
}

// checkDelivery makes sure, before a key exists, that its secret can be
// delivered: the Kubernetes connection works, the namespace exists, and the
// Secret is absent or this provider's.
func (r *accessKeyResource) checkDelivery(ctx context.Context, plan *accessKeyModel, diags *diag.Diagnostics) {
	if plan.KubernetesSecret.IsUnknown() || plan.KubernetesSecret.IsNull() {
		return
	}
	ref := plan.secretRef()
	if ref.Location == "" || ref.Name == "" {
		return // not known yet
	}
	k, ok := delivery(r.pd).ForPlan(ctx, diags) // not while the provider configuration is unknown: checked at apply
	if !ok {
		return
	}
	if err := k.CheckDeliveryTarget(ctx, ref); err != nil {
		diags.AddAttributeError(path.Root("kubernetes_secret"), "The access key cannot be delivered there",
			fmt.Sprintf("kubernetes_secret %s: %v. The secret access key can only be handed over at creation, so the key is not created until it has somewhere to go.", ref, err))
	}
}

// checkUser refuses keys for users that are not declared, and plans a
// disabled user's key as inactive when the configuration leaves status to
// the default (cfgStatus null); a configured "Active" is refused then. A new
// key also needs a free slot.
func (r *accessKeyResource) checkUser(ctx context.Context, plan, state *accessKeyModel, cfgStatus types.String, diags *diag.Diagnostics) {
	c, ok := iam(r.pd).ForPlan(ctx, diags) // not while the provider configuration is unknown: checked at apply
	if !ok {
		return
	}
	name := plan.User.ValueString()
	u, err := c.GetUser(ctx, name)
	switch {
	case awsc.IsNotFound(err):
		if state == nil {
			// Created in this apply by a nhi_aws_iam_user that is
			// referenced by a literal name: the create fails clearly
			// if it still does not exist then.
			return
		}
		if state.User.ValueString() != name {
			// A renamed user replaces the key in the same apply; a
			// typo would delete the working key first.
			userMissingForReplacement(name, state, diags)
			return
		}
		userNotFound(name, diags)
		return
	case err != nil:
		diags.AddAttributeError(path.Root("user"), "Cannot read the IAM user", err.Error())
		return
	case !u.Declared:
		userNotDeclared(name, diags)
		return
	}
	if u.Disabled && plan.Status.ValueString() == "Active" {
		if !cfgStatus.IsNull() {
			// Terraform refuses a planned value other than the
			// configured one, so the plan cannot make it Inactive.
			disabledUserActiveKey(name, diags)
			return
		}
		diags.AddAttributeWarning(path.Root("status"), "The user is disabled, so the key stays inactive",
			fmt.Sprintf("IAM user %q was disabled on expiry; its keys stay Inactive until its expires_at is extended.", name))
		plan.Status = types.StringValue("Inactive")
	}
	if state == nil {
		checkFreeSlot(name, u, diags)
	}
}

// checkFreeSlot refuses a new key for a user that holds as many as AWS
// allows.
func checkFreeSlot(name string, u awsc.Details, diags *diag.Diagnostics) {
	var ids []string // active or not: both count against the limit
	for _, k := range u.Credentials {
		if k.Kind == awsc.CredentialAccessKey {
			ids = append(ids, k.ID)
		}
	}
	if len(ids) >= awsc.MaxAccessKeys {
		diags.AddAttributeError(path.Root("user"), "The user already has two access keys",
			fmt.Sprintf("IAM user %q already holds %s, and AWS allows two per user. Delete a key nobody uses first; a rotation with "+
				"create_before_destroy needs one free slot.", name, strings.Join(ids, " and ")))
	}
}

// userMissingForReplacement warns that the key is replaced by one of a user
// that does not exist yet: right after a rename, but also after a typo,
// which deletes the working key and its Secret before the create fails.
func userMissingForReplacement(name string, state *accessKeyModel, diags *diag.Diagnostics) {
	diags.AddAttributeWarning(path.Root("user"), "The key's new IAM user does not exist yet",
		fmt.Sprintf("IAM user %q does not exist yet. If a nhi_aws_iam_user creates it in this apply, the key moves to it; otherwise the apply deletes "+
			"access key %s and its Secret %s and then fails. Check the name, or use lifecycle { create_before_destroy = true } so the old key stays until the new one exists.",
			name, state.ID.ValueString(), state.secretRef()))
}

// disabledUserActiveKey refuses a key configured Active for a user
// disabled on expiry, whose keys stay Inactive.
func disabledUserActiveKey(name string, diags *diag.Diagnostics) {
	diags.AddAttributeError(path.Root("status"), "The user is disabled, so the key cannot be created Active",
		fmt.Sprintf("IAM user %q was disabled on expiry, and its keys stay Inactive until its expires_at is extended, but this key is configured "+
			"status = \"Active\". Extend the user's expires_at, or set status = \"Inactive\" (or leave it out), and apply again.", name))
}

func userNotFound(name string, diags *diag.Diagnostics) {
	diags.AddAttributeError(path.Root("user"), "IAM user not found",
		fmt.Sprintf("IAM user %q does not exist. Declare it with nhi_aws_iam_user and reference it: user = nhi_aws_iam_user.<name>.name.", name))
}

func userNotDeclared(name string, diags *diag.Diagnostics) {
	diags.AddAttributeError(path.Root("user"), "IAM user is not declared",
		fmt.Sprintf("IAM user %q carries no owner, purpose or expiry: it is not declared with nhi_aws_iam_user. Declare (or import) it first, so the key has someone responsible for it.", name))
}

func (r *accessKeyResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer accessKeyIdentity.AfterCreate(ctx, resp)
	var m accessKeyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	a, _ := iam(r.pd).OrDiag(ctx, &resp.Diagnostics)
	k, _ := delivery(r.pd).OrDiag(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	user := m.User.ValueString()
	u, err := a.GetVisibleUser(ctx, user)
	switch {
	case awsc.IsNotFound(err):
		resp.Diagnostics.AddAttributeError(path.Root("user"), "IAM user not found",
			fmt.Sprintf("IAM user %q is not visible in IAM yet, a few seconds after the plan (IAM is eventually consistent), or it does not exist. "+
				"If a nhi_aws_iam_user creates it in this apply, apply again; otherwise check the name.", user))
		return
	case err != nil:
		resp.Diagnostics.AddAttributeError(path.Root("user"), "Cannot read the IAM user", err.Error())
		return
	case !u.Declared:
		// The plan checks this too, but not while the provider
		// configuration was unknown.
		userNotDeclared(user, &resp.Diagnostics)
		return
	}
	if checkFreeSlot(user, u, &resp.Diagnostics); resp.Diagnostics.HasError() {
		return
	}
	switch {
	case m.Status.IsUnknown():
		// Planned while the user could not be read.
		m.Status = types.StringValue("Active")
		if u.Disabled {
			m.Status = types.StringValue("Inactive")
		}
	case u.Disabled && m.Status.ValueString() == "Active":
		// Planned Active (the user was disabled after the plan, or the
		// configuration says Active while the provider configuration
		// was unknown): creating it Inactive would not be what was planned.
		resp.Diagnostics.AddAttributeError(path.Root("status"), "The user is disabled, so the key cannot be created Active",
			fmt.Sprintf("IAM user %q was disabled on expiry, and its keys stay Inactive until its expires_at is extended, but this key was planned "+
				"Active. Extend the user's expires_at, or set status = \"Inactive\", and apply again.", user))
		return
	}
	ref := m.secretRef()
	key, err := a.CreateDeliveredAccessKey(ctx, user, func(ctx context.Context, key awsc.NewAccessKey) error {
		return k.PutDeliveredCredential(ctx, k8s.DeliveredCredential{
			Ref: ref, CredentialID: key.ID, Governance: u.Governance,
			Data: map[string][]byte{SecretKeyID: []byte(key.ID), SecretKeySecret: []byte(key.Secret)},
		})
	})
	switch {
	case errors.Is(err, awsc.ErrNotDelivered):
		// Undelivered, the secret is lost: the key was deleted again.
		resp.Diagnostics.AddAttributeError(path.Root("kubernetes_secret"), "Delivering the access key to its Secret failed", err.Error())
		return
	case err != nil:
		resp.Diagnostics.AddAttributeError(path.Root("user"), "Creating the access key failed", err.Error())
		return
	}
	if m.Status.ValueString() == "Inactive" {
		if err := a.SetAccessKeyActive(ctx, user, key.ID, false); err != nil {
			resp.Diagnostics.AddError("Deactivating the new access key failed", err.Error())
		}
	}
	m.ID = types.StringValue(key.ID)
	m.CreatedAt = types.StringValue(nhi.FormatTime(key.CreatedAt))
	m.Delivered = types.BoolValue(true)
	r.setDue(&m, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *accessKeyResource) setDue(m *accessKeyModel, diags *diag.Diagnostics) {
	period := framework.RotationPeriod(r.pd, m.RotateAfter, diags)
	m.RotationDueAt = types.StringNull()
	if created, err := nhi.ParseExpiry(m.CreatedAt.ValueString()); err == nil {
		m.RotationDueAt = framework.RotationDueValue(created, period)
	}
}

func (r *accessKeyResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	defer accessKeyIdentity.AfterRead(ctx, req, resp)
	var m accessKeyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	a, _ := iam(r.pd).OrDiag(ctx, &resp.Diagnostics)
	k, _ := delivery(r.pd).OrDiag(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	cred, err := a.GetAccessKey(ctx, m.User.ValueString(), m.ID.ValueString())
	if awsc.IsNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Reading the access key failed", err.Error())
		return
	}
	m.Status = types.StringValue("Active")
	if cred.Inactive {
		m.Status = types.StringValue("Inactive")
	}
	m.CreatedAt = types.StringValue(nhi.FormatTime(cred.CreatedAt))
	if !m.KubernetesSecret.IsNull() {
		held, err := k.DeliveredCredentialID(ctx, m.secretRef())
		if err != nil && !k8s.IsNotFound(err) {
			resp.Diagnostics.AddError("Reading the access key's Secret failed", err.Error())
			return
		}
		m.Delivered = types.BoolValue(held == cred.ID)
	}
	r.setDue(&m, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *accessKeyResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer accessKeyIdentity.AfterUpdate(ctx, resp)
	var m accessKeyModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &m)...)
	var prior accessKeyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &prior)...)
	a, _ := iam(r.pd).OrDiag(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if m.Delivered.IsUnknown() && !m.KubernetesSecret.IsNull() {
		// Recording the Secret of an imported key.
		k, ok := delivery(r.pd).OrDiag(ctx, &resp.Diagnostics)
		if !ok {
			return
		}
		held, err := k.DeliveredCredentialID(ctx, m.secretRef())
		if err != nil && !k8s.IsNotFound(err) {
			resp.Diagnostics.AddError("Reading the access key's Secret failed", err.Error())
			return
		}
		m.Delivered = types.BoolValue(held == m.ID.ValueString())
	}
	if m.Status.ValueString() != prior.Status.ValueString() {
		if err := a.SetAccessKeyActive(ctx, m.User.ValueString(), m.ID.ValueString(), m.Status.ValueString() == "Active"); err != nil {
			resp.Diagnostics.AddError("Changing the access key's status failed", err.Error())
			return
		}
	}
	r.setDue(&m, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &m)...)
}

func (r *accessKeyResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var m accessKeyModel
	resp.Diagnostics.Append(req.State.Get(ctx, &m)...)
	a, _ := iam(r.pd).OrDiag(ctx, &resp.Diagnostics)
	k, _ := delivery(r.pd).OrDiag(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := a.DeleteAccessKey(ctx, m.User.ValueString(), m.ID.ValueString()); err != nil {
		resp.Diagnostics.AddError("Deleting the access key failed", err.Error())
		return
	}
	if !m.KubernetesSecret.IsNull() {
		if err := k.DeleteDeliveredCredential(ctx, m.secretRef(), m.ID.ValueString()); err != nil {
			resp.Diagnostics.AddError("Deleting the access key's Secret failed", err.Error())
		}
	}
}

// ImportState takes "<user>/<access key ID>", or
// "<user>/<access key ID>/<namespace>/<Secret name>" naming the Secret that
// holds it. The secret cannot be read back: with the short form the first
// plan keeps the key when the Secret named in the configuration holds it
// and replaces it otherwise; with the long form the import reads the
// Secret, and the plan replaces the key only when it does not hold it.
func (r *accessKeyResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if accessKeyIdentity.ImportByIdentity(ctx, req, resp) {
		return
	}
	parts := strings.Split(req.ID, "/")
	ok := (len(parts) == 2 || len(parts) == 4) && awsc.ValidateUserName(parts[0]) == nil && strings.HasPrefix(parts[1], "AK")
	if ok && len(parts) == 4 {
		ok = k8s.ValidateNamespace(parts[2]) == nil && k8s.ValidateServiceAccountName(parts[3]) == nil
	}
	if !ok {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("The import ID %q is not of the form <user>/<access key ID>, such as ci-deployer/AKIAIOSFODNN7EXAMPLE, "+
				"or <user>/<access key ID>/<namespace>/<Secret name>, such as ci-deployer/AKIAIOSFODNN7EXAMPLE/ci/ci-aws-credentials.", req.ID))
		return
	}
	secret := types.ObjectNull(secretAttrTypes)
	if len(parts) == 4 {
		secret = types.ObjectValueMust(secretAttrTypes, map[string]attr.Value{"namespace": types.StringValue(parts[2]), "name": types.StringValue(parts[3])})
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), parts[1])...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("user"), parts[0])...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("kubernetes_secret"), secret)...)
}

// listed is a key as its list resource reports it (its user's listing
// holds its status and age); an undeclared one, being adopted, names the
// Secret to deliver to as FILL-IN placeholders, the adopter's to say.
func (r *accessKeyResource) listed(it framework.ListItem, diags *diag.Diagnostics) accessKeyModel {
	m := accessKeyModel{
		ID: types.StringValue(it.Credential.ID), User: types.StringValue(it.Identity.Ref.Name),
		Status: types.StringValue("Active"), CreatedAt: types.StringValue(nhi.FormatTime(it.Credential.CreatedAt)),
		RotateAfter: types.StringNull(), KubernetesSecret: types.ObjectNull(secretAttrTypes), Delivered: types.BoolNull(),
	}
	if it.Credential.Inactive {
		m.Status = types.StringValue("Inactive")
	}
	if !it.Identity.Declared {
		m.KubernetesSecret = types.ObjectValueMust(secretAttrTypes, map[string]attr.Value{
			"namespace": types.StringValue(nhi.Placeholder + ": namespace of the Secret that holds the key"),
			"name":      types.StringValue(nhi.Placeholder + ": name of that Secret"),
		})
	}
	r.setDue(&m, diags)
	return m
}

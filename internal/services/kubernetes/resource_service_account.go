// Package kubernetes holds the Terraform resources for Kubernetes
// identities. API calls live in internal/connectors/kubernetes.
package kubernetes

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/booldefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

var (
	_ resource.ResourceWithConfigure      = &serviceAccountResource{}
	_ resource.ResourceWithImportState    = &serviceAccountResource{}
	_ resource.ResourceWithModifyPlan     = &serviceAccountResource{}
	_ resource.ResourceWithValidateConfig = &serviceAccountResource{}
)

// NewServiceAccountResource is the factory of nhi_kubernetes_service_account.
func NewServiceAccountResource() resource.Resource { return &serviceAccountResource{} }

type serviceAccountResource struct {
	pd *framework.ProviderData
}

type serviceAccountModel struct {
	ID              types.String          `tfsdk:"id"`
	Namespace       types.String          `tfsdk:"namespace"`
	Name            types.String          `tfsdk:"name"`
	Owner           types.String          `tfsdk:"owner"`
	Purpose         types.String          `tfsdk:"purpose"`
	Scopes          types.Set             `tfsdk:"scopes"`
	ExpiresAt       framework.ExpiryValue `tfsdk:"expires_at"`
	OnExpiry        types.String          `tfsdk:"on_expiry"`
	Labels          types.Map             `tfsdk:"labels"`
	AutomountToken  types.Bool            `tfsdk:"automount_token"`
	UID             types.String          `tfsdk:"uid"`
	CreatedAt       types.String          `tfsdk:"created_at"`
	Status          types.String          `tfsdk:"status"`
	EffectiveScopes types.Set             `tfsdk:"effective_scopes"`
	AllowLegacy     types.Bool            `tfsdk:"allow_legacy_tokens"`
	LegacyTokens    types.Set             `tfsdk:"legacy_tokens"`
}

func (m *serviceAccountModel) ref() nhi.Ref {
	return nhi.Ref{Location: m.Namespace.ValueString(), Name: m.Name.ValueString()}
}

func (m *serviceAccountModel) subject() string {
	return fmt.Sprintf("service account %s/%s", m.Namespace.ValueString(), m.Name.ValueString())
}

// scopes returns the declared scopes, or nil when unknown.
func (m *serviceAccountModel) scopes(ctx context.Context, diags *diag.Diagnostics) []string {
	return framework.SetStrings(ctx, m.Scopes, diags)
}

func (m *serviceAccountModel) governance(ctx context.Context, diags *diag.Diagnostics) framework.GovernanceValues {
	return framework.GovernanceValues{Owner: m.Owner, Purpose: m.Purpose, Scopes: m.scopes(ctx, diags), ExpiresAt: m.ExpiresAt, OnExpiry: m.OnExpiry}
}

func (r *serviceAccountResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_kubernetes_service_account"
}

func (r *serviceAccountResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = serviceAccountSchema()
}

func serviceAccountSchema() schema.Schema {
	attrs := framework.GovernanceAttributes(scopeValidator(),
		"Each scope is an RBAC grant: `clusterrole:<name>` (a ClusterRoleBinding), `clusterrole:<name>@<namespace>` (a RoleBinding in that namespace to a ClusterRole), "+
			"`role:<name>` (a RoleBinding to a Role in the service account's namespace) or `role:<name>@<namespace>`. The role must exist.")
	idPlan := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	attrs["id"] = schema.StringAttribute{Computed: true, MarkdownDescription: "`namespace/name`.", PlanModifiers: idPlan}
	attrs["namespace"] = schema.StringAttribute{
		Required: true, MarkdownDescription: "Namespace of the service account. Changing it replaces the service account.",
		PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
		Validators:    []validator.String{NamespaceValidator()},
	}
	attrs["name"] = schema.StringAttribute{
		Required: true, MarkdownDescription: "Name of the service account. Changing it replaces the service account.",
		PlanModifiers: []planmodifier.String{stringplanmodifier.RequiresReplace()},
		Validators:    []validator.String{ServiceAccountNameValidator()},
	}
	attrs["labels"] = schema.MapAttribute{
		Optional: true, ElementType: types.StringType,
		MarkdownDescription: "Labels of the service account. The provider adds `app.kubernetes.io/managed-by`; keys under the annotation prefix are reserved. Labels are authoritative: others added out of band are removed.",
	}
	attrs["automount_token"] = schema.BoolAttribute{
		Optional: true, Computed: true, Default: booldefault.StaticBool(false),
		MarkdownDescription: "Whether pods using this service account get its token mounted. Defaults to `false`. While the service account is disabled, automount is off whatever this says.",
	}
	attrs["allow_legacy_tokens"] = schema.BoolAttribute{
		Optional: true, Computed: true, Default: booldefault.StaticBool(false),
		MarkdownDescription: "Whether long-lived token Secrets that reference this service account may exist without being declared by " +
			"`nhi_kubernetes_service_account_token`. Defaults to `false`: such Secrets show in the plan (`legacy_tokens`) and the apply deletes them.",
	}
	attrs["legacy_tokens"] = schema.SetAttribute{
		Computed: true, ElementType: types.StringType,
		MarkdownDescription: "Names of the token Secrets that reference this service account and that no `nhi_kubernetes_service_account_token` declares. " +
			"A Secret counts as declared only with every governance marker that resource writes (owner, purpose, rotation due); the managed-by label alone does not. " +
			"A Secret with the label, an owner and a purpose but no rotation-due marker, as earlier versions of that resource wrote them, is neither listed nor deleted " +
			"(its resource adds the marker; the drift reporter shows it as ungoverned until then). Never their values.",
	}
	attrs["uid"] = schema.StringAttribute{Computed: true, MarkdownDescription: "Kubernetes UID.", PlanModifiers: idPlan}
	attrs["created_at"] = schema.StringAttribute{Computed: true, MarkdownDescription: "Creation time (RFC 3339).", PlanModifiers: idPlan}
	return schema.Schema{
		MarkdownDescription: "A Kubernetes service account declared with an owner, a purpose, the RBAC scopes it may hold and an expiry. " +
			"The provider writes the governance as annotations, creates one binding per scope, removes grants nobody declared, " +
			"and acts on expiry as `on_expiry` says.",
		Attributes: attrs,
	}
}

func scopeValidator() validator.String {
	return framework.StringCheck{
		Summary: "Invalid scope", Desc: "a scope: " + k8s.ScopeGrammar,
		Check: func(s string) error {
			_, err := k8s.ParseScope(s, "default")
			return err
		},
	}
}

func (r *serviceAccountResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.pd = framework.ProviderDataFrom(req.ProviderData, &resp.Diagnostics)
}

// ValidateConfig checks labels. The reserved-key rule needs the configured
// annotation prefix; before the provider is configured the default is used.
func (r *serviceAccountResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	var labels types.Map
	resp.Diagnostics.Append(req.Config.GetAttribute(ctx, path.Root("labels"), &labels)...)
	m := k8s.Markers{Prefix: k8s.DefaultPrefix}
	if r.pd != nil {
		m = markers(r.pd)
	}
	framework.ValidateLabels(labels, "labels", "Invalid label", m.ValidateLabel, &resp.Diagnostics)
}

func (r *serviceAccountResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.pd == nil {
		return
	}
	var plan serviceAccountModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	var statePtr *framework.GovernanceValues
	if !req.State.Raw.IsNull() {
		var state serviceAccountModel
		resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
		g := state.governance(ctx, &resp.Diagnostics)
		statePtr = &g
	}
	if resp.Diagnostics.HasError() {
		return
	}
	gov := plan.governance(ctx, &resp.Diagnostics)
	g := framework.PlanGovernance(ctx, r.pd, plan.subject(), gov, statePtr, &resp.Diagnostics)

	// policy.forbidden_capabilities holds on every plan, as
	// policy.forbidden_scopes does: a role may have gained a rule since.
	forbids := len(r.pd.Policy.ForbiddenCapabilities) > 0
	if gov.Scopes != nil && (g.ScopesChanged || forbids) && !plan.Namespace.IsUnknown() && !resp.Diagnostics.HasError() {
		// An unknown provider configuration leaves this check to the apply.
		if c, ok := kube(r.pd).ForPlan(ctx, &resp.Diagnostics); ok {
			var missing []string
			var err error
			if g.ScopesChanged {
				missing, err = c.MissingRoles(ctx, plan.Namespace.ValueString(), gov.Scopes)
			}
			if err != nil {
				resp.Diagnostics.AddAttributeError(path.Root("scopes"), "Cannot check the roles of scopes", err.Error())
			}
			for _, s := range missing {
				resp.Diagnostics.AddAttributeError(path.Root("scopes"), "Scope names a role that does not exist",
					fmt.Sprintf("scopes contains %q, but its role does not exist in the cluster. Create the role first (and reference it so Terraform orders the two), or fix the name.", s))
			}
			if len(missing) == 0 && err == nil {
				checkRiskyScopes(ctx, c, r.pd.Policy, &plan, gov.Scopes, statePtr, g.ScopesChanged, &resp.Diagnostics)
			}
		}
	}
	if resp.Diagnostics.HasError() {
		return
	}

	scopes := gov.Scopes
	if plan.Namespace.IsUnknown() {
		scopes = nil // their canonical form depends on it
	}
	plan.Status, plan.EffectiveScopes = framework.PlanStatusAndScopes(g, scopes, canonical(plan.Namespace.ValueString()), &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	switch {
	case !plan.AllowLegacy.IsUnknown() && !plan.AllowLegacy.ValueBool():
		plan.LegacyTokens = types.SetValueMust(types.StringType, []attr.Value{})
	case req.State.Raw.IsNull():
		plan.LegacyTokens = types.SetUnknown(types.StringType)
	default:
		var prior types.Set
		resp.Diagnostics.Append(req.State.GetAttribute(ctx, path.Root("legacy_tokens"), &prior)...)
		plan.LegacyTokens = prior
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, &plan)...)
	// Legacy tokens allowed, an update finds those there are after it:
	// another resource of the same apply may adopt one (importing a token
	// Secret with nhi_kubernetes_service_account_token makes it declared)
	// or leave one.
	if !req.State.Raw.IsNull() && plan.AllowLegacy.ValueBool() && !resp.Plan.Raw.Equal(req.State.Raw) {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root("legacy_tokens"), types.SetUnknown(types.StringType))...)
	}
}

// checkRiskyScopes reports the risky capabilities (reading Secrets, running
// code as other service accounts, impersonation, binding roles; the catalog
// is the connector's) that the declared scopes grant, naming the rule:
//   - a scope granting one of policy.forbidden_capabilities is an error on
//     scopes, whether or not the plan adds it;
//   - a scope the plan adds (changed is true) that grants other risky
//     capabilities warns, so that the grant is a reviewed decision. Scopes
//     already in state are not repeated on every plan; the drift reporter
//     keeps reporting them (NHI008).
func checkRiskyScopes(ctx context.Context, c *k8s.Client, pol nhi.Policy, plan *serviceAccountModel, scopes []string, state *framework.GovernanceValues, changed bool, diags *diag.Diagnostics) {
	ns := plan.Namespace.ValueString()
	had := map[string]bool{}
	if state != nil {
		for _, s := range state.Scopes {
			if sc, err := k8s.ParseScope(s, ns); err == nil {
				had[sc.Canonical(ns)] = true
			}
		}
	}
	added := map[string]bool{}
	var check []string
	for _, s := range scopes {
		sc, err := k8s.ParseScope(s, ns)
		if err != nil {
			continue
		}
		isNew := changed && !had[sc.Canonical(ns)]
		if isNew {
			added[sc.Canonical(ns)] = true
		}
		if isNew || len(pol.ForbiddenCapabilities) > 0 {
			check = append(check, s)
		}
	}
	caps, err := c.ScopeCapabilities(ctx, plan.ref(), check)
	framework.ScopeCapabilityDiagnostics(pol, plan.subject(), caps, err, added, framework.CapabilityWords{
		Grants: "roles", Source: "the cluster", Holder: "workload", Narrower: "role",
	}, diags)
}

// removeLegacyTokens deletes the undeclared token Secrets of id, which was
// read just after the write, unless they are allowed, and returns id as it
// is afterwards (read again only when something was deleted).
func (r *serviceAccountResource) removeLegacyTokens(ctx context.Context, c *k8s.Client, m *serviceAccountModel, id nhi.Identity) (nhi.Identity, error) {
	creds := legacyTokenSecrets(id)
	if m.AllowLegacy.ValueBool() || len(creds) == 0 {
		return id, nil
	}
	for _, cr := range creds {
		// Deleting with the Secret's UID makes the delete conditional: it
		// cannot remove a Secret created again under the same name, and the
		// retry layer may resend it after a lost answer (the repeat gets
		// 404 or 409, which DeleteTokenSecret counts as done).
		_, name, _ := strings.Cut(cr.ID, "/")
		if err := c.DeleteTokenSecret(ctx, nhi.Ref{Location: id.Ref.Location, Name: name}, cr.UID); err != nil {
			return id, err
		}
	}
	return c.Get(ctx, id.Ref)
}

// legacyTokenSecrets returns the undeclared token Secrets of id that
// removeLegacyTokens deletes (the ones legacyTokens names).
func legacyTokenSecrets(id nhi.Identity) []nhi.Credential {
	var out []nhi.Credential
	for _, c := range id.Credentials {
		if isLegacyToken(c) {
			out = append(out, c)
		}
	}
	return out
}

func (r *serviceAccountResource) spec(ctx context.Context, m *serviceAccountModel, diags *diag.Diagnostics) k8s.ServiceAccountSpec {
	return k8s.ServiceAccountSpec{
		Spec: nhi.Spec{
			Ref:        m.ref(),
			Governance: framework.GovernanceSpec(m.governance(ctx, diags), diags),
			Labels:     framework.StringMap(ctx, m.Labels, diags),
		},
		AutomountToken: m.AutomountToken.ValueBool(),
	}
}

func (r *serviceAccountResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer serviceAccountIdentity.AfterCreate(ctx, resp)
	var plan serviceAccountModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	spec := r.spec(ctx, &plan, &resp.Diagnostics)
	c, _ := kube(r.pd).OrDiag(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	id, err := c.Create(ctx, spec)
	if err != nil {
		resp.Diagnostics.AddError("Creating the "+plan.subject()+" failed", err.Error())
		if id.ID != "" {
			// It exists and could not be removed again: record it, so
			// Terraform tracks (and replaces) it instead of failing the next
			// apply with "already exists".
			r.setState(ctx, &plan, id, &resp.Diagnostics)
			resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
		}
		return
	}
	// A token Secret can name an account before it exists.
	if after, err := r.removeLegacyTokens(ctx, c, &plan, id); err != nil {
		resp.Diagnostics.AddError("Removing undeclared tokens of the "+plan.subject()+" failed", err.Error())
	} else {
		id = after
	}
	r.setState(ctx, &plan, id, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *serviceAccountResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	defer serviceAccountIdentity.AfterRead(ctx, req, resp)
	var state serviceAccountModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	c, _ := kube(r.pd).OrDiag(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	id, err := c.Get(ctx, state.ref())
	if k8s.IsNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Reading the "+state.subject()+" failed", err.Error())
		return
	}
	r.readInto(ctx, &state, id, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &state)...)
}

func (r *serviceAccountResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer serviceAccountIdentity.AfterUpdate(ctx, resp)
	var plan serviceAccountModel
	resp.Diagnostics.Append(req.Plan.Get(ctx, &plan)...)
	spec := r.spec(ctx, &plan, &resp.Diagnostics)
	c, _ := kube(r.pd).OrDiag(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	id, err := framework.ApplyUpdate(ctx, r.pd, c.ServiceAccounts(), spec, plan.Status)
	if err == nil {
		id, err = r.removeLegacyTokens(ctx, c, &plan, id)
	}
	if err != nil {
		framework.RecordCurrent(ctx, req, resp, plan.subject(), err, c.ServiceAccounts(), spec.Ref,
			func() *serviceAccountModel { return &serviceAccountModel{} }, r.readInto)
		return
	}
	r.setState(ctx, &plan, id, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, &plan)...)
}

func (r *serviceAccountResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	var state serviceAccountModel
	resp.Diagnostics.Append(req.State.Get(ctx, &state)...)
	c, _ := kube(r.pd).OrDiag(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := c.Delete(ctx, state.ref()); err != nil {
		resp.Diagnostics.AddError("Deleting the "+state.subject()+" failed", err.Error())
	}
}

func (r *serviceAccountResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if serviceAccountIdentity.ImportByIdentity(ctx, req, resp) {
		return
	}
	ns, name, ok := strings.Cut(req.ID, "/")
	if !ok || ns == "" || name == "" || strings.Contains(name, "/") {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("The import ID %q is not of the form namespace/name. Import a service account with, for example:\n\n  terraform import nhi_kubernetes_service_account.ci ci/deployer", req.ID))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), req.ID)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("namespace"), ns)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), name)...)
}

// setState records the result of a create or update: computed values from
// the API, the rest as planned.
func (r *serviceAccountResource) setState(ctx context.Context, m *serviceAccountModel, id nhi.Identity, diags *diag.Diagnostics) {
	m.ID = types.StringValue(id.Ref.String())
	m.UID = types.StringValue(id.ID)
	m.CreatedAt = types.StringValue(nhi.FormatTime(id.CreatedAt))
	m.EffectiveScopes = framework.StringSet(id.EffectiveScopes)
	m.LegacyTokens = framework.StringSet(legacyTokens(id))
	if m.Status.IsUnknown() {
		m.Status = framework.StatusValue(r.pd, id)
	}
}

// readInto refreshes a model from the identity as found.
func (r *serviceAccountResource) readInto(ctx context.Context, m *serviceAccountModel, id nhi.Identity, diags *diag.Diagnostics) {
	m.ID = types.StringValue(id.Ref.String())
	m.Namespace = types.StringValue(id.Ref.Location)
	m.Name = types.StringValue(id.Ref.Name)
	m.UID = types.StringValue(id.ID)
	m.CreatedAt = types.StringValue(nhi.FormatTime(id.CreatedAt))
	m.Owner, m.Purpose, m.ExpiresAt, m.OnExpiry = framework.ReadGovernance(id.Governance, m.ExpiresAt)
	// Compared in canonical form, so "role:x@<own namespace>" as written is
	// kept.
	m.Scopes = framework.ReadScopes(ctx, m.Scopes, id, canonical(id.Ref.Location), diags)
	m.Labels = framework.ReadLabels(ctx, m.Labels, id.Labels, diags)
	if !id.Disabled || m.AutomountToken.IsNull() || m.AutomountToken.IsUnknown() {
		// Kubernetes mounts the token when the field is unset.
		m.AutomountToken = types.BoolValue(id.AutomountToken == nil || *id.AutomountToken)
	}
	m.Status = framework.StatusValue(r.pd, id)
	m.EffectiveScopes = framework.StringSet(id.EffectiveScopes)
	m.LegacyTokens = framework.StringSet(legacyTokens(id))
	if m.AllowLegacy.IsNull() || m.AllowLegacy.IsUnknown() {
		m.AllowLegacy = types.BoolValue(false)
	}
}

// legacyTokens names the undeclared token Secrets of an identity.
func legacyTokens(id nhi.Identity) []string {
	var out []string
	for _, c := range id.Credentials {
		// A Secret an earlier version of the token resource wrote (owner
		// and purpose, no rotation-due marker) is not a leftover: its
		// resource completes the markers, and deleting it would break
		// whoever reads it.
		if isLegacyToken(c) {
			_, name, _ := strings.Cut(c.ID, "/")
			out = append(out, name)
		}
	}
	return nhi.SortedUnique(out)
}

// isLegacyToken reports an undeclared legacy token Secret with no markers
// of an earlier version of the token resource.
func isLegacyToken(c nhi.Credential) bool {
	return c.Kind == k8s.CredentialLegacyToken && !c.Declared && !c.MarkersIncomplete
}

// canonical compares and plans scopes of a service account in namespace
// home as the cluster reports them.
func canonical(home string) framework.Canonical {
	return func(scopes []string) ([]string, error) { return k8s.CanonicalScopes(scopes, home) }
}

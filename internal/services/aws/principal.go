// Package aws holds the Terraform resources for AWS IAM identities. API
// calls live in internal/connectors/aws; the governance rules they share
// with Kubernetes live in internal/framework and internal/nhi.
package aws

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/planmodifier"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringplanmodifier"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// principalModel is what IAM users and roles share.
type principalModel struct {
	ID              types.String          `tfsdk:"id"`
	Name            types.String          `tfsdk:"name"`
	Path            types.String          `tfsdk:"path"`
	Owner           types.String          `tfsdk:"owner"`
	Purpose         types.String          `tfsdk:"purpose"`
	Scopes          types.Set             `tfsdk:"scopes"`
	InlinePolicies  types.Map             `tfsdk:"inline_policies"`
	ExpiresAt       framework.ExpiryValue `tfsdk:"expires_at"`
	OnExpiry        types.String          `tfsdk:"on_expiry"`
	Tags            types.Map             `tfsdk:"tags"`
	ARN             types.String          `tfsdk:"arn"`
	UniqueID        types.String          `tfsdk:"unique_id"`
	CreatedAt       types.String          `tfsdk:"created_at"`
	Status          types.String          `tfsdk:"status"`
	EffectiveScopes types.Set             `tfsdk:"effective_scopes"`
}

// model is implemented by the user and role models.
type model interface {
	common() *principalModel
	// trust returns the trust policy (roles); setTrust records the one found.
	trust() types.String
	setTrust(types.String)
}

// kindSpec is what differs between users and roles.
type kindSpec struct {
	typeSuffix string // "aws_iam_user"
	noun       string // "IAM user"
	location   string // awsc.LocationUser
	nameCheck  func(string) error
	// prov is the connector's write side of this kind.
	prov func(*awsc.Client) nhi.Provisioner[awsc.PrincipalSpec, awsc.Details]
	// validateExtra and planExtra add kind-specific checks (a role's trust
	// policy): the first without provider data, the second with it.
	validateExtra func(m model, diags *diag.Diagnostics)
	planExtra     func(r *principalResource, ctx context.Context, m model, diags *diag.Diagnostics)
}

// principalResource implements both nhi_aws_iam_user and nhi_aws_iam_role.
type principalResource struct {
	pd    *framework.ProviderData
	kind  kindSpec
	newM  func() model
	attrs func() map[string]schema.Attribute
	desc  string
}

var (
	_ resource.ResourceWithConfigure      = &principalResource{}
	_ resource.ResourceWithImportState    = &principalResource{}
	_ resource.ResourceWithModifyPlan     = &principalResource{}
	_ resource.ResourceWithValidateConfig = &principalResource{}
)

func (r *principalResource) Metadata(_ context.Context, req resource.MetadataRequest, resp *resource.MetadataResponse) {
	resp.TypeName = req.ProviderTypeName + "_" + r.kind.typeSuffix
}

func (r *principalResource) Schema(_ context.Context, _ resource.SchemaRequest, resp *resource.SchemaResponse) {
	resp.Schema = schema.Schema{MarkdownDescription: r.desc, Attributes: r.attrs()}
}

// commonAttributes are the attributes of users and roles. pathReplaces is
// true where IAM cannot move the identity to another path.
func commonAttributes(k kindSpec, pathReplaces bool) map[string]schema.Attribute {
	attrs := framework.GovernanceAttributes(scopeValidator(),
		"Each scope is `policy:<ARN>` (an attached managed policy, such as `policy:arn:aws:iam::aws:policy/ReadOnlyAccess`), "+
			"`inline:<name>` (an inline policy whose JSON document is `inline_policies[\"<name>\"]`) or, for users, `group:<name>` (membership of an IAM group, "+
			"which grants the group's policies). Managed policies and groups must exist.")
	keep := []planmodifier.String{stringplanmodifier.UseStateForUnknown()}
	attrs["id"] = schema.StringAttribute{Computed: true, PlanModifiers: keep,
		MarkdownDescription: fmt.Sprintf("`%s/<name>`, the identity's ID in `nhi_identities` and in drift reports.", k.location)}
	attrs["name"] = schema.StringAttribute{Required: true,
		MarkdownDescription: fmt.Sprintf("Name of the %s. Changing it replaces the %s.", k.noun, k.noun),
		PlanModifiers:       []planmodifier.String{stringplanmodifier.RequiresReplace()},
		Validators:          []validator.String{framework.StringCheck{Summary: "Invalid name", Desc: "an IAM name", Check: framework.TrimQuoted(k.nameCheck)}},
	}
	pathMods := []planmodifier.String{}
	pathDoc := "IAM path, such as `/ci/`. Default `/`."
	if pathReplaces {
		pathMods = append(pathMods, stringplanmodifier.RequiresReplace())
		pathDoc += " IAM cannot move a role, so changing it replaces the role."
	}
	attrs["path"] = schema.StringAttribute{Optional: true, Computed: true, Default: stringdefault.StaticString("/"), MarkdownDescription: pathDoc,
		PlanModifiers: pathMods,
		Validators:    []validator.String{framework.StringCheck{Summary: "Invalid path", Desc: "an IAM path", Check: framework.TrimQuoted(awsc.ValidatePath)}}}
	attrs["inline_policies"] = schema.MapAttribute{Optional: true, ElementType: types.StringType,
		MarkdownDescription: "JSON document of each inline policy, keyed by its name; every key must be declared as `inline:<name>` in `scopes`, and every " +
			"`inline:<name>` scope needs its document here. Use `jsonencode()`. Documents are compared as JSON, so formatting does not cause a change; " +
			"a document edited out of band shows in the next plan, and inline policies nobody declared show as removed."}
	attrs["tags"] = schema.MapAttribute{Optional: true, ElementType: types.StringType,
		MarkdownDescription: "Tags of the identity. Keys under the governance prefix (`nhi:`) are reserved: the provider writes `nhi:owner`, `nhi:purpose`, " +
			"`nhi:expires-at`, `nhi:on-expiry`, `nhi:scopes` and `nhi:managed-by` itself. Tags are authoritative: others added out of band are removed."}
	attrs["arn"] = schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "ARN."}
	attrs["unique_id"] = schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "IAM's stable unique ID (`AIDA...`, `AROA...`)."}
	attrs["created_at"] = schema.StringAttribute{Computed: true, PlanModifiers: keep, MarkdownDescription: "Creation time (RFC 3339)."}
	return attrs
}

func scopeValidator() validator.String {
	return framework.StringCheck{Summary: "Invalid scope", Desc: "a scope: " + awsc.ScopeGrammar,
		Check: func(s string) error { _, err := awsc.ParseScope(s); return err }}
}

func (r *principalResource) Configure(_ context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	r.pd = framework.ProviderDataFrom(req.ProviderData, &resp.Diagnostics)
}

func (r *principalResource) subject(m *principalModel) string {
	return r.kind.noun + " " + m.Name.ValueString()
}

func (r *principalResource) ref(m *principalModel) nhi.Ref {
	return nhi.Ref{Location: r.kind.location, Name: m.Name.ValueString()}
}

func (m *principalModel) scopes(ctx context.Context, diags *diag.Diagnostics) []string {
	return framework.SetStrings(ctx, m.Scopes, diags)
}

func (m *principalModel) governance(ctx context.Context, diags *diag.Diagnostics) framework.GovernanceValues {
	return framework.GovernanceValues{Owner: m.Owner, Purpose: m.Purpose, Scopes: m.scopes(ctx, diags), ExpiresAt: m.ExpiresAt, OnExpiry: m.OnExpiry}
}

// ValidateConfig checks what IAM would reject, before any call: governance
// values and tags that IAM tags cannot hold, policy documents, and that
// inline scopes and documents match.
func (r *principalResource) ValidateConfig(ctx context.Context, req resource.ValidateConfigRequest, resp *resource.ValidateConfigResponse) {
	m := r.newM()
	resp.Diagnostics.Append(req.Config.Get(ctx, m)...)
	if resp.Diagnostics.HasError() {
		return
	}
	c := m.common()
	if r.kind.validateExtra != nil {
		r.kind.validateExtra(m, &resp.Diagnostics)
	}
	marks := awsc.Markers{Prefix: awsc.TagPrefix("")}
	if r.pd != nil {
		marks = tags(r.pd)
	}
	tagValue := framework.TrimQuoted(awsc.ValidateTagValue)
	for name, v := range map[string]types.String{"owner": c.Owner, "purpose": c.Purpose} {
		if v.IsNull() || v.IsUnknown() {
			continue
		}
		if err := tagValue(v.ValueString()); err != nil {
			resp.Diagnostics.AddAttributeError(path.Root(name), "Value cannot be stored in an IAM tag",
				fmt.Sprintf("%s is recorded in the IAM tag %s:%s, and %v.", name, marks.Prefix, name, err))
		}
	}
	framework.ValidateLabels(c.Tags, "tags", "Invalid tag", marks.ValidateLabel, &resp.Diagnostics)
	if !c.Tags.IsNull() && !c.Tags.IsUnknown() {
		if n := len(c.Tags.Elements()); n > awsc.MaxTags-8 {
			resp.Diagnostics.AddAttributeError(path.Root("tags"), "Too many tags",
				fmt.Sprintf("tags has %d entries; IAM allows %d tags per identity and the provider needs up to 8 for governance, so use at most %d.", n, awsc.MaxTags, awsc.MaxTags-8))
		}
	}
	docsKnown := !c.InlinePolicies.IsUnknown()
	docs := map[string]types.String{}
	if !c.InlinePolicies.IsNull() && docsKnown {
		for k, v := range c.InlinePolicies.Elements() {
			s, _ := v.(types.String)
			docs[k] = s
			if err := awsc.ValidatePolicyName(k); err != nil {
				resp.Diagnostics.AddAttributeError(path.Root("inline_policies").AtMapKey(k), "Invalid inline policy name", "inline_policies key "+err.Error())
			}
			if s.IsNull() || s.IsUnknown() {
				continue
			}
			if err := awsc.ValidatePermissionsPolicy(s.ValueString()); err != nil {
				resp.Diagnostics.AddAttributeError(path.Root("inline_policies").AtMapKey(k), "Invalid policy document",
					fmt.Sprintf("inline_policies[%q] %v. Write it with jsonencode() as an IAM identity policy: {\"Version\": \"2012-10-17\", \"Statement\": [{\"Effect\": \"Allow\", \"Action\": [...], \"Resource\": [...]}]}.", k, err))
			}
		}
	}
	if c.Scopes.IsUnknown() || c.Scopes.IsNull() || !docsKnown {
		return
	}
	declared := map[string]bool{}
	for _, v := range c.Scopes.Elements() {
		s, ok := v.(types.String)
		if !ok || s.IsUnknown() {
			return
		}
		if sc, err := awsc.ParseScope(s.ValueString()); err == nil && sc.Kind == "inline" {
			declared[sc.Value] = true
			if _, ok := docs[sc.Value]; !ok {
				resp.Diagnostics.AddAttributeError(path.Root("inline_policies"), "Inline policy without a document",
					fmt.Sprintf("scopes declares %q, but inline_policies has no %q key. Add its JSON document: inline_policies = { %q = jsonencode({...}) }.", s.ValueString(), sc.Value, sc.Value))
			}
		}
	}
	for _, k := range nhi.SortedKeys(docs) {
		if !declared[k] {
			resp.Diagnostics.AddAttributeError(path.Root("inline_policies").AtMapKey(k), "Inline policy not declared in scopes",
				fmt.Sprintf("inline_policies has a document for %q, but scopes does not declare \"inline:%s\". Add it to scopes, or remove the document.", k, k))
		}
	}
}

func (r *principalResource) ModifyPlan(ctx context.Context, req resource.ModifyPlanRequest, resp *resource.ModifyPlanResponse) {
	if req.Plan.Raw.IsNull() || r.pd == nil {
		return
	}
	plan := r.newM()
	resp.Diagnostics.Append(req.Plan.Get(ctx, plan)...)
	var statePtr *framework.GovernanceValues
	if !req.State.Raw.IsNull() {
		state := r.newM()
		resp.Diagnostics.Append(req.State.Get(ctx, state)...)
		g := state.common().governance(ctx, &resp.Diagnostics)
		statePtr = &g
	}
	if resp.Diagnostics.HasError() {
		return
	}
	p := plan.common()
	gov := p.governance(ctx, &resp.Diagnostics)
	g := framework.PlanGovernance(ctx, r.pd, r.subject(p), gov, statePtr, &resp.Diagnostics)
	if r.kind.planExtra != nil {
		r.kind.planExtra(r, ctx, plan, &resp.Diagnostics)
	}
	if gov.Scopes != nil && g.ScopesChanged && !resp.Diagnostics.HasError() {
		r.checkPoliciesExist(ctx, gov.Scopes, &resp.Diagnostics)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	// policy.forbidden_capabilities holds on every plan, as
	// policy.forbidden_scopes does: a policy may have gained a statement
	// since.
	if gov.Scopes != nil && !resp.Diagnostics.HasError() {
		r.checkRiskyScopes(ctx, plan, req.State, gov.Scopes, &resp.Diagnostics)
	}
	if resp.Diagnostics.HasError() {
		return
	}
	p.Status, p.EffectiveScopes = framework.PlanStatusAndScopes(g, gov.Scopes, nil, &resp.Diagnostics)
	if !p.Name.IsUnknown() {
		p.ID = types.StringValue(r.kind.location + "/" + p.Name.ValueString())
	}
	resp.Diagnostics.Append(resp.Plan.Set(ctx, plan)...)
}

// checkRiskyScopes reports the risky capabilities (creating other users'
// access keys, attaching or writing policies, passing roles to compute,
// reading every secret; the catalog is the connector's) that the declared
// scopes grant, naming the policy, statement, action and resource:
//   - a scope granting one of policy.forbidden_capabilities is an error on
//     scopes, whether or not the plan adds it;
//   - a scope the plan adds, or an inline policy whose document it changes,
//     that grants other risky capabilities warns, so that the grant is a
//     reviewed decision. Scopes already applied are not repeated on every
//     plan; the drift reporter keeps reporting them (NHI008).
//
// The scopes are resolved together, so a Deny in one removes an Allow in
// another, and iam:PassRole in one with a compute create in another is the
// capability (reported under the scope that passes the role).
func (r *principalResource) checkRiskyScopes(ctx context.Context, plan model, state tfsdk.State, scopes []string, diags *diag.Diagnostics) {
	p := plan.common()
	pol := r.pd.Policy
	if p.Name.IsUnknown() || p.InlinePolicies.IsUnknown() || p.Path.IsUnknown() {
		return // checked on the plan that knows them, or by the drift reporter
	}
	docs := framework.StringMap(ctx, p.InlinePolicies, diags)
	had, hadDocs := map[string]bool{}, map[string]string{}
	if !state.Raw.IsNull() {
		prior := r.newM()
		diags.Append(state.Get(ctx, prior)...)
		for _, s := range prior.common().scopes(ctx, diags) {
			had[s] = true
		}
		hadDocs = framework.StringMap(ctx, prior.common().InlinePolicies, diags)
	}
	if diags.HasError() {
		return
	}
	added := map[string]bool{}
	for _, s := range scopes {
		sc, err := awsc.ParseScope(s)
		if err != nil {
			return // reported by the scopes' validator
		}
		if !had[s] || (sc.Kind == "inline" && !awsc.EquivalentPolicies(hadDocs[sc.Value], docs[sc.Value])) {
			added[s] = true
		}
	}
	if len(added) == 0 && len(pol.ForbiddenCapabilities) == 0 {
		return
	}
	c, ok := iam(r.pd).ForPlan(ctx, diags) // not while the provider configuration is unknown: the drift reporter checks it
	if !ok {
		return
	}
	principal := awsc.Principal{Location: r.kind.location, Name: p.Name.ValueString(), Path: p.Path.ValueString()}
	if !p.ARN.IsUnknown() && !p.ARN.IsNull() {
		principal.ARN = p.ARN.ValueString()
	}
	caps, err := c.ScopeCapabilities(ctx, principal, scopes, docs)
	for i, cp := range caps {
		if cp.Scope == "" {
			// A combination through two scopes: the first scope it names.
			if m := scopeInPath.FindStringSubmatch(cp.Path); m != nil {
				caps[i].Scope = m[1]
			}
		}
	}
	framework.ScopeCapabilityDiagnostics(pol, r.subject(p), caps, err, added, framework.CapabilityWords{
		Grants: "policies", Source: "IAM", Holder: "identity", Narrower: "policy",
	}, diags)
}

// scopeInPath finds the first scope a plan-time capability path names.
var scopeInPath = regexp.MustCompile(`scope "([^"]+)"`)

// checkPoliciesExist asks IAM for each managed policy and group a changed
// scope list names, so a typo fails the plan rather than half an apply.
func (r *principalResource) checkPoliciesExist(ctx context.Context, scopes []string, diags *diag.Diagnostics) {
	sp, err := awsc.SplitScopes(scopes)
	if err != nil || len(sp.ARNs)+len(sp.Groups) == 0 {
		return
	}
	c, ok := iam(r.pd).ForPlan(ctx, diags) // not while the provider configuration is unknown: checked at apply
	if !ok {
		return
	}
	check := func(scope, what string, exists func(context.Context, string) (bool, error), v string) bool {
		ok, err := exists(ctx, v)
		switch {
		case err != nil:
			diags.AddAttributeError(path.Root("scopes"), "Cannot check the scopes", err.Error())
			return false
		case !ok:
			diags.AddAttributeError(path.Root("scopes"), "Scope names "+what+" that does not exist",
				fmt.Sprintf("scopes contains %q, but IAM has no such %s. Create it first (and reference it so Terraform orders the two), or fix the name.", scope, what))
		}
		return true
	}
	for _, a := range sp.ARNs {
		if !check("policy:"+a, "managed policy", c.PolicyExists, a) {
			return
		}
	}
	for _, g := range sp.Groups {
		if !check("group:"+g, "group", c.GroupExists, g) {
			return
		}
	}
}

// desired is a plan turned into what the connector needs.
func (r *principalResource) desired(ctx context.Context, m model, diags *diag.Diagnostics) awsc.PrincipalSpec {
	c := m.common()
	return awsc.PrincipalSpec{
		Spec: nhi.Spec{
			Ref:        r.ref(c),
			Governance: framework.GovernanceSpec(c.governance(ctx, diags), diags),
			Labels:     framework.StringMap(ctx, c.Tags, diags),
		},
		Path:           c.Path.ValueString(),
		InlinePolicies: framework.StringMap(ctx, c.InlinePolicies, diags),
		TrustPolicy:    m.trust().ValueString(),
	}
}

func (r *principalResource) Create(ctx context.Context, req resource.CreateRequest, resp *resource.CreateResponse) {
	defer r.identity().AfterCreate(ctx, resp)
	plan := r.newM()
	resp.Diagnostics.Append(req.Plan.Get(ctx, plan)...)
	d := r.desired(ctx, plan, &resp.Diagnostics)
	c, _ := iam(r.pd).OrDiag(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	found, err := r.kind.prov(c).Create(ctx, d)
	if errors.Is(err, awsc.ErrNotReadBack) {
		// It exists with its grants: record it, so the next plan refreshes
		// it instead of failing on "already exists".
		resp.Diagnostics.AddWarning("The "+r.subject(plan.common())+" was created, but reading it back failed",
			err.Error()+"\n\nIt is recorded in state as it was created; the next plan reads it again and shows any difference.")
		err = nil
	}
	if err != nil {
		resp.Diagnostics.AddError("Creating the "+r.subject(plan.common())+" failed", err.Error())
		return
	}
	r.setState(plan, found)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *principalResource) Read(ctx context.Context, req resource.ReadRequest, resp *resource.ReadResponse) {
	defer r.identity().AfterRead(ctx, req, resp)
	state := r.newM()
	resp.Diagnostics.Append(req.State.Get(ctx, state)...)
	c, _ := iam(r.pd).OrDiag(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	found, err := r.kind.prov(c).Get(ctx, r.ref(state.common()))
	if awsc.IsNotFound(err) {
		resp.State.RemoveResource(ctx)
		return
	}
	if err != nil {
		resp.Diagnostics.AddError("Reading the "+r.subject(state.common())+" failed", err.Error())
		return
	}
	r.readInto(ctx, state, found, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

func (r *principalResource) Update(ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse) {
	defer r.identity().AfterUpdate(ctx, resp)
	plan := r.newM()
	resp.Diagnostics.Append(req.Plan.Get(ctx, plan)...)
	d := r.desired(ctx, plan, &resp.Diagnostics)
	c, _ := iam(r.pd).OrDiag(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	prov := r.kind.prov(c)
	found, err := framework.ApplyUpdate(ctx, r.pd, prov, d, plan.common().Status)
	if err != nil {
		framework.RecordCurrent(ctx, req, resp, r.subject(plan.common()), err, prov, d.Ref, r.newM, r.readInto)
		return
	}
	r.setState(plan, found)
	resp.Diagnostics.Append(resp.State.Set(ctx, plan)...)
}

func (r *principalResource) Delete(ctx context.Context, req resource.DeleteRequest, resp *resource.DeleteResponse) {
	state := r.newM()
	resp.Diagnostics.Append(req.State.Get(ctx, state)...)
	c, _ := iam(r.pd).OrDiag(ctx, &resp.Diagnostics)
	if resp.Diagnostics.HasError() {
		return
	}
	if err := r.kind.prov(c).Delete(ctx, r.ref(state.common())); err != nil {
		resp.Diagnostics.AddError("Deleting the "+r.subject(state.common())+" failed", err.Error())
	}
}

// ImportState takes the name, or "<user|role>/<name>" as nhi_identities and
// drift reports give it.
func (r *principalResource) ImportState(ctx context.Context, req resource.ImportStateRequest, resp *resource.ImportStateResponse) {
	if r.identity().ImportByIdentity(ctx, req, resp) {
		return
	}
	name := strings.TrimPrefix(req.ID, r.kind.location+"/")
	if err := r.kind.nameCheck(name); err != nil {
		resp.Diagnostics.AddError("Invalid import ID",
			fmt.Sprintf("The import ID %q is not the name of an %s: %v. Import by name, for example:\n\n  terraform import nhi_%s.ci deployer", req.ID, r.kind.noun, err, r.kind.typeSuffix))
		return
	}
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("id"), r.kind.location+"/"+name)...)
	resp.Diagnostics.Append(resp.State.SetAttribute(ctx, path.Root("name"), name)...)
}

// setState records a create or update: computed values from IAM, the rest
// as planned.
func (r *principalResource) setState(m model, found awsc.Details) {
	c := m.common()
	c.ID = types.StringValue(found.Ref.String())
	c.ARN = types.StringValue(found.ARN)
	c.UniqueID = types.StringValue(found.ID)
	c.CreatedAt = types.StringValue(nhi.FormatTime(found.CreatedAt))
	c.EffectiveScopes = framework.StringSet(found.EffectiveScopes)
	if c.Status.IsUnknown() {
		c.Status = framework.StatusValue(r.pd, found.Identity)
	}
}

// readInto refreshes a model from the identity as found. Values equal to
// what the state holds keep their written form (set order, JSON spacing,
// date form of expires_at).
func (r *principalResource) readInto(ctx context.Context, m model, found awsc.Details, diags *diag.Diagnostics) {
	c := m.common()
	c.ID = types.StringValue(found.Ref.String())
	c.Name = types.StringValue(found.Ref.Name)
	c.Path = types.StringValue(found.Path)
	c.ARN = types.StringValue(found.ARN)
	c.UniqueID = types.StringValue(found.ID)
	c.CreatedAt = types.StringValue(nhi.FormatTime(found.CreatedAt))
	c.Owner, c.Purpose, c.ExpiresAt, c.OnExpiry = framework.ReadGovernance(found.Governance, c.ExpiresAt)
	c.Scopes = framework.ReadScopes(ctx, c.Scopes, found.Identity, nil, diags)
	if !found.Disabled {
		// A disabled identity holds no policies on purpose: its declared
		// documents stay as they are in state, and anything added out of
		// band shows in effective_scopes instead.
		c.InlinePolicies = keepDocs(ctx, c.InlinePolicies, found.InlinePolicies, diags)
	}
	c.Tags = framework.ReadLabels(ctx, c.Tags, found.Labels, diags)
	c.Status = framework.StatusValue(r.pd, found.Identity)
	c.EffectiveScopes = framework.StringSet(found.EffectiveScopes)
	if found.TrustPolicy != "" {
		prior := m.trust()
		if prior.IsNull() || prior.IsUnknown() || !awsc.EquivalentPolicies(prior.ValueString(), found.TrustPolicy) {
			m.setTrust(types.StringValue(found.TrustPolicy))
		}
	}
}

// keepDocs returns the found inline documents, keeping the prior string of
// each one that is the same JSON.
func keepDocs(ctx context.Context, prior types.Map, found map[string]string, diags *diag.Diagnostics) types.Map {
	before := framework.StringMap(ctx, prior, diags)
	if len(found) == 0 {
		if !prior.IsNull() && !prior.IsUnknown() && len(prior.Elements()) == 0 {
			return prior
		}
		return types.MapNull(types.StringType)
	}
	out := map[string]attr.Value{}
	for name, doc := range found {
		if b, ok := before[name]; ok && awsc.EquivalentPolicies(b, doc) {
			out[name] = types.StringValue(b)
		} else {
			out[name] = types.StringValue(doc)
		}
	}
	return types.MapValueMust(types.StringType, out)
}

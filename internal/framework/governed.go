package framework

import (
	"context"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// This file is the plumbing every governed identity resource shares, whatever
// its system: planning status and effective_scopes, the spec written from a
// plan, disable-or-update through the system's nhi.Provisioner with the state
// recorded after a failed update, and reading scopes, labels and status back.

// Canonical puts a resource's scopes in the form its system reports them in
// (such as a grant in the identity's own location written out in full), or
// says why one is not a scope. nil means the scopes are compared as written.
type Canonical func(scopes []string) ([]string, error)

// PlanStatusAndScopes plans status and effective_scopes from the outcome of
// PlanGovernance: unknown until the expiry is known, none once the plan
// disables the identity, and otherwise the declared scopes (unknown while
// scopes is nil, put in canonical form when canonical is set). A scope that
// canonical rejects is an attribute error on scopes.
func PlanStatusAndScopes(g GovernancePlan, scopes []string, canonical Canonical, diags *diag.Diagnostics) (types.String, types.Set) {
	switch {
	case !g.Known:
		return types.StringUnknown(), types.SetUnknown(types.StringType)
	case g.Decision.Disable:
		return statusValue(g.Decision.Status), types.SetValueMust(types.StringType, []attr.Value{})
	case scopes == nil:
		return statusValue(g.Decision.Status), types.SetUnknown(types.StringType)
	case canonical == nil:
		return statusValue(g.Decision.Status), StringSet(nhi.SortedUnique(scopes))
	}
	canon, err := canonical(scopes)
	if err != nil {
		diags.AddAttributeError(path.Root("scopes"), "Invalid scope", "scopes "+err.Error())
		return statusValue(g.Decision.Status), types.SetUnknown(types.StringType)
	}
	return statusValue(g.Decision.Status), StringSet(canon)
}

// ParseExpiryAttr parses the expires_at of a plan, adding an attribute error
// when it is not a valid expiry.
func ParseExpiryAttr(v ExpiryValue, diags *diag.Diagnostics) time.Time {
	exp, err := nhi.ParseExpiry(v.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("expires_at"), "Invalid expiry", "expires_at "+err.Error())
	}
	return exp
}

// StringMap returns a map's strings: empty when it is null or unknown.
func StringMap(ctx context.Context, m types.Map, diags *diag.Diagnostics) map[string]string {
	out := map[string]string{}
	if m.IsNull() || m.IsUnknown() {
		return out
	}
	diags.Append(m.ElementsAs(ctx, &out, false)...)
	return out
}

// GovernanceSpec is the governance a plan declares, as the connectors write
// it.
func GovernanceSpec(v GovernanceValues, diags *diag.Diagnostics) nhi.Governance {
	return nhi.Governance{
		Owner: v.Owner.ValueString(), Purpose: v.Purpose.ValueString(), Scopes: v.Scopes,
		ExpiresAt: ParseExpiryAttr(v.ExpiresAt, diags), OnExpiry: nhi.OnExpiry(v.OnExpiry.ValueString()),
	}
}

// ApplyUpdate writes a planned update of a governed identity: a disable,
// stamped with the evaluation time that decided it, when the plan's status
// is disabled, and an update otherwise.
func ApplyUpdate[S, F any](ctx context.Context, pd *ProviderData, p nhi.Provisioner[S, F], spec S, plannedStatus types.String) (F, error) {
	if plannedStatus.ValueString() == string(nhi.StatusDisabled) {
		return p.Disable(ctx, spec, pd.Clock.Now())
	}
	return p.Update(ctx, spec)
}

// RecordCurrent reports a failed update of the identity at ref (subject
// names it for people) and records in state what is true now, read again
// into the prior state, so that nothing half-applied is hidden: the next
// plan shows what is left to change. M is the resource's model (a pointer,
// as newModel makes it); readInto refreshes one from what was found.
func RecordCurrent[S, F, M any](ctx context.Context, req resource.UpdateRequest, resp *resource.UpdateResponse, subject string, err error,
	p nhi.Provisioner[S, F], ref nhi.Ref, newModel func() M, readInto func(context.Context, M, F, *diag.Diagnostics)) {
	resp.Diagnostics.AddError("Updating the "+subject+" failed", err.Error()+"\n\nThe next plan shows what is left to change.")
	cur, gerr := p.Get(ctx, ref)
	if gerr != nil {
		return
	}
	state := newModel()
	resp.Diagnostics.Append(req.State.Get(ctx, state)...)
	readInto(ctx, state, cur, &resp.Diagnostics)
	resp.Diagnostics.Append(resp.State.Set(ctx, state)...)
}

// StatusValue is the status of an identity as found, as of the provider's
// evaluation time.
func StatusValue(pd *ProviderData, id nhi.Identity) types.String {
	return statusValue(nhi.IdentityStatus(id, pd.Clock.Now(), pd.Policy.WarnBefore))
}

func statusValue(s nhi.Status) types.String { return types.StringValue(string(s)) }

// ReadScopes refreshes scopes from an identity as found. A declared one
// keeps the prior set when it holds the same scopes (compared in canonical
// form when canonical is set), so the written form stays; an undeclared one
// being adopted starts from its current grants, and the plan shows the way
// to the declared ones.
func ReadScopes(ctx context.Context, prior types.Set, id nhi.Identity, canonical Canonical, diags *diag.Diagnostics) types.Set {
	if id.Governance.Scopes == nil && !id.Declared {
		return StringSet(id.EffectiveScopes)
	}
	found := id.Governance.Scopes
	if prior.IsNull() || prior.IsUnknown() {
		return StringSet(found)
	}
	var p []string
	diags.Append(prior.ElementsAs(ctx, &p, false)...)
	a, b := p, found
	if canonical != nil {
		var err1, err2 error
		a, err1 = canonical(p)
		b, err2 = canonical(found)
		if err1 != nil || err2 != nil {
			return StringSet(found)
		}
	}
	if extra, missing := nhi.ScopeDiff(a, b); len(extra) == 0 && len(missing) == 0 {
		return prior
	}
	return StringSet(found)
}

// ReadLabels refreshes the labels (or tags) of an identity from those found:
// none found keeps an explicitly empty map and is null otherwise.
func ReadLabels(ctx context.Context, prior types.Map, found map[string]string, diags *diag.Diagnostics) types.Map {
	switch {
	case len(found) > 0:
		v, d := types.MapValueFrom(ctx, types.StringType, found)
		diags.Append(d...)
		return v
	case !prior.IsNull() && !prior.IsUnknown() && len(prior.Elements()) == 0:
		return prior
	}
	return types.MapNull(types.StringType)
}

// ValidateLabels checks each known entry of a labels (or tags) map with
// check, adding an error at the entry: summary, and the attribute's name
// followed by check's error.
func ValidateLabels(m types.Map, attr, summary string, check func(k, v string) error, diags *diag.Diagnostics) {
	if m.IsNull() || m.IsUnknown() {
		return
	}
	for k, v := range m.Elements() {
		s, ok := v.(types.String)
		if !ok || s.IsUnknown() {
			continue
		}
		if err := check(k, s.ValueString()); err != nil {
			diags.AddAttributeError(path.Root(attr).AtMapKey(k), summary, attr+" "+err.Error())
		}
	}
}

// PlanReplace plans the replacement of a credential: the string attributes
// strs and the bool attributes bools become unknown, and because is the
// attribute whose change requires it (rotation_due_at on rotation).
func PlanReplace(ctx context.Context, resp *resource.ModifyPlanResponse, because path.Path, strs, bools []string) {
	for _, p := range strs {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(p), types.StringUnknown())...)
	}
	for _, p := range bools {
		resp.Diagnostics.Append(resp.Plan.SetAttribute(ctx, path.Root(p), types.BoolUnknown())...)
	}
	resp.RequiresReplace = append(resp.RequiresReplace, because)
}

// RotationDueValue is rotation_due_at of a credential created at created
// with a rotation period: null when there is no rotation (period <= 0).
func RotationDueValue(created time.Time, period time.Duration) types.String {
	due, ok := nhi.RotationDue(created, period)
	if !ok {
		return types.StringNull()
	}
	return types.StringValue(nhi.FormatTime(due))
}

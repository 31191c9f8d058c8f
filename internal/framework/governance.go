package framework

import (
	"context"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-validators/setvalidator"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource/schema/stringdefault"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// GovernanceAttributes are the attributes every governed identity resource
// shares. scopeCheck validates one scope of the resource's system; scopeDoc
// documents the grammar.
func GovernanceAttributes(scopeCheck validator.String, scopeDoc string) map[string]schema.Attribute {
	return map[string]schema.Attribute{
		"owner": schema.StringAttribute{
			Required:            true,
			MarkdownDescription: "Person or team responsible for this identity, such as `team:payments` or `alice@example.com`. Must match the provider's `policy.owner_pattern` when one is set, and be an active person or team of the provider's `owners` directory when one is configured (a new or changed owner is refused otherwise; an owner who leaves later is warned about on every plan).",
			Validators:          []validator.String{NotBlank("owner")},
		},
		"purpose": schema.StringAttribute{
			Required:            true,
			MarkdownDescription: "Why this identity exists, in a sentence.",
			Validators:          []validator.String{NotBlank("purpose")},
		},
		"scopes": schema.SetAttribute{
			Required:            true,
			ElementType:         types.StringType,
			MarkdownDescription: "What this identity may do. " + scopeDoc + " Scopes are enforced: a grant made out of band shows in the next plan as a change that removes it.",
			Validators:          []validator.Set{setvalidator.ValueStringsAre(scopeCheck)},
		},
		"expires_at": schema.StringAttribute{
			Required:   true,
			CustomType: ExpiryType{},
			MarkdownDescription: "When this identity ends: an RFC 3339 timestamp (`2027-03-31T17:00:00Z`) or a date (`2027-03-31`, meaning 00:00 UTC that day). " +
				"Must be in the future when set, and no further away than the provider's `policy.max_lifetime`.",
			Validators: []validator.String{Expiry()},
		},
		"on_expiry": schema.StringAttribute{
			Optional: true,
			Computed: true,
			Default:  stringdefault.StaticString(string(nhi.OnExpiryDisable)),
			MarkdownDescription: "What a plan does once `expires_at` has passed: `disable` (default) plans an in-place change that removes every grant and keeps the identity, " +
				"`block` fails the plan until `expires_at` is extended or the resource removed, `warn` only warns.",
			Validators: []validator.String{OneOf(nhi.OnExpiryValues...)},
		},
		"status": schema.StringAttribute{
			Computed: true,
			MarkdownDescription: "`active`; `expiring` (within the provider's `policy.warn_before` of `expires_at`); `expired` (past `expires_at` and still holding its access, " +
				"with `on_expiry = \"warn\"`); or `disabled` (its access removed on expiry).",
		},
		"effective_scopes": schema.SetAttribute{
			Computed:            true,
			ElementType:         types.StringType,
			MarkdownDescription: "Every grant the system gives this identity, declared or not. After apply it equals `scopes`, or is empty when `status` is `disabled`.",
		},
	}
}

// GovernanceValues are the governance attributes of one plan or state.
type GovernanceValues struct {
	Owner     types.String
	Purpose   types.String
	Scopes    []string // nil when unknown
	ExpiresAt ExpiryValue
	OnExpiry  types.String
}

// GovernancePlan is the outcome of PlanGovernance.
type GovernancePlan struct {
	// Known is false when the expiry or on_expiry is not yet known.
	Known    bool
	Decision nhi.ExpiryDecision
	// ScopesChanged is true when creating or when scopes differ from state.
	ScopesChanged bool
}

// PlanOption changes how PlanGovernance plans.
type PlanOption func(*planOptions)

type planOptions struct {
	// manual names the system in which a person, not the provider, acts on
	// the identity (a resource with no connector); empty otherwise.
	manual string
}

// Manual is the option of resources with no connector to the identity's
// system: nothing but a person in that system can remove its access, so
// the expiry diagnostics say that instead of suggesting on_expiry =
// "disable" (which such resources refuse).
func Manual(system string) PlanOption { return func(o *planOptions) { o.manual = system } }

// PlanGovernance applies policy, the owner directory and the expiry rules to
// a planned identity, adding attribute errors and warnings. subject names
// the identity for people ("service account ci/deployer"). state is nil on
// create. ctx is ModifyPlan's: it ends the owner directory's lookups with
// the plan.
func PlanGovernance(ctx context.Context, pd *ProviderData, subject string, plan GovernanceValues, state *GovernanceValues, diags *diag.Diagnostics, opts ...PlanOption) GovernancePlan {
	var o planOptions
	for _, opt := range opts {
		opt(&o)
	}
	now := pd.Clock.Now()
	pol := pd.Policy
	out := GovernancePlan{ScopesChanged: state == nil || !sameSet(plan.Scopes, state.Scopes)}

	CheckOwner(pd, plan.Owner, diags)
	var priorOwner *types.String
	if state != nil {
		priorOwner = &state.Owner
	}
	// The owner directory is checked once the expiry is decided (on every
	// return): a plan that disables the expired identity warns about an
	// owner who left instead of failing, or the identity would keep its
	// access because its owner left.
	defer func() {
		disabling := o.manual == "" && out.Known && out.Decision.Phase == nhi.PhaseExpired && out.Decision.Disable
		checkOwnerDirectory(ctx, pd, subject, plan.Owner, priorOwner, disabling, diags)
	}()
	if plan.Scopes != nil {
		for _, v := range pol.CheckScopes(plan.Scopes) {
			diags.AddAttributeError(path.Root("scopes"), v.Summary, v.Detail)
		}
	}
	if plan.ExpiresAt.IsUnknown() || plan.OnExpiry.IsUnknown() {
		return out
	}
	exp, err := nhi.ParseExpiry(plan.ExpiresAt.ValueString())
	if err != nil {
		diags.AddAttributeError(path.Root("expires_at"), "Invalid expiry", "expires_at "+err.Error())
		return out
	}
	var prior *ExpiryValue
	if state != nil {
		prior = &state.ExpiresAt
	}
	if ExpiryChanged(exp, prior) {
		if nhi.Expired(now, exp) {
			diags.AddAttributeError(path.Root("expires_at"), "Expiry is in the past",
				fmt.Sprintf("expires_at %s is already past (as of %s). Set a future date for %s, no further away than policy.max_lifetime (%s).",
					nhi.FormatTime(exp), nhi.FormatTime(now), subject, nhi.FormatDuration(pol.MaxLifetime)))
			return out
		}
		CheckLifetime(pd, exp, diags)
	}

	d := nhi.DecideExpiry(now, exp, pol.WarnBefore, nhi.OnExpiry(plan.OnExpiry.ValueString()))
	out.Known, out.Decision = true, d
	day := exp.Format(time.RFC3339)
	switch {
	case o.manual != "" && d.Block:
		diags.AddAttributeError(path.Root("expires_at"), fmt.Sprintf("The %s has expired", subject),
			fmt.Sprintf("%s expired at %s (%s ago) and on_expiry is \"block\", so this plan cannot proceed. "+
				"To go on, either extend expires_at in a reviewed change if it is still needed, or remove it from %s by hand and then remove the resource. "+
				"The provider cannot disable it: it has no connector to %s.", subject, day, nhi.HumanDuration(d.Remaining), o.manual, o.manual))
	case o.manual != "" && d.Phase == nhi.PhaseExpired:
		diags.AddAttributeWarning(path.Root("expires_at"), fmt.Sprintf("The %s has expired but keeps its access", subject),
			fmt.Sprintf("%s expired at %s (%s ago) and on_expiry is \"warn\", so it keeps whatever access it has in %s: "+
				"the provider has no connector to remove it. Extend expires_at in a reviewed change if it is still needed; otherwise disable it in %s by hand and remove the resource, "+
				"or set on_expiry = \"block\" to make plans fail until one of those is done.", subject, day, nhi.HumanDuration(d.Remaining), o.manual, o.manual))
	case d.Block:
		diags.AddAttributeError(path.Root("expires_at"), fmt.Sprintf("The %s has expired", subject),
			fmt.Sprintf("%s expired at %s (%s ago) and on_expiry is \"block\", so this plan cannot proceed. To go on, either "+
				"extend expires_at in a reviewed change if it is still needed, set on_expiry = \"disable\" to remove its access, or remove the resource.",
				subject, day, nhi.HumanDuration(d.Remaining)))
	case d.Phase == nhi.PhaseExpired && d.Disable:
		diags.AddAttributeWarning(path.Root("expires_at"), fmt.Sprintf("The %s has expired and this plan disables it", subject),
			fmt.Sprintf("%s expired at %s (%s ago). This plan removes every grant it holds and turns its credentials off (token automount, access keys); the identity itself stays. "+
				"To re-enable it, extend expires_at in a reviewed change.", subject, day, nhi.HumanDuration(d.Remaining)))
	case d.Phase == nhi.PhaseExpired:
		diags.AddAttributeWarning(path.Root("expires_at"), fmt.Sprintf("The %s has expired but keeps its access", subject),
			fmt.Sprintf("%s expired at %s (%s ago) and on_expiry is \"warn\", so it still holds all its scopes. Extend expires_at in a reviewed change, "+
				"or set on_expiry = \"disable\" to remove its access.", subject, day, nhi.HumanDuration(d.Remaining)))
	case d.Phase == nhi.PhaseExpiring:
		diags.AddAttributeWarning(path.Root("expires_at"), fmt.Sprintf("The %s expires in %s", subject, nhi.HumanDuration(d.Remaining)),
			fmt.Sprintf("%s expires at %s (policy.warn_before is %s). If it is still needed, extend expires_at in a reviewed change; "+
				"otherwise on_expiry = %q applies then.", subject, day, nhi.FormatDuration(pol.WarnBefore), plan.OnExpiry.ValueString()))
	}
	return out
}

// CheckOwner applies the policy's owner_pattern to a planned owner (once it
// is known), adding an attribute error on owner.
func CheckOwner(pd *ProviderData, owner types.String, diags *diag.Diagnostics) {
	if owner.IsUnknown() || owner.IsNull() {
		return
	}
	if v := pd.Policy.CheckOwner(owner.ValueString()); v != nil {
		diags.AddAttributeError(path.Root("owner"), v.Summary, v.Detail)
	}
}

// ExpiryChanged reports whether a planned expiry exp is newly set: on create
// (prior is nil), or when the prior expiry is another instant or none.
// Policy applies to an expiry when it is set, so that tightening the policy
// does not fail the plans of what it already governs.
func ExpiryChanged(exp time.Time, prior *ExpiryValue) bool {
	if prior == nil {
		return true
	}
	prev, err := nhi.ParseExpiry(prior.ValueString())
	return err != nil || !prev.Equal(exp)
}

// CheckLifetime applies the policy's max_lifetime to a newly set expiry (see
// ExpiryChanged), adding an attribute error on expires_at.
func CheckLifetime(pd *ProviderData, exp time.Time, diags *diag.Diagnostics) {
	if v := pd.Policy.CheckLifetime(pd.Clock.Now(), exp); v != nil {
		diags.AddAttributeError(path.Root("expires_at"), v.Summary, v.Detail)
	}
}

func sameSet(a, b []string) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	extra, missing := nhi.ScopeDiff(a, b)
	return len(extra) == 0 && len(missing) == 0
}

// ReadGovernance returns owner, purpose, expires_at and on_expiry as found
// on an identity. expires_at keeps the written form in state ("2027-03-31")
// through semantic equality when it is the same instant, and a prior value
// when the identity records none; on_expiry defaults to "disable".
func ReadGovernance(g nhi.Governance, priorExpiry ExpiryValue) (owner, purpose types.String, expires ExpiryValue, onExpiry types.String) {
	owner, purpose, expires = types.StringValue(g.Owner), types.StringValue(g.Purpose), priorExpiry
	switch {
	case !g.ExpiresAt.IsZero():
		expires = NewExpiryValue(nhi.FormatTime(g.ExpiresAt))
	case priorExpiry.IsNull() || priorExpiry.IsUnknown():
		expires = NewExpiryValue("")
	}
	onExpiry = types.StringValue(string(nhi.OnExpiryDisable))
	if g.OnExpiry != "" {
		onExpiry = types.StringValue(string(g.OnExpiry))
	}
	return owner, purpose, expires, onExpiry
}

package framework

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

type fakeOwners struct {
	err     error
	lookups int
}

func (f *fakeOwners) Name() string { return "ldap://ldap.example.com:636" }
func (f *fakeOwners) Lookup(_ context.Context, owners []string) (map[string]nhi.OwnerStatus, error) {
	f.lookups++
	if f.err != nil {
		return nil, f.err
	}
	out := map[string]nhi.OwnerStatus{}
	for _, o := range owners {
		switch o {
		case "bob@example.com":
			out[o] = nhi.OwnerStatus{Found: true, Kind: nhi.OwnerPerson, Reason: nhi.OwnerDisabled, Successor: "carol@example.com"}
		case "team:legacy":
			out[o] = nhi.OwnerStatus{Found: true, Kind: nhi.OwnerTeam, Reason: nhi.OwnerNoActiveMember}
		case "alice@example.com", "team:platform":
			out[o] = nhi.ActiveOwner(nhi.OwnerPerson)
		default:
			out[o] = nhi.UnknownOwner("")
		}
	}
	return out, nil
}

func ownerPD(f *fakeOwners, req nhi.OwnerRequirement) *ProviderData {
	p := pd(nhi.DefaultPolicy())
	p.Owners = OwnerCheck{Directory: f, Require: req}
	return p
}

func withOwner(g GovernanceValues, owner string) GovernanceValues {
	g.Owner = types.StringValue(owner)
	return g
}

func TestPlanGovernanceOwnerDirectory(t *testing.T) {
	base := gov("2027-06-01", "disable")
	for name, c := range map[string]struct {
		req          nhi.OwnerRequirement
		plan, prior  string // prior "" is a create
		sev          diag.Severity
		summary, has string
	}{
		"create, departed":   {nhi.OwnerMustExistWarn, "bob@example.com", "", diag.SeverityError, "Owner is disabled in the owners directory", `"bob@example.com" is disabled in the owners directory ldap://ldap.example.com:636, so service account ci/deployer would have no responsible owner. Set owner to a current person or team (suggested: "carol@example.com"`},
		"create, unknown":    {nhi.OwnerMustExistWarn, "zed@example.com", "", diag.SeverityError, "Owner not found in the owners directory", `"zed@example.com" is not in the owners directory ldap://ldap.example.com:636`},
		"create, empty team": {nhi.OwnerMustExistWarn, "team:legacy", "", diag.SeverityError, "Owner team has no active member", `"team:legacy" is a team with no active member`},
		"change to departed": {nhi.OwnerMustExistWarn, "bob@example.com", "alice@example.com", diag.SeverityError, "Owner is disabled in the owners directory", "would have no responsible owner"},
		"existing, warn":     {nhi.OwnerMustExistWarn, "bob@example.com", "bob@example.com", diag.SeverityWarning, "Owner is disabled in the owners directory: this identity has no responsible owner", "This warning repeats on every plan"},
		"existing, error":    {nhi.OwnerMustExistError, "bob@example.com", "bob@example.com", diag.SeverityError, "Owner is disabled in the owners directory: this identity has no responsible owner", `policy.owner_must_exist is "error", so plans fail until owner is changed.`},
		"existing team, warn": {nhi.OwnerMustExistWarn, "team:legacy", "team:legacy", diag.SeverityWarning, "Owner team has no active member: this identity has no responsible owner",
			`"team:legacy" is a team with no active member in the owners directory ldap://ldap.example.com:636: service account ci/deployer has no responsible owner. Nothing is disabled or removed because of this; set owner to a current person or team in a reviewed change. This warning repeats on every plan; policy.owner_must_exist = "error" makes it fail the plan.`},
		"changed to active":       {nhi.OwnerMustExistError, "alice@example.com", "bob@example.com", 0, "", ""},
		"active":                  {nhi.OwnerMustExistWarn, "team:platform", "", 0, "", ""},
		"off, departed on create": {nhi.OwnerMustExistOff, "bob@example.com", "", 0, "", ""},
	} {
		t.Run(name, func(t *testing.T) {
			var diags diag.Diagnostics
			var state *GovernanceValues
			if c.prior != "" {
				s := withOwner(base, c.prior)
				state = &s
			}
			PlanGovernance(context.Background(), ownerPD(&fakeOwners{}, c.req), "service account ci/deployer", withOwner(base, c.plan), state, &diags)
			if c.summary == "" {
				if len(diags) != 0 {
					t.Fatalf("want no diagnostic, got %v", diags)
				}
				return
			}
			d := one(t, diags, c.sev)
			if attrPath(d) != "owner" || d.Summary() != c.summary || !strings.Contains(d.Detail(), c.has) {
				t.Errorf("got %s %q: %q", attrPath(d), d.Summary(), d.Detail())
			}
		})
	}
}

// A directory that cannot answer fails the plan naming the owners block;
// an unknown owner or owners block, or no directory, is not looked up.
func TestPlanGovernanceOwnerDirectoryUnavailable(t *testing.T) {
	f := &fakeOwners{err: errors.New("ldap://ldap.example.com:636: connecting: connection refused")}
	var diags diag.Diagnostics
	PlanGovernance(context.Background(), ownerPD(f, nhi.OwnerMustExistWarn), "service account ci/deployer", withOwner(gov("2027-06-01", "disable"), "alice@example.com"), nil, &diags)
	d := one(t, diags, diag.SeverityError)
	if d.Summary() != "Owners directory could not be read" || !strings.Contains(d.Detail(), "the provider's owners block (ldap://ldap.example.com:636): ldap://ldap.example.com:636: connecting: connection refused") {
		t.Errorf("got %q: %q", d.Summary(), d.Detail())
	}

	for name, p := range map[string]*ProviderData{
		"pending": func() *ProviderData {
			p := ownerPD(f, nhi.OwnerMustExistWarn)
			p.Owners.Pending = []string{"ldap.bind_password"}
			return p
		}(),
		"off":       ownerPD(f, nhi.OwnerMustExistOff),
		"no owners": pd(nhi.DefaultPolicy()),
	} {
		var diags diag.Diagnostics
		f.lookups = 0
		PlanGovernance(context.Background(), p, "x", withOwner(gov("2027-06-01", "disable"), "bob@example.com"), nil, &diags)
		if len(diags) != 0 || f.lookups != 0 {
			t.Errorf("%s: %v after %d lookups, want nothing", name, diags, f.lookups)
		}
	}
	var d2 diag.Diagnostics
	g := gov("2027-06-01", "disable")
	g.Owner = types.StringUnknown()
	f.lookups = 0
	PlanGovernance(context.Background(), ownerPD(f, nhi.OwnerMustExistWarn), "x", g, nil, &d2)
	if len(d2) != 0 || f.lookups != 0 {
		t.Errorf("unknown owner: %v, %d lookups", d2, f.lookups)
	}
}

// An expired identity whose owner left, with owner_must_exist = "error":
// the plan that disables it (on_expiry = "disable") warns on owner, still
// saying who left, so the disable goes ahead; with on_expiry "warn" or
// "block" nothing is disabled and the departed owner still fails the plan,
// as does a new owner who left.
func TestPlanGovernanceOwnerDirectoryExpiredDisable(t *testing.T) {
	expired := func(onExpiry, owner string) GovernanceValues { return withOwner(gov("2026-11-01", onExpiry), owner) }
	state := expired("disable", "bob@example.com")
	var diags diag.Diagnostics
	g := PlanGovernance(context.Background(), ownerPD(&fakeOwners{}, nhi.OwnerMustExistError), "service account ci/deployer", expired("disable", "bob@example.com"), &state, &diags)
	if diags.HasError() || !g.Known || !g.Decision.Disable {
		t.Fatalf("the disabling plan: %v, decision %+v; want warnings only and a disable", diags, g.Decision)
	}
	got := map[string]diag.Diagnostic{}
	for _, d := range diags {
		got[attrPath(d)] = d
	}
	if d := got["expires_at"]; len(diags) != 2 || d == nil || d.Summary() != "The service account ci/deployer has expired and this plan disables it" {
		t.Fatalf("want the expiry's disable warning and the owner's warning, got %v", diags)
	}
	want := `"bob@example.com" is disabled in the owners directory ldap://ldap.example.com:636: service account ci/deployer has no responsible owner. ` +
		`Nothing is disabled or removed because of this; set owner to a current person or team (suggested: "carol@example.com", the manager the directory names) in a reviewed change. ` +
		`policy.owner_must_exist is "error", but this plan disables service account ci/deployer (it has expired), so this is a warning and the disable goes ahead; ` +
		`plans fail again if it is re-enabled before owner is changed.`
	if d := got["owner"]; d == nil || d.Severity() != diag.SeverityWarning || d.Summary() != "Owner is disabled in the owners directory: this identity has no responsible owner" || d.Detail() != want {
		t.Errorf("owner diagnostic: %v", d)
	}

	for name, c := range map[string]struct{ onExpiry, plan, prior string }{
		"warn":                         {"warn", "bob@example.com", "bob@example.com"},
		"block":                        {"block", "bob@example.com", "bob@example.com"},
		"disable, changed to departed": {"disable", "bob@example.com", "alice@example.com"},
	} {
		t.Run(name, func(t *testing.T) {
			state := expired(c.onExpiry, c.prior)
			var diags diag.Diagnostics
			PlanGovernance(context.Background(), ownerPD(&fakeOwners{}, nhi.OwnerMustExistError), "service account ci/deployer", expired(c.onExpiry, c.plan), &state, &diags)
			var owner diag.Diagnostic
			for _, d := range diags {
				if attrPath(d) == "owner" {
					owner = d
				}
			}
			if owner == nil || owner.Severity() != diag.SeverityError || !strings.Contains(owner.Detail(), `"bob@example.com" is disabled in the owners directory`) {
				t.Errorf("want an error on owner, got %v", diags)
			}
		})
	}
}

package drift

import (
	"strings"
	"testing"
	"time"

	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// A system with no API: free-form kinds, governance in state, last use as
// activity (what an export-reading system declares).
var exportSystems = system.NewRegistry(k8s.Descriptor(), awsc.Descriptor(), system.Descriptor{
	Name: "tool", Title: "Tool",
	Kinds: []system.Kind{{Kind: "tool_identity", Label: "tool identity", ResourceType: "nhi_tool", LocationAttr: "system", NameAttr: "name",
		KindAttr: "kind", GovernedInState: true, LastUsedIsActivity: true}},
})

func ago(d time.Duration) *time.Time { t := now.Add(-d); return &t }

const day = 24 * time.Hour

func TestStateGovernedIdentities(t *testing.T) {
	gov := func(owner string, expires time.Duration, scopes ...string) *nhi.Governance {
		return &nhi.Governance{Owner: owner, Purpose: "p", Scopes: scopes, ExpiresAt: now.Add(expires), OnExpiry: nhi.OnExpiryWarn}
	}
	decl := func(name, kind string, g *nhi.Governance) Declaration {
		return Declaration{Address: "nhi_tool." + strings.ReplaceAll(name, "-", "_"), System: "tool", Kind: kind, ID: "crm/" + name, Governance: g}
	}
	row := func(name, kind string, mutate func(*nhi.Identity)) nhi.Identity {
		id := nhi.Identity{System: "tool", Kind: kind, ID: "uid-" + name, Ref: nhi.Ref{Location: "crm", Name: name}, CreatedAt: now.Add(-100 * day), LastUsedAt: ago(day)}
		if mutate != nil {
			mutate(&id)
		}
		return id
	}
	ids := []nhi.Identity{
		row("clean", "", func(id *nhi.Identity) { id.EffectiveScopes = []string{"api", "read"} }),
		row("no-scopes-listed", "bot", nil), // nil: the source lists no scopes
		row("widened", "bot", func(id *nhi.Identity) { id.EffectiveScopes = []string{"admin", "api"} }),
		row("expired", "api_key", nil),
		row("expired-off", "api_key", func(id *nhi.Identity) { id.Disabled, id.EffectiveScopes = true, []string{} }),
		row("expiring", "bot", nil),
		row("unowned", "bot", nil),
		row("stale", "bot", func(id *nhi.Identity) { id.LastUsedAt = ago(60 * day) }),
		row("never-used", "bot", func(id *nhi.Identity) { id.LastUsedAt = &time.Time{} }),
		row("stale-off", "bot", func(id *nhi.Identity) { id.Disabled, id.LastUsedAt = true, ago(60*day) }),
		row("stranger", "integration_user", func(id *nhi.Identity) { id.Governance.Owner = "someone" }),
	}
	decls := []Declaration{
		decl("clean", "integration_user", gov("team:a", 100*day, "api", "read")),
		decl("no-scopes-listed", "bot", gov("team:a", 100*day, "chat:write")),
		decl("widened", "bot", gov("team:a", 100*day, "api")),
		decl("expired", "api_key", gov("team:a", -day)),
		decl("expired-off", "api_key", gov("team:a", -day)),
		decl("expiring", "bot", gov("team:a", 10*day)),
		decl("unowned", "bot", gov("", 100*day)),
		decl("stale", "bot", gov("team:a", 100*day)),
		decl("never-used", "bot", gov("team:a", 100*day)),
		decl("stale-off", "bot", gov("team:a", 100*day)),
		decl("ghost", "oauth_app", gov("team:a", 100*day)),
	}
	// An AWS role's last use is not its activity: no NHI009 from it.
	role := nhi.Identity{System: awsc.SystemName, Kind: awsc.KindIAMRole, ID: "AROA1", Ref: awsc.RoleRef("r"), Declared: true, CreatedAt: now.Add(-100 * day), LastUsedAt: ago(90 * day),
		Governance: nhi.Governance{Owner: "team:a", ExpiresAt: now.Add(100 * day)}}
	r := Evaluate(Input{Systems: exportSystems, Now: now, Policy: DefaultPolicy(exportSystems), StateGiven: true,
		Declarations: append(decls, Declaration{Address: "nhi_aws_iam_role.r", System: awsc.SystemName, Kind: awsc.KindIAMRole, ID: "role/r", UID: "AROA1"}),
		Sources:      []Source{{Name: "crm", System: "tool", Locations: []string{"crm"}, Identities: ids}, {Name: "acct", System: awsc.SystemName, Identities: []nhi.Identity{role}}}})
	var got []string
	for _, f := range r.Findings {
		got = append(got, f.RuleID+" "+f.Identity.ID+" "+f.Identity.Kind+": "+f.Message)
	}
	want := []string{
		"NHI004 crm/expired api_key: api key crm/expired expired at 2027-01-14T00:00:00Z (24 hours ago) and is still active in its source",
		"NHI002 crm/ghost oauth_app: crm/ghost is declared in Terraform state as nhi_tool.ghost but does not exist in source \"crm\"",
		"NHI003 crm/widened bot: bot crm/widened holds undeclared admin",
		"NHI006 crm/unowned bot: bot crm/unowned is declared without an owner",
		"NHI001 crm/stranger integration_user: integration user crm/stranger exists in source \"crm\" but is not declared",
		"NHI009 crm/never-used bot: bot crm/never-used was never used and was created 100 days ago (stale_after 45d)",
		"NHI009 crm/stale bot: bot crm/stale was last used 60 days ago (stale_after 45d)",
		"NHI005 crm/expiring bot: bot crm/expiring expires at 2027-01-25T00:00:00Z, in 10 days",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range r.Findings {
		if f.Identity.ID == "crm/stranger" && f.Identity.Owner != "someone" {
			t.Errorf("the undeclared identity's owner from its source is not shown: %+v", f.Identity)
		}
	}
	// The identity without a kind of its own takes its declaration's.
	for _, s := range r.Scanned {
		if s.ID == "crm/clean" && s.Kind != "integration_user" {
			t.Errorf("crm/clean has kind %q, want the declared integration_user", s.Kind)
		}
	}
}

// Without a state nothing of such a system is declared, and an identity
// nobody gave a kind has the system's fallback kind.
func TestStateGovernedWithoutState(t *testing.T) {
	id := nhi.Identity{System: "tool", Ref: nhi.Ref{Location: "crm", Name: "x"}, Declared: true}
	r := Evaluate(Input{Systems: exportSystems, Now: now, Policy: DefaultPolicy(exportSystems), Sources: []Source{{Name: "crm", System: "tool", Identities: []nhi.Identity{id}}}})
	if got := rules(r); got != "NHI001:medium:crm/x" || r.Findings[0].Identity.Kind != "tool_identity" || !strings.HasPrefix(r.Findings[0].Message, "tool identity crm/x exists") {
		t.Errorf("findings %s: %+v", got, r.Findings)
	}
}

package drift

import (
	"strings"
	"testing"
	"time"

	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

var now = time.Date(2027, 1, 15, 0, 0, 0, 0, time.UTC)

func declared(name string, mutate func(*nhi.Identity)) nhi.Identity {
	id := nhi.Identity{
		System: k8s.SystemName, Kind: k8s.KindServiceAccount, Ref: nhi.Ref{Location: "ci", Name: name}, Declared: true,
		Governance:      nhi.Governance{Owner: "team:a", Scopes: []string{"clusterrole:view"}, ExpiresAt: now.Add(100 * 24 * time.Hour)},
		EffectiveScopes: []string{"clusterrole:view"}, CreatedAt: now.Add(-time.Hour), UsageKnown: true, UsedBy: []string{"Deployment ci/x"},
	}
	if mutate != nil {
		mutate(&id)
	}
	return id
}

func rules(r Report) string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.RuleID+":"+string(f.Severity)+":"+f.Identity.ID)
	}
	return strings.Join(out, " ")
}

func eval(pol Policy, ids ...nhi.Identity) Report {
	return Evaluate(Input{Systems: testSystems, Now: now, Policy: pol, Sources: []Source{{Name: "s", System: k8s.SystemName, Identities: ids}}})
}

func TestCleanIdentityHasNoFinding(t *testing.T) {
	if r := eval(DefaultPolicy(testSystems), declared("ok", nil)); len(r.Findings) != 0 || !r.Complete {
		t.Errorf("findings %s", rules(r))
	}
}

func TestCredentialAgeAndLifetime(t *testing.T) {
	pol := DefaultPolicy(testSystems)
	old := declared("old-key", func(id *nhi.Identity) {
		id.Credentials = []nhi.Credential{{ID: "k1", Kind: "access_key", CreatedAt: now.Add(-91 * 24 * time.Hour)}, {ID: "k2", Kind: "access_key", CreatedAt: now.Add(-89 * 24 * time.Hour)}}
	})
	forever := declared("forever", func(id *nhi.Identity) { id.Governance.ExpiresAt = now.Add(400 * 24 * time.Hour) })
	if got := rules(eval(pol, old, forever)); got != "NHI007:high:ci/forever NHI007:high:ci/old-key NHI013:medium:ci/old-key" {
		t.Errorf("got %s", got)
	}
}

func TestPrivilegedAndForbidden(t *testing.T) {
	pol := DefaultPolicy(testSystems)
	pol.ForbiddenScopes = []string{"clusterrole:edit@kube-system"}
	a := declared("a", func(id *nhi.Identity) {
		id.Governance.Scopes = []string{"clusterrole:edit@kube-system", "role:all"}
		id.EffectiveScopes = id.Governance.Scopes
		id.WildcardScopes = []string{"role:all"}
	})
	r := eval(pol, a)
	if len(r.Findings) != 1 || !strings.Contains(r.Findings[0].Message, "clusterrole:edit@kube-system (forbidden by policy), role:all (grants every verb on every resource)") {
		t.Errorf("got %s: %v", rules(r), r.Findings)
	}
}

func TestDisabledIdentityIsNotDrift(t *testing.T) {
	d := declared("off", func(id *nhi.Identity) {
		id.Disabled = true
		id.EffectiveScopes = nil
		id.Governance.ExpiresAt = now.Add(-24 * time.Hour)
	})
	if r := eval(DefaultPolicy(testSystems), d); len(r.Findings) != 0 {
		t.Errorf("a disabled, expired identity without grants is compliant: %s", rules(r))
	}
}

func TestMissingOnlyWhereScanned(t *testing.T) {
	in := Input{
		Systems: testSystems, Now: now, Policy: DefaultPolicy(testSystems), StateGiven: true,
		Sources: []Source{
			{Name: "a", System: k8s.SystemName, Locations: []string{"ci"}},
			{Name: "b", System: k8s.SystemName, Err: errString("refused")},
		},
		Declarations: []Declaration{
			{Address: "x.gone", System: k8s.SystemName, ID: "ci/gone"},
			{Address: "x.elsewhere", System: k8s.SystemName, ID: "other/app"},
		},
	}
	r := Evaluate(in)
	// other/app is in no namespace a complete source scanned: not judged.
	if rules(r) != "NHI002:high:ci/gone" || r.Complete {
		t.Errorf("got %s complete=%v", rules(r), r.Complete)
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestUndeclaredRiskRulesStillApply(t *testing.T) {
	u := nhi.Identity{System: k8s.SystemName, Kind: k8s.KindServiceAccount, Ref: nhi.Ref{Location: "ci", Name: "u"},
		CreatedAt: now.Add(-100 * 24 * time.Hour), UsageKnown: true}
	// Undeclared: NHI001 and stale, never NHI004-NHI006.
	if got := rules(eval(DefaultPolicy(testSystems), u)); got != "NHI001:medium:ci/u NHI009:medium:ci/u" {
		t.Errorf("got %s", got)
	}
}

func TestSeverityOrder(t *testing.T) {
	if SeverityCritical.Rank() <= SeverityHigh.Rank() || SeverityLow.Rank() <= Severity("").Rank() {
		t.Error("severity ranks out of order")
	}
	if _, ok := ParseSeverity("severe"); ok {
		t.Error("ParseSeverity accepted an unknown severity")
	}
	for _, r := range Catalog {
		if r.OWASP == "" || r.Remediation == "" || r.Description == "" {
			t.Errorf("rule %s is incomplete", r.ID)
		}
	}
}

package drift

import (
	"strings"
	"testing"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// A credential whose kind can expire but this one has no expiry (a
// password without VALID UNTIL) is long-lived when undeclared; one with an
// expiry is not.
func TestCredentialWithoutItsOwnExpiryIsLongLived(t *testing.T) {
	later := now.Add(30 * 24 * time.Hour)
	id := declared("db", func(id *nhi.Identity) {
		id.Declared, id.Governance = false, nhi.Governance{}
		id.Credentials = []nhi.Credential{
			{ID: "db/password", Kind: "access_key", NeverExpires: true, CreatedAt: now.Add(-time.Hour)},
			{ID: "db/other", Kind: "access_key", ExpiresAt: &later, CreatedAt: now.Add(-time.Hour)},
		}
	})
	r := eval(DefaultPolicy(testSystems), id)
	var long []string
	for _, f := range r.Findings {
		if f.RuleID == RuleLongLived {
			long = append(long, f.Message)
		}
	}
	if len(long) != 1 || !strings.Contains(long[0], "db/password that never expires") {
		t.Errorf("want one NHI007 for db/password, got %q (all: %s)", long, rules(r))
	}
}

// A credential past its own expiry that is still on while the identity
// holds grants is NHI004, once per credential; an expired declared
// identity is reported by its own expiry only, and an inactive credential
// or a disabled identity not at all.
func TestExpiredCredentialStillActive(t *testing.T) {
	past := now.Add(-48 * time.Hour)
	withCred := func(name string, mutate func(*nhi.Identity)) nhi.Identity {
		return declared(name, func(id *nhi.Identity) {
			id.Credentials = []nhi.Credential{{ID: name + "/password", Kind: "access_key", ExpiresAt: &past, CreatedAt: now.Add(-time.Hour)}}
			if mutate != nil {
				mutate(id)
			}
		})
	}
	on := withCred("on", nil)
	off := withCred("off", func(id *nhi.Identity) { id.Credentials[0].Inactive = true })
	noGrants := withCred("nogrants", func(id *nhi.Identity) { id.EffectiveScopes = nil; id.Governance.Scopes = nil })
	expired := withCred("expired", func(id *nhi.Identity) { id.Governance.ExpiresAt = past })
	r := eval(DefaultPolicy(testSystems), on, off, noGrants, expired)
	var got []string
	for _, f := range r.Findings {
		if f.RuleID == RuleExpired {
			got = append(got, f.Identity.ID+": "+f.Message)
		}
	}
	want := []string{
		"ci/expired: service account ci/expired expired at 2027-01-13T00:00:00Z (2 days ago) and still holds clusterrole:view",
		"ci/on: credential on/password of service account ci/on expired at 2027-01-13T00:00:00Z (2 days ago) but is still active while the identity holds clusterrole:view; its expiry stops this credential, not other ways of signing in",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("NHI004 findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// A scanner may say why an effective scope is privileged when its name
// does not (membership of a group that holds a privileged grant).
func TestPrivilegedWhyFromScanner(t *testing.T) {
	a := declared("grp", func(id *nhi.Identity) {
		id.Governance.Scopes = []string{"role:app-admins"}
		id.EffectiveScopes = id.Governance.Scopes
		id.PrivilegedWhy = map[string]string{"role:app-admins": "app-admins holds attribute:CREATEROLE"}
	})
	r := eval(DefaultPolicy(testSystems), a)
	if len(r.Findings) != 1 || r.Findings[0].RuleID != RulePrivileged || !strings.Contains(r.Findings[0].Message, "role:app-admins (app-admins holds attribute:CREATEROLE)") {
		t.Errorf("got %s: %v", rules(r), r.Findings)
	}
}

package drift

import (
	"strings"
	"testing"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// The reporter applies the policy's owner_pattern as the provider does: an
// owner that does not match the whole pattern is NHI006.
func TestOwnerPattern(t *testing.T) {
	pol := DefaultPolicy(testSystems)
	re, err := nhi.CompileOwnerPattern(`team:[a-z]+`)
	if err != nil {
		t.Fatal(err)
	}
	pol.OwnerPattern = re
	ok := declared("ok", nil) // owner "team:a"
	bad := declared("bad", func(id *nhi.Identity) { id.Governance.Owner = "alice@example.com" })
	partial := declared("partial", func(id *nhi.Identity) { id.Governance.Owner = "team:a-b" }) // the whole owner must match
	none := declared("none", func(id *nhi.Identity) { id.Governance.Owner = "" })
	r := eval(pol, ok, bad, partial, none)
	if got := rules(r); got != "NHI006:high:ci/bad NHI006:high:ci/none NHI006:high:ci/partial" {
		t.Fatalf("findings %s", got)
	}
	for _, f := range r.Findings {
		want := map[string]string{
			"ci/bad":     `service account ci/bad is owned by "alice@example.com", which does not match the policy's owner_pattern`,
			"ci/partial": `service account ci/partial is owned by "team:a-b", which does not match the policy's owner_pattern`,
			"ci/none":    "service account ci/none is declared without an owner",
		}[f.Identity.ID]
		if f.Message != want {
			t.Errorf("%s: %q, want %q", f.Identity.ID, f.Message, want)
		}
	}
	// Without a pattern every owner is allowed.
	if r := eval(DefaultPolicy(testSystems), bad); len(r.Findings) != 0 {
		t.Errorf("no owner_pattern: %s", rules(r))
	}
	// Undeclared identities have no owner to judge.
	u := declared("u", func(id *nhi.Identity) { id.Declared = false; id.Governance.Owner = "alice" })
	if got := rules(eval(pol, u)); strings.Contains(got, RuleOrphanedOwner) {
		t.Errorf("undeclared: %s", got)
	}
}

// The default privileged scopes are the systems', in registration order:
// the list the drift reporter guide documents.
func TestDefaultPrivilegedScopes(t *testing.T) {
	want := []string{"clusterrole:cluster-admin", "clusterrole:cluster-admin@*", "clusterrole:admin", "policy:arn:aws*:iam::aws:policy/AdministratorAccess"}
	if got := DefaultPolicy(testSystems).PrivilegedScopes; strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("privileged_scopes default %q, want %q", got, want)
	}
}

// An open trust of a public CI issuer (the connector marks GitHub Actions'
// shared one) is critical; of any other issuer, high.
func TestOpenTrustOfPublicIssuerIsCritical(t *testing.T) {
	role := func(name string, public bool) nhi.Identity {
		return declared(name, func(id *nhi.Identity) {
			id.Trusts = []nhi.Trust{{Principal: "arn:aws:iam::1:oidc-provider/x", Issuer: "x", Unrestricted: true, Reason: "no sub condition", PublicIssuer: public}}
		})
	}
	if got := rules(eval(DefaultPolicy(testSystems), role("public", true), role("private", false))); got != "NHI014:critical:ci/public NHI014:high:ci/private" {
		t.Errorf("findings %s", got)
	}
}

package drift

import (
	"errors"
	"strings"
	"testing"

	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

func owned(name, owner string) nhi.Identity {
	return declared(name, func(id *nhi.Identity) { id.Governance.Owner = owner })
}

// NHI006 says why an owner is gone and names the suggested successor.
func TestOwnerDirectoryReasons(t *testing.T) {
	owners := &Owners{Directory: "ldap://ldap.example.com:636", Status: map[string]nhi.OwnerStatus{
		"alice@example.com": nhi.ActiveOwner(nhi.OwnerPerson),
		"bob@example.com":   {Found: true, Kind: nhi.OwnerPerson, Reason: nhi.OwnerDisabled},
		"dave@example.com":  {Found: true, Kind: nhi.OwnerPerson, Reason: nhi.OwnerDisabled, Successor: "carol@example.com"},
		"team:legacy":       {Found: true, Kind: nhi.OwnerTeam, Reason: nhi.OwnerNoActiveMember},
		"zed@example.com":   nhi.UnknownOwner(""),
		"team:gone":         nhi.UnknownOwner(nhi.OwnerTeam),
	}}
	in := Input{Systems: testSystems, Now: now, Policy: DefaultPolicy(testSystems), Owners: owners, Sources: []Source{{Name: "s", System: k8s.SystemName, Identities: []nhi.Identity{
		owned("ok", "alice@example.com"), owned("bob", "bob@example.com"), owned("dave", "dave@example.com"), owned("legacy", "team:legacy"),
		owned("zed", "zed@example.com"), owned("gone", "team:gone"), owned("unasked", "someone@example.com"),
	}}}}
	r := Evaluate(in)
	want := map[string]string{
		"ci/bob":    `service account ci/bob is owned by "bob@example.com", who is disabled in the owners directory ldap://ldap.example.com:636`,
		"ci/dave":   `service account ci/dave is owned by "dave@example.com", who is disabled in the owners directory ldap://ldap.example.com:636; suggested new owner: "carol@example.com" (their manager)`,
		"ci/legacy": `service account ci/legacy is owned by "team:legacy", which is a team with no active member in the owners directory ldap://ldap.example.com:636`,
		"ci/zed":    `service account ci/zed is owned by "zed@example.com", who is not in the owners directory ldap://ldap.example.com:636`,
		"ci/gone":   `service account ci/gone is owned by "team:gone", which is not in the owners directory ldap://ldap.example.com:636`,
	}
	if got := rules(r); got != "NHI006:high:ci/bob NHI006:high:ci/dave NHI006:high:ci/gone NHI006:high:ci/legacy NHI006:high:ci/zed" {
		t.Fatalf("findings %s", got)
	}
	for _, f := range r.Findings {
		if f.Message != want[f.Identity.ID] {
			t.Errorf("%s:\n got %q\nwant %q", f.Identity.ID, f.Message, want[f.Identity.ID])
		}
	}
	if !r.Complete || r.Owners == nil || *r.Owners != (OwnersStatus{Directory: "ldap://ldap.example.com:636", Complete: true}) {
		t.Errorf("complete %v owners %+v", r.Complete, r.Owners)
	}
}

// A directory that could not answer makes the report incomplete and
// judges nobody by it: never "everyone left". A missing owner is still
// NHI006.
func TestOwnerDirectoryFailureIsIncomplete(t *testing.T) {
	in := Input{Systems: testSystems, Now: now, Policy: DefaultPolicy(testSystems),
		Owners:  &Owners{Directory: "ldap://ldap.example.com:636", Err: errors.New("ldap://ldap.example.com:636: connecting: connection refused")},
		Sources: []Source{{Name: "s", System: k8s.SystemName, Identities: []nhi.Identity{owned("a", "alice@example.com"), owned("none", "")}}}}
	r := Evaluate(in)
	if got := rules(r); got != "NHI006:high:ci/none" {
		t.Errorf("findings %s, want only the missing owner", got)
	}
	if r.Complete || r.Owners == nil || r.Owners.Complete || !strings.Contains(r.Owners.Error, "connection refused") {
		t.Errorf("complete %v owners %+v", r.Complete, r.Owners)
	}
}

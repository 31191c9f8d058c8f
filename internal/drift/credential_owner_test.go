package drift

import (
	"errors"
	"testing"

	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// withToken gives an identity a governed token Secret whose owner marker
// names owner.
func withToken(id nhi.Identity, name, owner string) nhi.Identity {
	id.Credentials = append(id.Credentials, nhi.Credential{ID: id.Ref.Location + "/" + name, Kind: k8s.CredentialLegacyToken,
		Declared: true, Owner: owner, CreatedAt: now.Add(-24 * 3600e9)})
	return id
}

// NHI006 applies to the owner recorded on a credential: a governed token
// whose owner left is one finding on that credential, with why and the
// suggested successor; an active owner, no recorded owner, or the
// identity's own owner (judged once, on the identity) is none.
func TestCredentialOwnerDirectory(t *testing.T) {
	dir := "ldap://ldap.example.com:636"
	owners := &Owners{Directory: dir, Status: map[string]nhi.OwnerStatus{
		"team:a":            nhi.ActiveOwner(nhi.OwnerTeam),
		"alice@example.com": nhi.ActiveOwner(nhi.OwnerPerson),
		"dave@example.com":  {Found: true, Kind: nhi.OwnerPerson, Reason: nhi.OwnerDisabled, Successor: "carol@example.com"},
		"team:legacy":       {Found: true, Kind: nhi.OwnerTeam, Reason: nhi.OwnerNoActiveMember},
		"bob@example.com":   {Found: true, Kind: nhi.OwnerPerson, Reason: nhi.OwnerDisabled},
	}}
	same := owned("same", "bob@example.com")
	ids := []nhi.Identity{
		withToken(withToken(declared("ci", nil), "ci-token", "dave@example.com"), "ci-ok", "alice@example.com"),
		withToken(declared("team", nil), "team-token", "team:legacy"),
		withToken(declared("none", nil), "none-token", ""),
		withToken(same, "same-token", "bob@example.com"),
	}
	in := Input{Systems: testSystems, Now: now, Policy: DefaultPolicy(testSystems), Owners: owners,
		Sources: []Source{{Name: "s", System: k8s.SystemName, Identities: ids}}}
	r := Evaluate(in)
	want := map[string]string{
		"ci/ci|credential:ci/ci-token": `legacy token Secret ci/ci-token of service account ci/ci is owned by "dave@example.com", who is disabled in the owners directory ` + dir +
			`; suggested new owner: "carol@example.com" (their manager)`,
		"ci/team|credential:ci/team-token": `legacy token Secret ci/team-token of service account ci/team is owned by "team:legacy", which is a team with no active member in the owners directory ` + dir,
		"ci/same|":                         `service account ci/same is owned by "bob@example.com", who is disabled in the owners directory ` + dir,
	}
	if got := rules(r); got != "NHI006:high:ci/ci NHI006:high:ci/same NHI006:high:ci/team" {
		t.Fatalf("findings %s", got)
	}
	for _, f := range r.Findings {
		k := f.Identity.ID + "|" + f.key
		if f.Message != want[k] {
			t.Errorf("%s:\n got %q\nwant %q", k, f.Message, want[k])
		}
	}

	// A directory that could not answer judges no credential either.
	in.Owners = &Owners{Directory: dir, Err: errors.New(dir + ": connecting: connection refused")}
	if r := Evaluate(in); rules(r) != "" || r.Complete {
		t.Errorf("directory down: findings %s, complete %v", rules(r), r.Complete)
	}
}

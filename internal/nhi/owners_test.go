package nhi

import "testing"

func TestTeamName(t *testing.T) {
	for owner, want := range map[string]string{"team:payments": "payments", "team: sre ": "sre", "team:": "", "payments": "", "alice@example.com": ""} {
		got, ok := TeamName(owner)
		if got != want || ok != (want != "") {
			t.Errorf("TeamName(%q) = %q, %v", owner, got, ok)
		}
	}
}

func TestOwnerStatusPhrase(t *testing.T) {
	for _, c := range []struct {
		st   OwnerStatus
		want string
	}{
		{ActiveOwner(OwnerPerson), ""},
		{UnknownOwner(""), "is not in the owners directory owners.txt"},
		{OwnerStatus{Found: true, Kind: OwnerPerson, Reason: OwnerDisabled}, "is disabled in the owners directory owners.txt"},
		{OwnerStatus{Found: true, Kind: OwnerTeam, Reason: OwnerNoActiveMember}, "is a team with no active member in the owners directory owners.txt"},
	} {
		if got := c.st.Phrase("owners.txt"); got != c.want {
			t.Errorf("%+v: %q, want %q", c.st, got, c.want)
		}
	}
}

// A new owner that is not active is refused whatever the requirement (but
// off); an existing one warns, or fails with "error"; nothing is ever
// disabled.
func TestCheckOwnerStatus(t *testing.T) {
	const dir = "ldap://ldap.example.com:636"
	gone := OwnerStatus{Found: true, Kind: OwnerPerson, Reason: OwnerDisabled, Successor: "carol@example.com"}
	if f := CheckOwnerStatus(OwnerMustExistWarn, "service account ci/x", "alice@example.com", ActiveOwner(OwnerPerson), dir, OwnerPlan{New: true}); f != nil {
		t.Errorf("active owner: %+v", f)
	}
	if f := CheckOwnerStatus(OwnerMustExistOff, "service account ci/x", "alice@example.com", gone, dir, OwnerPlan{New: true}); f != nil {
		t.Errorf("off: %+v", f)
	}
	f := CheckOwnerStatus(OwnerMustExistWarn, "service account ci/x", "alice@example.com", gone, dir, OwnerPlan{New: true})
	if f == nil || !f.Error || f.Summary != "Owner is disabled in the owners directory" ||
		f.Detail != `"alice@example.com" is disabled in the owners directory ldap://ldap.example.com:636, so service account ci/x would have no responsible owner. Set owner to a current person or team (suggested: "carol@example.com", the manager the directory names).` {
		t.Errorf("new owner: %+v", f)
	}
	f = CheckOwnerStatus(OwnerMustExistWarn, "service account ci/x", "alice@example.com", gone, dir, OwnerPlan{})
	if f == nil || f.Error || f.Summary != "Owner is disabled in the owners directory: this identity has no responsible owner" ||
		f.Detail != `"alice@example.com" is disabled in the owners directory ldap://ldap.example.com:636: service account ci/x has no responsible owner. Nothing is disabled or removed because of this; set owner to a current person or team (suggested: "carol@example.com", the manager the directory names) in a reviewed change. This warning repeats on every plan; policy.owner_must_exist = "error" makes it fail the plan.` {
		t.Errorf("existing, warn: %+v", f)
	}
	f = CheckOwnerStatus(OwnerMustExistError, "service account ci/x", "team:legacy", OwnerStatus{Found: true, Kind: OwnerTeam, Reason: OwnerNoActiveMember}, dir, OwnerPlan{})
	if f == nil || !f.Error || f.Summary != "Owner team has no active member: this identity has no responsible owner" ||
		f.Detail != `"team:legacy" is a team with no active member in the owners directory ldap://ldap.example.com:636: service account ci/x has no responsible owner. Nothing is disabled or removed because of this; set owner to a current person or team in a reviewed change. policy.owner_must_exist is "error", so plans fail until owner is changed.` {
		t.Errorf("existing, error: %+v", f)
	}
	// The plan that disables the expired identity is not the one that
	// fails: with "error" the departed owner is a warning there, still
	// saying who left; a new owner who left is still refused.
	f = CheckOwnerStatus(OwnerMustExistError, "service account ci/x", "alice@example.com", gone, dir, OwnerPlan{Disabling: true})
	if f == nil || f.Error || f.Summary != "Owner is disabled in the owners directory: this identity has no responsible owner" ||
		f.Detail != `"alice@example.com" is disabled in the owners directory ldap://ldap.example.com:636: service account ci/x has no responsible owner. Nothing is disabled or removed because of this; set owner to a current person or team (suggested: "carol@example.com", the manager the directory names) in a reviewed change. policy.owner_must_exist is "error", but this plan disables service account ci/x (it has expired), so this is a warning and the disable goes ahead; plans fail again if it is re-enabled before owner is changed.` {
		t.Errorf("existing, error, disabling: %+v", f)
	}
	if f := CheckOwnerStatus(OwnerMustExistError, "service account ci/x", "alice@example.com", gone, dir, OwnerPlan{New: true, Disabling: true}); f == nil || !f.Error {
		t.Errorf("new owner while disabling: %+v, want an error", f)
	}
}

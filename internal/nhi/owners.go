package nhi

import (
	"context"
	"fmt"
	"strings"
)

// OwnerDirectory is where people and teams come and go: an owners file, an
// LDAP directory (OpenLDAP, Active Directory, FreeIPA), later a SCIM 2.0
// service or a GitHub organisation's teams. The provider checks planned
// owners against it and the drift reporter judges NHI006 by it.
//
// Callers ask in bulk and through a cache (internal/owners.Cache), so one
// command reads the directory at most once per owner.
type OwnerDirectory interface {
	// Name names the directory for people, in messages: "ldap://host:port",
	// the path of an owners file.
	Name() string
	// Lookup returns the status of each of owners, keyed by the owner as
	// given; every owner asked for is in the map. An error means the
	// directory could not answer (unreachable, bind refused, timed out): it
	// never means that the owners left, and callers must not treat it so.
	Lookup(ctx context.Context, owners []string) (map[string]OwnerStatus, error)
}

// OwnerKind is what an owner is in the directory.
type OwnerKind string

// Owner kinds. A directory that cannot tell (an owners file) leaves the kind
// empty, except for owners written as "team:<name>".
const (
	OwnerPerson OwnerKind = "person"
	OwnerTeam   OwnerKind = "team"
)

// Why an owner is not an active, responsible owner (OwnerStatus.Reason).
const (
	OwnerNotFound       = "not found"
	OwnerDisabled       = "disabled"
	OwnerNoActiveMember = "team with no active member"
)

// TeamPrefix starts an owner that names a team: "team:payments". A
// directory resolves it to a group; a bare name may be a person or a group.
const TeamPrefix = "team:"

// TeamName returns the team of an owner written as "team:<name>".
func TeamName(owner string) (string, bool) {
	if !strings.HasPrefix(owner, TeamPrefix) {
		return "", false
	}
	name := strings.TrimSpace(strings.TrimPrefix(owner, TeamPrefix))
	return name, name != ""
}

// OwnerStatus is what a directory says about one owner.
type OwnerStatus struct {
	// Found is true when the directory has the owner (a person, or a team).
	Found bool
	// Active is true for a person who is not disabled, or a team with at
	// least one active member (nested teams resolved).
	Active bool
	// Kind is a person or a team; empty when the directory cannot tell.
	Kind OwnerKind
	// Reason says why the owner is not active: OwnerNotFound,
	// OwnerDisabled or OwnerNoActiveMember. Empty when Active.
	Reason string
	// Successor is the suggested new owner of what a departed person owned
	// (their manager, as the directory names people), or empty.
	Successor string
}

// ActiveOwner is the status of an active owner of kind k.
func ActiveOwner(k OwnerKind) OwnerStatus { return OwnerStatus{Found: true, Active: true, Kind: k} }

// UnknownOwner is the status of an owner the directory does not have.
func UnknownOwner(k OwnerKind) OwnerStatus {
	return OwnerStatus{Kind: k, Reason: OwnerNotFound}
}

// Phrase says why the owner is gone, after the owner's name: "is not in the
// owners directory owners.txt", "is disabled in the owners directory
// ldap://ldap.example.com:636", "is a team with no active member in the
// owners directory ...". Empty for an active owner.
func (s OwnerStatus) Phrase(directory string) string {
	switch {
	case s.Active:
		return ""
	case !s.Found || s.Reason == OwnerNotFound || s.Reason == "":
		return "is not in the owners directory " + directory
	case s.Reason == OwnerNoActiveMember:
		return "is a team with no active member in the owners directory " + directory
	default:
		return "is " + s.Reason + " in the owners directory " + directory
	}
}

// OwnerRequirement is the provider's policy.owner_must_exist: what a plan
// does with an existing identity whose owner has left the directory. A new
// owner (on create, or when owner changes) that the directory does not
// have as an active person or team is refused whenever the check is on.
type OwnerRequirement string

// Owner requirements.
const (
	// OwnerMustExistError fails the plan of an existing identity whose
	// owner has left, until owner is changed.
	OwnerMustExistError OwnerRequirement = "error"
	// OwnerMustExistWarn warns on every plan of an existing identity whose
	// owner has left (the default when a directory is configured).
	OwnerMustExistWarn OwnerRequirement = "warn"
	// OwnerMustExistOff does not consult the directory at plan time.
	OwnerMustExistOff OwnerRequirement = "off"
)

// OwnerRequirements lists the values of policy.owner_must_exist.
var OwnerRequirements = []string{string(OwnerMustExistError), string(OwnerMustExistWarn), string(OwnerMustExistOff)}

// OwnerFinding is what a plan says about one owner: a Violation, and
// whether it fails the plan.
type OwnerFinding struct {
	Violation
	Error bool
}

// OwnerPlan is what the plan being judged does to the identity.
type OwnerPlan struct {
	// New is true on create and when owner changes.
	New bool
	// Disabling is true when the plan disables the identity (expired,
	// on_expiry = "disable"): an existing identity's departed owner is then
	// a warning even with owner_must_exist = "error", so that the plan
	// that removes its access is not the one that fails.
	Disabling bool
}

// CheckOwnerStatus judges a planned owner by what the directory said.
// subject names the identity ("service account ci/deployer"). It never
// asks for anything to be disabled or destroyed: an owner who left is for
// people to resolve.
func CheckOwnerStatus(req OwnerRequirement, subject, owner string, st OwnerStatus, directory string, p OwnerPlan) *OwnerFinding {
	if req == OwnerMustExistOff || st.Active {
		return nil
	}
	why := fmt.Sprintf("%q %s", owner, st.Phrase(directory))
	suggest := "Set owner to a current person or team"
	if st.Successor != "" {
		suggest += fmt.Sprintf(" (suggested: %q, the manager the directory names)", st.Successor)
	}
	summary := map[string]string{
		OwnerNotFound:       "Owner not found in the owners directory",
		OwnerDisabled:       "Owner is disabled in the owners directory",
		OwnerNoActiveMember: "Owner team has no active member",
	}[st.Reason]
	if summary == "" {
		summary = "Owner is not active in the owners directory"
	}
	if p.New {
		return &OwnerFinding{Error: true, Violation: Violation{Summary: summary,
			Detail: fmt.Sprintf("%s, so %s would have no responsible owner. %s.", why, subject, suggest)}}
	}
	f := &OwnerFinding{Error: req == OwnerMustExistError, Violation: Violation{
		Summary: summary + ": this identity has no responsible owner",
		Detail: fmt.Sprintf("%s: %s has no responsible owner. Nothing is disabled or removed because of this; %s in a reviewed change.",
			why, subject, strings.ToLower(suggest[:1])+suggest[1:]),
	}}
	switch {
	case f.Error && p.Disabling:
		f.Error = false
		f.Detail += fmt.Sprintf(` policy.owner_must_exist is "error", but this plan disables %s (it has expired), so this is a warning and the disable goes ahead; `+
			`plans fail again if it is re-enabled before owner is changed.`, subject)
	case f.Error:
		f.Detail += ` policy.owner_must_exist is "error", so plans fail until owner is changed.`
	default:
		f.Detail += ` This warning repeats on every plan; policy.owner_must_exist = "error" makes it fail the plan.`
	}
	return f
}

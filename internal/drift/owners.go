package drift

import (
	"fmt"
	"strings"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// Owners is what the owner directory said about the owners of the
// evaluated identities, looked up in bulk before the evaluation
// (driftcmd), so the engine itself stays free of I/O.
type Owners struct {
	// Directory names the directory: "ldap://host:port", a file's path.
	Directory string
	// Status holds each owner looked up. An owner not in it is not judged
	// by the directory.
	Status map[string]nhi.OwnerStatus
	// Err is set when the directory could not answer: the report is
	// incomplete and no identity is judged by the directory (NHI006 still
	// flags a missing owner and owner_pattern).
	Err error
}

// OwnersStatus says whether the owner directory was read.
type OwnersStatus struct {
	Directory string `json:"directory"`
	Complete  bool   `json:"complete"`
	Error     string `json:"error,omitempty"`
}

// gone reports the directory's answer for one owner, when it has one
// and the owner is gone.
func (o *Owners) gone(owner string) (nhi.OwnerStatus, bool) {
	if o == nil || o.Err != nil {
		return nhi.OwnerStatus{}, false
	}
	st, ok := o.Status[owner]
	return st, ok && !st.Active
}

// orphanedMessage is NHI006's message for an owner the directory says is
// gone: why (not found, disabled, a team with no active member), and the
// suggested successor when the directory names one.
// subject names what is owned: "service account ci/deployer".
func orphanedMessage(subject, owner string, st nhi.OwnerStatus, directory string) string {
	who := "who"
	if st.Kind == nhi.OwnerTeam {
		who = "which"
	}
	msg := fmt.Sprintf("%s is owned by %q, %s %s", subject, owner, who, st.Phrase(directory))
	if st.Successor != "" {
		msg += fmt.Sprintf("; suggested new owner: %q (their manager)", st.Successor)
	}
	return msg
}

// credentialOwner is NHI006 on a credential whose recorded owner (a
// governed token's owner marker) the directory says is gone. An owner the
// same as a declared identity's is judged once, on the identity.
func (e *evaluator) credentialOwner(id nhi.Identity, ref IdentityRef, c nhi.Credential, loc *Location) {
	owner := strings.TrimSpace(c.Owner)
	if owner == "" || id.Declared && owner == strings.TrimSpace(id.Governance.Owner) {
		return
	}
	if st, gone := e.in.Owners.gone(owner); gone {
		subject := fmt.Sprintf("%s %s of %s %s", e.credentialName(c.Kind), c.ID, e.kindName(id.Kind), ref.ID)
		e.add(RuleOrphanedOwner, "", ref, "credential:"+c.ID, orphanedMessage(subject, owner, st, e.in.Owners.Directory), loc)
	}
}

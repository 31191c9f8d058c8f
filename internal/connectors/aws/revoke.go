package aws

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// The incident-response actions' side of IAM users and roles (nhi_disable,
// nhi_revoke_credentials): the provider's framework.Disabler and
// framework.CredentialRevoker, implemented on the client with the same
// DisableUser, DisableRole and access key calls the resources use.

// DisableIdentity disables a user or role now, as expiry does: a user's
// access keys are deactivated, every policy and group membership removed,
// and the disabled-at tag records at; a role keeps its trust policy. The
// governance and user tags stay as found.
func (c *Client) DisableIdentity(ctx context.Context, id nhi.Identity, at time.Time, changed func(string)) ([]string, []string, error) {
	spec := PrincipalSpec{
		Spec: nhi.Spec{Ref: id.Ref, Governance: id.Governance, Labels: id.Labels},
		Path: id.Path, TrustPolicy: id.TrustPolicy,
	}
	var after Details
	var err error
	var get func(context.Context, string) (Details, error)
	switch id.Kind {
	case KindIAMUser:
		after, err = c.DisableUser(ctx, spec, at)
		get = c.GetUser
	case KindIAMRole:
		after, err = c.DisableRole(ctx, spec, at)
		get = c.GetRole
	default:
		return nil, nil, fmt.Errorf("disabling %s %s: only IAM users and roles can be disabled", id.Kind, id.Ref)
	}
	if err != nil {
		if cur, gerr := get(ctx, id.Ref.Name); gerr == nil {
			reportDisable(id, cur.Identity, changed)
		}
		return nil, nil, err
	}
	reportDisable(id, after.Identity, changed)
	// IAM evaluates a session's permissions at each request, so sessions
	// issued before now lose what the identity lost: a note, not a usable
	// credential.
	var notes []string
	if id.Kind == KindIAMRole {
		notes = append(notes, fmt.Sprintf("sessions of IAM role %s assumed before now keep their credentials until they expire, but without the role's policies they can do nothing", id.Ref.Name))
	} else {
		notes = append(notes, fmt.Sprintf("sessions issued to IAM user %s before now (GetSessionToken, GetFederationToken) keep their credentials until they expire, but without the user's policies they can do nothing", id.Ref.Name))
	}
	return nil, notes, nil
}

func reportDisable(before, after nhi.Identity, changed func(string)) {
	noun := kindNoun(before.Kind)
	for _, s := range nhi.RemovedScopes(before, after) {
		changed(fmt.Sprintf("removed grant %s from %s %s", s, noun, before.Ref.Name))
	}
	off := map[string]bool{}
	for _, k := range after.Credentials {
		off[k.ID] = k.Inactive
	}
	for _, k := range before.Credentials {
		if !k.Inactive && off[k.ID] {
			changed(fmt.Sprintf("deactivated access key %s of %s %s", k.ID, noun, before.Ref.Name))
		}
	}
	if !before.Disabled && after.Disabled {
		changed(fmt.Sprintf("tagged %s %s disabled", noun, before.Ref.Name))
	}
}

// RevokeCredentials deletes every access key of a user, active or not,
// governed (nhi_aws_iam_access_key) or not: the key's own signatures fail
// once it is gone, and the next plan creates the governed keys again with
// new secrets. Key creates of this process for the user wait meanwhile.
// Sessions already issued with a key (GetSessionToken, GetFederationToken),
// or of a role (AssumeRole), outlive it until they expire: that is said as
// still usable. The console password, SSH public keys, service-specific
// credentials and signing certificates are not touched: a note says so. No
// session-revoking deny policy (aws:TokenIssueTime) is attached.
func (c *Client) RevokeCredentials(ctx context.Context, id nhi.Identity, changed func(string)) ([]string, []string, error) {
	switch id.Kind {
	case KindIAMRole:
		return []string{fmt.Sprintf("IAM role %s has no long-lived credentials, but sessions assumed before now keep theirs, with the role's policies, until they expire (nhi_disable removes what they can do)", id.Ref.Name)}, nil, nil
	case KindIAMUser:
	default:
		return nil, nil, fmt.Errorf("revoking the credentials of %s %s: only IAM users and roles are known here", id.Kind, id.Ref)
	}
	user := id.Ref.Name
	unlock, err := c.lockUserKeys(ctx, user)
	if err != nil {
		return nil, nil, err
	}
	defer unlock()
	keys, err := c.ListAccessKeys(ctx, user, false)
	if err != nil {
		return nil, nil, err
	}
	for _, k := range keys {
		if err := c.DeleteAccessKey(ctx, user, k.ID); err != nil {
			return nil, nil, err
		}
		state := "active"
		if k.Inactive {
			state = "inactive"
		}
		changed(fmt.Sprintf("deleted access key %s (%s) of IAM user %s", k.ID, state, user))
	}
	var usable []string
	notes := []string{fmt.Sprintf("only access keys are revoked: the console password, SSH public keys, service-specific credentials and signing certificates of IAM user %s are not touched", user)}
	if len(keys) > 0 {
		usable = append(usable, fmt.Sprintf("sessions issued with the deleted keys of IAM user %s before now (GetSessionToken, GetFederationToken) stay valid until they expire, up to 36 hours, with the user's policies (nhi_disable removes what they can do)", user))
		notes = append(notes, "the Secrets the keys were delivered to still hold the dead secrets until the next apply creates and delivers new keys")
	}
	return usable, notes, nil
}

func kindNoun(kind string) string {
	switch kind {
	case KindIAMUser:
		return "IAM user"
	case KindIAMRole:
		return "IAM role"
	}
	return strings.ReplaceAll(kind, "_", " ")
}

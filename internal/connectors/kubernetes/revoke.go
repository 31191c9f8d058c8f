package kubernetes

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// The incident-response actions' side of service accounts (nhi_disable,
// nhi_revoke_credentials): the provider's framework.Disabler and
// framework.CredentialRevoker, implemented on the client with the same
// Disable and token Secret deletes the resources use.

// DisableIdentity disables a service account now, as expiry does (Disable):
// every grant the provider reconciles is removed, token automount is turned
// off and the disabled-at annotation records at. The governance, labels and
// other annotations stay as found. changed is told each change, from the
// account as found before and after.
func (c *Client) DisableIdentity(ctx context.Context, id nhi.Identity, at time.Time, changed func(string)) ([]string, []string, error) {
	if id.Kind != KindServiceAccount {
		return nil, nil, fmt.Errorf("disabling %s %s: only service accounts can be disabled", id.Kind, id.Ref)
	}
	spec := ServiceAccountSpec{
		Spec:           nhi.Spec{Ref: id.Ref, Governance: id.Governance, Labels: id.Labels},
		AutomountToken: id.AutomountToken != nil && *id.AutomountToken,
	}
	after, err := c.Disable(ctx, spec, at)
	if err != nil {
		// What happened before the failure: read it again to report it.
		if cur, gerr := c.Get(ctx, id.Ref); gerr == nil {
			reportDisable(id, cur, changed)
		}
		return nil, nil, err
	}
	reportDisable(id, after, changed)
	// Tokens (stored or not) still authenticate as the account; only
	// what its groups grant is left to them.
	var usable, notes []string
	if len(after.EffectiveScopes) > 0 {
		usable = append(usable, fmt.Sprintf("service account %s still has %s through bindings to groups it belongs to (system:serviceaccounts, system:authenticated), which the provider does not edit: %s",
			id.Ref, plural(len(after.EffectiveScopes), "grant"), strings.Join(after.EffectiveScopes, ", ")))
	}
	if n := len(after.Credentials); n > 0 {
		notes = append(notes, fmt.Sprintf("service account %s keeps %s, which still authenticate as it, now without its grants; nhi_revoke_credentials deletes them",
			id.Ref, plural(n, "token Secret")))
	}
	return usable, notes, nil
}

// tokenRequestNote says that TokenRequest tokens outlive the action.
func tokenRequestNote(ref nhi.Ref) string {
	return fmt.Sprintf("tokens of service account %s issued through the TokenRequest API (projected Pod tokens, ephemeral tokens) are stored nowhere and stay valid until they expire; "+
		"deleting and recreating the service account ends them all", ref)
}

// reportDisable tells changed what differs between a service account before
// and after a disable.
func reportDisable(before, after nhi.Identity, changed func(string)) {
	for _, s := range nhi.RemovedScopes(before, after) {
		changed(fmt.Sprintf("removed grant %s from service account %s", s, before.Ref))
	}
	if (before.AutomountToken == nil || *before.AutomountToken) && after.AutomountToken != nil && !*after.AutomountToken {
		changed(fmt.Sprintf("turned token automount off for service account %s (new Pods get no token)", before.Ref))
	}
	if !before.Disabled && after.Disabled {
		changed(fmt.Sprintf("marked service account %s disabled", before.Ref))
	}
}

// RevokeCredentials deletes every token Secret of a service account, legacy
// or governed (nhi_kubernetes_service_account_token), each by UID so a
// Secret made again under the same name in the meantime is left alone. The
// API server rejects a deleted Secret's token at once. Tokens from the
// TokenRequest API are stored nowhere and cannot be revoked one by one: that
// is said as still usable.
func (c *Client) RevokeCredentials(ctx context.Context, id nhi.Identity, changed func(string)) ([]string, []string, error) {
	if id.Kind != KindServiceAccount {
		return nil, nil, fmt.Errorf("revoking the credentials of %s %s: only service accounts have credentials here", id.Kind, id.Ref)
	}
	// A fresh list, never the command's snapshot: a Secret made since the
	// snapshot must go too.
	creds, err := c.listTokenSecretsNow(ctx, id.Ref.Location)
	if err != nil {
		return nil, nil, err
	}
	defer c.tokensChanged()
	for _, cred := range creds[id.Ref] {
		ns, name, _ := strings.Cut(cred.ID, "/")
		if err := c.DeleteTokenSecret(ctx, nhi.Ref{Location: ns, Name: name}, cred.UID); err != nil {
			return nil, nil, err
		}
		what := "legacy token Secret"
		if cred.Declared || cred.MarkersIncomplete {
			what = "governed token Secret"
		}
		changed(fmt.Sprintf("deleted %s %s of service account %s", what, cred.ID, id.Ref))
	}
	return []string{tokenRequestNote(id.Ref)}, nil, nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

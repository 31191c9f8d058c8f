package postgresql

import (
	"context"
	"fmt"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// The incident-response actions' side of login roles (nhi_disable,
// nhi_revoke_credentials): the provider's framework.Disabler and
// framework.CredentialRevoker, implemented on the client with the same
// disable the resource uses.

// DisableIdentity disables a role now, as expiry does (Roles().Disable):
// NOLOGIN, every grant, membership and attribute revoked, disabled_at in
// its governance document; the password stays.
func (c *Client) DisableIdentity(ctx context.Context, id nhi.Identity, at time.Time, changed func(string)) ([]string, []string, error) {
	if id.Kind != KindRole {
		return nil, nil, fmt.Errorf("disabling %s %s: only login roles can be disabled", id.Kind, id.Ref)
	}
	spec := RoleSpec{Spec: nhi.Spec{Ref: id.Ref, Governance: id.Governance}}
	after, err := c.Roles().Disable(ctx, spec, at)
	if err != nil {
		if cur, gerr := c.Get(ctx, id.Ref); gerr == nil {
			reportDisable(id, cur, changed)
		}
		return nil, nil, err
	}
	reportDisable(id, after.Identity, changed)
	return []string{openSessions(id.Ref.Name) + ", without its grants"}, nil, nil
}

// openSessions says that sessions outlive the action.
func openSessions(role string) string {
	return fmt.Sprintf("sessions of PostgreSQL role %s opened before now stay open (pg_terminate_backend ends them)", role)
}

func reportDisable(before, after nhi.Identity, changed func(string)) {
	for _, s := range nhi.RemovedScopes(before, after) {
		changed(fmt.Sprintf("revoked %s from PostgreSQL role %s", s, before.Ref.Name))
	}
	if passwordLogin(before) && !passwordLogin(after) {
		changed(fmt.Sprintf("set NOLOGIN on PostgreSQL role %s", before.Ref.Name))
	}
	if !before.Disabled && after.Disabled {
		changed(fmt.Sprintf("recorded PostgreSQL role %s as disabled", before.Ref.Name))
	}
}

// passwordLogin reports whether a role may log in with its password, from its
// password credential (Inactive under NOLOGIN).
func passwordLogin(id nhi.Identity) bool {
	for _, cr := range id.Credentials {
		if cr.Kind == CredentialPassword && !cr.Inactive {
			return true
		}
	}
	return false
}

// RevokeCredentials removes a role's password (PASSWORD NULL) and, for a
// role this provider manages, clears password_changed_at in its governance
// document, in one transaction. The role keeps its grants; certificate,
// peer or trust authentication, which no password governs, is not changed.
func (c *Client) RevokeCredentials(ctx context.Context, id nhi.Identity, changed func(string)) ([]string, []string, error) {
	if id.Kind != KindRole {
		return nil, nil, fmt.Errorf("revoking the credentials of %s %s: only login roles have passwords", id.Kind, id.Ref)
	}
	name := id.Ref.Name
	cur, err := c.lookup(ctx, name)
	if err != nil {
		return nil, nil, err
	}
	usable := []string{openSessions(name),
		fmt.Sprintf("logins of PostgreSQL role %s that pg_hba.conf admits without a password (trust, peer, ident, cert), if any, still work", name)}
	if cur.password != nil && !*cur.password {
		return usable, []string{fmt.Sprintf("PostgreSQL role %s has no password; nothing to remove", name)}, nil
	}
	stmts := []string{"ALTER ROLE " + ident(name) + " PASSWORD NULL"}
	if cur.managed {
		g := cur.gov
		g.CreateToken = ""
		g.PasswordChangedAt = time.Time{}
		stmts = append(stmts, "COMMENT ON ROLE "+ident(name)+" IS "+literal(encodeGovernance(c.prefix, g)))
	}
	defer c.forget(name)
	if err := c.exec(ctx, "", "removing the password of PostgreSQL role "+name, stmts...); err != nil {
		return nil, nil, err
	}
	changed(fmt.Sprintf("removed the password of PostgreSQL role %s", name))
	return usable, nil, nil
}

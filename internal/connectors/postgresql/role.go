package postgresql

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nhi-ops/terraform-provider-nhi/internal/cleanup"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// RoleSpec is a declared login role.
type RoleSpec struct {
	// Spec holds Ref (Location "role", Name the role name) and Governance;
	// Labels are not used (roles have none).
	nhi.Spec
	// Password, when set, becomes the role's password (sent as a SCRAM
	// verifier, never in plain text); nil leaves the password as it is.
	// Never logged.
	Password *string
	// ClearPassword removes the password (PASSWORD NULL), for roles that
	// authenticate otherwise (certificates, peer). Ignored with Password.
	ClearPassword bool
}

// Details is a role as found.
type Details struct {
	// Identity's ID is the role's OID (decimal); Credentials holds the
	// password credential when a password is set or cannot be known.
	nhi.Identity
	CanLogin bool
	// ValidUntil is the role's VALID UNTIL (nil: none, or infinity).
	ValidUntil *time.Time
	// PasswordSet is false when the role has no password; true when it has
	// one, or when that cannot be read (only superusers can).
	PasswordSet bool
	// PasswordChangedAt is when the provider last set the password
	// (governance document); zero when unknown.
	PasswordChangedAt time.Time
}

// RoleRef is the reference of a role in the normalized model.
func RoleRef(name string) nhi.Ref { return nhi.Ref{Location: Location, Name: name} }

// ValidateRoleName checks a role name the provider may create: 1 to 63
// bytes (PostgreSQL's NAMEDATALEN - 1; longer names are silently
// truncated by the server), no NUL, not under the reserved "pg_" prefix and
// not one of the names PostgreSQL reserves.
func ValidateRoleName(name string) error {
	switch {
	case name == "":
		return errors.New("is empty; a role name is 1 to 63 bytes")
	case len(name) > 63:
		return fmt.Errorf("%q is %d bytes long; PostgreSQL role names hold at most 63 bytes (a longer name would be cut short)", name, len(name))
	case strings.IndexByte(name, 0) >= 0:
		return errors.New("holds a NUL character, which PostgreSQL names cannot")
	case strings.HasPrefix(name, "pg_"):
		return fmt.Errorf("%q starts with \"pg_\", which PostgreSQL reserves for its predefined roles; choose another name", name)
	}
	switch strings.ToLower(name) {
	case "public", "none", "current_user", "current_role", "session_user":
		return fmt.Errorf("%q is a name PostgreSQL reserves; choose another name", name)
	}
	return nil
}

// Roles is the write side of login roles; a ref's Name is the role name.
// Create is safe to repeat (a create token in the comment), and a role
// whose create failed half-way is dropped again.
func (c *Client) Roles() nhi.Provisioner[RoleSpec, Details] { return roles{c} }

type roles struct{ c *Client }

func (r roles) Get(ctx context.Context, ref nhi.Ref) (Details, error) {
	if err := checkRef(ref); err != nil {
		return Details{}, err
	}
	return r.c.snapshotRole(ctx, ref.Name)
}
func (r roles) Create(ctx context.Context, s RoleSpec) (Details, error) {
	return r.c.written(s.Ref.Name)(r.c.createRole(ctx, s))
}
func (r roles) Update(ctx context.Context, s RoleSpec) (Details, error) {
	return r.c.written(s.Ref.Name)(r.c.updateRole(ctx, s))
}
func (r roles) Disable(ctx context.Context, s RoleSpec, at time.Time) (Details, error) {
	return r.c.written(s.Ref.Name)(r.c.disableRole(ctx, s, at))
}
func (r roles) Delete(ctx context.Context, ref nhi.Ref) error {
	if err := checkRef(ref); err != nil {
		return err
	}
	defer r.c.forget(ref.Name)
	return r.c.deleteRole(ctx, ref.Name)
}

// written keeps the command's snapshot true to a write of role name: the
// role as read back after it, or, when the write failed, a mark that makes
// the next Get read the role again.
func (c *Client) written(name string) func(Details, error) (Details, error) {
	return func(d Details, err error) (Details, error) {
		if err != nil {
			c.forget(name)
		} else {
			c.remember(d)
		}
		return d, err
	}
}

func checkRef(ref nhi.Ref) error {
	if ref.Location != Location && ref.Location != "" {
		return fmt.Errorf("%q is not a PostgreSQL role reference: expected role/<name>: %w", ref.String(), nhi.ErrNotFound)
	}
	return nil
}

// ident quotes a name as an SQL identifier.
func ident(name string) string { return pgx.Identifier{name}.Sanitize() }

// literal quotes a string as an SQL literal, whatever
// standard_conforming_strings says.
func literal(s string) string {
	if strings.Contains(s, `\`) {
		return ` E'` + strings.NewReplacer(`\`, `\\`, `'`, `''`).Replace(s) + `'`
	}
	return `'` + strings.ReplaceAll(s, `'`, `''`) + `'`
}

// validUntil is the VALID UNTIL value of an expiry (infinity for none).
func validUntil(t time.Time) string {
	if t.IsZero() {
		return "'infinity'"
	}
	return literal(nhi.FormatTime(t))
}

// role is a role as its catalog row and comment describe it.
type role struct {
	oid        uint32
	name       string
	canLogin   bool
	validUntil *time.Time
	comment    string
	// password: nil when it cannot be read.
	password *bool
	gov      governance
	managed  bool
	// bad is why its comment, a governance document, could not be decoded
	// (listRoles): the role fails alone, not the whole listing.
	bad error
}

// canReadAuthid reports whether the connecting role may read pg_authid
// (superusers), which alone shows whether a role has a password.
func (c *Client) canReadAuthid(ctx context.Context) (bool, error) {
	c.authidMu.Lock()
	defer c.authidMu.Unlock()
	if c.authidKnown {
		return c.authid, nil
	}
	err := c.onDB(ctx, "", "checking whether the provider's role may read pg_authid", func(ctx context.Context, p *pgxpool.Pool) error {
		return p.QueryRow(ctx, `SELECT pg_catalog.has_table_privilege('pg_catalog.pg_authid', 'SELECT')`).Scan(&c.authid)
	})
	if err != nil {
		return false, err
	}
	c.authidKnown = true
	return c.authid, nil
}

// roleColumns are the columns every role query reads, from pg_authid (when
// readable) or pg_roles as r.
func roleColumns(authid bool) string {
	pw := "NULL::bool"
	if authid {
		pw = "r.rolpassword IS NOT NULL"
	}
	return `r.oid, r.rolname, r.rolcanlogin, r.rolvaliduntil, coalesce(pg_catalog.shobj_description(r.oid, 'pg_authid'), ''), ` + pw
}

func roleTable(authid bool) string {
	if authid {
		return "pg_catalog.pg_authid r"
	}
	return "pg_catalog.pg_roles r"
}

// scanRole reads one row of roleColumns (then the columns of extra, when
// the query has more) and decodes its governance. A role whose document
// does not decode is returned with the error.
func (c *Client) scanRole(row pgx.Row, extra ...any) (role, error) {
	var r role
	var vu pgtype.Timestamptz
	if err := row.Scan(append([]any{&r.oid, &r.name, &r.canLogin, &vu, &r.comment, &r.password}, extra...)...); err != nil {
		return role{}, err
	}
	if vu.Valid && vu.InfinityModifier == pgtype.Finite {
		t := vu.Time.UTC()
		r.validUntil = &t
	}
	var err error
	r.gov, r.managed, err = decodeGovernance(c.prefix, r.name, r.comment)
	return r, err
}

// lookup reads a role by name without its grants; a missing one is an
// error wrapping nhi.ErrNotFound.
func (c *Client) lookup(ctx context.Context, name string) (role, error) {
	authid, err := c.canReadAuthid(ctx)
	if err != nil {
		return role{}, err
	}
	var r role
	var decodeErr error
	err = c.onDB(ctx, "", "reading PostgreSQL role "+name, func(ctx context.Context, p *pgxpool.Pool) error {
		var err error
		r, err = c.scanRole(p.QueryRow(ctx, `SELECT `+roleColumns(authid)+` FROM `+roleTable(authid)+` WHERE r.rolname = $1`, name))
		if err != nil && !errors.Is(err, pgx.ErrNoRows) && r.name != "" {
			decodeErr, err = err, nil // the row was read; its document is bad
		}
		return err
	})
	if errors.Is(err, pgx.ErrNoRows) {
		return role{}, roleNotFound(name)
	}
	if err != nil {
		return role{}, err
	}
	return r, decodeErr
}

// details is the Details of a role with its effective scopes.
func (c *Client) details(r role, scopes []string) Details {
	d := Details{CanLogin: r.canLogin, ValidUntil: r.validUntil, PasswordSet: r.password == nil || *r.password}
	d.Identity = nhi.Identity{
		System: SystemName, Kind: KindRole, ID: fmt.Sprint(r.oid), Ref: RoleRef(r.name),
		Declared: r.managed, EffectiveScopes: scopes,
	}
	if d.EffectiveScopes == nil {
		d.EffectiveScopes = []string{}
	}
	if r.managed {
		d.Governance = r.gov.Governance
		d.Disabled = !r.gov.DisabledAt.IsZero()
		d.PasswordChangedAt = r.gov.PasswordChangedAt
	}
	if d.PasswordSet {
		d.Credentials = []nhi.Credential{{
			ID: r.name + "/password", Kind: CredentialPassword, CreatedAt: d.PasswordChangedAt,
			ExpiresAt: r.validUntil, Declared: r.managed, Inactive: !r.canLogin,
			// A password without VALID UNTIL is good for ever.
			NeverExpires: r.validUntil == nil,
		}}
	}
	return d
}

// getRole reads a role with its grants: one grant-state read, which has
// the role's catalog row too (readState).
func (c *Client) getRole(ctx context.Context, name string) (Details, error) {
	st, err := c.readState(ctx, name, nil)
	if err != nil {
		return Details{}, err
	}
	if st.rowErr != nil {
		return Details{}, st.rowErr
	}
	var declared []string
	if st.row.managed {
		declared = st.row.gov.Scopes
	}
	return c.details(*st.row, st.renderScopes(st.byName[name], declared)), nil
}

// current is a role as an Update or Disable finds it before writing: its
// catalog row and grant state, from the command snapshot when the provider
// has not written the role since it was loaded, else read (one grant-state
// read, which has the row too). need is the scopes the write declares
// (readState reads the databases they name).
func (c *Client) current(ctx context.Context, name string, need []string) (role, *grantState, error) {
	if st, r, ok := c.snapshotGrants(name); ok {
		return r, st, nil
	}
	st, err := c.readState(ctx, name, need)
	if err != nil {
		return role{}, nil, err
	}
	if st.rowErr != nil {
		return role{}, nil, st.rowErr
	}
	return *st.row, st, nil
}

// newCreateToken is a fresh token for one create.
func newCreateToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// declared is the governance a spec writes: canonical scopes (the spec's
// as given when they do not parse, so that a disable never fails on them).
func declared(s RoleSpec) governance {
	g := governance{Governance: s.Governance}
	if scopes, err := CanonicalScopes(s.Governance.Scopes); err == nil {
		g.Scopes = scopes
	} else {
		g.Scopes = nhi.SortedUnique(s.Governance.Scopes)
	}
	return g
}

// passwordClause is the PASSWORD clause a spec asks for ("" for none) and
// the instant to record as password_changed_at (zero: leave it, cleared
// reports whether to drop it). The password leaves as a SCRAM verifier.
func (c *Client) passwordClause(s RoleSpec) (clause string, changed time.Time, cleared bool, err error) {
	switch {
	case s.Password != nil:
		if err := ValidatePassword(*s.Password); err != nil {
			return "", time.Time{}, false, fmt.Errorf("the password of PostgreSQL role %q %w", s.Ref.Name, err)
		}
		v, err := scramVerifier(*s.Password)
		if err != nil {
			return "", time.Time{}, false, err
		}
		return " PASSWORD " + literal(v), c.now().UTC().Truncate(time.Second), false, nil
	case s.ClearPassword:
		return " PASSWORD NULL", time.Time{}, true, nil
	}
	return "", time.Time{}, false, nil
}

// createRole creates a login role, safe to repeat:
//
// One transaction of the maintenance database creates the role (LOGIN,
// VALID UNTIL = expires_at, the password when given) and writes its
// governance document with a fresh create token; the transaction is
// retried on transient failures like any statement. When a repeat, or a
// create whose answer was lost, meets "already exists", the role found by
// name is ours if its comment holds this create's token, and the create
// goes on with it; otherwise the name belongs to someone else and the error
// says to import it. Then the scopes are granted in every database (planned
// from an empty state: the role holds nothing yet) and read back to verify
// them; should that fail (or the apply be cancelled), the role is dropped
// again under internal/cleanup, so nothing half-made is left. The token is
// removed in the cluster-wide grant transaction (alone when there is none:
// then a failure to remove it is ignored, since it is bookkeeping that the
// next update rewrites and nothing reads). The verifying read is the
// read-back returned.
func (c *Client) createRole(ctx context.Context, s RoleSpec) (Details, error) {
	name := s.Ref.Name
	if err := checkRef(s.Ref); err != nil {
		return Details{}, err
	}
	if err := ValidateRoleName(name); err != nil {
		return Details{}, fmt.Errorf("role name %w", err)
	}
	g := declared(s)
	if _, err := CanonicalScopes(s.Governance.Scopes); err != nil {
		return Details{}, fmt.Errorf("PostgreSQL role %q: %w", name, err)
	}
	// What the scopes name must exist: checked first, so a typo makes no
	// role at all.
	if err := c.CheckScopes(ctx, g.Scopes); err != nil {
		return Details{}, err
	}
	pw, changed, _, err := c.passwordClause(s)
	if err != nil {
		return Details{}, err
	}
	g.PasswordChangedAt = changed
	token := newCreateToken()
	withToken := g
	withToken.CreateToken = token
	create := "CREATE ROLE " + ident(name) + " LOGIN VALID UNTIL " + validUntil(g.ExpiresAt) + pw
	comment := "COMMENT ON ROLE " + ident(name) + " IS " + literal(encodeGovernance(c.prefix, withToken))
	doing := "creating PostgreSQL role " + name
	err = c.inTx(ctx, "", doing, func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, create); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, comment)
		return err
	})
	if err != nil {
		if err = c.settleCreate(ctx, name, token, err); err != nil {
			return Details{}, err
		}
	}
	// The role holds nothing yet: the grants are planned without reading
	// it, CheckScopes is not repeated, the create token goes with the
	// cluster-wide grants, and the read that verifies the grants is the
	// read-back.
	back, err := c.reconcile(ctx, name, g.Scopes, reconcileOpts{checked: true, fresh: true,
		tokenRemoval: "COMMENT ON ROLE " + ident(name) + " IS " + literal(encodeGovernance(c.prefix, g))})
	if err != nil {
		if derr := cleanup.Do(ctx, func(cctx context.Context) error { return c.dropFresh(cctx, name) }); derr != nil {
			return Details{}, fmt.Errorf("%w; dropping the half-created role failed too: %v (drop PostgreSQL role %q by hand: DROP ROLE %s)", err, derr, name, ident(name))
		}
		return Details{}, fmt.Errorf("%w (the role was dropped again; nothing was left behind)", err)
	}
	if err := back.state.rowErr; err != nil {
		made := c.details(role{oid: back.state.row.oid, name: name, canLogin: true, validUntil: timePtr(g.ExpiresAt), password: boolPtr(s.Password != nil), gov: g, managed: true}, g.Scopes)
		return made, fmt.Errorf("PostgreSQL role %q was %w: %w", name, ErrNotReadBack, err)
	}
	return c.details(*back.state.row, back.scopes), nil
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func boolPtr(b bool) *bool { return &b }

// mayHaveRun reports whether a failed statement may have been carried out:
// its connection broke, or ctx ended, with the statement possibly out. A
// server error (other than one that ends the session) means it was not.
func mayHaveRun(err error) bool {
	return sqlState(err) == "" || transient(err)
}

// settleCreate decides what a failed create did; nil means the role exists
// and this create made it.
func (c *Client) settleCreate(ctx context.Context, name, token string, err error) error {
	exists := errors.Is(err, ErrAlreadyExists)
	if !exists && !mayHaveRun(err) {
		return createFailed(err, name)
	}
	if ctx.Err() != nil {
		// Cancelled with the create out: Terraform records nothing, so a
		// role this create made would be nobody's.
		var dropped bool
		derr := cleanup.Do(ctx, func(cctx context.Context) error {
			r, ferr := c.lookup(cctx, name)
			if IsNotFound(ferr) || (ferr == nil && r.gov.CreateToken != token) {
				return nil
			}
			if ferr != nil {
				return ferr
			}
			dropped = true
			return c.dropFresh(cctx, name)
		})
		switch {
		case derr != nil:
			return fmt.Errorf("%w\n\nThe create was cancelled while PostgreSQL may have been carrying it out, and checking for (or dropping) what it made failed: %v. "+
				"If role %q exists and nobody uses it, drop it, or import it", err, derr, name)
		case dropped:
			return fmt.Errorf("%w (the role it made was dropped again; nothing was left behind)", err)
		}
		return fmt.Errorf("%w (no role was made)", err)
	}
	r, ferr := c.lookup(ctx, name)
	switch {
	case ferr == nil && r.managed && r.gov.CreateToken == token:
		return nil
	case ferr == nil || (exists && IsNotFound(ferr)):
		if !exists {
			err = fmt.Errorf("%w; a role named %q exists, but it carries no token of this create: %w", err, name, ErrAlreadyExists)
		}
		return createFailed(err, name)
	case IsNotFound(ferr):
		return fmt.Errorf("%w (no role was made: reading it by name found none)", err)
	}
	return fmt.Errorf("%w\n\nWhether PostgreSQL made the role is unknown: reading it by name failed too (%v). If role %q exists, the next apply reports it exists already; "+
		"import it, or drop it if nobody uses it", err, ferr, name)
}

// createFailed explains a failed create, with the way out when the name is
// taken.
func createFailed(err error, name string) error {
	if errors.Is(err, ErrAlreadyExists) {
		return fmt.Errorf("%w\n\nA PostgreSQL role named %q exists already. Import it (terraform import <address> %s) to declare it, or choose another name", err, name, name)
	}
	return err
}

// dropFresh drops a role this create just made (it owns nothing yet; what
// it was granted goes with DROP OWNED).
func (c *Client) dropFresh(ctx context.Context, name string) error {
	return c.deleteRole(ctx, name)
}

// updateRole makes an existing role what its spec declares: the declared
// grants in every database, then LOGIN, VALID UNTIL = expires_at, the
// password when the spec sets one, and the governance document (which
// keeps the recorded password_changed_at, and loses disabled_at: an update
// lifts a disable). Grants come first, so a failure leaves a disabled role
// disabled.
func (c *Client) updateRole(ctx context.Context, s RoleSpec) (Details, error) {
	name := s.Ref.Name
	if err := checkRef(s.Ref); err != nil {
		return Details{}, err
	}
	if _, err := CanonicalScopes(s.Governance.Scopes); err != nil {
		return Details{}, fmt.Errorf("PostgreSQL role %q: %w", name, err)
	}
	g := declared(s)
	cur, before, err := c.current(ctx, name, g.Scopes)
	if err != nil {
		return Details{}, err
	}
	if cur.managed {
		g.PasswordChangedAt = cur.gov.PasswordChangedAt
	}
	if err := c.CheckScopes(ctx, g.Scopes); err != nil {
		return Details{}, err
	}
	pw, changed, cleared, err := c.passwordClause(s)
	if err != nil {
		return Details{}, err
	}
	switch {
	case !changed.IsZero():
		g.PasswordChangedAt = changed
	case cleared:
		g.PasswordChangedAt = time.Time{}
	}
	back, err := c.reconcile(ctx, name, g.Scopes, reconcileOpts{checked: true, before: before})
	if err != nil {
		return Details{}, err
	}
	err = c.execAtomic(ctx, "", "updating PostgreSQL role "+name, []string{
		"ALTER ROLE " + ident(name) + " LOGIN VALID UNTIL " + validUntil(g.ExpiresAt) + pw,
		"COMMENT ON ROLE " + ident(name) + " IS " + literal(encodeGovernance(c.prefix, g))}, nil)
	if err != nil {
		return Details{}, err
	}
	// The grants were verified just now; the row shows the rest.
	r, err := c.lookup(ctx, name)
	if err != nil {
		return Details{}, err
	}
	return c.details(r, back.scopes), nil
}

// disableRole is what expiry does: NOLOGIN first (no new session), then
// every grant, membership and attribute revoked, the role kept with
// disabled_at in its governance document (the first disable time is kept
// across repeats). VALID UNTIL is set to expires_at (as an update would);
// the password stays unless ClearPassword removes it, so an update that
// lifts the disable restores the role as it was. The role is read once
// before (or taken from the command snapshot) and once after, which
// verifies the revokes and is the read-back.
func (c *Client) disableRole(ctx context.Context, s RoleSpec, at time.Time) (Details, error) {
	name := s.Ref.Name
	if err := checkRef(s.Ref); err != nil {
		return Details{}, err
	}
	g := declared(s)
	cur, before, err := c.current(ctx, name, g.Scopes)
	if err != nil {
		return Details{}, err
	}
	g.DisabledAt = at.UTC().Truncate(time.Second)
	if cur.managed {
		g.PasswordChangedAt = cur.gov.PasswordChangedAt
		if !cur.gov.DisabledAt.IsZero() {
			g.DisabledAt = cur.gov.DisabledAt
		}
	}
	// VALID UNTIL follows expires_at as in an update (the plan says
	// valid_until = expires_at); ClearPassword removes the password (a
	// disable that also drops kubernetes_secret); a new password is
	// SetPassword's, after the disable.
	pw := ""
	if s.ClearPassword {
		pw, g.PasswordChangedAt = " PASSWORD NULL", time.Time{}
	}
	err = c.execAtomic(ctx, "", "disabling PostgreSQL role "+name, []string{
		"ALTER ROLE " + ident(name) + " NOLOGIN VALID UNTIL " + validUntil(g.ExpiresAt) + pw,
		"COMMENT ON ROLE " + ident(name) + " IS " + literal(encodeGovernance(c.prefix, g))}, nil)
	if err != nil {
		return Details{}, err
	}
	// NOLOGIN and the comment leave the grants as read before.
	back, err := c.reconcile(ctx, name, nil, reconcileOpts{checked: true, before: before, declared: nonNil(g.Scopes), rowAfter: true})
	if err != nil {
		return Details{}, err
	}
	return c.details(*back.state.row, back.scopes), nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// SetPassword sets a role's password (sent as a SCRAM verifier) and, for a
// role this provider manages, records password_changed_at in its
// governance document; it returns that instant.
func (c *Client) SetPassword(ctx context.Context, name, password string) (time.Time, error) {
	if err := ValidatePassword(password); err != nil {
		return time.Time{}, fmt.Errorf("the password of PostgreSQL role %q %w", name, err)
	}
	cur, err := c.lookup(ctx, name)
	if err != nil {
		return time.Time{}, err
	}
	v, err := scramVerifier(password)
	if err != nil {
		return time.Time{}, err
	}
	at := c.now().UTC().Truncate(time.Second)
	stmts := []string{"ALTER ROLE " + ident(name) + " PASSWORD " + literal(v)}
	if cur.managed {
		g := cur.gov
		g.CreateToken = ""
		g.PasswordChangedAt = at
		stmts = append(stmts, "COMMENT ON ROLE "+ident(name)+" IS "+literal(encodeGovernance(c.prefix, g)))
	}
	defer c.forget(name)
	if err := c.exec(ctx, "", "setting the password of PostgreSQL role "+name, stmts...); err != nil {
		return time.Time{}, err
	}
	return at, nil
}

package postgresql

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

var _ nhi.Scanner = (*Client)(nil)

// Identities are the roles with LOGIN and the roles carrying this
// provider's marker (a disabled governed role is NOLOGIN and still an
// identity). Group roles (NOLOGIN, unmarked) are left out entirely: they
// are not identities, their grants count toward their members. The
// comment filter in SQL is a cheap superset; the marker is checked in Go.
const identityFilter = `(r.rolcanlogin OR pg_catalog.shobj_description(r.oid, 'pg_authid') IS NOT NULL)`

// Get reads one login role ("role/<name>"). A group role (NOLOGIN without
// the marker) is not an identity: not found.
func (c *Client) Get(ctx context.Context, ref nhi.Ref) (nhi.Identity, error) {
	if ref.Location != Location {
		return nhi.Identity{}, fmt.Errorf("%q is not a PostgreSQL identity reference: expected role/<name>: %w", ref.String(), nhi.ErrNotFound)
	}
	d, err := c.getRole(ctx, ref.Name)
	if err != nil {
		return nhi.Identity{}, err
	}
	if !d.CanLogin && !d.Declared {
		return nhi.Identity{}, fmt.Errorf("PostgreSQL role %q is a group role (NOLOGIN), not a login role: %w", ref.Name, nhi.ErrNotFound)
	}
	return d.Identity, nil
}

// wantsRoles reports whether a location filter includes roles.
func wantsRoles(locations []string) bool {
	if len(locations) == 0 {
		return true
	}
	for _, l := range locations {
		if l == Location {
			return true
		}
	}
	return false
}

// List returns one page of login roles in role name order; the page token
// is the last role name of the page before. Each page reads the grants of
// every role at once (a constant number of queries per database), so when
// the caller leaves the page size to the connector (PageSize 0) the whole
// listing is one page: one pass instead of one grant read per page.
func (c *Client) List(ctx context.Context, opts nhi.ListOptions) (nhi.Page, error) {
	if !wantsRoles(opts.Locations) {
		return nhi.Page{}, nil
	}
	size := opts.PageSize
	limit := 0
	if size > 0 {
		limit = size + 1
	}
	rs, err := c.listRoles(ctx, opts.PageToken, limit)
	if err != nil {
		return nhi.Page{}, err
	}
	if err := undecodable(rs); err != nil {
		return nhi.Page{}, err
	}
	var page nhi.Page
	if size > 0 && len(rs) > size {
		rs = rs[:size]
		page.NextPageToken = rs[size-1].name
	}
	ds, err := c.withGrants(ctx, identities(rs))
	if err != nil {
		return nhi.Page{}, err
	}
	for _, d := range ds {
		if opts.Declared != nil && d.Declared != *opts.Declared {
			continue
		}
		if opts.Owner != "" && d.Governance.Owner != opts.Owner {
			continue
		}
		page.Identities = append(page.Identities, d.Identity)
	}
	return page, nil
}

// listRoles reads, in name order, up to limit (0: every) roles that may be
// identities, with names after after.
func (c *Client) listRoles(ctx context.Context, after string, limit int) ([]role, error) {
	authid, err := c.canReadAuthid(ctx)
	if err != nil {
		return nil, err
	}
	q := `SELECT ` + roleColumns(authid) + ` FROM ` + roleTable(authid) + ` WHERE ` + identityFilter + ` AND r.rolname > $1 ORDER BY r.rolname`
	args := []any{after}
	if limit > 0 {
		q += ` LIMIT $2`
		args = append(args, limit)
	}
	var out []role
	err = c.onDB(ctx, "", "listing PostgreSQL roles", func(ctx context.Context, p *pgxpool.Pool) error {
		out = out[:0]
		rows, err := p.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			r, err := c.scanRole(rows)
			if err != nil && r.name == "" {
				return err
			}
			r.bad = err // a bad document fails that role alone
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// identities keeps the roles that are identities: LOGIN, or marked.
func identities(rs []role) []role {
	out := rs[:0:0]
	for _, r := range rs {
		if r.canLogin || r.managed || r.bad != nil {
			out = append(out, r)
		}
	}
	return out
}

// undecodable is an error naming every role of rs whose governance
// document cannot be decoded (wrapping ErrBadDocument and each decode
// error), or nil. List and Scan return it instead of a listing that would
// show such a role as undeclared: the reader learns which role to fix
// (apply its resource, upgrade the provider, or remove the comment). Get
// of any other role, and Read through the snapshot, are unaffected.
func undecodable(rs []role) error {
	var names []string
	var errs []error
	for _, r := range rs {
		if r.bad != nil {
			names = append(names, r.name)
			errs = append(errs, r.bad)
		}
	}
	if len(names) == 0 {
		return nil
	}
	return fmt.Errorf("%w: the governance document of PostgreSQL role(s) %s cannot be read, so whether they are declared is unknown: %w",
		ErrBadDocument, strings.Join(names, ", "), errors.Join(errs...))
}

// ErrBadDocument is wrapped by List and Scan errors naming roles whose
// governance document cannot be decoded.
var ErrBadDocument = errors.New("undecodable governance document")

// withGrants completes roles with their effective scopes, read for every
// role at once.
func (c *Client) withGrants(ctx context.Context, rs []role) ([]Details, error) {
	if len(rs) == 0 {
		return nil, nil
	}
	declared := make(map[string][]string, len(rs))
	for _, r := range rs {
		if r.managed {
			declared[r.name] = r.gov.Scopes
		}
	}
	all, err := c.readAllGrantsFor(ctx, declared)
	if err != nil {
		return nil, err
	}
	out := make([]Details, 0, len(rs))
	for _, r := range rs {
		scopes, ok := all[r.name]
		if !ok {
			continue // dropped between the two reads
		}
		d := c.details(r, scopes)
		d.PrivilegedWhy = privilegedThrough(scopes, all)
		out = append(out, d)
	}
	return out, nil
}

// privilegedThrough says why a role's memberships are privileged when
// their names do not: a group role that holds a scope privileged by
// default (an attribute such as SUPERUSER, which a member gains with SET
// ROLE, or a predefined role such as pg_write_all_data, which it inherits),
// directly or through the groups it belongs to in turn. all holds the
// scopes of every role, group roles included. nil when there is none.
func privilegedThrough(scopes []string, all map[string][]string) map[string]string {
	var out map[string]string
	for _, s := range scopes {
		group, ok := strings.CutPrefix(s, "role:")
		if !ok || isPrivileged(s) {
			continue
		}
		if why := groupPrivilege(group, all, map[string]bool{}); why != "" {
			if out == nil {
				out = map[string]string{}
			}
			out[s] = why
		}
	}
	return out
}

// groupPrivilege is why membership of group is privileged, or "": "role g
// holds role:pg_write_all_data", or "role g belongs to h, which holds ...".
func groupPrivilege(group string, all map[string][]string, seen map[string]bool) string {
	chain, scope := privilegedChain(group, all, seen)
	switch {
	case scope == "":
		return ""
	case len(chain) == 1:
		return "role " + group + " holds " + scope
	}
	return "role " + group + " belongs to " + strings.Join(chain[1:], ", which belongs to ") + ", which holds " + scope
}

// privilegedChain finds, depth first, the groups from group to one that
// holds a privileged scope, and that scope.
func privilegedChain(group string, all map[string][]string, seen map[string]bool) ([]string, string) {
	if seen[group] {
		return nil, ""
	}
	seen[group] = true
	for _, s := range all[group] {
		if isPrivileged(s) {
			return []string{group}, s
		}
	}
	for _, s := range all[group] {
		if inner, ok := strings.CutPrefix(s, "role:"); ok {
			if chain, scope := privilegedChain(inner, all, seen); scope != "" {
				return append([]string{group}, chain...), scope
			}
		}
	}
	return nil, ""
}

func isPrivileged(scope string) bool {
	for _, p := range privilegedScopes {
		if nhi.MatchScope(p, scope) {
			return true
		}
	}
	return false
}

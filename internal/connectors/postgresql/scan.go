package postgresql

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// Scan reads every login role (and marked role) with its grants, password
// credential and current sessions, in a constant number of queries: the
// roles, the sessions, and readAllGrants' few per database. Locations
// other than "role" leave it empty. A role whose governance document
// cannot be decoded fails the scan with an error naming it (undecodable).
func (c *Client) Scan(ctx context.Context, locations []string) ([]nhi.Identity, error) {
	if !wantsRoles(locations) {
		return nil, nil
	}
	rs, err := c.listRoles(ctx, "", 0)
	if err != nil {
		return nil, err
	}
	if err := undecodable(rs); err != nil {
		return nil, err // never such a role silently undeclared
	}
	ds, err := c.withGrants(ctx, identities(rs))
	if err != nil {
		return nil, err
	}
	used, err := c.sessions(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]nhi.Identity, 0, len(ds))
	for _, d := range ds {
		if u := used[d.ID]; len(u) > 0 {
			d.UsedBy = nhi.SortedUnique(u)
			d.UsageKnown = true
		}
		out = append(out, d.Identity)
	}
	return out, nil
}

// ownApplication is the application_name of the connector's own sessions
// (client.go), which are not a role's usage.
const ownApplication = "terraform-provider-nhi"

// sessions reads pg_stat_activity once: per role OID, one
// "application <name> from <address>" per distinct client of its current
// sessions. It is a point-in-time signal: a role idle right now shows
// nothing. Without pg_read_all_stats (or superuser), other roles' client
// addresses are hidden and show as "(address hidden)".
func (c *Client) sessions(ctx context.Context) (map[string][]string, error) {
	out := map[string][]string{}
	err := c.onDB(ctx, "", "reading PostgreSQL sessions (pg_stat_activity)", func(ctx context.Context, p *pgxpool.Pool) error {
		clear(out)
		rows, err := p.Query(ctx, `SELECT a.usesysid::text, coalesce(a.application_name, ''), coalesce(pg_catalog.host(a.client_addr), ''), a.client_port
			FROM pg_catalog.pg_stat_activity a
			WHERE a.usesysid IS NOT NULL AND (a.backend_type = 'client backend' OR a.backend_type IS NULL)
			  AND NOT (a.usename = current_user AND a.application_name = $1)`, ownApplication)
		if err != nil {
			return err
		}
		var oid, app, addr string
		var port *int32
		_, err = pgx.ForEachRow(rows, []any{&oid, &app, &addr, &port}, func() error {
			out[oid] = append(out[oid], usage(app, addr, port))
			return nil
		})
		return err
	})
	return out, err
}

// usage renders one session's client.
func usage(app, addr string, port *int32) string {
	if app == "" {
		app = "(unnamed)"
	}
	switch {
	case addr != "":
	case port != nil && *port == -1:
		addr = "local socket"
	default:
		addr = "(address hidden)"
	}
	return "application " + app + " from " + addr
}

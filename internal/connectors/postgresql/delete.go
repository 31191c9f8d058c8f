package postgresql

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ownedQuery names (at most 4 of) the objects the role $1 owns in the
// current database, and the shared ones (databases, tablespaces) when $2.
// Default privileges (ALTER DEFAULT PRIVILEGES FOR ROLE) are not objects:
// DROP OWNED removes them.
const ownedQuery = `SELECT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid)
FROM pg_catalog.pg_shdepend d
WHERE d.refclassid = 'pg_catalog.pg_authid'::regclass AND d.refobjid = $1 AND d.deptype = 'o'
  AND d.classid <> 'pg_catalog.pg_default_acl'::regclass
  AND (d.dbid = (SELECT oid FROM pg_catalog.pg_database WHERE datname = pg_catalog.current_database()) OR ($2 AND d.dbid = 0))
ORDER BY 1 LIMIT 4`

// dependentDBs lists the databases in which the role $1 holds anything
// (owns, is granted, is named by a policy), and whether it holds anything
// on shared objects (dbid 0).
const dependentDBs = `SELECT DISTINCT coalesce(db.datname, '')
FROM pg_catalog.pg_shdepend d LEFT JOIN pg_catalog.pg_database db ON db.oid = d.dbid
WHERE d.refclassid = 'pg_catalog.pg_authid'::regclass AND d.refobjid = $1`

// deleteRole drops a role. A role that owns objects (tables, schemas, a
// database...) is refused, naming a few and the way out; otherwise what it
// was granted is revoked in every database that records any (DROP OWNED
// BY, run in each only after checking, in the same transaction, that the
// role owns nothing there) and the role is dropped. A missing role is not
// an error.
func (c *Client) deleteRole(ctx context.Context, name string) error {
	r, err := c.lookup(ctx, name)
	if IsNotFound(err) {
		return nil
	}
	if err != nil && r.name == "" {
		return err
	}
	doing := "deleting PostgreSQL role " + name
	var dbs []string
	err = c.onDB(ctx, "", doing, func(ctx context.Context, p *pgxpool.Pool) error {
		rows, err := p.Query(ctx, dependentDBs, r.oid)
		if err != nil {
			return err
		}
		dbs, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	if err != nil {
		return err
	}
	maint := c.base.ConnConfig.Database
	set := map[string]bool{}
	for _, db := range dbs {
		if db == "" {
			db = maint // shared objects: any database sees them
		}
		set[db] = true
	}
	order := make([]string, 0, len(set))
	for db := range set {
		order = append(order, db)
	}
	sort.Strings(order)
	// First every database is checked, so that nothing is revoked from a
	// role that cannot be deleted.
	var owned []string
	for _, db := range order {
		var got []string
		err := c.onDB(ctx, db, doing, func(ctx context.Context, p *pgxpool.Pool) error {
			rows, err := p.Query(ctx, ownedQuery, r.oid, db == maint)
			if err != nil {
				return err
			}
			got, err = pgx.CollectRows(rows, pgx.RowTo[string])
			return err
		})
		if err != nil {
			return err
		}
		for _, o := range got {
			owned = append(owned, fmt.Sprintf("%s (database %s)", o, db))
		}
	}
	if len(owned) > 0 {
		return ownsObjects(name, owned)
	}
	for _, db := range order {
		var again []string
		err := c.inTx(ctx, db, doing, func(ctx context.Context, tx pgx.Tx) error {
			rows, err := tx.Query(ctx, ownedQuery, r.oid, db == maint)
			if err != nil {
				return err
			}
			if again, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil || len(again) > 0 {
				return err
			}
			_, err = tx.Exec(ctx, "DROP OWNED BY "+ident(name))
			return err
		})
		if err != nil {
			return err
		}
		if len(again) > 0 {
			for i := range again {
				again[i] = fmt.Sprintf("%s (database %s)", again[i], db)
			}
			return ownsObjects(name, again)
		}
	}
	err = c.exec(ctx, "", doing, "DROP ROLE IF EXISTS "+ident(name))
	if sqlState(err) == stateDependentObjects {
		return fmt.Errorf("%w: %w (it gained objects or grants while it was being deleted; run the delete again, or REASSIGN OWNED BY %s TO <another role> and DROP OWNED BY %s in each database)",
			err, ErrOwnsObjects, ident(name), ident(name))
	}
	return err
}

func ownsObjects(name string, owned []string) error {
	more := ""
	if len(owned) > 3 {
		owned, more = owned[:3], " and more"
	}
	return fmt.Errorf("deleting PostgreSQL role %q: it %w: %s%s. Dropping it would drop them or fail: "+
		"move them to another role with REASSIGN OWNED BY %s TO <another role> (in each database), or drop them with DROP OWNED BY %s, then delete again",
		name, ErrOwnsObjects, strings.Join(owned, ", "), more, ident(name), ident(name))
}

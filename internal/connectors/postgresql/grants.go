package postgresql

// Grants: reading a role's privileges back as scopes, and making them what
// a declaration says.
//
// What counts (see Scope):
//   - role:      direct memberships (pg_auth_members; inherited ones through
//     a group are the group's, not the role's).
//   - attribute: rolsuper, rolcreatedb, rolcreaterole, rolreplication and
//     rolbypassrls of pg_roles.
//   - database:  the entries of pg_database.datacl naming the role, and
//     database:OWNER@<db> when the role is datdba. The owner's own ACL
//     entries are not listed (OWNER already says it all).
//   - schema, table, sequence, function: the ACL entries naming the role
//     (pg_namespace.nspacl; pg_class.relacl of relkind r, p, v, m, f as
//     tables and S as sequences; pg_proc.proacl of every prokind, as
//     routines), in every schema but pg_catalog, information_schema and
//     the other pg_* schemas (pg_toast*, pg_temp*).
//
// Owned objects. The owner of a schema, table, sequence or routine holds
// every privilege on it without a grant (its ACL entries for itself are
// not read). Such an implicit privilege counts as held: it satisfies a
// scope that names the object (table:SELECT@app.s.orders on a table the
// role created in its own migrations), and the object counts as held when
// "*" is read back. It is reported only where the declaration asks for
// it: owning an object is not a scope, so an owned object the declaration
// does not name is never an extra, and it is never revoked (disabling the
// role leaves its ownership; Delete refuses a role that owns objects).
//
// Grants to PUBLIC (grantee 0) are nobody's in particular and never count.
// Column privileges (pg_attribute.attacl) and grant options are ignored.
//
// The "*" rule. A scope's object "*" means every object of that kind in the
// schema as it is when grants are applied (GRANT ... ON ALL TABLES IN
// SCHEMA). Read back against a declaration (renderScopes), for one
// privilege, kind and schema:
//   - declared "*": "*" is reported when the role holds the privilege on
//     every object of the schema (an empty schema counts as held); when it
//     lacks some, nothing is reported for that group, so the comparison
//     shows "*" as missing (the next apply grants it again), not each
//     object it does hold as an extra;
//   - declared by name: the objects held are reported by name, so a list
//     naming every table of the schema reads back as exactly that list;
//   - not declared: the objects held by name, never "*" (a role with no
//     declaration included): "*" would widen to tables created later, so
//     adopting what a role holds (--generate-imports) names what it holds.
//
// A function scope names every overload: a name is held when every overload
// is; one held on some overloads only reports each held overload as
// "function:EXECUTE@<db>.<schema>.<name>(<argument types>)", which no
// declaration matches, so it shows as a difference either way.
// A catalog name that the grammar cannot write (it holds "." or "@") is
// still reported as it is: visible as a difference, and revoked by
// reconcileGrants, which works from the catalog, not from the strings.

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// grantRoutine is one overload of a routine name.
type grantRoutine struct {
	oid  uint32
	args string // pg_get_function_identity_arguments, as the server wrote it
}

// grantEntry is one ACL entry naming a role: the routine overload it is on
// (0 for anything else) and its grantor when that is not the object's owner
// (a REVOKE then has to be made as the grantor).
type grantEntry struct {
	overload uint32
	grantor  string
	// owner: not an ACL entry but the implicit privilege of the object's
	// owner (see "Owned objects" at the top of this file); never revoked.
	owner bool
}

// ownerOnly reports whether entries are only an owner's implicit
// privileges (no grant).
func ownerOnly(entries []grantEntry) bool {
	for _, e := range entries {
		if !e.owner {
			return false
		}
	}
	return len(entries) > 0
}

// grantRole is what one role holds.
type grantRole struct {
	oid    uint32
	name   string
	attrs  []string
	groups []string
	owns   []string
	// privs holds database: and schema: scopes as they are, and table:,
	// sequence: and function: scopes with one object each, with the ACL
	// entries behind them.
	privs map[Scope][]grantEntry
}

// grantState is one reading of the catalog: the objects that exist (what
// "*" covers) and what the roles read hold.
type grantState struct {
	dbs     []string
	schemas map[[2]string]bool
	// objects is every table, sequence or routine name of a schema, keyed
	// by Scope{Kind, Database, Schema}; routines carry their overloads.
	objects map[Scope]map[string][]grantRoutine
	roles   map[uint32]*grantRole
	byName  map[string]*grantRole
	// read is the databases whose schemas, objects and ACLs were read
	// (every one of dbs for a reading of every role).
	read []string
	// row is the one role's catalog row (a reading of one role), and
	// rowErr what decoding its governance document failed with.
	row    *role
	rowErr error
	// blind: nothing of the catalog was read. plan then works for a role
	// that holds nothing (one just made) and scopes CheckScopes passed:
	// "*" is granted as GRANT ... ON ALL, names as they are.
	blind bool
}

func newGrantState() *grantState {
	return &grantState{
		schemas: map[[2]string]bool{},
		objects: map[Scope]map[string][]grantRoutine{},
		roles:   map[uint32]*grantRole{},
		byName:  map[string]*grantRole{},
	}
}

func objectsOf(kind, db, schema string) Scope { return Scope{Kind: kind, Database: db, Schema: schema} }

func (st *grantState) addObject(kind, db, schema, name string, r *grantRoutine) {
	k := objectsOf(kind, db, schema)
	m := st.objects[k]
	if m == nil {
		m = map[string][]grantRoutine{}
		st.objects[k] = m
	}
	if r == nil {
		if _, ok := m[name]; !ok {
			m[name] = nil
		}
		return
	}
	for _, o := range m[name] {
		if o.oid == r.oid {
			return
		}
	}
	m[name] = append(m[name], *r)
}

func (st *grantState) addPriv(grantee uint32, sc Scope, e grantEntry) {
	r := st.roles[grantee]
	if r == nil {
		return // a role the reading left out (one role was asked for)
	}
	for _, have := range r.privs[sc] {
		if have == e {
			return
		}
	}
	r.privs[sc] = append(r.privs[sc], e)
}

// databases is the databases whose grants the client reads and writes:
// Connection.Databases, else every database that allows connections and is
// not a template.
func (c *Client) databases(ctx context.Context) ([]string, error) {
	if len(c.conn.Databases) > 0 {
		return nhi.SortedUnique(c.conn.Databases), nil
	}
	var out []string
	err := c.onDB(ctx, "", "listing PostgreSQL databases", func(ctx context.Context, p *pgxpool.Pool) error {
		rows, err := p.Query(ctx, `SELECT datname FROM pg_catalog.pg_database WHERE datallowconn AND NOT datistemplate ORDER BY datname`)
		if err != nil {
			return err
		}
		out, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	return out, err
}

// grantUserSchemas filters out the system schemas of alias n.
const grantUserSchemas = `n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'`

// firstNormalOID is PostgreSQL's FirstNormalObjectId: roles below it were
// made by initdb (the bootstrap superuser, the predefined pg_* roles), and
// the server keeps no pg_shdepend entries for what is granted to them.
const firstNormalOID = 16384

// grantReadParallel bounds how many databases one read reads at once.
const grantReadParallel = 4

// readState reads the catalog and the grants of one role (role != "") or
// of every role.
//
// Every role: three queries on the maintenance database (roles, memberships,
// and the databases with their ACLs, which is also the database list when
// Connection.Databases is empty), then three in each database (schemas,
// relations, routines, each with their ACLs).
//
// One role: four queries on the maintenance database, in one round trip:
// its catalog row (role.go's columns, with its governance document, so a
// read of one role needs no other query), its memberships, the database
// ACLs, and what pg_shdepend (which PostgreSQL keeps for every ACL entry
// naming a role, in every database) says it holds grants on: schemas,
// relations and routines, by database. Then, in each database where it
// holds a grant or that need (scopes: a declaration or a want) or its own
// governance document names below the database level, one to three
// queries: the schemas, always; the relations only when it holds a grant
// on one there or a table or sequence scope names that database, and then
// only those of the schemas where it holds one or that a scope names (the
// "*" rule and the plan need every object of such a schema, and no other);
// the routines likewise. A database where the role holds nothing and that
// no scope names is not read: there is nothing in it to report. (For a
// role made by initdb, PostgreSQL keeps no pg_shdepend entries: everything
// is read, as for every role.)
//
// The databases are read in parallel (at most grantReadParallel at once),
// one round trip each.
func (c *Client) readState(ctx context.Context, role string, need []string) (*grantState, error) {
	var authid bool
	if role != "" {
		var err error
		if authid, err = c.canReadAuthid(ctx); err != nil {
			return nil, err
		}
	}
	configured := nhi.SortedUnique(c.conn.Databases)
	var filter any // nil: every role
	doing := "reading PostgreSQL roles and database grants"
	if role != "" {
		filter = role
		doing = fmt.Sprintf("reading the grants of PostgreSQL role %q", role)
	}
	var st *grantState
	var holds map[string]*roleHolds // what the one role holds grants on, by database (pg_shdepend)
	err := c.onDB(ctx, "", doing, func(ctx context.Context, p *pgxpool.Pool) error {
		// A repeat after a transient error starts afresh.
		st, holds = newGrantState(), map[string]*roleHolds{}
		b := &pgx.Batch{}
		attrs := func(r *grantRole, on ...bool) {
			for i, set := range on {
				if set {
					r.attrs = append(r.attrs, scopePrivileges[ScopeAttribute][i])
				}
			}
		}
		if role == "" {
			b.Queue(`SELECT oid, rolname, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls
			FROM pg_catalog.pg_roles`).Query(func(rows pgx.Rows) error {
				var oid uint32
				var name string
				var super, createdb, createrole, repl, bypass bool
				_, err := pgx.ForEachRow(rows, []any{&oid, &name, &super, &createdb, &createrole, &repl, &bypass}, func() error {
					r := &grantRole{oid: oid, name: name, privs: map[Scope][]grantEntry{}}
					attrs(r, super, createdb, createrole, repl, bypass)
					st.roles[oid], st.byName[name] = r, r
					return nil
				})
				return err
			})
		} else {
			b.Queue(`SELECT `+roleColumns(authid)+`, r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication, r.rolbypassrls
			FROM `+roleTable(authid)+` WHERE r.rolname = $1`, role).Query(func(rows pgx.Rows) error {
				if !rows.Next() {
					return rows.Err()
				}
				var super, createdb, createrole, repl, bypass bool
				row, err := c.scanRole(rows, &super, &createdb, &createrole, &repl, &bypass)
				if err != nil && row.name == "" {
					return err
				}
				st.row, st.rowErr = &row, err // a row with a bad document is still a role
				r := &grantRole{oid: row.oid, name: row.name, privs: map[Scope][]grantEntry{}}
				attrs(r, super, createdb, createrole, repl, bypass)
				st.roles[r.oid], st.byName[r.name] = r, r
				rows.Close()
				return rows.Err()
			})
		}
		b.Queue(`SELECT m.member, g.rolname FROM pg_catalog.pg_auth_members m
			JOIN pg_catalog.pg_roles g ON g.oid = m.roleid
			JOIN pg_catalog.pg_roles r ON r.oid = m.member
			WHERE $1::text IS NULL OR r.rolname = $1`, filter).Query(func(rows pgx.Rows) error {
			var member uint32
			var group string
			_, err := pgx.ForEachRow(rows, []any{&member, &group}, func() error {
				if r := st.roles[member]; r != nil {
					r.groups = append(r.groups, group)
				}
				return nil
			})
			return err
		})
		which, args := `d.datallowconn AND NOT d.datistemplate`, []any{filter}
		if len(configured) > 0 {
			which, args = `d.datname::text = ANY($2::text[])`, append(args, configured)
		}
		b.Queue(`SELECT d.datname, d.datdba, a.grantee, a.privilege_type,
				CASE WHEN a.grantor <> d.datdba THEN pg_catalog.pg_get_userbyid(a.grantor) ELSE '' END
			FROM pg_catalog.pg_database d
			LEFT JOIN LATERAL pg_catalog.aclexplode(d.datacl) a
				ON a.grantee <> 0 AND a.grantee <> d.datdba
				AND ($1::text IS NULL OR a.grantee = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1))
			WHERE `+which, args...).Query(func(rows pgx.Rows) error {
			var db string
			var owner uint32
			var grantee *uint32
			var priv, grantor *string
			_, err := pgx.ForEachRow(rows, []any{&db, &owner, &grantee, &priv, &grantor}, func() error {
				if len(configured) == 0 {
					st.dbs = append(st.dbs, db)
				}
				if r := st.roles[owner]; r != nil && !slices.Contains(r.owns, db) {
					r.owns = append(r.owns, db)
				}
				if grantee != nil {
					st.addPriv(*grantee, Scope{Kind: ScopeDatabase, Privilege: *priv, Database: db}, grantEntry{grantor: *grantor})
				}
				return nil
			})
			return err
		})
		if role != "" {
			b.Queue(`SELECT d.datname,
				coalesce(pg_catalog.array_agg(s.objid) FILTER (WHERE s.classid = 'pg_catalog.pg_class'::pg_catalog.regclass), '{}'),
				coalesce(pg_catalog.array_agg(s.objid) FILTER (WHERE s.classid = 'pg_catalog.pg_proc'::pg_catalog.regclass), '{}')
			FROM pg_catalog.pg_shdepend s
			JOIN pg_catalog.pg_database d ON d.oid = s.dbid
			WHERE s.refclassid = 'pg_catalog.pg_authid'::pg_catalog.regclass AND s.deptype = 'a'
				AND s.refobjid = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1)
			GROUP BY d.datname`, role).Query(func(rows pgx.Rows) error {
				var db string
				var rels, procs []uint32
				_, err := pgx.ForEachRow(rows, []any{&db, &rels, &procs}, func() error {
					holds[db] = &roleHolds{rels: rels, procs: procs}
					return nil
				})
				return err
			})
		}
		return p.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return nil, err
	}
	st.dbs = nhi.SortedUnique(st.dbs)
	if len(configured) > 0 {
		st.dbs = configured
	}
	if role != "" && st.byName[role] == nil {
		return st, roleNotFound(role)
	}
	var oid uint32 // 0: every role (0 is PUBLIC, which never counts)
	filters := map[string]*dbFilter{}
	read := st.dbs
	if role != "" {
		oid = st.byName[role].oid
		if oid >= firstNormalOID {
			if st.row != nil && st.row.managed {
				need = append(slices.Clip(need), st.row.gov.Scopes...)
			}
			read, filters = databasesToRead(st.dbs, holds, need)
		}
	}
	if err := c.readDatabases(ctx, st, read, oid, filters); err != nil {
		return nil, err
	}
	return st, nil
}

// roleHolds is what pg_shdepend says one role holds ACL entries on in a
// database (as grantee or grantor): relations and routines by OID (and
// possibly schemas and other objects, which need no list).
type roleHolds struct{ rels, procs []uint32 }

// dbFilter narrows the reading of one database for one role (nil: read
// every schema, relation and routine): the relations are read only when
// readRels, and then only those of the schemas named in relSchemas or
// holding one of rels; the routines likewise.
type dbFilter struct {
	readRels, readProcs     bool
	relSchemas, procSchemas []string
	rels, procs             []uint32
}

// databasesToRead is the databases of dbs (the managed ones) a reading of
// one role needs, and how far (readState): those where it holds grants and
// those a scope of need names below the database level.
func databasesToRead(dbs []string, holds map[string]*roleHolds, need []string) ([]string, map[string]*dbFilter) {
	filters := map[string]*dbFilter{}
	get := func(db string) *dbFilter {
		f := filters[db]
		if f == nil {
			f = &dbFilter{}
			filters[db] = f
		}
		return f
	}
	for db, h := range holds {
		f := get(db)
		f.rels, f.procs = h.rels, h.procs
		f.readRels, f.readProcs = len(h.rels) > 0, len(h.procs) > 0
	}
	for _, s := range need {
		sc, err := ParseScope(s)
		if err != nil || sc.Kind == ScopeDatabase || sc.Database == "" {
			continue
		}
		f := get(sc.Database)
		switch sc.Kind {
		case ScopeTable, ScopeSequence:
			f.readRels, f.relSchemas = true, append(f.relSchemas, sc.Schema)
		case ScopeFunction:
			f.readProcs, f.procSchemas = true, append(f.procSchemas, sc.Schema)
		}
	}
	var out []string
	for _, db := range dbs {
		if f := filters[db]; f != nil {
			f.relSchemas, f.procSchemas = nhi.SortedUnique(f.relSchemas), nhi.SortedUnique(f.procSchemas)
			out = append(out, db)
		}
	}
	return out, filters
}

// readDatabases reads dbs into st (readDatabase, with the filters of one
// role's reading), a few at once; the first error, in database order, is
// returned.
func (c *Client) readDatabases(ctx context.Context, st *grantState, dbs []string, oid uint32, filters map[string]*dbFilter) error {
	parts := make([]*grantState, len(dbs))
	errs := make([]error, len(dbs))
	sem := make(chan struct{}, grantReadParallel)
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			parts[i], errs[i] = c.readDatabase(ctx, st.roles, db, oid, filters[db])
		}()
	}
	wg.Wait()
	for i := range dbs {
		if errs[i] != nil {
			return errs[i]
		}
	}
	for i, db := range dbs {
		st.merge(parts[i])
		st.read = append(st.read, db)
	}
	return nil
}

// merge adds what one database's read found (readDatabase) to st.
func (st *grantState) merge(part *grantState) {
	for k := range part.schemas {
		st.schemas[k] = true
	}
	for k, m := range part.objects {
		st.objects[k] = m
	}
	for oid, pr := range part.roles {
		r := st.roles[oid]
		for sc, entries := range pr.privs {
			r.privs[sc] = append(r.privs[sc], entries...)
		}
	}
}

// readDatabase reads the schemas, relations and routines of one database
// (as far as f says; nil: all) and the ACL entries naming role oid (0:
// every role) of roles, in one round trip. It returns them as a grantState
// of their own (roles holding only privileges, keyed like roles), for
// merge: reads of several databases run at once, and roles is only read
// here.
func (c *Client) readDatabase(ctx context.Context, roles map[uint32]*grantRole, db string, oid uint32, f *dbFilter) (*grantState, error) {
	var st *grantState
	err := c.onDB(ctx, db, fmt.Sprintf("reading grants in PostgreSQL database %q", db), func(ctx context.Context, p *pgxpool.Pool) error {
		// A repeat after a transient error starts this database afresh.
		st = newGrantState()
		addPriv := func(grantee uint32, sc Scope, e grantEntry) {
			if roles[grantee] == nil {
				return // a role the reading left out (one role was asked for)
			}
			r := st.roles[grantee]
			if r == nil {
				r = &grantRole{oid: grantee, privs: map[Scope][]grantEntry{}}
				st.roles[grantee] = r
			}
			if !slices.Contains(r.privs[sc], e) {
				r.privs[sc] = append(r.privs[sc], e)
			}
		}
		aclOn := func(owner string) string {
			return `a.grantee <> 0 AND a.grantee <> ` + owner + ` AND ($1::oid = 0 OR a.grantee = $1::oid)`
		}
		grantor := func(owner string) string {
			return `CASE WHEN a.grantor <> ` + owner + ` THEN pg_catalog.pg_get_userbyid(a.grantor) ELSE '' END`
		}
		b := &pgx.Batch{}
		owned := func(owner uint32, sc Scope, overload uint32) {
			for _, priv := range scopePrivileges[sc.Kind] {
				sc.Privilege = priv
				addPriv(owner, sc, grantEntry{overload: overload, owner: true})
			}
		}
		b.Queue(`SELECT n.nspname, n.nspowner, a.grantee, a.privilege_type, `+grantor("n.nspowner")+`
			FROM pg_catalog.pg_namespace n
			LEFT JOIN LATERAL pg_catalog.aclexplode(n.nspacl) a ON `+aclOn("n.nspowner")+`
			WHERE `+grantUserSchemas, oid).Query(func(rows pgx.Rows) error {
			var schema string
			var owner uint32
			var grantee *uint32
			var priv, by *string
			_, err := pgx.ForEachRow(rows, []any{&schema, &owner, &grantee, &priv, &by}, func() error {
				st.schemas[[2]string{db, schema}] = true
				owned(owner, Scope{Kind: ScopeSchema, Database: db, Schema: schema}, 0)
				if grantee != nil {
					addPriv(*grantee, Scope{Kind: ScopeSchema, Privilege: *priv, Database: db, Schema: schema}, grantEntry{grantor: *by})
				}
				return nil
			})
			return err
		})
		relWhere, relArgs := "", []any{oid}
		procWhere, procArgs := "", []any{oid}
		if f != nil {
			relWhere, relArgs = ` AND (n.nspname::text = ANY($2::text[]) OR c.relnamespace IN (SELECT h.relnamespace FROM pg_catalog.pg_class h WHERE h.oid = ANY($3::oid[])))`,
				append(relArgs, f.relSchemas, f.rels)
			procWhere, procArgs = ` AND (n.nspname::text = ANY($2::text[]) OR p.pronamespace IN (SELECT h.pronamespace FROM pg_catalog.pg_proc h WHERE h.oid = ANY($3::oid[])))`,
				append(procArgs, f.procSchemas, f.procs)
		}
		if f == nil || f.readRels {
			b.Queue(`SELECT n.nspname, c.relname, c.relkind = 'S', c.relowner, a.grantee, a.privilege_type, `+grantor("c.relowner")+`
			FROM pg_catalog.pg_class c
			JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			LEFT JOIN LATERAL pg_catalog.aclexplode(c.relacl) a ON `+aclOn("c.relowner")+`
			WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND `+grantUserSchemas+relWhere, relArgs...).Query(func(rows pgx.Rows) error {
				var schema, name string
				var seq bool
				var owner uint32
				var grantee *uint32
				var priv, by *string
				_, err := pgx.ForEachRow(rows, []any{&schema, &name, &seq, &owner, &grantee, &priv, &by}, func() error {
					kind := ScopeTable
					if seq {
						kind = ScopeSequence
					}
					st.addObject(kind, db, schema, name, nil)
					owned(owner, Scope{Kind: kind, Database: db, Schema: schema, Object: name}, 0)
					if grantee != nil {
						addPriv(*grantee, Scope{Kind: kind, Privilege: *priv, Database: db, Schema: schema, Object: name}, grantEntry{grantor: *by})
					}
					return nil
				})
				return err
			})
		}
		if f == nil || f.readProcs {
			b.Queue(`SELECT n.nspname, p.proname, p.oid, pg_catalog.pg_get_function_identity_arguments(p.oid), p.proowner, a.grantee, a.privilege_type, `+grantor("p.proowner")+`
			FROM pg_catalog.pg_proc p
			JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
			LEFT JOIN LATERAL pg_catalog.aclexplode(p.proacl) a ON `+aclOn("p.proowner")+`
			WHERE `+grantUserSchemas+procWhere, procArgs...).Query(func(rows pgx.Rows) error {
				var schema, name, args string
				var poid, owner uint32
				var grantee *uint32
				var priv, by *string
				_, err := pgx.ForEachRow(rows, []any{&schema, &name, &poid, &args, &owner, &grantee, &priv, &by}, func() error {
					st.addObject(ScopeFunction, db, schema, name, &grantRoutine{oid: poid, args: args})
					owned(owner, Scope{Kind: ScopeFunction, Database: db, Schema: schema, Object: name}, poid)
					if grantee != nil {
						addPriv(*grantee, Scope{Kind: ScopeFunction, Privilege: *priv, Database: db, Schema: schema, Object: name}, grantEntry{overload: poid, grantor: *by})
					}
					return nil
				})
				return err
			})
		}
		return p.SendBatch(ctx, b).Close()
	})
	return st, err
}

// declaredShape is what renderScopes needs of a declaration: the groups
// (Scope.group) declared with "*" and those declared by name.
// scopes is every declared scope, parsed.
type declaredShape struct{ star, named, scopes map[Scope]bool }

func shapeOf(declared []string) declaredShape {
	d := declaredShape{star: map[Scope]bool{}, named: map[Scope]bool{}, scopes: map[Scope]bool{}}
	for _, s := range declared {
		sc, err := ParseScope(s)
		if err == nil {
			d.scopes[sc] = true
		}
		if err != nil || !isObjectKind(sc.Kind) {
			continue
		}
		if sc.Object == Wildcard {
			d.star[sc.group()] = true
		} else {
			d.named[sc.group()] = true
		}
	}
	return d
}

// heldGroup is what a role holds of one group: names held in full, and the
// overloads held of routine names held in part.
type heldGroup struct {
	full    []string
	partial []string
	// owned is the names of full held only as their owner (no grant).
	owned map[string]bool
}

// held sorts a role's table, sequence and function privileges by group.
func (st *grantState) held(r *grantRole) map[Scope]*heldGroup {
	out := map[Scope]*heldGroup{}
	for sc, entries := range r.privs {
		if !isObjectKind(sc.Kind) {
			continue
		}
		g := out[sc.group()]
		if g == nil {
			g = &heldGroup{owned: map[string]bool{}}
			out[sc.group()] = g
		}
		if ownerOnly(entries) {
			g.owned[sc.Object] = true
		}
		if sc.Kind != ScopeFunction {
			g.full = append(g.full, sc.Object)
			continue
		}
		overloads := st.objects[objectsOf(sc.Kind, sc.Database, sc.Schema)][sc.Object]
		has := map[uint32]bool{}
		for _, e := range entries {
			has[e.overload] = true
		}
		all := true
		for _, o := range overloads {
			all = all && has[o.oid]
		}
		if all {
			g.full = append(g.full, sc.Object)
			continue
		}
		granted := map[uint32]bool{}
		for _, e := range entries {
			granted[e.overload] = granted[e.overload] || !e.owner
		}
		for _, o := range overloads {
			if granted[o.oid] {
				g.partial = append(g.partial, sc.String()+"("+o.args+")")
			}
		}
	}
	return out
}

// renderScopes is what role r holds, as canonical sorted scopes, with the
// "*" rule applied against declared (see the top of this file).
func (st *grantState) renderScopes(r *grantRole, declared []string) []string {
	out := []string{}
	for _, a := range r.attrs {
		out = append(out, Scope{Kind: ScopeAttribute, Privilege: a}.String())
	}
	for _, g := range r.groups {
		out = append(out, Scope{Kind: ScopeRole, Object: g}.String())
	}
	for _, db := range r.owns {
		out = append(out, Scope{Kind: ScopeDatabase, Privilege: PrivilegeOwner, Database: db}.String())
	}
	shape := shapeOf(declared)
	for sc, entries := range r.privs {
		if !isObjectKind(sc.Kind) && (!ownerOnly(entries) || shape.scopes[sc]) {
			out = append(out, sc.String())
		}
	}
	held := st.held(r)
	star := func(g Scope) string { g.Object = Wildcard; return g.String() }
	for g := range shape.star {
		if held[g] == nil && st.schemas[[2]string{g.Database, g.Schema}] && len(st.objects[objectsOf(g.Kind, g.Database, g.Schema)]) == 0 {
			out = append(out, star(g)) // every one of no objects
		}
	}
	for g, h := range held {
		total := len(st.objects[objectsOf(g.Kind, g.Database, g.Schema)])
		// Owned objects are reported only where a scope names them.
		var shown []string
		for _, o := range h.full {
			sc := g
			sc.Object = o
			if !h.owned[o] || shape.scopes[sc] {
				shown = append(shown, o)
			}
		}
		switch {
		case shape.star[g]:
			if total > 0 && len(h.full) == total { // owned ones count as held
				out = append(out, star(g))
			}
		default:
			for _, o := range shown {
				sc := g
				sc.Object = o
				out = append(out, sc.String())
			}
			out = append(out, h.partial...)
		}
	}
	return nhi.SortedUnique(out)
}

// readGrants is the effective scopes of role, canonical and sorted, with
// the "*" rule of an undeclared role. Missing role: an error wrapping
// nhi.ErrNotFound.
func (c *Client) readGrants(ctx context.Context, role string) ([]string, error) {
	return c.readGrantsFor(ctx, role, nil)
}

// readGrantsFor is readGrants with the "*" rule applied against the role's
// declared scopes, so that a converged role reads back exactly as declared.
func (c *Client) readGrantsFor(ctx context.Context, role string, declared []string) ([]string, error) {
	st, err := c.readState(ctx, role, declared)
	if err != nil {
		return nil, err
	}
	return st.renderScopes(st.byName[role], declared), nil
}

// readAllGrants is readGrants for every role (group and predefined roles
// included), from a constant number of queries per database.
func (c *Client) readAllGrants(ctx context.Context) (map[string][]string, error) {
	return c.readAllGrantsFor(ctx, nil)
}

// readAllGrantsFor is readAllGrants with the "*" rule applied against each
// role's declared scopes (declared[role]; none for a role not in it).
func (c *Client) readAllGrantsFor(ctx context.Context, declared map[string][]string) (map[string][]string, error) {
	st, err := c.readState(ctx, "", nil)
	if err != nil {
		return nil, err
	}
	out := make(map[string][]string, len(st.byName))
	for name, r := range st.byName {
		out[name] = st.renderScopes(r, declared[name])
	}
	return out, nil
}

// grantMissing is a not-found error whose message is only what is missing.
type grantMissing struct{ msg string }

func (e *grantMissing) Error() string { return e.msg }
func (e *grantMissing) Unwrap() error { return nhi.ErrNotFound }

// CheckScopes checks that every database, schema, table, sequence, function
// (for "*": its schema) and group role the scopes name exists. The error
// names the first scope (in the order given) that fails and what is
// missing, and wraps nhi.ErrNotFound when something does not exist; a scope
// that does not parse is ParseScope's error.
//
// A scope found once is not looked up again for the life of the client
// (one Terraform command: the plan of N roles with the same scopes, and an
// apply's re-plan followed by its Create, check each scope once), with the
// consistency rule of the role snapshot (snapshot.go): what existed before
// the command started is seen; an object dropped while it runs may not be,
// and then the GRANT naming it fails, and a create whose grants fail drops
// its role again. A scope that failed is looked up again every time, and a
// role:<name> scope is forgotten when the provider drops or changes that
// role (forget).
func (c *Client) CheckScopes(ctx context.Context, scopes []string) error {
	parsed := make([]Scope, len(scopes))
	for i, s := range scopes {
		sc, err := ParseScope(s)
		if err != nil {
			return err
		}
		parsed[i] = sc
	}
	todo := c.unchecked(parsed)
	fails := map[int]error{}
	fail := func(i int, err error) {
		if _, ok := fails[i]; !ok {
			fails[i] = err
		}
	}
	var groups, dbNames []string
	for _, i := range todo {
		switch sc := parsed[i]; {
		case sc.Kind == ScopeRole:
			groups = append(groups, sc.Object)
		case sc.Database != "":
			dbNames = append(dbNames, sc.Database)
		}
	}
	if len(groups)+len(dbNames) == 0 {
		return nil
	}
	type dbInfo struct{ allow, template bool }
	roles, dbs := map[string]bool{}, map[string]dbInfo{}
	err := c.onDB(ctx, "", "checking the roles and databases scopes name", func(ctx context.Context, p *pgxpool.Pool) error {
		// Only the queries the scopes need.
		b := &pgx.Batch{}
		if len(groups) > 0 {
			b.Queue(`SELECT rolname FROM pg_catalog.pg_roles WHERE rolname::text = ANY($1::text[])`, nhi.SortedUnique(groups)).Query(func(rows pgx.Rows) error {
				var n string
				_, err := pgx.ForEachRow(rows, []any{&n}, func() error { roles[n] = true; return nil })
				return err
			})
		}
		if len(dbNames) > 0 {
			b.Queue(`SELECT datname, datallowconn, datistemplate FROM pg_catalog.pg_database WHERE datname::text = ANY($1::text[])`, nhi.SortedUnique(dbNames)).Query(func(rows pgx.Rows) error {
				var n string
				var allow, template bool
				_, err := pgx.ForEachRow(rows, []any{&n, &allow, &template}, func() error { dbs[n] = dbInfo{allow, template}; return nil })
				return err
			})
		}
		return p.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return err
	}
	managed := map[string]bool{}
	for _, d := range c.conn.Databases {
		managed[d] = true
	}
	perDB := map[string][]int{}
	for _, i := range todo {
		sc := parsed[i]
		switch info, exists := dbs[sc.Database]; {
		case sc.Kind == ScopeRole:
			if !roles[sc.Object] {
				fail(i, &grantMissing{fmt.Sprintf("scope %q: group role %q does not exist; create it or correct the name (names are case-sensitive)", scopes[i], sc.Object)})
			}
		case sc.Kind == ScopeAttribute:
		case !exists:
			fail(i, &grantMissing{fmt.Sprintf("scope %q: database %q does not exist", scopes[i], sc.Database)})
		case len(managed) > 0 && !managed[sc.Database]:
			fail(i, fmt.Errorf("scope %q: database %q is not one of the databases the provider manages (databases = %q); add it there or remove the scope", scopes[i], sc.Database, c.conn.Databases))
		case !info.allow:
			fail(i, fmt.Errorf("scope %q: database %q does not allow connections (datallowconn is false), so the grants in it cannot be read or changed", scopes[i], sc.Database))
		case len(managed) == 0 && info.template:
			fail(i, fmt.Errorf("scope %q: database %q is a template, and the provider leaves templates out unless the provider's databases list names them", scopes[i], sc.Database))
		case sc.Kind != ScopeDatabase:
			perDB[sc.Database] = append(perDB[sc.Database], i)
		}
	}
	for db, idx := range perDB {
		if err := c.checkInDatabase(ctx, db, scopes, parsed, idx, fail); err != nil {
			return err
		}
	}
	var found []Scope
	for _, i := range todo {
		if fails[i] == nil {
			found = append(found, parsed[i])
		}
	}
	c.checkedScopes(found)
	if len(fails) == 0 {
		return nil
	}
	first := -1
	for i := range fails {
		if first < 0 || i < first {
			first = i
		}
	}
	if n := len(fails) - 1; n > 0 {
		return fmt.Errorf("%w (and %d more scope(s) fail the same check)", fails[first], n)
	}
	return fails[first]
}

// checkInDatabase checks the schemas and objects of scopes idx, all in db.
func (c *Client) checkInDatabase(ctx context.Context, db string, scopes []string, parsed []Scope, idx []int, fail func(int, error)) error {
	var schemas, relSchemas, relNames, fnSchemas, fnNames []string
	for _, i := range idx {
		sc := parsed[i]
		schemas = append(schemas, sc.Schema)
		switch {
		case sc.Object == "" || sc.Object == Wildcard:
		case sc.Kind == ScopeFunction:
			fnSchemas, fnNames = append(fnSchemas, sc.Schema), append(fnNames, sc.Object)
		default:
			relSchemas, relNames = append(relSchemas, sc.Schema), append(relNames, sc.Object)
		}
	}
	haveSchema := map[string]bool{}
	rel := map[[2]string]string{} // schema, name -> relkind
	fn := map[[2]string]bool{}
	err := c.onDB(ctx, db, fmt.Sprintf("checking the objects scopes name in PostgreSQL database %q", db), func(ctx context.Context, p *pgxpool.Pool) error {
		b := &pgx.Batch{}
		b.Queue(`SELECT nspname FROM pg_catalog.pg_namespace WHERE nspname::text = ANY($1::text[])`, nhi.SortedUnique(schemas)).Query(func(rows pgx.Rows) error {
			var n string
			_, err := pgx.ForEachRow(rows, []any{&n}, func() error { haveSchema[n] = true; return nil })
			return err
		})
		if len(relNames) > 0 {
			b.Queue(`SELECT n.nspname, c.relname, c.relkind::text FROM pg_catalog.pg_class c
			JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
			JOIN unnest($1::text[], $2::text[]) AS w(s, o) ON w.s = n.nspname AND w.o = c.relname`, relSchemas, relNames).Query(func(rows pgx.Rows) error {
				var s, n, k string
				_, err := pgx.ForEachRow(rows, []any{&s, &n, &k}, func() error { rel[[2]string{s, n}] = k; return nil })
				return err
			})
		}
		if len(fnNames) > 0 {
			b.Queue(`SELECT DISTINCT n.nspname, p.proname FROM pg_catalog.pg_proc p
			JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
			JOIN unnest($1::text[], $2::text[]) AS w(s, o) ON w.s = n.nspname AND w.o = p.proname`, fnSchemas, fnNames).Query(func(rows pgx.Rows) error {
				var s, n string
				_, err := pgx.ForEachRow(rows, []any{&s, &n}, func() error { fn[[2]string{s, n}] = true; return nil })
				return err
			})
		}
		return p.SendBatch(ctx, b).Close()
	})
	if err != nil {
		return err
	}
	for _, i := range idx {
		sc := parsed[i]
		qualified := sc.Schema + "." + sc.Object
		if !haveSchema[sc.Schema] {
			fail(i, &grantMissing{fmt.Sprintf("scope %q: schema %q does not exist in database %q", scopes[i], sc.Schema, db)})
			continue
		}
		switch k, ok := rel[[2]string{sc.Schema, sc.Object}]; {
		case sc.Object == "" || sc.Object == Wildcard:
		case sc.Kind == ScopeFunction:
			if !fn[[2]string{sc.Schema, sc.Object}] {
				fail(i, &grantMissing{fmt.Sprintf("scope %q: function %q does not exist in database %q", scopes[i], qualified, db)})
			}
		case !ok:
			fail(i, &grantMissing{fmt.Sprintf("scope %q: %s %q does not exist in database %q", scopes[i], sc.Kind, qualified, db)})
		case sc.Kind == ScopeSequence && k != "S":
			fail(i, &grantMissing{fmt.Sprintf("scope %q: %q in database %q is not a sequence; use table:<PRIV>@%s.%s for a table or view", scopes[i], qualified, db, db, qualified)})
		case sc.Kind == ScopeTable && k == "S":
			fail(i, &grantMissing{fmt.Sprintf("scope %q: %q in database %q is a sequence, not a table; use sequence:<USAGE|SELECT|UPDATE>@%s.%s", scopes[i], qualified, db, db, qualified)})
		case sc.Kind == ScopeTable && !strings.ContainsAny(k, "rpvmf"):
			fail(i, &grantMissing{fmt.Sprintf("scope %q: %q in database %q is not a table, view, materialized view, foreign or partitioned table", scopes[i], qualified, db)})
		}
	}
	return nil
}

// grantLockKey is the advisory lock (per database) that grant changes hold
// for their transaction.
const grantLockKey int64 = 0x6e68692d67726e74 // "nhi-grnt"

// grantTarget is a database or schema, and the grantor a revoke is made as.
type grantTarget struct{ kind, db, schema, grantor string }

// grantStmt is one statement of a reconciliation, in the database it runs
// in ("" is the maintenance database, for what is cluster-wide).
type grantStmt struct {
	db   string
	sql  string
	asRo string // SET LOCAL ROLE to this grantor for the statement ("" none)
}

func grantIdent(parts ...string) string { return pgx.Identifier(parts).Sanitize() }

// grantSQLObject is the keyword of a kind in GRANT ... ON <keyword>, and in ON
// ALL <keyword>S IN SCHEMA.
var grantSQLObject = map[string]string{ScopeTable: "TABLE", ScopeSequence: "SEQUENCE", ScopeFunction: "ROUTINE"}

// plan is the statements that make role r hold exactly want (canonical,
// parsed), or an error naming what does not exist.
func (st *grantState) plan(r *grantRole, want []Scope) ([]grantStmt, error) {
	role := grantIdent(r.name)
	wantSet := map[Scope]bool{}
	star := map[Scope]bool{}
	for _, sc := range want {
		wantSet[sc] = true
		if isObjectKind(sc.Kind) && sc.Object == Wildcard {
			star[sc.group()] = true
		}
	}
	var stmts []grantStmt

	// Attributes: one ALTER ROLE.
	var alter []string
	hasAttr := map[string]bool{}
	for _, a := range r.attrs {
		hasAttr[a] = true
	}
	for _, a := range scopePrivileges[ScopeAttribute] {
		switch w := wantSet[Scope{Kind: ScopeAttribute, Privilege: a}]; {
		case w && !hasAttr[a]:
			alter = append(alter, a)
		case !w && hasAttr[a]:
			alter = append(alter, "NO"+a)
		}
	}
	if len(alter) > 0 {
		stmts = append(stmts, grantStmt{sql: "ALTER ROLE " + role + " WITH " + strings.Join(alter, " ")})
	}

	// Memberships.
	hasGroup := map[string]bool{}
	for _, g := range r.groups {
		hasGroup[g] = true
		if !wantSet[Scope{Kind: ScopeRole, Object: g}] {
			stmts = append(stmts, grantStmt{sql: "REVOKE " + grantIdent(g) + " FROM " + role})
		}
	}
	for _, sc := range want {
		if sc.Kind == ScopeRole && !hasGroup[sc.Object] {
			stmts = append(stmts, grantStmt{sql: "GRANT " + grantIdent(sc.Object) + " TO " + role})
		}
	}

	// Database and schema privileges; revokes grouped by grantor.
	revokes := map[grantTarget][]string{}
	grants := map[grantTarget][]string{}
	for sc, entries := range r.privs {
		if (sc.Kind != ScopeDatabase && sc.Kind != ScopeSchema) || wantSet[sc] {
			continue
		}
		for _, e := range entries {
			if e.owner {
				continue // the owner's own: not a grant
			}
			t := grantTarget{sc.Kind, sc.Database, sc.Schema, e.grantor}
			revokes[t] = append(revokes[t], sc.Privilege)
		}
	}
	for _, sc := range want {
		if (sc.Kind == ScopeDatabase || sc.Kind == ScopeSchema) && r.privs[sc] == nil {
			t := grantTarget{sc.Kind, sc.Database, sc.Schema, ""}
			grants[t] = append(grants[t], sc.Privilege)
		}
	}
	on := func(t grantTarget) (db, what string) {
		if t.kind == ScopeDatabase {
			return "", "DATABASE " + grantIdent(t.db)
		}
		return t.db, "SCHEMA " + grantIdent(t.schema)
	}
	for _, t := range sortedTargets(revokes) {
		db, what := on(t)
		stmts = append(stmts, grantStmt{db: db, asRo: t.grantor, sql: "REVOKE " + strings.Join(nhi.SortedUnique(revokes[t]), ", ") + " ON " + what + " FROM " + role})
	}
	for _, t := range sortedTargets(grants) {
		db, what := on(t)
		stmts = append(stmts, grantStmt{db: db, sql: "GRANT " + strings.Join(nhi.SortedUnique(grants[t]), ", ") + " ON " + what + " TO " + role})
	}

	// Tables, sequences and routines, group by group.
	held := map[Scope]map[string][]grantEntry{} // group -> object -> entries
	for sc, entries := range r.privs {
		if isObjectKind(sc.Kind) {
			g := sc.group()
			if held[g] == nil {
				held[g] = map[string][]grantEntry{}
			}
			held[g][sc.Object] = entries
		}
	}
	wantNames := map[Scope][]string{}
	for _, sc := range want {
		if isObjectKind(sc.Kind) && sc.Object != Wildcard && !star[sc.group()] {
			wantNames[sc.group()] = append(wantNames[sc.group()], sc.Object)
		}
	}
	groups := map[Scope]bool{}
	for g := range held {
		groups[g] = true
	}
	for g := range star {
		groups[g] = true
	}
	for g := range wantNames {
		groups[g] = true
	}
	var missing []string
	for _, g := range sortedScopes(groups) {
		objs := st.objects[objectsOf(g.Kind, g.Database, g.Schema)]
		ref := func(name string, r *grantRoutine) string {
			if r == nil {
				return grantIdent(g.Schema, name)
			}
			return grantIdent(g.Schema, name) + "(" + r.args + ")"
		}
		if star[g] {
			full := !st.blind // blind: the role holds nothing
			for name, overloads := range objs {
				if !holdsAll(held[g][name], g.Kind, overloads) {
					full = false
				}
			}
			if !full {
				stmts = append(stmts, grantStmt{db: g.Database, sql: "GRANT " + g.Privilege + " ON ALL " + grantSQLObject[g.Kind] + "S IN SCHEMA " + grantIdent(g.Schema) + " TO " + role})
			}
			continue
		}
		wanted := map[string]bool{}
		for _, n := range wantNames[g] {
			wanted[n] = true
		}
		byGrantor := map[string][]string{}
		for _, name := range nhi.SortedKeys(held[g]) {
			if wanted[name] {
				continue
			}
			for _, e := range held[g][name] {
				if e.owner {
					continue // the owner's own: not a grant
				}
				var rt *grantRoutine
				if g.Kind == ScopeFunction {
					rt = routineByOID(objs[name], e.overload)
					if rt == nil {
						continue // dropped since; nothing to revoke
					}
				}
				byGrantor[e.grantor] = append(byGrantor[e.grantor], ref(name, rt))
			}
		}
		for _, by := range nhi.SortedKeys(byGrantor) {
			stmts = append(stmts, grantStmt{db: g.Database, asRo: by, sql: "REVOKE " + g.Privilege + " ON " + grantSQLObject[g.Kind] + " " + strings.Join(byGrantor[by], ", ") + " FROM " + role})
		}
		var add []string
		for _, name := range nhi.SortedUnique(wantNames[g]) {
			if st.blind {
				if g.Kind == ScopeFunction {
					// Its overloads are granted one by one: they must be read.
					return nil, fmt.Errorf("internal error: planning function grants of PostgreSQL role %q without reading its functions", r.name)
				}
				add = append(add, ref(name, nil))
				continue
			}
			overloads, exists := objs[name]
			if !exists {
				sc := g
				sc.Object = name
				missing = append(missing, sc.String())
				continue
			}
			if g.Kind != ScopeFunction {
				if held[g][name] == nil {
					add = append(add, ref(name, nil))
				}
				continue
			}
			has := map[uint32]bool{}
			for _, e := range held[g][name] {
				has[e.overload] = true
			}
			for i := range overloads {
				if !has[overloads[i].oid] {
					add = append(add, ref(name, &overloads[i]))
				}
			}
		}
		if len(add) > 0 {
			stmts = append(stmts, grantStmt{db: g.Database, sql: "GRANT " + g.Privilege + " ON " + grantSQLObject[g.Kind] + " " + strings.Join(add, ", ") + " TO " + role})
		}
	}
	for _, sc := range want {
		if st.blind {
			break // CheckScopes found every one
		}
		if (sc.Kind == ScopeSchema || (isObjectKind(sc.Kind) && sc.Object == Wildcard)) && !st.schemas[[2]string{sc.Database, sc.Schema}] {
			missing = append(missing, sc.String())
		}
		if sc.Database != "" && !slices.Contains(st.dbs, sc.Database) {
			missing = append(missing, sc.String())
		}
	}
	if len(missing) > 0 {
		return nil, &grantMissing{fmt.Sprintf("the objects of scopes %q do not exist in the databases the provider manages (%s); nothing was changed", nhi.SortedUnique(missing), strings.Join(st.dbs, ", "))}
	}
	return stmts, nil
}

func holdsAll(entries []grantEntry, kind string, overloads []grantRoutine) bool {
	if kind != ScopeFunction {
		return entries != nil
	}
	has := map[uint32]bool{}
	for _, e := range entries {
		has[e.overload] = true
	}
	for _, o := range overloads {
		if !has[o.oid] {
			return false
		}
	}
	return true
}

func routineByOID(overloads []grantRoutine, oid uint32) *grantRoutine {
	for i := range overloads {
		if overloads[i].oid == oid {
			return &overloads[i]
		}
	}
	return nil
}

func sortedScopes(m map[Scope]bool) []Scope {
	out := make([]Scope, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func sortedTargets(m map[grantTarget][]string) []grantTarget {
	out := make([]grantTarget, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		return a.kind+"\x00"+a.db+"\x00"+a.schema+"\x00"+a.grantor < b.kind+"\x00"+b.db+"\x00"+b.schema+"\x00"+b.grantor
	})
	return out
}

// reconcileGrants makes role hold exactly want: it grants what is missing
// and revokes what is extra (memberships, attributes, database, schema,
// table, sequence and function privileges), with the "*" rule of the top
// of this file. It refuses, changing nothing, a want that does not parse
// or names what does not exist, and a role that owns a database (a
// declaration cannot allow that). The cluster-wide statements (ALTER ROLE,
// memberships, database privileges) run in one transaction on the
// maintenance database, then each database's in one transaction of its
// own, each transaction one query (execAtomic: one round trip); a failure
// in one database leaves the transactions before it committed. Afterwards it reads the role back and returns an error naming
// what still differs (for example a grant the connecting role was not
// allowed to change: PostgreSQL only warns then).
func (c *Client) reconcileGrants(ctx context.Context, role string, want []string) error {
	_, err := c.reconcile(ctx, role, want, reconcileOpts{})
	return err
}

// reconcileOpts are what the role's writers (role.go) know already, so
// that reconcile reads and checks nothing twice.
type reconcileOpts struct {
	// checked: CheckScopes passed want in this call already.
	checked bool
	// fresh: the role was made just now and holds nothing, so there is
	// nothing to read before granting (plan from an empty state), unless a
	// function is named (its overloads are granted one by one).
	fresh bool
	// before is the role's grant state as read already (its own reading,
	// or the command snapshot's while fresh); nil reads it.
	before *grantState
	// declared is what the read-back is rendered against for the caller
	// (the role's declared scopes, when they are not want: a disable
	// revokes every grant of a role that declares some); nil: want.
	declared []string
	// rowAfter: the caller takes the role's catalog row from the
	// read-back (it wrote the row before), so the read-back is made even
	// when there was nothing to change. Otherwise nothing to change means
	// nothing to read again: the state read before is the read-back.
	rowAfter bool
	// tokenRemoval is the statement that removes the create token from
	// the role's comment: it runs in the cluster-wide transaction when
	// there is one, else alone after the grants, and a failure of it
	// alone is ignored (bookkeeping; see createRole).
	tokenRemoval string
}

// readBack is a role as read back by reconcile: the grant state of the
// verifying read (with the role's catalog row) and its scopes rendered
// against reconcileOpts.declared.
type readBack struct {
	state  *grantState
	scopes []string
}

// reconcile is reconcileGrants with what the caller knows (opts); it
// returns the verifying read-back.
func (c *Client) reconcile(ctx context.Context, role string, want []string, o reconcileOpts) (readBack, error) {
	canon, err := CanonicalScopes(want)
	if err != nil {
		return readBack{}, fmt.Errorf("scopes %w", err)
	}
	if !o.checked {
		if err := c.CheckScopes(ctx, canon); err != nil {
			return readBack{}, err
		}
	}
	parsed := make([]Scope, len(canon))
	namesFunction := false
	for i, s := range canon {
		parsed[i], _ = ParseScope(s)
		namesFunction = namesFunction || (parsed[i].Kind == ScopeFunction && parsed[i].Object != Wildcard)
	}
	st := o.before
	switch {
	case st != nil && st.byName[role] != nil:
	case o.fresh && !namesFunction:
		st = newGrantState()
		st.blind = true
		r := &grantRole{name: role, privs: map[Scope][]grantEntry{}}
		st.byName[role] = r
	default:
		if st, err = c.readState(ctx, role, canon); err != nil {
			return readBack{}, err
		}
	}
	r := st.byName[role]
	if len(r.owns) > 0 {
		owns := slices.Sorted(slices.Values(r.owns))
		return readBack{}, fmt.Errorf("PostgreSQL role %q owns database %q, which a declaration cannot allow (owning a database gives every privilege on it), so its grants were not changed; "+
			"give the database another owner first (ALTER DATABASE %s OWNER TO <another role>) and declare the privileges the role needs instead",
			role, owns[0], grantIdent(owns[0]))
	}
	stmts, err := st.plan(r, parsed)
	if err != nil {
		return readBack{}, err
	}
	byDB := map[string][]grantStmt{}
	var order []string
	for _, s := range stmts {
		if _, ok := byDB[s.db]; !ok {
			order = append(order, s.db)
		}
		byDB[s.db] = append(byDB[s.db], s)
	}
	tokenAlone := o.tokenRemoval != ""
	if _, ok := byDB[""]; ok && tokenAlone {
		byDB[""] = append(byDB[""], grantStmt{sql: o.tokenRemoval})
		tokenAlone = false
	}
	sort.Slice(order, func(i, j int) bool { return order[i] == "" || (order[j] != "" && order[i] < order[j]) })
	for _, db := range order {
		where := "on the server"
		if db != "" {
			where = fmt.Sprintf("in database %q", db)
		}
		// PostgreSQL fails concurrent GRANTs on one object ("tuple
		// concurrently updated"): the grant changes of every client of
		// this provider take turns, database by database, holding an
		// advisory lock for their transaction.
		sqls := []string{fmt.Sprintf("SELECT pg_catalog.pg_advisory_xact_lock(%d)", grantLockKey)}
		var shown []string // what an error names (not the token's removal)
		for _, s := range byDB[db] {
			if s.asRo != "" {
				// Revoked as its grantor.
				sqls = append(sqls, "SET LOCAL ROLE "+grantIdent(s.asRo))
			}
			sqls = append(sqls, s.sql)
			if s.asRo != "" {
				sqls = append(sqls, "RESET ROLE")
			}
			if s.sql != o.tokenRemoval {
				shown = append(shown, s.sql)
			}
		}
		doing := fmt.Sprintf("changing the grants of PostgreSQL role %q %s", role, where)
		if err := c.execAtomic(ctx, db, doing, sqls, shown); err != nil {
			return readBack{}, err
		}
	}
	if tokenAlone {
		_ = c.exec(ctx, "", "removing the create token of PostgreSQL role "+role, o.tokenRemoval)
	}
	declared := canon
	if o.declared != nil {
		declared = o.declared
	}
	after := st
	if len(stmts) > 0 || tokenAlone || st.blind || o.rowAfter {
		if after, err = c.readState(ctx, role, append(slices.Clip(canon), declared...)); err != nil {
			return readBack{}, err
		}
	}
	got := after.renderScopes(after.byName[role], canon)
	if extra, missing := nhi.ScopeDiff(canon, got); len(extra)+len(missing) > 0 {
		var parts []string
		if len(extra) > 0 {
			parts = append(parts, "still holds "+strings.Join(extra, ", "))
		}
		if len(missing) > 0 {
			parts = append(parts, "still lacks "+strings.Join(missing, ", "))
		}
		return readBack{}, fmt.Errorf("PostgreSQL role %q %s after its grants were changed: the provider's role %q may not be allowed to change them "+
			"(it needs to own the objects, hold the privileges WITH GRANT OPTION, or be a superuser)", role, strings.Join(parts, " and "), c.User())
	}
	if o.declared != nil {
		got = after.renderScopes(after.byName[role], o.declared)
	}
	return readBack{state: after, scopes: got}, nil
}

// execAtomic runs stmts in database db as one simple-protocol query: one
// round trip and one transaction (PostgreSQL runs the statements of one
// query as an implicit transaction: all or none, and SET LOCAL holds to its
// end), retried as retry does, so every statement must be safe to repeat.
// None may have parameters. A server error names the statements of show
// (nil: none; a statement that may carry a password verifier never is).
func (c *Client) execAtomic(ctx context.Context, db, doing string, stmts, show []string) error {
	return c.onDB(ctx, db, doing, func(ctx context.Context, p *pgxpool.Pool) error {
		_, err := p.Exec(ctx, strings.Join(stmts, ";\n"))
		if err != nil && len(show) > 0 && sqlState(err) != "" && !transient(err) {
			return fmt.Errorf("%w (in %s)", err, strings.Join(show, "; "))
		}
		return err
	})
}

// revokeAll removes every membership, attribute and privilege of role, as
// reconcileGrants(role, nil) does (disable on expiry).
func (c *Client) revokeAll(ctx context.Context, role string) error {
	return c.reconcileGrants(ctx, role, nil)
}

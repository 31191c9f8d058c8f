package postgresql

// Integration tests of grants.go against the project's PostgreSQL test
// server (. /work/dev-env/pg.env, or make pg-up and its pg.env). They fail,
// never skip, without it. The server is shared: every role and schema here
// has a random name and is dropped when the test ends; nothing else is
// altered. (acctest has PostgreSQL helpers too, but it imports the provider
// and so this package: an internal test cannot use it.)

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// gtCheckEnv fails the test when the PostgreSQL test server is not
// configured.
func gtCheckEnv(t *testing.T) {
	t.Helper()
	if os.Getenv("NHI_TEST_POSTGRES") == "" {
		t.Fatal("NHI_TEST_POSTGRES is not set: PostgreSQL integration tests need the project's PostgreSQL test server. Run `make test`, or `make pg-up`, `. .nhi-dev/pg/pg.env` and `make testacc`.")
	}
	for _, k := range []string{"PGHOST", "PGPORT", "PGUSER", "PGPASSWORD"} {
		if os.Getenv(k) == "" {
			t.Fatalf("NHI_TEST_POSTGRES is set but %s is empty: source the pg.env of the PostgreSQL test server.", k)
		}
	}
}

func gtCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// gtClient is the client under test, from the libpq variables.
func gtClient(t *testing.T, databases ...string) *Client {
	t.Helper()
	gtCheckEnv(t)
	c, err := New(gtCtx(t), Connection{Databases: databases}, "nhi.dev")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// gtAdmin is the superuser's own pools (not the code under test), to
// arrange and inspect.
type gtAdmin struct {
	t     *testing.T
	pools map[string]*pgxpool.Pool
}

func gtSuper(t *testing.T) *gtAdmin {
	t.Helper()
	gtCheckEnv(t)
	a := &gtAdmin{t: t, pools: map[string]*pgxpool.Pool{}}
	t.Cleanup(func() {
		for _, p := range a.pools {
			p.Close()
		}
	})
	return a
}

func (a *gtAdmin) pool(db string) *pgxpool.Pool {
	a.t.Helper()
	if db == "" {
		db = "postgres"
	}
	if p := a.pools[db]; p != nil {
		return p
	}
	cfg, err := pgxpool.ParseConfig("dbname=" + db)
	if err != nil {
		a.t.Fatal(err)
	}
	cfg.MaxConns = 2
	cfg.ConnConfig.RuntimeParams["application_name"] = "nhi-grants-test"
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		a.t.Fatal(err)
	}
	a.pools[db] = p
	return p
}

// exec runs the statements in db, in one transaction when there are
// several (so SET ROLE holds for the ones after it).
func (a *gtAdmin) exec(db string, stmts ...string) {
	a.t.Helper()
	ctx := context.Background()
	if len(stmts) == 1 {
		if _, err := a.pool(db).Exec(ctx, stmts[0]); err != nil {
			a.t.Fatalf("database %s: %s: %v", db, stmts[0], err)
		}
		return
	}
	err := pgx.BeginFunc(ctx, a.pool(db), func(tx pgx.Tx) error {
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
		}
		return nil
	})
	if err != nil {
		a.t.Fatalf("database %s: %v", db, err)
	}
}

func (a *gtAdmin) bool(db, query string, args ...any) bool {
	a.t.Helper()
	var v bool
	if err := a.pool(db).QueryRow(context.Background(), query, args...).Scan(&v); err != nil {
		a.t.Fatalf("database %s: %s: %v", db, query, err)
	}
	return v
}

func gtRand() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

var gtDatabases = []string{"postgres", "app", "analytics"}

// role creates a role named prefix_<random> with the given options and
// drops it (and every privilege it holds) when the test ends.
func (a *gtAdmin) role(prefix, options string) string {
	a.t.Helper()
	name := prefix + "_" + gtRand()
	a.exec("", "CREATE ROLE "+grantIdent(name)+" "+options)
	a.t.Cleanup(func() {
		ctx := context.Background()
		for _, db := range gtDatabases {
			if _, err := a.pool(db).Exec(ctx, "DROP OWNED BY "+grantIdent(name)); err != nil && !strings.Contains(err.Error(), "does not exist") {
				a.t.Errorf("cleanup: DROP OWNED BY %s in %s: %v", name, db, err)
			}
		}
		if _, err := a.pool("").Exec(ctx, "DROP ROLE IF EXISTS "+grantIdent(name)); err != nil {
			a.t.Errorf("cleanup: DROP ROLE %s: %v", name, err)
		}
	})
	return name
}

// schema creates schema h2_<random> in db with the statements (%s is the
// quoted schema) and drops it with everything in it when the test ends.
func (a *gtAdmin) schema(db string, stmts ...string) string {
	a.t.Helper()
	name := "h2_" + gtRand()
	q := grantIdent(name)
	a.exec(db, "CREATE SCHEMA "+q)
	a.t.Cleanup(func() {
		if _, err := a.pool(db).Exec(context.Background(), "DROP SCHEMA IF EXISTS "+q+" CASCADE"); err != nil {
			a.t.Errorf("cleanup: DROP SCHEMA %s in %s: %v", name, db, err)
		}
	})
	for _, s := range stmts {
		a.exec(db, strings.ReplaceAll(s, "%s", q))
	}
	return name
}

// fixture is the objects every schema of these tests holds.
var gtObjects = []string{
	"CREATE TABLE %s.t1 (id int)",
	"CREATE TABLE %s.\"Odd \"\"T\"\" 2\" (id int)",
	"CREATE VIEW %s.v AS SELECT 1 AS one",
	"CREATE SEQUENCE %s.q",
	"CREATE FUNCTION %s.f(integer) RETURNS integer LANGUAGE sql AS 'SELECT $1'",
	"CREATE FUNCTION %s.f(text) RETURNS text LANGUAGE sql AS 'SELECT $1'",
	"CREATE PROCEDURE %s.p() LANGUAGE sql AS 'SELECT 1'",
}

func gtCanon(t *testing.T, in []string) []string {
	t.Helper()
	c, err := CanonicalScopes(in)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func gtSame(t *testing.T, what string, got, want []string) {
	t.Helper()
	if got == nil {
		got = []string{}
	}
	if want == nil {
		want = []string{}
	}
	if !reflect.DeepEqual(got, want) {
		extra, missing := nhi.ScopeDiff(want, got)
		t.Fatalf("%s:\n got  %q\n want %q\n extra %q, missing %q", what, got, want, extra, missing)
	}
}

func TestIntegrationGrantsRoundTrip(t *testing.T) {
	c, a, ctx := gtClient(t), gtSuper(t), gtCtx(t)
	group := a.role("h2_group", "NOLOGIN")
	r := a.role("h2 Odd \"Role\"", "LOGIN")
	sApp := a.schema("app", gtObjects...)
	sAn := a.schema("analytics", gtObjects...)
	odd := `Odd "T" 2`

	declared := []string{
		"role:" + group,
		"attribute:CREATEDB",
		"database:CONNECT@app", "database:TEMP@analytics", "database:CONNECT@analytics",
		"schema:USAGE@app." + sApp, "schema:CREATE@analytics." + sAn, "schema:USAGE@analytics." + sAn,
		"table:SELECT@app." + sApp + ".t1", "table:INSERT@app." + sApp + "." + odd, "table:SELECT@app." + sApp + ".v",
		"table:UPDATE@analytics." + sAn + ".*",
		"sequence:USAGE@app." + sApp + ".q", "sequence:SELECT@analytics." + sAn + ".*",
		"function:EXECUTE@app." + sApp + ".f", "function:EXECUTE@analytics." + sAn + ".*",
		"function:EXECUTE@app." + sApp + ".p",
	}
	if err := c.CheckScopes(ctx, declared); err != nil {
		t.Fatal(err)
	}
	if got, err := c.readGrants(ctx, r); err != nil || len(got) != 0 {
		t.Fatalf("a new role holds %q, %v; want nothing", got, err)
	}
	if err := c.reconcileGrants(ctx, r, declared); err != nil {
		t.Fatal(err)
	}
	want := gtCanon(t, declared)
	got, err := c.readGrantsFor(ctx, r, want)
	if err != nil {
		t.Fatal(err)
	}
	gtSame(t, "read back against the declaration", got, want)

	// The catalog agrees, as psql would see it.
	q := func(schema, obj string) string { return grantIdent(schema, obj) }
	for _, ck := range []struct {
		db, query string
		args      []any
	}{
		{"", "SELECT pg_has_role($1, $2, 'MEMBER')", []any{r, group}},
		{"", "SELECT rolcreatedb FROM pg_roles WHERE rolname = $1", []any{r}},
		{"", "SELECT has_database_privilege($1, 'analytics', 'TEMPORARY')", []any{r}},
		{"app", "SELECT has_schema_privilege($1, $2, 'USAGE')", []any{r, sApp}},
		{"analytics", "SELECT has_schema_privilege($1, $2, 'CREATE')", []any{r, sAn}},
		{"app", "SELECT has_table_privilege($1, $2, 'SELECT')", []any{r, q(sApp, "t1")}},
		{"app", "SELECT has_table_privilege($1, $2, 'INSERT')", []any{r, q(sApp, odd)}},
		{"analytics", "SELECT has_table_privilege($1, $2, 'UPDATE') AND has_table_privilege($1, $3, 'UPDATE')", []any{r, q(sAn, "t1"), q(sAn, odd)}},
		{"app", "SELECT has_sequence_privilege($1, $2, 'USAGE')", []any{r, q(sApp, "q")}},
		{"analytics", "SELECT has_sequence_privilege($1, $2, 'SELECT')", []any{r, q(sAn, "q")}},
		{"app", "SELECT has_function_privilege($1, $2, 'EXECUTE') AND has_function_privilege($1, $3, 'EXECUTE')", []any{r, q(sApp, "f") + "(integer)", q(sApp, "f") + "(text)"}},
	} {
		if !a.bool(ck.db, ck.query, ck.args...) {
			t.Errorf("after reconcile, database %q: %s %q is false", ck.db, ck.query, ck.args)
		}
	}
	// Not granted: DELETE on t1, and the view's INSERT stays with its owner.
	if a.bool("app", "SELECT has_table_privilege($1, $2, 'DELETE')", r, q(sApp, "t1")) {
		t.Error("DELETE on t1 was granted but not declared")
	}

	// Reconciling again changes nothing and reads the same.
	if err := c.reconcileGrants(ctx, r, declared); err != nil {
		t.Fatal(err)
	}
	// Narrow: keep one scope per kind less.
	narrower := []string{"role:" + group, "database:CONNECT@app", "schema:USAGE@app." + sApp, "table:SELECT@app." + sApp + ".t1",
		"sequence:SELECT@analytics." + sAn + ".*", "function:EXECUTE@analytics." + sAn + ".*"}
	if err := c.reconcileGrants(ctx, r, narrower); err != nil {
		t.Fatal(err)
	}
	got, err = c.readGrantsFor(ctx, r, narrower)
	if err != nil {
		t.Fatal(err)
	}
	gtSame(t, "after narrowing", got, gtCanon(t, narrower))
	if a.bool("", "SELECT rolcreatedb FROM pg_roles WHERE rolname = $1", r) {
		t.Error("CREATEDB was not removed")
	}

	// Disable: everything goes, the role stays.
	if err := c.revokeAll(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err = c.readGrants(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	gtSame(t, "after revokeAll", got, nil)
	if a.bool("", "SELECT pg_has_role($1, $2, 'MEMBER')", r, group) {
		t.Error("revokeAll left the membership")
	}
	// (EXECUTE stays through PUBLIC's default grant: look at the ACL.)
	if a.bool("analytics", "SELECT EXISTS (SELECT 1 FROM pg_proc p, aclexplode(p.proacl) x WHERE p.oid = $2::regprocedure AND x.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1))", r, q(sAn, "f")+"(integer)") {
		t.Error("revokeAll left EXECUTE on a routine")
	}
	if !a.bool("", "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", r) {
		t.Error("revokeAll dropped the role")
	}

	// A role that does not exist.
	if _, err := c.readGrants(ctx, "h2_nobody_"+gtRand()); !errors.Is(err, nhi.ErrNotFound) {
		t.Fatalf("readGrants of a missing role = %v, want ErrNotFound", err)
	}
	if err := c.reconcileGrants(ctx, "h2_nobody_"+gtRand(), nil); !errors.Is(err, nhi.ErrNotFound) {
		t.Fatalf("reconcileGrants of a missing role = %v, want ErrNotFound", err)
	}
}

func TestIntegrationGrantsOutOfBandRevoked(t *testing.T) {
	c, a, ctx := gtClient(t), gtSuper(t), gtCtx(t)
	group := a.role("h2_group", "NOLOGIN")
	other := a.role("h2_other", "NOLOGIN")
	delegate := a.role("h2_delegate", "NOLOGIN")
	r := a.role("h2_app", "LOGIN")
	sApp := a.schema("app", gtObjects...)
	sAn := a.schema("analytics", gtObjects...)
	declared := []string{"role:" + group, "schema:USAGE@app." + sApp, "table:SELECT@app." + sApp + ".t1", "table:SELECT@analytics." + sAn + ".*"}
	if err := c.reconcileGrants(ctx, r, declared); err != nil {
		t.Fatal(err)
	}
	R := grantIdent(r)
	// Someone with psql widens the role, in both databases and on the
	// server; a delegate with the grant option grants too (its grant can
	// only be revoked as the delegate).
	a.exec("", "GRANT "+grantIdent(other)+" TO "+R, "ALTER ROLE "+R+" CREATEROLE", "GRANT CREATE ON DATABASE analytics TO "+R)
	a.exec("app",
		"GRANT CREATE ON SCHEMA "+grantIdent(sApp)+" TO "+R,
		"GRANT DELETE ON "+grantIdent(sApp, "t1")+" TO "+R,
		"GRANT UPDATE ON SEQUENCE "+grantIdent(sApp, "q")+" TO "+R,
		"GRANT EXECUTE ON FUNCTION "+grantIdent(sApp, "f")+"(text) TO "+R,
		"GRANT SELECT ON "+grantIdent(sApp, "v")+" TO "+grantIdent(delegate)+" WITH GRANT OPTION",
		"GRANT USAGE ON SCHEMA "+grantIdent(sApp)+" TO "+grantIdent(delegate),
		"SET ROLE "+grantIdent(delegate),
		"GRANT SELECT ON "+grantIdent(sApp, "v")+" TO "+R,
		"RESET ROLE",
	)
	a.exec("analytics", "GRANT TRUNCATE ON "+grantIdent(sAn, "t1")+" TO "+R)

	canon := gtCanon(t, declared)
	got, err := c.readGrantsFor(ctx, r, canon)
	if err != nil {
		t.Fatal(err)
	}
	extra, missing := nhi.ScopeDiff(canon, got)
	wantExtra := []string{
		"attribute:CREATEROLE",
		"database:CREATE@analytics",
		"function:EXECUTE@app." + sApp + ".f(text)", // one overload of two
		"role:" + other,
		"schema:CREATE@app." + sApp,
		"sequence:UPDATE@app." + sApp + ".q", // the only sequence of the schema: by name, never *
		"table:DELETE@app." + sApp + ".t1",
		"table:SELECT@app." + sApp + ".v",
		"table:TRUNCATE@analytics." + sAn + ".t1",
	}
	gtSame(t, "out-of-band grants seen as extra", extra, wantExtra)
	gtSame(t, "nothing declared is missing", missing, nil)

	// The scan of every role sees the same.
	all, err := c.readAllGrantsFor(ctx, map[string][]string{r: canon})
	if err != nil {
		t.Fatal(err)
	}
	gtSame(t, "readAllGrantsFor", all[r], got)

	if err := c.reconcileGrants(ctx, r, declared); err != nil {
		t.Fatal(err)
	}
	got, err = c.readGrantsFor(ctx, r, canon)
	if err != nil {
		t.Fatal(err)
	}
	gtSame(t, "after reconcile", got, canon)
	if a.bool("app", "SELECT has_table_privilege($1, $2, 'SELECT')", r, grantIdent(sApp, "v")) {
		t.Error("the delegate's grant on v was not revoked")
	}
	if !a.bool("app", "SELECT has_table_privilege($1, $2, 'SELECT')", delegate, grantIdent(sApp, "v")) {
		t.Error("the delegate's own privilege was touched")
	}
}

func TestIntegrationGrantsStar(t *testing.T) {
	c, a, ctx := gtClient(t), gtSuper(t), gtCtx(t)
	r := a.role("h2_star", "LOGIN")
	s := a.schema("app", "CREATE TABLE %s.t1 (id int)", "CREATE TABLE %s.t2 (id int)", "CREATE SEQUENCE %s.q",
		"CREATE FUNCTION %s.f() RETURNS int LANGUAGE sql AS 'SELECT 1'")
	empty := a.schema("analytics")
	star := "table:SELECT@app." + s + ".*"
	list := []string{"table:SELECT@app." + s + ".t1", "table:SELECT@app." + s + ".t2"}

	if err := c.reconcileGrants(ctx, r, []string{star}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		declared, want []string
	}{
		{[]string{star}, []string{star}},
		{nil, list},      // undeclared: by name, never * (which would widen to tables made later)
		{list, list},     // declared one by one: read back one by one
		{list[:1], list}, // a shorter list sees t2 as extra
		{[]string{star, list[0]}, []string{star}},
	} {
		got, err := c.readGrantsFor(ctx, r, tc.declared)
		if err != nil {
			t.Fatal(err)
		}
		gtSame(t, "declared "+strings.Join(tc.declared, ","), got, tc.want)
	}
	// The full list declared is converged too: reconcile changes nothing.
	if err := c.reconcileGrants(ctx, r, list); err != nil {
		t.Fatal(err)
	}

	// A table created later: "*" shows as missing, not t1 and t2 as extra;
	// the list declaration is still met.
	a.exec("app", "CREATE TABLE "+grantIdent(s, "t3")+" (id int)")
	got, err := c.readGrantsFor(ctx, r, []string{star})
	if err != nil {
		t.Fatal(err)
	}
	extra, missing := nhi.ScopeDiff([]string{star}, got)
	gtSame(t, "new table: extra", extra, nil)
	gtSame(t, "new table: missing", missing, []string{star})
	got, err = c.readGrantsFor(ctx, r, list)
	if err != nil {
		t.Fatal(err)
	}
	gtSame(t, "new table, list declared", got, list)
	if err := c.reconcileGrants(ctx, r, []string{star}); err != nil {
		t.Fatal(err)
	}
	if !a.bool("app", "SELECT has_table_privilege($1, $2, 'SELECT')", r, grantIdent(s, "t3")) {
		t.Fatal("reconcile of * did not grant the new table")
	}
	// Narrow * to one table.
	if err := c.reconcileGrants(ctx, r, list[:1]); err != nil {
		t.Fatal(err)
	}
	if a.bool("app", "SELECT has_table_privilege($1, $2, 'SELECT') OR has_table_privilege($1, $3, 'SELECT')", r, grantIdent(s, "t2"), grantIdent(s, "t3")) {
		t.Fatal("narrowing * to t1 left t2 or t3")
	}

	// "*" of an empty schema holds, and is never reported undeclared.
	emptyStar := []string{"table:SELECT@analytics." + empty + ".*", "sequence:USAGE@analytics." + empty + ".*", "function:EXECUTE@analytics." + empty + ".*"}
	if err := c.reconcileGrants(ctx, r, emptyStar); err != nil {
		t.Fatal(err)
	}
	got, err = c.readGrantsFor(ctx, r, emptyStar)
	if err != nil {
		t.Fatal(err)
	}
	gtSame(t, "empty schema, * declared", got, gtCanon(t, emptyStar))
	if got, err = c.readGrants(ctx, r); err != nil || len(got) != 0 {
		t.Fatalf("empty schema, undeclared: %q, %v; want nothing", got, err)
	}

	// Sequences and routines follow the same rule.
	seqFn := []string{"sequence:USAGE@app." + s + ".*", "function:EXECUTE@app." + s + ".*"}
	if err := c.reconcileGrants(ctx, r, seqFn); err != nil {
		t.Fatal(err)
	}
	got, err = c.readGrants(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	gtSame(t, "sequences and routines *, undeclared: by name", got, []string{"function:EXECUTE@app." + s + ".f", "sequence:USAGE@app." + s + ".q"})
	got, err = c.readGrantsFor(ctx, r, []string{"sequence:USAGE@app." + s + ".q", "function:EXECUTE@app." + s + ".f"})
	if err != nil {
		t.Fatal(err)
	}
	gtSame(t, "sequences and routines by name", got, []string{"function:EXECUTE@app." + s + ".f", "sequence:USAGE@app." + s + ".q"})
}

func TestIntegrationGrantsPublicAndOwnershipIgnored(t *testing.T) {
	c, a, ctx := gtClient(t), gtSuper(t), gtCtx(t)
	r := a.role("h2_pub", "LOGIN")
	s := a.schema("app", gtObjects...)
	a.exec("app",
		"GRANT USAGE ON SCHEMA "+grantIdent(s)+" TO PUBLIC",
		"GRANT SELECT ON "+grantIdent(s, "t1")+" TO PUBLIC",
		"GRANT USAGE ON SEQUENCE "+grantIdent(s, "q")+" TO PUBLIC",
		// r owns a table: its implicit (and now explicit) owner privileges are no scopes.
		"CREATE TABLE "+grantIdent(s, "owned")+" (id int)",
		"ALTER TABLE "+grantIdent(s, "owned")+" OWNER TO "+grantIdent(r),
		"GRANT SELECT ON "+grantIdent(s, "owned")+" TO "+grantIdent(r), // a no-op on the owner's entry
		"REVOKE DELETE ON "+grantIdent(s, "owned")+" FROM PUBLIC",
	)
	got, err := c.readGrants(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	gtSame(t, "PUBLIC grants and ownership", got, nil)
	all, err := c.readAllGrants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gtSame(t, "PUBLIC grants and ownership, every role read", all[r], nil)
	if err := c.revokeAll(ctx, r); err != nil {
		t.Fatal(err)
	}
	if !a.bool("app", "SELECT has_table_privilege('public', $1, 'SELECT')", grantIdent(s, "t1")) {
		t.Fatal("revokeAll removed a grant to PUBLIC")
	}
	if !a.bool("app", "SELECT has_table_privilege($1, $2, 'DELETE')", r, grantIdent(s, "owned")) {
		t.Fatal("revokeAll removed an owner's privilege")
	}
}

func TestIntegrationReadAllGrantsEqualsReadGrants(t *testing.T) {
	c, a, ctx := gtClient(t), gtSuper(t), gtCtx(t)
	group := a.role("h2_group", "NOLOGIN")
	sApp := a.schema("app", gtObjects...)
	sAn := a.schema("analytics", gtObjects...)
	roles := map[string][]string{
		a.role("h2_all1", "LOGIN"): {"role:" + group, "database:CONNECT@app", "table:SELECT@app." + sApp + ".*"},
		a.role("h2_all2", "LOGIN"): {"attribute:CREATEDB", "table:SELECT@app." + sApp + ".t1", "function:EXECUTE@analytics." + sAn + ".f"},
		a.role("h2_all3", "LOGIN"): {"schema:USAGE@analytics." + sAn, "sequence:UPDATE@analytics." + sAn + ".*"},
		a.role("h2_all4", "LOGIN"): nil,
	}
	for r, s := range roles {
		if err := c.reconcileGrants(ctx, r, s); err != nil {
			t.Fatal(err)
		}
	}
	// An out-of-band grant too, so not everything is declared.
	a.exec("analytics", "GRANT DELETE ON "+grantIdent(sAn, "t1")+" TO "+grantIdent(group))
	all, err := c.readAllGrants(ctx)
	if err != nil {
		t.Fatal(err)
	}
	allFor, err := c.readAllGrantsFor(ctx, roles)
	if err != nil {
		t.Fatal(err)
	}
	for r, decl := range roles {
		one, err := c.readGrants(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		gtSame(t, "readAllGrants["+r+"]", all[r], one)
		oneFor, err := c.readGrantsFor(ctx, r, decl)
		if err != nil {
			t.Fatal(err)
		}
		gtSame(t, "readAllGrantsFor["+r+"]", allFor[r], oneFor)
		gtSame(t, "declared "+r, oneFor, gtCanon(t, decl))
	}
	one, err := c.readGrants(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	gtSame(t, "the group role", all[group], one)
	gtSame(t, "the group role's grant", one, []string{"table:DELETE@analytics." + sAn + ".t1"})
}

func TestIntegrationCheckScopes(t *testing.T) {
	c, a, ctx := gtClient(t), gtSuper(t), gtCtx(t)
	group := a.role("h2_group", "NOLOGIN")
	s := a.schema("app", gtObjects...)
	ok := []string{"role:" + group, "role:pg_read_all_data", "attribute:SUPERUSER", "database:CONNECT@analytics", "schema:USAGE@app." + s,
		"table:SELECT@app." + s + ".t1", "table:SELECT@app." + s + ".v", "table:SELECT@app." + s + ".*", "sequence:USAGE@app." + s + ".q",
		"function:EXECUTE@app." + s + ".f", "function:EXECUTE@app." + s + ".p", "function:EXECUTE@app." + s + ".*", "sequence:USAGE@app." + s + ".*"}
	if err := c.CheckScopes(ctx, ok); err != nil {
		t.Fatal(err)
	}
	if err := c.CheckScopes(ctx, nil); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		scope    string
		notFound bool
		want     []string
	}{
		{"role:h2_nogroup", true, []string{`group role "h2_nogroup" does not exist`}},
		{"database:CONNECT@h2_nodb", true, []string{`database "h2_nodb" does not exist`}},
		{"table:SELECT@h2_nodb.public.t", true, []string{`database "h2_nodb" does not exist`}},
		{"schema:USAGE@app.h2_noschema", true, []string{`schema "h2_noschema" does not exist in database "app"`}},
		{"table:SELECT@app.h2_noschema.*", true, []string{`schema "h2_noschema" does not exist in database "app"`}},
		{"table:SELECT@analytics." + s + ".t1", true, []string{`schema "` + s + `" does not exist in database "analytics"`}},
		{"table:SELECT@app." + s + ".nope", true, []string{`table "` + s + `.nope" does not exist in database "app"`}},
		{"sequence:USAGE@app." + s + ".nope", true, []string{`sequence "` + s + `.nope" does not exist`}},
		{"function:EXECUTE@app." + s + ".nope", true, []string{`function "` + s + `.nope" does not exist`}},
		{"table:SELECT@app." + s + ".q", true, []string{"is a sequence, not a table", "sequence:<USAGE|SELECT|UPDATE>@app." + s + ".q"}},
		{"sequence:USAGE@app." + s + ".t1", true, []string{"is not a sequence"}},
		{"table:SELEKT@app." + s + ".t1", false, []string{`unknown table privilege "SELEKT"`}},
		{"database:CONNECT@template0", false, []string{"does not allow connections"}},
		{"database:CONNECT@template1", false, []string{"is a template"}},
	} {
		err := c.CheckScopes(ctx, append(append([]string{}, ok...), tc.scope))
		if err == nil {
			t.Errorf("CheckScopes(%q) succeeded", tc.scope)
			continue
		}
		if got := errors.Is(err, nhi.ErrNotFound); got != tc.notFound {
			t.Errorf("CheckScopes(%q) = %v: wraps ErrNotFound %v, want %v", tc.scope, err, got, tc.notFound)
		}
		for _, w := range append(tc.want, tc.scope) {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("CheckScopes(%q) = %q, want it to contain %q", tc.scope, err, w)
			}
		}
	}
	// The first failing scope is named, with a count of the others.
	err := c.CheckScopes(ctx, []string{"table:SELECT@app." + s + ".t1", "role:h2_nogroup_a", "role:h2_nogroup_b"})
	if err == nil || !strings.Contains(err.Error(), "h2_nogroup_a") || strings.Contains(err.Error(), "h2_nogroup_b") || !strings.Contains(err.Error(), "1 more") {
		t.Fatalf("two failures: %v", err)
	}
	// A client limited to some databases refuses the others.
	limited := gtClient(t, "app")
	if err := limited.CheckScopes(ctx, []string{"database:CONNECT@analytics"}); err == nil || !strings.Contains(err.Error(), "not one of the databases the provider manages") {
		t.Fatalf("a database outside Connection.Databases: %v", err)
	}
}

func TestIntegrationReconcileRefusesChangingNothing(t *testing.T) {
	c, a, ctx := gtClient(t), gtSuper(t), gtCtx(t)
	r := a.role("h2_refuse", "LOGIN")
	s := a.schema("app", gtObjects...)
	a.exec("app", "GRANT DELETE ON "+grantIdent(s, "t1")+" TO "+grantIdent(r))
	err := c.reconcileGrants(ctx, r, []string{"table:SELECT@app." + s + ".t1", "table:SELECT@app." + s + ".missing"})
	if !errors.Is(err, nhi.ErrNotFound) || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("a missing table: %v", err)
	}
	if err := c.reconcileGrants(ctx, r, []string{"database:OWNER@app"}); err == nil || !strings.Contains(err.Error(), "cannot be declared") {
		t.Fatalf("OWNER declared: %v", err)
	}
	if a.bool("app", "SELECT has_table_privilege($1, $2, 'SELECT')", r, grantIdent(s, "t1")) ||
		!a.bool("app", "SELECT has_table_privilege($1, $2, 'DELETE')", r, grantIdent(s, "t1")) {
		t.Fatal("a refused reconcile changed grants")
	}
}

func TestIntegrationReconcileRefusesDatabaseOwner(t *testing.T) {
	a, ctx := gtSuper(t), gtCtx(t)
	r := a.role("h2_dbowner", "LOGIN")
	// A database of its own, marked as a template so that no other test's
	// default database list (datallowconn and not a template) ever sees it.
	db := "h2_db_" + gtRand()
	a.exec("", "CREATE DATABASE "+grantIdent(db)+" OWNER "+grantIdent(r)+" IS_TEMPLATE true")
	t.Cleanup(func() {
		for _, s := range []string{"ALTER DATABASE " + grantIdent(db) + " IS_TEMPLATE false", "DROP DATABASE IF EXISTS " + grantIdent(db) + " WITH (FORCE)"} {
			if _, err := a.pool("").Exec(context.Background(), s); err != nil {
				t.Errorf("cleanup: %s: %v", s, err)
			}
		}
	})
	c := gtClient(t, "app", db) // closed before the database is dropped
	a.exec("", "GRANT CONNECT ON DATABASE app TO "+grantIdent(r))
	got, err := c.readGrants(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	gtSame(t, "a database owner", got, []string{"database:CONNECT@app", "database:OWNER@" + db})
	err = c.reconcileGrants(ctx, r, []string{"database:CONNECT@app"})
	if err == nil || !strings.Contains(err.Error(), `owns database "`+db+`"`) || !strings.Contains(err.Error(), "ALTER DATABASE "+grantIdent(db)+" OWNER TO") {
		t.Fatalf("reconcile of a database owner: %v", err)
	}
	if err := c.revokeAll(ctx, r); err == nil {
		t.Fatal("revokeAll of a database owner succeeded")
	}
	if !a.bool("", "SELECT EXISTS (SELECT 1 FROM pg_database d, aclexplode(d.datacl) x WHERE d.datname = 'app' AND x.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1))", r) {
		t.Fatal("a refused reconcile revoked CONNECT")
	}
}

// A scan's grant reading costs the same number of statements whatever the
// number of roles: three on the maintenance database and three in each
// database (counted by pg_stat_statements for a role of the test's own).
func TestIntegrationReadAllGrantsConstantQueries(t *testing.T) {
	a, ctx := gtSuper(t), gtCtx(t)
	password := gtRand() + gtRand()
	user := a.role("h2_counter", "LOGIN SUPERUSER")
	// Not through exec: its failure message would quote the password.
	if _, err := a.pool("").Exec(context.Background(), "ALTER ROLE "+grantIdent(user)+" PASSWORD '"+password+"'"); err != nil {
		t.Fatal("setting the counting role's password failed")
	}
	dbs := []string{"analytics", "app", "postgres"}
	c, err := New(ctx, Connection{Username: user, Password: password, Databases: dbs}, "nhi.dev")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	s := a.schema("app", gtObjects...)
	calls := func() int64 {
		var n int64
		if err := a.pool("").QueryRow(context.Background(), "SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements WHERE userid = (SELECT oid FROM pg_roles WHERE rolname = $1)", user).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	addRoles := func(n int) {
		for i := 0; i < n; i++ {
			r := a.role("h2_many", "LOGIN")
			a.exec("app", "GRANT SELECT ON "+grantIdent(s, "t1")+" TO "+grantIdent(r))
		}
	}
	measure := func() int64 {
		before := calls()
		all, err := c.readAllGrants(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(all) < 10 {
			t.Fatalf("readAllGrants read %d roles", len(all))
		}
		return calls() - before
	}
	addRoles(10)
	few := measure()
	addRoles(40)
	many := measure()
	if want := int64(3 + 3*len(dbs)); few != want || many != want {
		t.Fatalf("readAllGrants sent %d statements for 10 roles and %d for 50, want %d both times", few, many, want)
	}
}

// Parallel applies grant on the same objects at once (Terraform applies ten
// resources at a time): PostgreSQL fails concurrent GRANTs on one object
// with "tuple concurrently updated" unless they are serialised.
func TestIntegrationReconcileConcurrent(t *testing.T) {
	c, a, ctx := gtClient(t), gtSuper(t), gtCtx(t)
	s := a.schema("app", gtObjects...)
	group := a.role("h2_group", "NOLOGIN")
	scopes := []string{"role:" + group, "database:CONNECT@app", "schema:USAGE@app." + s, "table:SELECT@app." + s + ".*", "sequence:USAGE@app." + s + ".q", "function:EXECUTE@app." + s + ".f"}
	var roles []string
	for i := 0; i < 12; i++ {
		roles = append(roles, a.role("h2_par", "LOGIN"))
	}
	for round := 0; round < 3; round++ {
		errs := make(chan error, len(roles))
		for _, r := range roles {
			go func() {
				want := scopes
				if round == 1 {
					want = nil
				}
				errs <- c.reconcileGrants(ctx, r, want)
			}()
		}
		var failed []error
		for range roles {
			if err := <-errs; err != nil {
				failed = append(failed, err)
			}
		}
		if len(failed) > 0 {
			t.Fatalf("round %d: %d of %d reconciles failed, the first: %v", round, len(failed), len(roles), failed[0])
		}
	}
	for _, r := range roles {
		got, err := c.readGrantsFor(ctx, r, scopes)
		if err != nil {
			t.Fatal(err)
		}
		gtSame(t, r, got, gtCanon(t, scopes))
	}
}

// An app role that runs its own migrations owns its schema and tables:
// scopes naming them, and "*" over a schema with owned tables, are held
// (read back as declared, reconcile converges), owned objects the
// declaration leaves out are no extras, and nothing owned is revoked.
func TestIntegrationGrantsOwnedObjects(t *testing.T) {
	c, a, ctx := gtClient(t), gtSuper(t), gtCtx(t)
	r := a.role("h15_own", "LOGIN")
	s := a.schema("app", "CREATE TABLE %s.orders (id int)", "CREATE TABLE %s.mine (id int)", "CREATE TABLE %s.theirs (id int)",
		"CREATE FUNCTION %s.fo() RETURNS int LANGUAGE sql AS 'SELECT 1'")
	a.exec("app",
		"ALTER SCHEMA "+grantIdent(s)+" OWNER TO "+grantIdent(r),
		"ALTER TABLE "+grantIdent(s, "orders")+" OWNER TO "+grantIdent(r),
		"ALTER TABLE "+grantIdent(s, "mine")+" OWNER TO "+grantIdent(r),
		"ALTER FUNCTION "+grantIdent(s, "fo")+"() OWNER TO "+grantIdent(r),
		// An owner's explicit ACL entry (after a GRANT to somebody else).
		"GRANT SELECT ON "+grantIdent(s, "mine")+" TO PUBLIC",
	)
	p := func(o string) string { return "@app." + s + "." + o }
	for _, declared := range [][]string{
		{"schema:USAGE@app." + s, "table:SELECT" + p("orders")},
		{"schema:CREATE@app." + s, "table:SELECT" + p("orders"), "table:INSERT" + p("mine"), "function:EXECUTE" + p("fo")},
		{"table:SELECT" + p("*")}, // orders and mine owned, theirs granted
		{"table:SELECT" + p("*"), "function:EXECUTE" + p("*"), "table:UPDATE" + p("theirs")},
	} {
		want := gtCanon(t, declared)
		if err := c.reconcileGrants(ctx, r, declared); err != nil {
			t.Fatalf("declared %q: %v", declared, err)
		}
		got, err := c.readGrantsFor(ctx, r, declared)
		if err != nil {
			t.Fatal(err)
		}
		gtSame(t, fmt.Sprintf("declared %q", declared), got, want)
		all, err := c.readAllGrantsFor(ctx, map[string][]string{r: declared})
		if err != nil {
			t.Fatal(err)
		}
		gtSame(t, fmt.Sprintf("declared %q, every role read", declared), all[r], want)
	}
	if a.bool("app", "SELECT has_table_privilege($1, $2, 'SELECT')", r, grantIdent(s, "theirs")) != true {
		t.Fatal("table:SELECT on * did not grant the table the role does not own")
	}
	// Undeclared, the owned objects are no scopes; revoking everything
	// leaves the owner's privileges.
	if err := c.revokeAll(ctx, r); err != nil {
		t.Fatal(err)
	}
	got, err := c.readGrants(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	gtSame(t, "after revokeAll", got, nil)
	if !a.bool("app", "SELECT has_table_privilege($1, $2, 'DELETE') AND has_schema_privilege($1, $3, 'CREATE')", r, grantIdent(s, "mine"), s) {
		t.Fatal("revokeAll removed an owner's privilege")
	}
}

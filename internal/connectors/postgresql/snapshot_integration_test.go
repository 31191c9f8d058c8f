package postgresql_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	pg "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/postgresql"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// statements counts the statements role has run, from pg_stat_statements.
func statements(t *testing.T, role string) int {
	t.Helper()
	var n int
	v := acctest.PostgresValue(t, "", "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE userid = (SELECT oid FROM pg_roles WHERE rolname = $1)", role)
	if _, err := fmt.Sscan(v, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// Refreshing many declared roles in one command reads the server once: the
// first Get loads every role with its grants, the others cost nothing; the
// provider's own writes are seen at once, and a role dropped by the
// provider is gone.
func TestIntegrationRoleSnapshot(t *testing.T) {
	ctx := ctx(t)
	c, reader := ownClient(t, "nhi_t_snapshot_reader")
	setup := client(t)
	var names []string
	for i := 0; i < 6; i++ {
		n := roleName(t, "nhi_t_snap")
		if _, err := setup.Roles().Create(ctx, spec(n, "database:CONNECT@app")); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}

	before := statements(t, reader)
	if _, err := c.Roles().Get(ctx, pg.RoleRef(names[0])); err != nil {
		t.Fatal(err)
	}
	first := statements(t, reader) - before
	before = statements(t, reader)
	for _, n := range names[1:] {
		d, err := c.Roles().Get(ctx, pg.RoleRef(n))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(d.EffectiveScopes, ",") != "database:CONNECT@app" {
			t.Errorf("%s: effective scopes %v", n, d.EffectiveScopes)
		}
	}
	if rest := statements(t, reader) - before; rest != 0 {
		t.Errorf("the first Get ran %d statements and the next %d Gets %d more; want none: they come from the snapshot", first, len(names)-1, rest)
	}

	// The provider's own writes are seen at once.
	s := spec(names[1], "database:CONNECT@app", "database:TEMPORARY@app")
	if _, err := c.Roles().Update(ctx, s); err != nil {
		t.Fatal(err)
	}
	d, err := c.Roles().Get(ctx, pg.RoleRef(names[1]))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.EffectiveScopes, ","); got != "database:CONNECT@app,database:TEMPORARY@app" {
		t.Errorf("after the update, Get shows %s", got)
	}
	if err := c.Roles().Delete(ctx, pg.RoleRef(names[2])); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Roles().Get(ctx, pg.RoleRef(names[2])); !pg.IsNotFound(err) {
		t.Errorf("after the delete, Get returned %v; want not found", err)
	}
	if _, err := c.SetPassword(ctx, names[3], "a-new-password-for-the-snapshot-test"); err != nil {
		t.Fatal(err)
	}
	d, err = c.Roles().Get(ctx, pg.RoleRef(names[3]))
	if err != nil {
		t.Fatal(err)
	}
	if d.PasswordChangedAt.IsZero() {
		t.Error("after SetPassword, Get does not show password_changed_at: the snapshot kept the old role")
	}
	// A role that exists nowhere is not found without a query.
	before = statements(t, reader)
	if _, err := c.Roles().Get(ctx, pg.RoleRef("nhi_t_no_such_role")); !pg.IsNotFound(err) {
		t.Errorf("Get of a missing role: %v", err)
	}
	if n := statements(t, reader) - before; n != 0 {
		t.Errorf("a missing role cost %d statements after the snapshot was loaded", n)
	}
}

// Membership of a group role that holds a privileged scope (or is a member
// of one that does) is privileged, with why; a password without VALID
// UNTIL never expires.
func TestIntegrationScanPrivilegedThroughGroups(t *testing.T) {
	ctx := ctx(t)
	inner := roleName(t, "nhi_t_grp_inner")
	outer := roleName(t, "nhi_t_grp_outer")
	plain := roleName(t, "nhi_t_grp_plain")
	app := roleName(t, "nhi_t_grp_app")
	acctest.PostgresExec(t, "", "CREATE ROLE "+inner+" NOLOGIN")
	acctest.PostgresExec(t, "", "GRANT pg_write_all_data TO "+inner)
	acctest.PostgresExec(t, "", "CREATE ROLE "+outer+" NOLOGIN IN ROLE "+inner)
	acctest.PostgresExec(t, "", "CREATE ROLE "+plain+" NOLOGIN")
	acctest.PostgresExec(t, "", "CREATE ROLE "+app+" LOGIN PASSWORD 'not-a-real-secret-123' IN ROLE "+outer+", "+plain)
	ids, err := client(t).Scan(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	id, ok := byName(ids)[app]
	if !ok {
		t.Fatalf("%s not scanned", app)
	}
	want := map[string]string{"role:" + outer: "role " + outer + " belongs to " + inner + ", which holds role:pg_write_all_data"}
	if fmt.Sprint(id.PrivilegedWhy) != fmt.Sprint(want) {
		t.Errorf("PrivilegedWhy = %v, want %v", id.PrivilegedWhy, want)
	}
	if len(id.Credentials) != 1 || !id.Credentials[0].NeverExpires || id.Credentials[0].ExpiresAt != nil {
		t.Errorf("credentials %+v: want one password that never expires", id.Credentials)
	}
}

// oneRoleReads is how many one-role grant reads role ran since before
// (statementsByQuery): each has exactly one pg_shdepend query.
func oneRoleReads(t *testing.T, role string, before map[string]int) int {
	t.Helper()
	n := 0
	for q, calls := range statementsByQuery(t, role) {
		if strings.Contains(q, "pg_shdepend") {
			n += calls - before[q]
		}
	}
	return n
}

// An Update of a role the command has not written plans from the command
// snapshot (one read, the verifying one, instead of two); once written, the
// role's grants in the snapshot are out of date, and the next Update reads
// it first: it must revoke what the first one granted.
func TestIntegrationUpdateFromSnapshot(t *testing.T) {
	ctx := ctx(t)
	c, reader := ownClient(t, "nhi_t_snapshot_writer")
	name := roleName(t, "nhi_t_snapupd")
	if _, err := client(t).Roles().Create(ctx, spec(name, "database:CONNECT@app")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Roles().Get(ctx, pg.RoleRef(name)); err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		scopes []string
		reads  int
	}{
		{[]string{"database:CONNECT@app", "database:TEMPORARY@app"}, 1},
		{[]string{"database:CONNECT@app"}, 2},
	} {
		before := statementsByQuery(t, reader)
		d, err := c.Roles().Update(ctx, spec(name, tc.scopes...))
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(d.EffectiveScopes, ","); got != strings.Join(tc.scopes, ",") {
			t.Errorf("update %d: effective scopes %s, want %v", i, got, tc.scopes)
		}
		if n := oneRoleReads(t, reader, before); n != tc.reads {
			t.Errorf("update %d read the role %d times, want %d", i, n, tc.reads)
		}
	}
	if v := acctest.PostgresValue(t, "", "SELECT EXISTS (SELECT 1 FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = 'app' AND a.privilege_type = 'TEMPORARY' AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1))", name); v != "f" {
		t.Error("the second update planned from the snapshot's old grants: TEMPORARY was not revoked")
	}
}

// CheckScopes looks a scope up once per client (one command): a scope
// found costs nothing the next time; one that failed is looked up again
// (and passes once its object exists); a role:<name> scope is forgotten when
// the provider drops that role.
func TestIntegrationCheckScopesOncePerCommand(t *testing.T) {
	ctx := ctx(t)
	c, checker := ownClient(t, "nhi_t_checker")
	schema := acctest.PostgresRandName("s_check")
	acctest.PostgresObject(t, "app", "CREATE SCHEMA "+schema+"; CREATE TABLE "+schema+".t (id int)", "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	group := roleName(t, "nhi_t_checked")
	if _, err := c.Roles().Create(ctx, spec(group)); err != nil {
		t.Fatal(err)
	}
	scopes := []string{"database:CONNECT@app", "schema:USAGE@app." + schema, "table:SELECT@app." + schema + ".t", "role:" + group}
	check := func(scopes ...string) (int, error) {
		before := statements(t, checker)
		err := c.CheckScopes(ctx, scopes)
		return statements(t, checker) - before, err
	}
	if n, err := check(scopes...); err != nil || n == 0 {
		t.Fatalf("first check: %d statements, %v", n, err)
	}
	if n, err := check(scopes...); err != nil || n != 0 {
		t.Fatalf("second check of the same scopes: %d statements (want none), %v", n, err)
	}
	later := "table:SELECT@app." + schema + ".later"
	for i := 0; i < 2; i++ {
		if n, err := check(append(scopes, later)...); !pg.IsNotFound(err) || n == 0 {
			t.Fatalf("check %d of a missing table: %d statements, %v; want it looked up, not found", i, n, err)
		}
	}
	acctest.PostgresExec(t, "app", "CREATE TABLE "+schema+".later (id int)")
	if _, err := check(later); err != nil {
		t.Fatalf("once the table exists: %v", err)
	}
	if err := c.Roles().Delete(ctx, pg.RoleRef(group)); err != nil {
		t.Fatal(err)
	}
	if _, err := check("role:" + group); !pg.IsNotFound(err) {
		t.Fatalf("a role the provider dropped: %v, want not found", err)
	}
}

// One role whose comment is a governance document this provider cannot
// read (a newer version) fails alone: Get of any other role works (the
// snapshot loads), Get of it returns the decode error, and List and Scan
// return an error naming it (never the role silently undeclared).
func TestIntegrationBadDocumentFailsOneRole(t *testing.T) {
	ctx := ctx(t)
	setup := client(t)
	good := roleName(t, "nhi_t_gooddoc")
	if _, err := setup.Roles().Create(ctx, spec(good, "database:CONNECT@app")); err != nil {
		t.Fatal(err)
	}
	bad := roleName(t, "nhi_t_baddoc")
	acctest.PostgresExec(t, "", "CREATE ROLE "+bad+" LOGIN")
	acctest.PostgresExec(t, "", "COMMENT ON ROLE "+bad+` IS '{"managed_by":"nhi.dev","version":99}'`)

	c := client(t)
	d, err := c.Roles().Get(ctx, pg.RoleRef(good))
	if err != nil {
		t.Fatalf("Get of a good role failed because of another role's document: %v", err)
	}
	if !d.Declared || strings.Join(d.EffectiveScopes, ",") != "database:CONNECT@app" {
		t.Errorf("good role: declared %v, scopes %v", d.Declared, d.EffectiveScopes)
	}
	if _, err := c.Roles().Get(ctx, pg.RoleRef(bad)); err == nil || !strings.Contains(err.Error(), "version 99") || !strings.Contains(err.Error(), bad) {
		t.Errorf("Get of the bad role: %v; want the decode error naming it", err)
	}
	if _, err := c.Scan(ctx, nil); !errors.Is(err, pg.ErrBadDocument) || !strings.Contains(err.Error(), bad) {
		t.Errorf("Scan: %v; want an error naming %s", err, bad)
	}
	if _, err := c.List(ctx, nhi.ListOptions{}); !errors.Is(err, pg.ErrBadDocument) || !strings.Contains(err.Error(), bad) {
		t.Errorf("List: %v; want an error naming %s", err, bad)
	}
}

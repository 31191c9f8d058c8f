package postgresql_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	pg "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/postgresql"
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
	reader := roleName(t, "nhi_t_snapshot_reader")
	pw, _ := pg.GeneratePassword()
	acctest.PostgresExec(t, "", "CREATE ROLE "+reader+" SUPERUSER LOGIN PASSWORD '"+pw+"'")
	conn := connection(t, "")
	conn.Username, conn.Password = reader, pw
	c := connect(t, conn)
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

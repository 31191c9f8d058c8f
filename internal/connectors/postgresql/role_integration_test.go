package postgresql_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	pg "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/postgresql"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/faultproxy"
)

func TestIntegrationRoleLifecycle(t *testing.T) {
	c := client(t)
	ctx := ctx(t)
	name := roleName(t, "nhi_t_life")
	schema := acctest.PostgresRandName("s_orders")
	acctest.PostgresObject(t, "app", "CREATE SCHEMA "+schema+"; CREATE TABLE "+schema+".orders (id int); CREATE TABLE "+schema+".refunds (id int)",
		"DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	table := schema + ".orders"
	scopes := []string{"database:CONNECT@app", "schema:USAGE@app." + schema, "table:SELECT@app." + table}
	s := spec(name, scopes...)
	pw := "initial-Passw0rd"
	s.Password = &pw

	d, err := c.Roles().Create(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Declared || d.Governance.Owner != "team:payments" || !d.Governance.ExpiresAt.Equal(s.Governance.ExpiresAt) || d.Disabled {
		t.Fatalf("governance not read back: %+v", d.Identity)
	}
	if !slices.Equal(d.EffectiveScopes, scopes) || !slices.Equal(d.Governance.Scopes, scopes) {
		t.Fatalf("effective %v declared %v, want %v", d.EffectiveScopes, d.Governance.Scopes, scopes)
	}
	if !d.CanLogin || d.ValidUntil == nil || !d.ValidUntil.Equal(s.Governance.ExpiresAt) || !d.PasswordSet || d.PasswordChangedAt.IsZero() {
		t.Fatalf("login %v valid until %v password %v changed %v", d.CanLogin, d.ValidUntil, d.PasswordSet, d.PasswordChangedAt)
	}
	if d.ID != acctest.PostgresValue(t, "", "SELECT oid FROM pg_roles WHERE rolname = $1", name) || d.Ref.String() != "role/"+name {
		t.Fatalf("id %q ref %q", d.ID, d.Ref)
	}
	if len(d.Credentials) != 1 || d.Credentials[0].Kind != pg.CredentialPassword || !d.Credentials[0].Declared || d.Credentials[0].Inactive ||
		d.Credentials[0].ExpiresAt == nil || d.Credentials[0].ID != name+"/password" {
		t.Fatalf("credentials %+v", d.Credentials)
	}
	comment := acctest.PostgresValue(t, "", "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = $1", name)
	if !strings.Contains(comment, `"managed_by":"nhi.dev","version":1`) || strings.Contains(comment, "create_token") {
		t.Fatalf("comment after create: %s", comment)
	}
	if vu := acctest.PostgresValue(t, "", "SELECT rolvaliduntil = $2::timestamptz FROM pg_roles WHERE rolname = $1", name, nhi.FormatTime(s.Governance.ExpiresAt)); vu != "t" {
		t.Fatal("VALID UNTIL is not expires_at")
	}
	login(t, name, pw, "")

	// Out of band: someone grants more.
	acctest.PostgresExec(t, "app", "GRANT INSERT ON "+table+" TO "+name)
	acctest.PostgresExec(t, "", "ALTER ROLE "+name+" CREATEDB")
	if d, err = c.Roles().Get(ctx, pg.RoleRef(name)); err != nil {
		t.Fatal(err)
	}
	if extra, _ := nhi.ScopeDiff(scopes, d.EffectiveScopes); !slices.Equal(extra, []string{"attribute:CREATEDB", "table:INSERT@app." + table}) {
		t.Fatalf("out-of-band grants not seen: %v", d.EffectiveScopes)
	}
	if d, err = c.Roles().Update(ctx, s); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.EffectiveScopes, scopes) {
		t.Fatalf("update kept out-of-band grants: %v", d.EffectiveScopes)
	}

	// Disable on expiry, twice: the first time is kept.
	first := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	if d, err = c.Roles().Disable(ctx, s, first); err != nil {
		t.Fatal(err)
	}
	if d, err = c.Roles().Disable(ctx, s, first.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if !d.Disabled || d.CanLogin || len(d.EffectiveScopes) != 0 || !d.Declared || !slices.Equal(d.Governance.Scopes, scopes) {
		t.Fatalf("disabled: %+v can login %v", d.Identity, d.CanLogin)
	}
	if !strings.Contains(acctest.PostgresValue(t, "", "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = $1", name), `"disabled_at":"2030-01-02T03:04:05Z"`) {
		t.Fatal("the first disable time was not kept")
	}
	if !d.PasswordSet || !d.Credentials[0].Inactive {
		t.Fatalf("a disabled role keeps its password, inactive: %+v", d.Credentials)
	}
	if _, err := tryLogin(t, name, pw, ""); err == nil || !strings.Contains(err.Error(), "not permitted to log in") {
		t.Fatalf("a disabled role could log in (or failed otherwise): %v", err)
	}

	// Update lifts it, with the same password.
	if d, err = c.Roles().Update(ctx, s); err != nil {
		t.Fatal(err)
	}
	if d.Disabled || !d.CanLogin || !slices.Equal(d.EffectiveScopes, scopes) {
		t.Fatalf("update did not lift the disable: %+v", d)
	}
	login(t, name, pw, "")

	// Declared elsewhere or gone: the inventory's Get and the provisioner's.
	id, err := c.Get(ctx, pg.RoleRef(name))
	if err != nil || id.ID != d.ID {
		t.Fatalf("inventory Get: %+v %v", id, err)
	}
	if err := c.Roles().Delete(ctx, pg.RoleRef(name)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Roles().Get(ctx, pg.RoleRef(name)); !pg.IsNotFound(err) {
		t.Fatalf("after delete: %v, want not found", err)
	}
	if err := c.Roles().Delete(ctx, pg.RoleRef(name)); err != nil {
		t.Fatalf("deleting a missing role: %v", err)
	}
}

func TestIntegrationRoleCreateNameTaken(t *testing.T) {
	c := client(t)
	ctx := ctx(t)
	name := roleName(t, "nhi_t_taken")
	acctest.PostgresExec(t, "", "CREATE ROLE "+name+" LOGIN")
	acctest.PostgresExec(t, "", "COMMENT ON ROLE "+name+" IS 'the billing job, ask Ann'")
	_, err := c.Roles().Create(ctx, spec(name))
	if !errors.Is(err, pg.ErrAlreadyExists) || !strings.Contains(err.Error(), "terraform import") {
		t.Fatalf("create over an existing role: %v, want already exists with the way out", err)
	}
	if got := acctest.PostgresValue(t, "", "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = $1", name); got != "the billing job, ask Ann" {
		t.Fatalf("the existing role's comment was changed: %q", got)
	}
}

func TestIntegrationRoleCreateMissingObject(t *testing.T) {
	c := client(t)
	ctx := ctx(t)
	name := roleName(t, "nhi_t_missing")
	_, err := c.Roles().Create(ctx, spec(name, "database:CONNECT@app", "table:SELECT@app.public.no_such_table_nhi"))
	if err == nil || !pg.IsNotFound(err) || !strings.Contains(err.Error(), "no_such_table_nhi") {
		t.Fatalf("create with a missing table: %v", err)
	}
	if n := acctest.PostgresValue(t, "", "SELECT count(*) FROM pg_roles WHERE rolname = $1", name); n != "0" {
		t.Fatal("a role was made")
	}
}

// Granting fails after the role was made (every GRANT's connection is
// reset, until the retries give up): the role is dropped again.
func TestIntegrationRoleCreateRollsBack(t *testing.T) {
	c, proxy := proxied(t)
	ctx := ctx(t)
	name := roleName(t, "nhi_t_rollback")
	grants, err := proxy.AddRule(faultproxy.TCPRule{Contains: []byte("GRANT CONNECT ON DATABASE"), Action: faultproxy.ResetBeforeSend})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Roles().Create(ctx, spec(name, "database:CONNECT@app"))
	if err == nil || !strings.Contains(err.Error(), "the role was dropped again") {
		t.Fatalf("create whose grants fail: %v", err)
	}
	if grants.Applied() < 2 {
		t.Fatalf("the GRANT was tried %d times; want it retried", grants.Applied())
	}
	if n := acctest.PostgresValue(t, "", "SELECT count(*) FROM pg_roles WHERE rolname = $1", name); n != "0" {
		t.Fatal("the half-created role was left behind")
	}
}

// The create's COMMIT reaches the server, which commits, and its answer is
// lost: the retry meets "already exists", finds its own token and carries
// on, instead of failing with "already exists; import it".
func TestIntegrationRoleCreateLostAnswer(t *testing.T) {
	c, proxy := proxied(t)
	ctx := ctx(t)
	name := roleName(t, "nhi_t_lost")
	lost := proxy.LoseNextAnswerContaining([]byte("commit"))
	d, err := c.Roles().Create(ctx, spec(name, "database:CONNECT@app"))
	if err != nil {
		t.Fatal(err)
	}
	if lost.Applied() != 1 {
		t.Fatalf("the fault was applied %d times, want 1", lost.Applied())
	}
	if !d.Declared || !slices.Equal(d.EffectiveScopes, []string{"database:CONNECT@app"}) {
		t.Fatalf("after a lost answer: %+v", d.Identity)
	}
	if comment := acctest.PostgresValue(t, "", "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = $1", name); strings.Contains(comment, "create_token") {
		t.Fatalf("token left behind: %s", comment)
	}
}

// Reads and idempotent writes are sent again after a broken connection.
func TestIntegrationRetriesBrokenConnections(t *testing.T) {
	c, proxy := proxied(t)
	ctx := ctx(t)
	name := roleName(t, "nhi_t_retry")
	before := proxy.ResetBeforeClientSends([]byte("CREATE ROLE"))
	after := proxy.ResetAfterClientSends([]byte("ALTER ROLE"))
	s := spec(name)
	if _, err := c.Roles().Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	// A read of the role by name: its text goes out on a new connection
	// (pgx prepares it there), which the ALTER's reset makes.
	read := proxy.ResetAfterClientSends([]byte("rolname = $1"))
	if _, err := c.Roles().Update(ctx, s); err != nil {
		t.Fatal(err)
	}
	if before.Applied() != 1 || after.Applied() != 1 || read.Applied() != 1 {
		t.Fatalf("faults applied: create %d, alter %d, read %d; want 1 each", before.Applied(), after.Applied(), read.Applied())
	}
}

func TestIntegrationRoleGovernanceFromANewerProvider(t *testing.T) {
	c := client(t)
	ctx := ctx(t)
	name := roleName(t, "nhi_t_future")
	acctest.PostgresExec(t, "", "CREATE ROLE "+name+" LOGIN")
	acctest.PostgresExec(t, "", "COMMENT ON ROLE "+name+` IS '{"managed_by":"nhi.dev","version":2,"owner":"x"}'`)
	_, err := c.Roles().Get(ctx, pg.RoleRef(name))
	if !errors.Is(err, pg.ErrUnsupportedGovernance) || !strings.Contains(err.Error(), "upgrade") {
		t.Fatalf("get: %v, want an error saying to upgrade", err)
	}
	if _, err := c.Roles().Update(ctx, spec(name)); !errors.Is(err, pg.ErrUnsupportedGovernance) {
		t.Fatalf("update overwrote a newer document: %v", err)
	}
}

func TestIntegrationRoleDeleteRefusesOwner(t *testing.T) {
	c := client(t)
	ctx := ctx(t)
	name := roleName(t, "nhi_t_owner")
	if _, err := c.Roles().Create(ctx, spec(name, "database:CONNECT@app")); err != nil {
		t.Fatal(err)
	}
	table := acctest.PostgresRandName("t_owned")
	acctest.PostgresObject(t, "app", "CREATE TABLE public."+table+" (id int)", "DROP TABLE IF EXISTS public."+table)
	acctest.PostgresExec(t, "app", "ALTER TABLE public."+table+" OWNER TO "+name)
	err := c.Roles().Delete(ctx, pg.RoleRef(name))
	if !errors.Is(err, pg.ErrOwnsObjects) || !strings.Contains(err.Error(), "table "+table+" (database app)") || !strings.Contains(err.Error(), "REASSIGN OWNED BY") {
		t.Fatalf("delete of an owner: %v", err)
	}
	if got := acctest.PostgresValue(t, "", "SELECT count(*) FROM pg_roles WHERE rolname = $1", name); got != "1" {
		t.Fatal("the owner was dropped")
	}
	if got := acctest.PostgresValue(t, "", "SELECT EXISTS (SELECT 1 FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = 'app' AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $1))", name); got != "t" {
		t.Fatal("a refused delete revoked grants")
	}
	acctest.PostgresExec(t, "app", "DROP TABLE public."+table)
	if err := c.Roles().Delete(ctx, pg.RoleRef(name)); err != nil {
		t.Fatal(err)
	}
	if got := acctest.PostgresValue(t, "", "SELECT count(*) FROM pg_roles WHERE rolname = $1", name); got != "0" {
		t.Fatal("the role was not dropped")
	}
}

// A role that authenticates otherwise (certificates, peer) can lose its
// password; Update leaves a password alone unless told.
func TestIntegrationRoleClearPassword(t *testing.T) {
	c := client(t)
	ctx := ctx(t)
	name := roleName(t, "nhi_t_clear")
	s := spec(name)
	pw := "some-Passw0rd"
	s.Password = &pw
	if _, err := c.Roles().Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	s.Password = nil
	d, err := c.Roles().Update(ctx, s)
	if err != nil || !d.PasswordSet || d.PasswordChangedAt.IsZero() {
		t.Fatalf("update without a password changed it: %+v %v", d, err)
	}
	login(t, name, pw, "")
	s.ClearPassword = true
	if d, err = c.Roles().Update(ctx, s); err != nil {
		t.Fatal(err)
	}
	if d.PasswordSet || len(d.Credentials) != 0 || !d.PasswordChangedAt.IsZero() {
		t.Fatalf("after clearing: password set %v, credentials %+v, changed %v", d.PasswordSet, d.Credentials, d.PasswordChangedAt)
	}
	if v := acctest.PostgresValue(t, "", "SELECT rolpassword IS NULL FROM pg_authid WHERE rolname = $1", name); v != "t" {
		t.Fatal("the password is still set")
	}
}

// A disable writes VALID UNTIL from expires_at, as the plan says
// (valid_until = expires_at), and honours ClearPassword (a disable that
// also drops the Secret leaves no working password behind).
func TestIntegrationRoleDisableValidUntilAndClearPassword(t *testing.T) {
	c := client(t)
	ctx := ctx(t)
	name := roleName(t, "nhi_t_disclear")
	s := spec(name)
	pw := "some-Passw0rd"
	s.Password = &pw
	if _, err := c.Roles().Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	s.Password = nil
	s.ClearPassword = true
	s.Governance.ExpiresAt = s.Governance.ExpiresAt.Add(-24 * time.Hour)
	d, err := c.Roles().Disable(ctx, s, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if d.ValidUntil == nil || !d.ValidUntil.Equal(s.Governance.ExpiresAt) {
		t.Errorf("after the disable VALID UNTIL is %v, want expires_at %v", d.ValidUntil, s.Governance.ExpiresAt)
	}
	if d.PasswordSet || !d.PasswordChangedAt.IsZero() {
		t.Errorf("after a disable with ClearPassword: password set %v, changed %v", d.PasswordSet, d.PasswordChangedAt)
	}
	if v := acctest.PostgresValue(t, "", "SELECT rolpassword IS NULL FROM pg_authid WHERE rolname = $1", name); v != "t" {
		t.Error("the password is still set")
	}
}

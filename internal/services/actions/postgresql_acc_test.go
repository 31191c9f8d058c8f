package actions_test

import (
	"fmt"
	"testing"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

const roleAddr = "nhi_postgresql_role.r"

// roleConfig is a governed login role that may connect to the app database,
// its generated password delivered into the cluster.
func roleConfig(t *testing.T, role, ns, action string) string {
	return acctest.ProviderBlock(t, acctest.PostgresBlock(t)) + fmt.Sprintf(`
resource "nhi_postgresql_role" "r" {
  name       = %q
  owner      = "team:payments"
  purpose    = "Reads orders for the payments service"
  scopes     = ["database:CONNECT@app"]
  expires_at = %q
  kubernetes_secret = {
    namespace = %q
    name      = "orders-db"
  }
}

action %q "x" {
  config {
    system = "postgresql"
    id     = nhi_postgresql_role.r.id
  }
}
`, role, acctest.Date(acctest.Days(90)), ns, action)
}

// rolePassword says whether the role may log in and has a password, from
// pg_authid.
func rolePassword(t *testing.T, role string) (canLogin, hasPassword string) {
	t.Helper()
	row := acctest.PostgresQuery(t, "", `SELECT rolcanlogin::text, (rolpassword IS NOT NULL)::text FROM pg_catalog.pg_authid WHERE rolname = $1`, role)
	if len(row) != 1 {
		t.Fatalf("role %s not found", role)
	}
	return row[0][0], row[0][1]
}

// canConnect says whether the role itself holds CONNECT on app (PUBLIC's
// default CONNECT is not the role's grant).
func canConnect(t *testing.T, role string) string {
	t.Helper()
	return acctest.PostgresValue(t, "", `SELECT (count(*) > 0)::text FROM pg_catalog.pg_database d, aclexplode(d.datacl) a
WHERE d.datname = 'app' AND a.privilege_type = 'CONNECT' AND a.grantee = (SELECT oid FROM pg_catalog.pg_roles WHERE rolname = $1)`, role)
}

// nhi_disable of a PostgreSQL role sets NOLOGIN and revokes its grants on
// the server, keeping the password; the next plan enables it again.
func TestAccDisable_invokePostgres(t *testing.T) {
	acctest.Postgres(t)
	ns := acctest.Namespace(t)
	role := acctest.PostgresRole(t, acctest.PostgresRandName("acc"))
	cli := newCLI(t, roleConfig(t, role, ns, "nhi_disable"))
	cli.MustRun("apply", "-auto-approve", "-input=false", "-no-color")
	if login, pw := rolePassword(t, role); login != "true" || pw != "true" || canConnect(t, role) != "true" {
		t.Fatalf("before the action: login %s, password %s, connect %s; want all true", login, pw, canConnect(t, role))
	}

	out, err := invoke(cli, "nhi_disable")
	if err != nil {
		t.Fatal(err)
	}
	wantOutput(t, out,
		`revoked database:CONNECT@app from PostgreSQL role `+role,
		`set NOLOGIN on PostgreSQL role `+role,
		`recorded PostgreSQL role `+role+` as disabled`,
		`login role role/`+role+`: 3 changes made; some credentials are still usable \(see the warnings\)`,
		`Warning: Warning when invoking action Credentials still usable after nhi_disable: .*sessions of PostgreSQL role `+role+` opened before now stay open`)
	if login, pw := rolePassword(t, role); login != "false" || pw != "true" {
		t.Errorf("after nhi_disable: login %s, password %s; want NOLOGIN with the password kept", login, pw)
	}
	if c := canConnect(t, role); c != "false" {
		t.Errorf("after nhi_disable the role may still connect to app (%s)", c)
	}
	wantPlan(t, cli.PlannedActions(), map[string]string{roleAddr: "update"})
}

// nhi_revoke_credentials removes a PostgreSQL role's password on the server,
// keeping its grants; the next plan sets and delivers a new one.
func TestAccRevokeCredentials_invokePostgres(t *testing.T) {
	acctest.Postgres(t)
	ns := acctest.Namespace(t)
	role := acctest.PostgresRole(t, acctest.PostgresRandName("acc"))
	cli := newCLI(t, roleConfig(t, role, ns, "nhi_revoke_credentials"))
	cli.MustRun("apply", "-auto-approve", "-input=false", "-no-color")

	out, err := invoke(cli, "nhi_revoke_credentials")
	if err != nil {
		t.Fatal(err)
	}
	wantOutput(t, out, `removed the password of PostgreSQL role `+role,
		`login role role/`+role+`: 1 change made; some credentials are still usable \(see the warnings\)`,
		`Warning: Warning when invoking action .*Credentials still usable after nhi_revoke_credentials: .*sessions of PostgreSQL role `+role+` opened before now stay open`,
		`Warning: Warning when invoking action .*Credentials still usable after nhi_revoke_credentials: .*pg_hba.conf admits without a password`)
	if login, pw := rolePassword(t, role); login != "true" || pw != "false" {
		t.Errorf("after nhi_revoke_credentials: login %s, password %s; want LOGIN without a password", login, pw)
	}
	if c := canConnect(t, role); c != "true" {
		t.Errorf("nhi_revoke_credentials revoked the role's grants (connect %s)", c)
	}
	wantPlan(t, cli.PlannedActions(), map[string]string{roleAddr: "update"})
	cli.MustRun("apply", "-auto-approve", "-input=false", "-no-color", "tfplan")
	if _, pw := rolePassword(t, role); pw != "true" {
		t.Errorf("the apply after nhi_revoke_credentials set no new password")
	}
}

package postgresql_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	pg "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/postgresql"
)

// serverLog is the test server's log file: testenv starts it with
// logging_collector off and its output in logs/postgres.log next to the
// data directory.
func serverLog(t *testing.T) string {
	t.Helper()
	data := acctest.PostgresValue(t, "", "SHOW data_directory")
	return filepath.Join(filepath.Dir(data), "logs", "postgres.log")
}

// The password leaves the provider only as a SCRAM verifier: a workload
// logs in with the password, and neither pg_stat_statements nor the server
// log, with every statement of the provider's sessions logged, holds it.
func TestIntegrationPasswordNeverSent(t *testing.T) {
	ctx := ctx(t)
	// The provider connects as a superuser of the test's own whose every
	// statement the server logs (log_statement = all for that role only;
	// the server is shared).
	admin := roleName(t, "nhi_t_admin")
	adminPW, err := pg.GeneratePassword()
	if err != nil {
		t.Fatal(err)
	}
	acctest.PostgresExec(t, "", "CREATE ROLE "+admin+" SUPERUSER LOGIN PASSWORD '"+adminPW+"'")
	acctest.PostgresExec(t, "", "ALTER ROLE "+admin+" SET log_statement = 'all'")
	conn := connection(t, "")
	conn.Username, conn.Password = admin, adminPW
	c := connect(t, conn)

	name := roleName(t, "nhi_t_pw")
	first, err := pg.GeneratePassword()
	if err != nil {
		t.Fatal(err)
	}
	s := spec(name, "database:CONNECT@postgres")
	s.Password = &first
	d, err := c.Roles().Create(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	login(t, name, first, "")
	second, _ := pg.GeneratePassword()
	at, err := c.SetPassword(ctx, name, second)
	if err != nil {
		t.Fatal(err)
	}
	if at.Before(d.PasswordChangedAt) {
		t.Fatalf("password_changed_at went back: %v after %v", at, d.PasswordChangedAt)
	}
	login(t, name, second, "")
	if _, err := tryLogin(t, name, first, ""); err == nil || !strings.Contains(err.Error(), "password authentication failed") {
		t.Fatalf("the old password still works (or failed otherwise): %v", err)
	}
	if d, err = c.Roles().Get(ctx, pg.RoleRef(name)); err != nil || !d.PasswordChangedAt.Equal(at) {
		t.Fatalf("password_changed_at %v, want %v (%v)", d.PasswordChangedAt, at, err)
	}
	if v := acctest.PostgresValue(t, "", "SELECT rolpassword FROM pg_authid WHERE rolname = $1", name); !strings.HasPrefix(v, "SCRAM-SHA-256$4096:") {
		t.Fatal("the stored password is not a SCRAM-SHA-256 verifier of 4096 iterations")
	}

	// The statements were logged (so the check below can fail), the
	// passwords were not.
	log, err := os.ReadFile(serverLog(t))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), "ALTER ROLE "+`"`+name+`"`+" PASSWORD 'SCRAM-SHA-256$") {
		t.Fatalf("the provider's ALTER ROLE is not in the server log %s; the test cannot see what was sent", serverLog(t))
	}
	statements := strings.Join(acctest.PostgresColumn(t, "", "SELECT query FROM pg_stat_statements"), "\n")
	for _, p := range []string{first, second} {
		if strings.Contains(string(log), p) {
			t.Error("a password is in the server log")
		}
		if strings.Contains(statements, p) {
			t.Error("a password is in pg_stat_statements")
		}
	}
}

func TestIntegrationPasswordRefused(t *testing.T) {
	c := client(t)
	ctx := ctx(t)
	name := roleName(t, "nhi_t_pwbad")
	s := spec(name)
	bad := "pässwort-secret"
	s.Password = &bad
	_, err := c.Roles().Create(ctx, s)
	if err == nil || !strings.Contains(err.Error(), "printable ASCII") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("create with a non-ASCII password: %v", err)
	}
	if n := acctest.PostgresValue(t, "", "SELECT count(*) FROM pg_roles WHERE rolname = $1", name); n != "0" {
		t.Fatal("a role was made")
	}
}

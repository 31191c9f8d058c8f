package testenv

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// TestStartPostgres starts a real server the way make test does, checks what
// the other tests rely on (databases, pg_stat_statements, password
// authentication, pg.env), and stops it from the state file as pg-down does
// in another process.
func TestStartPostgres(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	p, err := StartPostgres(ctx, PostgresOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = p.Stop()
		}
	})
	if os.Geteuid() == 0 && p.OSUser == "" {
		t.Errorf("running as root, the server must run as another OS user; state says none")
	}

	conn, err := pgx.Connect(ctx, p.ConnString("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	var dbs []string
	rows, _ := conn.Query(ctx, "SELECT datname FROM pg_database WHERE NOT datistemplate ORDER BY 1")
	dbs, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(dbs, ","); got != "analytics,app,postgres" {
		t.Errorf("databases = %s, want analytics,app,postgres", got)
	}
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_stat_statements").Scan(&n); err != nil {
		t.Errorf("pg_stat_statements not usable: %v", err)
	}
	var maxConn, fsync string
	_ = conn.QueryRow(ctx, "SHOW max_connections").Scan(&maxConn)
	_ = conn.QueryRow(ctx, "SHOW fsync").Scan(&fsync)
	if maxConn != "500" || fsync != "off" {
		t.Errorf("max_connections = %s, fsync = %s; want 500, off", maxConn, fsync)
	}
	conn.Close(ctx)

	// scram-sha-256: a wrong password is refused.
	bad := *p
	bad.Password = "wrong"
	if c, err := pgx.Connect(ctx, bad.ConnString("app")); err == nil {
		c.Close(ctx)
		t.Errorf("a wrong password was accepted: authentication is not enforced")
	} else if !strings.Contains(err.Error(), "password authentication failed") {
		t.Errorf("wrong password: %v, want password authentication failed", err)
	}

	env, err := os.ReadFile(filepath.Join(dir, PostgresEnvFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"export PGHOST='127.0.0.1'", "export PGUSER='postgres'", "export PGPASSWORD='" + p.Password + "'",
		"export PGDATABASE='postgres'", "export PGSSLMODE='disable'", "export NHI_TEST_POSTGRES='1'"} {
		if !strings.Contains(string(env), want+"\n") {
			t.Errorf("pg.env lacks %q", strings.Replace(want, p.Password, "<password>", 1))
		}
	}
	state, _ := os.ReadFile(filepath.Join(dir, postgresStateFile))
	if strings.Contains(string(state), p.Password) {
		t.Errorf("the state file holds the password")
	}
	if _, err := StartPostgres(ctx, PostgresOptions{Dir: dir}); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("second start in the same directory: %v, want already running", err)
	}

	pid := p.Pids[0]
	if err := StopPostgresDir(dir); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if syscall.Kill(pid, 0) == nil {
		t.Errorf("postgres pid %d still runs after StopPostgresDir", pid)
	}
	for _, f := range []string{p.DataDir(), filepath.Join(dir, PostgresEnvFile), filepath.Join(dir, postgresStateFile)} {
		if _, err := os.Stat(f); err == nil {
			t.Errorf("%s still exists after StopPostgresDir", f)
		}
	}
}

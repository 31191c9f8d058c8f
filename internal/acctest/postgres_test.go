package acctest

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/faultproxy"
)

// fatalRecorder is a testing.TB whose Fatal/Skip end the goroutine and are
// recorded, to check what a helper does when the server is not configured.
type fatalRecorder struct {
	testing.TB
	mu             sync.Mutex
	fatal, skipped string
}

func (r *fatalRecorder) Helper() {}
func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.fatal = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *fatalRecorder) Fatal(args ...any) { r.Fatalf("%s", fmt.Sprint(args...)) }
func (r *fatalRecorder) Skipf(format string, args ...any) {
	r.mu.Lock()
	r.skipped = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}
func (r *fatalRecorder) Skip(args ...any) { r.Skipf("%s", fmt.Sprint(args...)) }
func (r *fatalRecorder) SkipNow()         { r.Skipf("SkipNow") }

// TestPostgres_FailsWithoutServer: with NHI_TEST_POSTGRES unset the helpers
// fail the test with a message saying how to start the server; they never
// skip (make test forbids skips).
func TestPostgres_FailsWithoutServer(t *testing.T) {
	t.Setenv(EnvPostgres, "")
	r := &fatalRecorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		PostgresProviderBlock(r, "")
		r.mu.Lock()
		r.fatal = "<returned without failing>"
		r.mu.Unlock()
	}()
	<-done
	if r.skipped != "" {
		t.Fatalf("skipped (%s); must fail", r.skipped)
	}
	if !strings.Contains(r.fatal, EnvPostgres+" is not set") || !strings.Contains(r.fatal, "make pg-up") {
		t.Fatalf("failure = %q, want it to name %s and make pg-up", r.fatal, EnvPostgres)
	}
}

// TestPostgresHelpers runs against the test server: the provider block
// carries the env's settings, queries return text, and PostgresRole drops a
// role with its privileges and owned objects in every database.
func TestPostgresHelpers(t *testing.T) {
	s := Postgres(t)
	block := PostgresProviderBlock(t, "  # extra")
	for _, want := range []string{`host     = "` + s.Host + `"`, fmt.Sprintf("port     = %d", s.Port), `username = "` + s.User + `"`, `sslmode  = "disable"`, "# extra"} {
		if !strings.Contains(block, want) {
			t.Errorf("provider block lacks %q:\n%s", want, strings.ReplaceAll(block, s.Password, "<password>"))
		}
	}
	if got := strings.Join(PostgresDatabases(t), ","); !strings.Contains(got, "analytics") || !strings.Contains(got, "app") {
		t.Errorf("databases = %s, want app and analytics among them", got)
	}
	if got := PostgresValue(t, "app", "SELECT current_database() || ' ' || $1::int * 2 || ' ' || coalesce(NULL, '')", 21); got != "app 42 " {
		t.Errorf("PostgresValue = %q, want %q", got, "app 42 ")
	}

	role := PostgresRandName("acc_helper")
	table := PostgresRandName("t_helper")
	t.Run("arrange", func(t *testing.T) {
		PostgresRole(t, role)
		PostgresExec(t, "", "CREATE ROLE "+role+" LOGIN")
		for _, db := range []string{"app", "analytics"} {
			PostgresExec(t, db, "CREATE TABLE public."+table+" (id int)")
			PostgresExec(t, db, "ALTER TABLE public."+table+" OWNER TO "+role)
			PostgresExec(t, db, "GRANT CONNECT ON DATABASE "+db+" TO "+role)
		}
		if n := PostgresValue(t, "", "SELECT count(*) FROM pg_roles WHERE rolname = $1", role); n != "1" {
			t.Fatalf("role %s not created", role)
		}
	})
	if n := PostgresValue(t, "", "SELECT count(*) FROM pg_roles WHERE rolname = $1", role); n != "0" {
		t.Errorf("role %s still exists after the subtest's cleanup", role)
	}
	for _, db := range []string{"app", "analytics"} {
		if n := PostgresValue(t, db, "SELECT count(*) FROM pg_class WHERE relname = $1", table); n != "0" {
			t.Errorf("table %s owned by the role still exists in %s", table, db)
		}
	}
	// A role that is already gone is fine.
	t.Run("gone", func(t *testing.T) { PostgresRole(t, PostgresRandName("acc_never")) })
}

// TestPostgresProxy: the provider block aimed at a proxy names the proxy,
// and a query through it loses its answer when told to.
func TestPostgresProxy(t *testing.T) {
	p := PostgresProxy(t, faultproxy.TCPConfig{})
	block := PostgresBlockAt(t, p.Addr())
	if !strings.Contains(block, fmt.Sprintf("host     = %q", p.Host())) || !strings.Contains(block, fmt.Sprintf("port     = %d", p.Port())) {
		t.Fatalf("block does not point at the proxy %s:\n%s", p.Addr(), strings.ReplaceAll(block, Postgres(t).Password, "<password>"))
	}
	s := Postgres(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, fmt.Sprintf("host=%s port=%d user=%s password=%s dbname=postgres sslmode=disable", p.Host(), p.Port(), s.User, s.Password))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	p.LoseNextAnswerContaining([]byte("SELECT 'nhi-proxy'"))
	if _, err := conn.Exec(ctx, "SELECT 'nhi-proxy'"); err == nil {
		t.Fatal("the answer arrived although the proxy was told to lose it")
	}
}

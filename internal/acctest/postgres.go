package acctest

// The PostgreSQL test server (testenv.StartPostgres, started by make test
// and make pg-up): helpers to reach it as its superuser from the standard
// libpq variables, to arrange and inspect objects in it the way someone
// with psql would, and to drop what a test made. They use pgx directly, not
// the project's connector, so they are independent of the code under test.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/faultproxy"
)

// EnvPostgres is set to 1 (with PGHOST, PGPORT, PGUSER, PGPASSWORD,
// PGDATABASE and PGSSLMODE) by sourcing the pg.env that `make test` and
// `make pg-up` write.
const EnvPostgres = "NHI_TEST_POSTGRES"

// PostgresServer is the test server as the libpq variables describe it;
// User is a superuser.
type PostgresServer struct {
	Host     string
	Port     int
	User     string
	Password string
	Database string
	SSLMode  string
}

// Postgres checks that the PostgreSQL test server is configured, failing
// the test (never skipping it) when it is not, and returns it.
func Postgres(t testing.TB) PostgresServer {
	t.Helper()
	if os.Getenv(EnvPostgres) == "" {
		t.Fatalf("%s is not set: PostgreSQL tests need the project's PostgreSQL test server. Run `make test`, or `make pg-up`, `. .nhi-dev/pg/pg.env` and `make testacc`.", EnvPostgres)
	}
	s := PostgresServer{
		Host: os.Getenv("PGHOST"), User: os.Getenv("PGUSER"), Password: os.Getenv("PGPASSWORD"),
		Database: os.Getenv("PGDATABASE"), SSLMode: os.Getenv("PGSSLMODE"),
	}
	for k, v := range map[string]string{"PGHOST": s.Host, "PGPORT": os.Getenv("PGPORT"), "PGUSER": s.User, "PGPASSWORD": s.Password} {
		if v == "" {
			t.Fatalf("%s is set but %s is empty: source the pg.env of the PostgreSQL test server (`. .nhi-dev/pg/pg.env` after `make pg-up`).", EnvPostgres, k)
		}
	}
	port, err := strconv.Atoi(os.Getenv("PGPORT"))
	if err != nil {
		t.Fatalf("PGPORT=%q is not a port number: source the pg.env of the PostgreSQL test server.", os.Getenv("PGPORT"))
	}
	s.Port = port
	if s.Database == "" {
		s.Database = "postgres"
	}
	if s.SSLMode == "" {
		s.SSLMode = "disable"
	}
	return s
}

// PostgresPreCheck is the PreCheck of PostgreSQL acceptance tests. Tests
// that deliver to Kubernetes as well call PreCheck too.
func PostgresPreCheck(t *testing.T) { Postgres(t) }

// PostgresBlock renders the provider's postgresql block for the test server
// (password included: only tests put one in HCL), to combine with others:
// ProviderBlock(t, PostgresBlock(t)+extra) for a provider that also
// reaches the test cluster.
func PostgresBlock(t testing.TB) string {
	return PostgresBlockAt(t, "")
}

// PostgresBlockAt is PostgresBlock with the server reached at addr
// (host:port, such as a TCPProxy's Addr); empty addr: the server itself.
func PostgresBlockAt(t testing.TB, addr string) string {
	t.Helper()
	s := Postgres(t)
	host, port := s.Host, strconv.Itoa(s.Port)
	if addr != "" {
		i := strings.LastIndex(addr, ":")
		if i < 0 {
			t.Fatalf("PostgresBlockAt: %q is not host:port", addr)
		}
		host, port = addr[:i], addr[i+1:]
	}
	return fmt.Sprintf(`
  postgresql {
    host     = %q
    port     = %s
    username = %q
    password = %q
    database = %q
    sslmode  = %q
  }
`, host, port, s.User, s.Password, s.Database, s.SSLMode)
}

// PostgresProviderBlock renders a provider block that reaches only the
// PostgreSQL test server; extra is added inside it (policy blocks,
// evaluation_time).
func PostgresProviderBlock(t testing.TB, extra string) string {
	t.Helper()
	return fmt.Sprintf("\nprovider \"nhi\" {%s%s\n}\n", PostgresBlock(t), extra)
}

var (
	pgPoolsMu sync.Mutex
	pgPools   = map[string]*pgxpool.Pool{}
)

// PostgresPool returns a pool connected to database db ("" is PGDATABASE)
// as the superuser, shared by the tests of the process.
func PostgresPool(t testing.TB, db string) *pgxpool.Pool {
	t.Helper()
	s := Postgres(t)
	if db == "" {
		db = s.Database
	}
	pgPoolsMu.Lock()
	defer pgPoolsMu.Unlock()
	if p, ok := pgPools[db]; ok {
		return p
	}
	cfg, err := pgxpool.ParseConfig(fmt.Sprintf("host=%s port=%d user=%s dbname=%s sslmode=%s", s.Host, s.Port, s.User, db, s.SSLMode))
	if err != nil {
		t.Fatalf("PostgreSQL test server settings: %v", err)
	}
	cfg.ConnConfig.Password = s.Password
	cfg.MaxConns = 4
	cfg.ConnConfig.RuntimeParams["application_name"] = "nhi-acctest"
	// The simple protocol returns every value as text, as psql shows it.
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		t.Fatalf("connecting to the PostgreSQL test server's database %s: %v", db, err)
	}
	pgPools[db] = p
	return p
}

func pgCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// PostgresExec runs sql in database db as the superuser, failing the test
// on an error.
func PostgresExec(t testing.TB, db, sql string, args ...any) {
	t.Helper()
	ctx, cancel := pgCtx()
	defer cancel()
	if _, err := PostgresPool(t, db).Exec(ctx, sql, args...); err != nil {
		t.Fatalf("PostgreSQL (database %s): %s: %v", db, sql, err)
	}
}

// PostgresQuery runs sql in database db as the superuser and returns every
// row, each column as text as psql shows it; NULL is "". It fails the test
// on an error.
func PostgresQuery(t testing.TB, db, sql string, args ...any) [][]string {
	t.Helper()
	ctx, cancel := pgCtx()
	defer cancel()
	rows, err := PostgresPool(t, db).Query(ctx, sql, args...)
	if err != nil {
		t.Fatalf("PostgreSQL (database %s): %s: %v", db, sql, err)
	}
	defer rows.Close()
	var out [][]string
	for rows.Next() {
		raw := rows.RawValues()
		row := make([]string, len(raw))
		for i, v := range raw {
			row[i] = string(v)
		}
		out = append(out, row)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("PostgreSQL (database %s): %s: %v", db, sql, err)
	}
	return out
}

// PostgresColumn is the first column of PostgresQuery's rows.
func PostgresColumn(t testing.TB, db, sql string, args ...any) []string {
	t.Helper()
	var out []string
	for _, r := range PostgresQuery(t, db, sql, args...) {
		out = append(out, r[0])
	}
	return out
}

// PostgresValue is the first column of the only row of PostgresQuery,
// failing the test when there is not exactly one row.
func PostgresValue(t testing.TB, db, sql string, args ...any) string {
	t.Helper()
	rows := PostgresQuery(t, db, sql, args...)
	if len(rows) != 1 {
		t.Fatalf("PostgreSQL (database %s): %s: %d rows, want 1", db, sql, len(rows))
	}
	return rows[0][0]
}

// PostgresDatabases are the test server's databases (testenv creates app
// and analytics besides postgres).
func PostgresDatabases(t testing.TB) []string {
	t.Helper()
	return PostgresColumn(t, "", "SELECT datname FROM pg_database WHERE datallowconn AND NOT datistemplate ORDER BY 1")
}

// PostgresRandName returns prefix, an underscore and a random suffix: a
// role, schema or table name that needs no quoting (prefix lower-case).
func PostgresRandName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "_" + hex.EncodeToString(b)
}

// PostgresRole registers the removal of role name when the test ends, and
// returns name: it ends the role's sessions, drops what it owns and its
// privileges in every database (DROP OWNED BY), then the role. A role that
// does not exist (any more) is fine. Use it only for roles the test itself
// creates: the server is shared.
func PostgresRole(t testing.TB, name string) string {
	t.Helper()
	Postgres(t)
	t.Cleanup(func() {
		if err := dropPostgresRole(t, name); err != nil {
			t.Errorf("dropping PostgreSQL test role %s: %v", name, err)
		}
	})
	return name
}

// DropPostgresRole drops a role now, as a DBA would out of band: its
// sessions ended, DROP OWNED BY in every database, DROP ROLE. A missing
// role is not an error.
func DropPostgresRole(t testing.TB, name string) {
	t.Helper()
	if err := dropPostgresRole(t, name); err != nil {
		t.Fatalf("dropping PostgreSQL role %s: %v", name, err)
	}
}

func dropPostgresRole(t testing.TB, name string) error {
	ctx, cancel := pgCtx()
	defer cancel()
	main := PostgresPool(t, "")
	var exists bool
	if err := main.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", name).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		return nil
	}
	if _, err := main.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = $1", name); err != nil {
		return err
	}
	id := pgx.Identifier{name}.Sanitize()
	for _, db := range PostgresDatabases(t) {
		if _, err := PostgresPool(t, db).Exec(ctx, "DROP OWNED BY "+id); err != nil {
			return fmt.Errorf("DROP OWNED BY in database %s: %w", db, err)
		}
	}
	_, err := main.Exec(ctx, "DROP ROLE IF EXISTS "+id)
	return err
}

// PostgresObject runs create in database db and registers drop (run in the
// same database when the test ends), for tables, schemas, sequences and
// functions a test needs: PostgresObject(t, "app", "CREATE TABLE t_x (id int)",
// "DROP TABLE IF EXISTS t_x").
func PostgresObject(t testing.TB, db, create, drop string) {
	t.Helper()
	PostgresExec(t, db, create)
	t.Cleanup(func() {
		ctx, cancel := pgCtx()
		defer cancel()
		if _, err := PostgresPool(t, db).Exec(ctx, drop); err != nil {
			t.Errorf("PostgreSQL cleanup (database %s): %s: %v", db, drop, err)
		}
	})
}

// PostgresProxy starts a TCP fault proxy (faultproxy.NewTCP) in front of the
// PostgreSQL test server, closed when the test ends. Point the code under
// test at it with PostgresBlockAt(t, p.Addr()) or Host()/Port(), and aim
// faults with p.LoseNextAnswerContaining, p.ResetAfterClientSends,
// p.ResetBeforeClientSends or p.SetRates.
func PostgresProxy(t testing.TB, cfg faultproxy.TCPConfig) *faultproxy.TCPProxy {
	t.Helper()
	s := Postgres(t)
	p, err := faultproxy.NewTCP(fmt.Sprintf("%s:%d", s.Host, s.Port), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// PrivatePostgres starts a PostgreSQL server that only this test uses
// (testenv.StartPostgres in a temporary directory: initdb, a random
// 127.0.0.1 port, the databases app and analytics), and stops it when the
// test ends. Roles are server-wide, so a test that asserts exactly what a
// scan of the whole server finds needs a server of its own; the shared one
// holds every other test's roles. Reach it with its Host, Port, User
// (the bootstrap superuser) and Password, or ConnString.
func PrivatePostgres(t testing.TB) *testenv.Postgres {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	p, err := testenv.StartPostgres(ctx, testenv.PostgresOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatalf("starting a private PostgreSQL server: %v", err)
	}
	t.Cleanup(func() {
		if err := p.Stop(); err != nil {
			t.Errorf("stopping the private PostgreSQL server: %v", err)
		}
	})
	return p
}

package postgresql_test

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	pg "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/postgresql"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/faultproxy"
)

// These tests run against the project's real PostgreSQL 15 test server
// (make test, or make pg-up and the pg.env it writes); they fail, never
// skip, without it. Every role they make has a random name and is dropped
// when the test ends.

// connection is the test server's superuser connection, reached at addr
// (host:port) when set.
func connection(t testing.TB, addr string) pg.Connection {
	t.Helper()
	s := acctest.Postgres(t)
	c := pg.Connection{Host: s.Host, Port: s.Port, Username: s.User, Password: s.Password, Database: s.Database, SSLMode: s.SSLMode}
	if addr != "" {
		host, port, err := net.SplitHostPort(addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Host = host
		if c.Port, err = strconv.Atoi(port); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

func connect(t testing.TB, c pg.Connection) *pg.Client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cl, err := pg.New(ctx, c, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// client connects to the test server as its superuser.
func client(t testing.TB) *pg.Client { return connect(t, connection(t, "")) }

// proxied starts a TCP fault proxy in front of the test server and a
// client that goes through it.
func proxied(t testing.TB) (*pg.Client, *faultproxy.TCPProxy) {
	t.Helper()
	s := acctest.Postgres(t)
	p, err := faultproxy.NewTCP(net.JoinHostPort(s.Host, strconv.Itoa(s.Port)), faultproxy.TCPConfig{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return connect(t, connection(t, p.Addr())), p
}

// roleName is a fresh role name, dropped (with what it holds) when the
// test ends.
func roleName(t testing.TB, prefix string) string {
	return acctest.PostgresRole(t, acctest.PostgresRandName(prefix))
}

func spec(name string, scopes ...string) pg.RoleSpec {
	return pg.RoleSpec{Spec: nhi.Spec{Ref: pg.RoleRef(name), Governance: nhi.Governance{
		Owner: "team:payments", Purpose: "Reads orders", Scopes: scopes,
		ExpiresAt: time.Now().Add(90 * 24 * time.Hour).Truncate(time.Second).UTC(), OnExpiry: nhi.OnExpiryDisable,
	}}}
}

// login opens a session as role with password, as a workload would, with
// the given application_name; it fails the test when the login fails.
func login(t testing.TB, role, password, app string) *pgx.Conn {
	t.Helper()
	c, err := tryLogin(t, role, password, app)
	if err != nil {
		t.Fatalf("logging in as %s: %v", role, err)
	}
	t.Cleanup(func() { _ = c.Close(context.Background()) })
	return c
}

func tryLogin(t testing.TB, role, password, app string) (*pgx.Conn, error) {
	t.Helper()
	s := acctest.Postgres(t)
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d dbname=%s sslmode=%s", s.Host, s.Port, s.Database, s.SSLMode))
	if err != nil {
		return nil, err
	}
	cfg.User = role
	cfg.Password = password
	if app != "" {
		cfg.RuntimeParams["application_name"] = app
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	return pgx.ConnectConfig(ctx, cfg)
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// ownClient connects as a superuser of the test's own (named from prefix,
// dropped at the end), so pg_stat_statements counts only what this client
// runs (statements); it returns the client and the role's name.
func ownClient(t *testing.T, prefix string) (*pg.Client, string) {
	t.Helper()
	role := roleName(t, prefix)
	pw, _ := pg.GeneratePassword()
	acctest.PostgresExec(t, "", "CREATE ROLE "+role+" SUPERUSER LOGIN PASSWORD '"+pw+"'")
	conn := connection(t, "")
	conn.Username, conn.Password = role, pw
	return connect(t, conn), role
}

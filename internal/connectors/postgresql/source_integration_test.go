package postgresql_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	pg "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/postgresql"
)

func sourceConfig(t *testing.T, src string) *pg.SourceConfig {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "drift.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	s := pg.Descriptor().Source
	content, diags := f.Body.Content(s.Schema)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg, diags := s.Decode(content.Attributes, t.TempDir())
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	return cfg.(*pg.SourceConfig)
}

// A drift source takes what its block leaves out from libpq's environment
// variables, and the password from PGPASSWORD or, without it, the passfile.
func TestIntegrationSourceLibpqDefaults(t *testing.T) {
	srv := acctest.Postgres(t)
	boot := acctest.PostgresValue(t, "", "SELECT rolname FROM pg_roles WHERE oid = 10")
	scan := func(src string) {
		t.Helper()
		c, err := sourceConfig(t, src).Connect(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		defer c.(*pg.Client).Close()
		ids, err := c.Scan(ctx(t), nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := byName(ids)[boot]; !ok {
			t.Fatalf("the scan found no %s", boot)
		}
	}
	// Everything from the environment (pg.env sets PGHOST, PGPORT, ...).
	scan(``)
	// The block's own settings, the password from PGPASSWORD.
	scan(fmt.Sprintf(`
host = %q
port = %d
username = %q
database = "app"
sslmode = %q
databases = ["app"]
`, srv.Host, srv.Port, srv.User, srv.SSLMode))
	// No PGPASSWORD: the passfile.
	pass := filepath.Join(t.TempDir(), "pgpass")
	if err := os.WriteFile(pass, []byte(fmt.Sprintf("%s:%d:*:%s:%s\n", srv.Host, srv.Port, srv.User, srv.Password)), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PGPASSWORD", "")
	os.Unsetenv("PGPASSWORD")
	t.Setenv("PGPASSFILE", pass)
	scan(`database = "postgres"`)
}

// A wrong password fails the connect with the server's message, which
// names neither the password nor anything of it.
func TestIntegrationConnectErrorHidesPassword(t *testing.T) {
	conn := connection(t, "")
	conn.Password = "wrong-Secret-" + strconv.Itoa(os.Getpid())
	_, err := pg.New(ctx(t), conn, "")
	if err == nil || !strings.Contains(err.Error(), "password authentication failed") || strings.Contains(err.Error(), conn.Password) {
		t.Fatalf("connect with a wrong password: %v", err)
	}
}

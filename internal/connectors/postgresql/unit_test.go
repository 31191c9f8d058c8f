package postgresql

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

func TestTransient(t *testing.T) {
	pgErr := func(code string) error { return fmt.Errorf("wrapped: %w", &pgconn.PgError{Code: code}) }
	for _, err := range []error{
		pgErr("08006"), pgErr("08001"), pgErr("40001"), pgErr("40P01"), pgErr("53300"), pgErr("57P03"), pgErr("57P01"),
		io.ErrUnexpectedEOF, fmt.Errorf("x: %w", io.EOF), &net.OpError{Op: "read", Err: errors.New("connection reset by peer")},
		fmt.Errorf("x: %w", pgconn.ErrConnClosed),
	} {
		if !transient(err) {
			t.Errorf("%v: not transient", err)
		}
	}
	for _, err := range []error{
		nil, pgErr("42601"), pgErr("42704"), pgErr("42710"), pgErr("28P01"), pgErr("42501"), pgErr("23505"),
		context.Canceled, fmt.Errorf("x: %w", context.DeadlineExceeded), errors.New("cannot scan"),
	} {
		if transient(err) {
			t.Errorf("%v: transient", err)
		}
	}
}

func testClient(attempts int) (*Client, *[]time.Duration) {
	var waits []time.Duration
	c := &Client{conn: Connection{MaxAttempts: attempts}, prefix: nhi.DefaultMarkerPrefix, now: time.Now}
	c.base, _ = pgxpool.ParseConfig("host=127.0.0.1 port=5432 dbname=postgres user=u")
	c.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
	return c, &waits
}

func TestRetryBoundedAndJittered(t *testing.T) {
	c, waits := testClient(4)
	calls := 0
	err := c.retry(context.Background(), "reading PostgreSQL role x", func(context.Context) error {
		calls++
		return &pgconn.PgError{Code: "57P03", Message: "the database system is starting up"}
	})
	if calls != 4 || len(*waits) != 3 {
		t.Fatalf("%d calls, %d waits; want 4 and 3", calls, len(*waits))
	}
	for i, w := range *waits {
		base := retryBaseDelay << i
		if w < base/2 || w > base {
			t.Errorf("wait %d = %v, want within [%v, %v]", i, w, base/2, base)
		}
	}
	if !strings.Contains(err.Error(), "reading PostgreSQL role x") || !strings.Contains(err.Error(), "no success in 4 attempts") || sqlState(err) != "57P03" {
		t.Fatalf("error %v", err)
	}
}

func TestRetryStopsOnFinalErrors(t *testing.T) {
	c, waits := testClient(4)
	calls := 0
	err := c.retry(context.Background(), "creating PostgreSQL role x", func(context.Context) error {
		calls++
		if calls == 1 {
			return io.ErrUnexpectedEOF
		}
		return &pgconn.PgError{Code: "42710", Message: `role "x" already exists`}
	})
	if calls != 2 || len(*waits) != 1 || !errors.Is(err, ErrAlreadyExists) {
		t.Fatalf("%d calls, %d waits, err %v", calls, len(*waits), err)
	}
}

func TestRetryEndsWithContext(t *testing.T) {
	c, _ := testClient(10)
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := c.retry(ctx, "x", func(context.Context) error {
		calls++
		cancel()
		return io.ErrUnexpectedEOF
	})
	if calls != 1 || err == nil {
		t.Fatalf("%d calls after cancellation, err %v", calls, err)
	}
	c.sleep = sleepCtx
	ctx2, cancel2 := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel2()
	start := time.Now()
	c.conn.MaxAttempts = 1000
	_ = c.retry(ctx2, "x", func(context.Context) error { return io.ErrUnexpectedEOF })
	if time.Since(start) > 2*time.Second {
		t.Fatal("retry did not end with its context")
	}
}

func TestValidateRoleName(t *testing.T) {
	for _, ok := range []string{"app_reader", "App Reader", "svc@corp", strings.Repeat("a", 63)} {
		if err := ValidateRoleName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for name, want := range map[string]string{
		"":                      "empty",
		strings.Repeat("a", 64): "at most 63 bytes",
		"pg_app":                `starts with "pg_"`,
		"PUBLIC":                "reserves",
		"none":                  "reserves",
		"a\x00b":                "NUL",
	} {
		if err := ValidateRoleName(name); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", name, err, want)
		}
	}
}

func TestQuoting(t *testing.T) {
	for in, want := range map[string]string{
		`plain`:        `'plain'`,
		`it's`:         `'it''s'`,
		`{"a":"b\"c"}`: ` E'{"a":"b\\"c"}'`,
		`x\'; DROP`:    ` E'x\\''; DROP'`,
	} {
		if got := literal(in); got != want {
			t.Errorf("literal(%q) = %s, want %s", in, got, want)
		}
	}
	if got := ident(`we"ird`); got != `"we""ird"` {
		t.Errorf("ident = %s", got)
	}
	if validUntil(time.Time{}) != "'infinity'" || validUntil(time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)) != "'2027-03-31T00:00:00Z'" {
		t.Error("validUntil")
	}
}

func TestUsage(t *testing.T) {
	m1 := int32(-1)
	p := int32(5432)
	for _, c := range []struct {
		app, addr string
		port      *int32
		want      string
	}{
		{"billing", "10.0.0.7", &p, "application billing from 10.0.0.7"},
		{"", "10.0.0.7", &p, "application (unnamed) from 10.0.0.7"},
		{"psql", "", &m1, "application psql from local socket"},
		{"psql", "", nil, "application psql from (address hidden)"},
	} {
		if got := usage(c.app, c.addr, c.port); got != c.want {
			t.Errorf("usage(%q, %q) = %q, want %q", c.app, c.addr, got, c.want)
		}
	}
}

func TestDescriptor(t *testing.T) {
	d := Descriptor()
	if d.Name != "postgresql" || d.Title != "PostgreSQL" || len(d.Kinds) != 1 || d.Kinds[0].ResourceType != "nhi_postgresql_role" ||
		d.Kinds[0].Location != "role" || d.Kinds[0].UIDAttr != "oid" || d.Kinds[0].NameAttr != "name" || d.Kinds[0].Label != "login role" {
		t.Fatalf("descriptor %+v", d)
	}
	if len(d.Credentials) != 1 || d.Credentials[0].Kind != CredentialPassword || d.Credentials[0].Label != "password" {
		t.Fatalf("credentials %+v", d.Credentials)
	}
	reg := system.NewRegistry(d)
	id := func(oid, name string) nhi.Identity {
		return nhi.Identity{System: SystemName, Kind: KindRole, ID: oid, Ref: RoleRef(name)}
	}
	for _, c := range []struct {
		id   nhi.Identity
		want string
	}{
		{id("10", "postgres"), ReasonBootstrapSuperuser},
		{id("10", "admin"), ReasonBootstrapSuperuser},
		{id("3373", "pg_monitor"), ReasonPredefinedRole},
		{id("16390", "postgres_app"), ""},
		{id("16391", "app"), ""},
	} {
		if got := reg.Exclusion(c.id); got != c.want {
			t.Errorf("%s (oid %s): exclusion %q, want %q", c.id.Ref.Name, c.id.ID, got, c.want)
		}
	}
	for _, s := range d.PrivilegedScopes {
		if s == "database:OWNER@*" {
			continue
		}
		if _, err := ParseScope(s); err != nil {
			t.Errorf("privileged scope %q does not parse: %v", s, err)
		}
	}
}

func decode(t *testing.T, src string) (*SourceConfig, hcl.Diagnostics) {
	t.Helper()
	f, diags := hclsyntax.ParseConfig([]byte(src), "drift.hcl", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	content, diags := f.Body.Content(sourceSchema)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	cfg, diags := decodeSource(content.Attributes, ".")
	s, _ := cfg.(*SourceConfig)
	return s, diags
}

func TestDecodeSource(t *testing.T) {
	s, diags := decode(t, `
host = "db.internal"
port = 6432
username = "audit"
database = "postgres"
sslmode = "verify-full"
databases = ["app", "analytics", "app"]
annotation_prefix = "corp.example"
`)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	if s.Host != "db.internal" || s.Port != 6432 || s.Username != "audit" || s.Database != "postgres" || s.SSLMode != "verify-full" ||
		strings.Join(s.Databases, ",") != "analytics,app" || s.AnnotationPrefix != "corp.example" || s.Locations() != nil {
		t.Fatalf("decoded %+v", s)
	}
	if s, diags = decode(t, `port = "5433"`); diags.HasErrors() || s.Port != 5433 {
		t.Fatalf("port as a string: %+v %v", s, diags)
	}
	if _, diags = decode(t, ``); diags.HasErrors() {
		t.Fatalf("an empty block (libpq defaults): %v", diags)
	}
}

func TestDecodeSourceRefusesPassword(t *testing.T) {
	_, diags := decode(t, "host = \"db\"\npassword = \"hunter2-secret\"\n")
	if !diags.HasErrors() || len(diags) != 1 {
		t.Fatalf("diags %v", diags)
	}
	d := diags[0]
	if d.Subject == nil || d.Subject.Filename != "drift.hcl" || d.Subject.Start.Line != 2 {
		t.Fatalf("the error does not point at the password line: %+v", d.Subject)
	}
	if !strings.Contains(d.Detail, "PGPASSWORD") || !strings.Contains(d.Detail, "passfile") || strings.Contains(d.Detail+d.Summary, "hunter2") {
		t.Fatalf("detail %q", d.Detail)
	}
}

func TestDecodeSourceErrors(t *testing.T) {
	for src, want := range map[string]string{
		`port = 0`:              "port must be a TCP port",
		`port = 70000`:          "port must be a TCP port",
		`port = 54.3`:           "port must be a TCP port",
		`port = "x"`:            "port must be a TCP port",
		`sslmode = "on"`:        "not one of libpq's modes",
		`databases = "app"`:     "list of strings",
		`databases = ["", "a"]`: "empty name",
		`host = 5`:              "must be a string",
	} {
		_, diags := decode(t, src)
		if !diags.HasErrors() || !strings.Contains(diags.Error(), want) || diags[0].Subject == nil {
			t.Errorf("%s: %v, want %q with a range", src, diags, want)
		}
	}
}

func TestAdoption(t *testing.T) {
	a := adoption()
	f := hclwrite.NewEmptyFile()
	b := f.Body()
	id := nhi.Identity{Ref: RoleRef("billing"), Credentials: []nhi.Credential{{Kind: CredentialPassword}}}
	a.Head(b, id)
	a.Tail(b, id)
	out := string(f.Bytes())
	if !strings.Contains(out, `name = "billing"`) || strings.Contains(out, "password_wo =") || strings.Contains(out, "kubernetes_secret {") ||
		!strings.Contains(out, "keeps the password") {
		t.Fatalf("adopted block:\n%s", out)
	}
}

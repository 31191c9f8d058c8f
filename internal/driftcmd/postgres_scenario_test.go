package driftcmd_test

// The PostgreSQL scenario runs the drift command against a PostgreSQL
// server of the test's own (acctest.PrivatePostgres): roles are
// server-wide, so on the shared server every other test's roles would be
// findings too. Undeclared roles are made with plain SQL, as a DBA with
// psql would; declared ones through the connector, as the provider makes
// them.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/jackc/pgx/v5"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	pg "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/postgresql"
	"github.com/nhi-ops/terraform-provider-nhi/internal/driftcmd"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

func TestPostgresScenarioEveryRuleExactly(t *testing.T) {
	srv := acctest.PrivatePostgres(t)
	ctx := context.Background()
	must := fatalOnError(t)
	// The evaluation time (--at) and every seeded time are whole seconds
	// apart from it, so the messages' durations are exact.
	at := time.Now().UTC().Truncate(time.Second)
	day := func(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

	connect := func(db, user, password, app string) *pgx.Conn {
		t.Helper()
		cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d dbname=%s sslmode=disable", srv.Host, srv.Port, db))
		must(err)
		cfg.User, cfg.Password = user, password
		cfg.RuntimeParams["application_name"] = app
		c, err := pgx.ConnectConfig(ctx, cfg)
		must(err)
		t.Cleanup(func() { _ = c.Close(context.Background()) })
		return c
	}
	admin := map[string]*pgx.Conn{}
	for _, db := range []string{"postgres", "app"} {
		admin[db] = connect(db, srv.User, srv.Password, "scenario-seed")
	}
	exec := func(db, sql string) {
		t.Helper()
		if _, err := admin[db].Exec(ctx, sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	// Two tables, so a grant on one reads back by name: a role holding a
	// privilege on every table of a schema reads back as "*" (the
	// connector's "*" rule for undeclared scopes).
	exec("app", "CREATE TABLE public.orders (id int); CREATE TABLE public.customers (id int)")

	// Undeclared: a password without VALID UNTIL reading a table; a
	// superuser that owns a database; a reader of everything whose password
	// expired yesterday, still LOGIN; members of a group role that writes
	// everything, directly and through a second group; a role two
	// applications are connected as right now.
	exec("postgres", "CREATE ROLE legacy_app LOGIN PASSWORD 'legacy-pw'")
	exec("app", "GRANT SELECT ON public.orders TO legacy_app")
	exec("postgres", "CREATE ROLE root_bot LOGIN SUPERUSER")
	exec("postgres", "CREATE DATABASE botdb OWNER root_bot")
	exec("postgres", fmt.Sprintf("CREATE ROLE old_reader LOGIN PASSWORD 'reader-pw' VALID UNTIL '%s' IN ROLE pg_read_all_data", nhi.FormatTime(at.Add(-day(1)))))
	exec("postgres", "CREATE ROLE writers NOLOGIN IN ROLE pg_write_all_data")
	exec("postgres", "CREATE ROLE team_writers NOLOGIN IN ROLE writers")
	exec("postgres", "CREATE ROLE writer_app LOGIN IN ROLE writers")
	exec("postgres", "CREATE ROLE nested_app LOGIN IN ROLE team_writers")
	exec("postgres", fmt.Sprintf("CREATE ROLE shared_app LOGIN PASSWORD 'shared-pw' VALID UNTIL '%s'", nhi.FormatTime(at.Add(day(200)))))
	connect("postgres", "shared_app", "shared-pw", "billing")
	connect("postgres", "shared_app", "shared-pw", "reports")

	// Declared, through the connector: clean; widened out of band; expired
	// (its password's VALID UNTIL passed with it: one finding, not two);
	// expiring within warn_before (30 days); marked but in no state.
	c, err := pg.New(ctx, pg.Connection{Host: srv.Host, Port: srv.Port, Username: srv.User, Password: srv.Password, Database: "postgres", SSLMode: "disable"}, "")
	must(err)
	t.Cleanup(c.Close)
	oids := map[string]string{}
	declare := func(name string, expires time.Duration, password bool, scopes ...string) {
		t.Helper()
		spec := pg.RoleSpec{Spec: nhi.Spec{Ref: pg.RoleRef(name), Governance: nhi.Governance{
			Owner: "team:platform", Purpose: "scenario", Scopes: scopes, ExpiresAt: at.Add(expires), OnExpiry: nhi.OnExpiryDisable,
		}}}
		if password {
			pw := name + "-pw"
			spec.Password = &pw
		}
		d, err := c.Roles().Create(ctx, spec)
		must(err)
		oids[name] = d.ID
	}
	declare("clean_app", day(100), true, "database:CONNECT@app", "table:SELECT@app.public.orders")
	declare("widened_app", day(100), false, "database:CONNECT@app")
	exec("app", "GRANT SELECT ON public.orders TO widened_app")
	declare("expired_app", -day(3), true, "database:CONNECT@app")
	declare("expiring_app", day(10), false, "database:CONNECT@app")
	declare("orphan_app", day(100), false, "database:CONNECT@app")

	dir := t.TempDir()
	config := filepath.Join(dir, "nhi-drift.hcl")
	must(os.WriteFile(config, []byte(fmt.Sprintf(`source "postgresql" "db" {
  host     = %q
  port     = %d
  username = %q
  database = "postgres"
  sslmode  = "disable"
}
`, srv.Host, srv.Port, srv.User)), 0o600))
	// The password only from the environment, as the block takes none.
	t.Setenv("PGPASSWORD", srv.Password)
	t.Setenv("PGPASSFILE", filepath.Join(dir, "no-passfile"))
	var res []string
	for _, name := range []string{"clean_app", "widened_app", "expired_app", "expiring_app"} {
		res = append(res, fmt.Sprintf(`{"mode":"managed","type":"nhi_postgresql_role","name":%q,"instances":[{"attributes":{"id":"role/%s","name":%q,"oid":%q}}]}`, name, name, name, oids[name]))
	}
	res = append(res, `{"mode":"managed","type":"nhi_postgresql_role","name":"ghost","instances":[{"attributes":{"id":"role/ghost_app","name":"ghost_app","oid":"4000000000"}}]}`)
	state := filepath.Join(dir, "terraform.tfstate")
	must(os.WriteFile(state, []byte(`{"version":4,"resources":[`+strings.Join(res, ",")+`]}`), 0o600))

	r := run(t, "--config", config, "--state", state, "--format", "json", "--at", at.Format(time.RFC3339))
	if r.code != driftcmd.ExitFindings {
		t.Fatalf("exit code %d, want %d\nstderr: %s\nstdout: %s", r.code, driftcmd.ExitFindings, r.stderr, r.stdout)
	}
	rep := parseJSON(t, r.stdout)
	var got []string
	msgs := map[string]string{}
	for _, f := range rep.Findings {
		line := fmt.Sprintf("%s %s %s", f.RuleID, f.Severity, f.Identity.ID)
		got = append(got, line)
		msgs[f.RuleID+" "+f.Identity.ID] = f.Message
		if f.OWASP == "" || f.Remediation == "" || f.Message == "" || len(f.Fingerprint) != 32 || f.Location == nil {
			t.Errorf("finding %s lacks a field: %+v", line, f)
		}
		if f.Identity.Source != "db" {
			t.Errorf("finding %s is of source %q, want db", line, f.Identity.Source)
		}
	}
	sort.Strings(got)
	want := []string{
		"NHI001 high role/nested_app",
		"NHI001 high role/old_reader",
		"NHI001 high role/root_bot",
		"NHI001 high role/writer_app",
		"NHI001 medium role/legacy_app",
		"NHI001 medium role/shared_app",
		"NHI002 high role/ghost_app",
		"NHI003 high role/widened_app",
		"NHI004 critical role/expired_app",
		"NHI004 critical role/old_reader",
		"NHI005 low role/expiring_app",
		"NHI007 high role/legacy_app",
		"NHI008 high role/nested_app",
		"NHI008 high role/old_reader",
		"NHI008 high role/root_bot",
		"NHI008 high role/writer_app",
		"NHI010 medium role/shared_app",
		"NHI012 medium role/orphan_app",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings differ.\ngot:\n  %s\nwant:\n  %s\nstdout: %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "), r.stdout)
	}
	for key, want := range map[string]string{
		"NHI007 role/legacy_app": "login role role/legacy_app has a password legacy_app/password that never expires",
		"NHI004 role/old_reader": "password old_reader/password of login role role/old_reader expired at " + nhi.FormatTime(at.Add(-day(1))) +
			" (24 hours ago) but is still active while the identity holds role:pg_read_all_data; its expiry stops this credential, not other ways of signing in",
		"NHI008 role/root_bot":     "login role role/root_bot holds privileged scopes: attribute:SUPERUSER, database:OWNER@botdb",
		"NHI008 role/writer_app":   "login role role/writer_app holds privileged scopes: role:writers (role writers holds role:pg_write_all_data)",
		"NHI008 role/nested_app":   "login role role/nested_app holds privileged scopes: role:team_writers (role team_writers belongs to writers, which holds role:pg_write_all_data)",
		"NHI010 role/shared_app":   "login role role/shared_app is used by 2 workloads: application billing from 127.0.0.1, application reports from 127.0.0.1",
		"NHI003 role/widened_app":  "login role role/widened_app holds undeclared table:SELECT@app.public.orders",
		"NHI004 role/expired_app":  "login role role/expired_app expired at " + nhi.FormatTime(at.Add(-day(3))) + " (3 days ago) and still holds database:CONNECT@app",
		"NHI005 role/expiring_app": "login role role/expiring_app expires at " + nhi.FormatTime(at.Add(day(10))) + ", in 10 days",
		"NHI002 role/ghost_app":    `role/ghost_app is declared in Terraform state as nhi_postgresql_role.ghost but does not exist in source "db"`,
		"NHI012 role/orphan_app":   "login role role/orphan_app carries the managed marker but is in none of the given Terraform states",
	} {
		if msgs[key] != want {
			t.Errorf("%s message:\n got: %s\nwant: %s", key, msgs[key], want)
		}
	}
	if !rep.Complete || len(rep.Sources) != 1 || !rep.Sources[0].Complete {
		t.Errorf("report not complete: %+v", rep.Sources)
	}
	// The bootstrap superuser is left out; group roles (writers,
	// team_writers) and predefined roles are no identities at all (the
	// server refuses LOGIN for a predefined role: "role name is reserved").
	var ex struct {
		Excluded []struct {
			Identity struct{ ID string }
			Reason   string
		}
	}
	must(json.Unmarshal([]byte(r.stdout), &ex))
	var excluded []string
	for _, e := range ex.Excluded {
		excluded = append(excluded, e.Identity.ID+" "+e.Reason)
	}
	if strings.Join(excluded, ",") != "role/postgres postgresql_bootstrap_superuser" {
		t.Errorf("excluded = %v, want only the bootstrap superuser", excluded)
	}
	for _, notIdentity := range []string{"role/writers", "role/team_writers", "role/pg_read_all_data", "role/pg_write_all_data"} {
		if strings.Contains(r.stdout, `"`+notIdentity+`"`) {
			t.Errorf("%s appears in the report, but it is not an identity", notIdentity)
		}
	}

	// --generate-imports adopts the undeclared roles: valid HCL with an
	// import and an nhi_postgresql_role block each, placeholders to fill
	// in, and scopes without the ownership a declaration cannot hold.
	adopt := filepath.Join(dir, "adopt.tf")
	if r := run(t, "--config", config, "--format", "json", "--fail-on", "none", "--generate-imports", adopt); r.code != driftcmd.ExitClean {
		t.Fatalf("--generate-imports: exit %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(adopt)
	must(err)
	gen := string(b)
	f, diags := hclsyntax.ParseConfig(b, "adopt.tf", hcl.InitialPos)
	if diags.HasErrors() {
		t.Fatalf("generated imports do not parse: %s\n%s", diags, gen)
	}
	var blocks []string
	for _, blk := range f.Body.(*hclsyntax.Body).Blocks {
		if blk.Type == "resource" {
			blocks = append(blocks, strings.Join(blk.Labels, "."))
			v, d := blk.Body.Attributes["scopes"].Expr.Value(nil)
			if d.HasErrors() {
				t.Fatal(d)
			}
			if strings.Contains(v.GoString(), "database:OWNER@") {
				t.Errorf("%s declares database ownership, which a declaration refuses: %s", blk.Labels[1], v.GoString())
			}
		}
	}
	wantBlocks := []string{"nhi_postgresql_role.role__legacy_app", "nhi_postgresql_role.role__nested_app", "nhi_postgresql_role.role__old_reader",
		"nhi_postgresql_role.role__root_bot", "nhi_postgresql_role.role__shared_app", "nhi_postgresql_role.role__writer_app"}
	if strings.Join(blocks, ",") != strings.Join(wantBlocks, ",") {
		t.Errorf("resource blocks = %v, want %v:\n%s", blocks, wantBlocks, gen)
	}
	if !regexpMust(`name = "root_bot"`).MatchString(gen) {
		t.Errorf("generated imports do not name root_bot:\n%s", gen)
	}
	for _, want := range []string{`id = "role/root_bot"`, `"attribute:SUPERUSER"`, `"role:team_writers"`,
		`"table:SELECT@app.public.orders"`, nhi.Placeholder + ": the person or team responsible", nhi.Placeholder + ": YYYY-MM-DD"} {
		if !strings.Contains(gen, want) {
			t.Errorf("generated imports lack %q:\n%s", want, gen)
		}
	}
	if !strings.Contains(gen, "grants them): database:OWNER@botdb\n") {
		t.Errorf("root_bot's block does not say its ownership of botdb was left out:\n%s", gen)
	}
	if strings.Contains(gen, "-pw") {
		t.Errorf("generated imports hold a password:\n%s", gen)
	}

	// Filled in, the generated file plans: every role is imported and
	// changed in place (its governance comment and VALID UNTIL), none
	// refused. The plan changes nothing on the server.
	filled := strings.NewReplacer(
		`"FILL-IN: the person or team responsible"`, `"team:platform"`,
		`"FILL-IN: why this identity exists"`, `"adopted from drift"`,
		`"FILL-IN: YYYY-MM-DD"`, fmt.Sprintf("%q", at.Add(day(90)).Format("2006-01-02")),
	).Replace(gen)
	provider := fmt.Sprintf("provider \"nhi\" {\n  postgresql {\n    host     = %q\n    port     = %d\n    username = %q\n    password = %q\n    database = \"postgres\"\n    sslmode  = \"disable\"\n  }\n}\n",
		srv.Host, srv.Port, srv.User, srv.Password)
	var checks []plancheck.PlanCheck
	for _, addr := range wantBlocks {
		checks = append(checks, expectImporting(addr), plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate))
	}
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config: provider + filled, PlanOnly: true, ExpectNonEmptyPlan: true,
			ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPreRefresh: checks},
		}},
	})

	// A wrong password in the environment makes the run incomplete, never
	// clean, and the password is in no message.
	t.Setenv("PGPASSWORD", "wrong-"+srv.Password)
	bad := run(t, "--config", config, "--format", "json")
	if bad.code != driftcmd.ExitIncomplete {
		t.Errorf("wrong password: exit %d, want %d (incomplete)\nstderr: %s", bad.code, driftcmd.ExitIncomplete, bad.stderr)
	}
	if strings.Contains(bad.stdout+bad.stderr, srv.Password) {
		t.Errorf("the password is in the output of a failed run:\n%s\n%s", bad.stdout, bad.stderr)
	}
}

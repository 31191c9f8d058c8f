package postgresql_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/config"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/jackc/pgx/v5"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

const roleAddr = "nhi_postgresql_role.test"

// fixture is a role name and a schema of its own in the app and analytics
// databases, with one table each, all removed when the test ends.
type fixture struct {
	role, schema string
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	f := fixture{role: acctest.PostgresRole(t, acctest.PostgresRandName("acc")), schema: acctest.PostgresRandName("s")}
	for _, db := range []string{"app", "analytics"} {
		acctest.PostgresObject(t, db, fmt.Sprintf("CREATE SCHEMA %s; CREATE TABLE %s.orders (id int)", f.schema, f.schema),
			fmt.Sprintf("DROP SCHEMA IF EXISTS %s CASCADE", f.schema))
	}
	return f
}

// scopes are the fixture's usual grants: reading its app table, writing
// its analytics table.
func (f fixture) scopes() []string {
	return []string{
		"database:CONNECT@app", "schema:USAGE@app." + f.schema, "table:SELECT@app." + f.schema + ".orders",
		"database:CONNECT@analytics", "schema:USAGE@analytics." + f.schema, "table:INSERT@analytics." + f.schema + ".orders",
	}
}

// roleHCL is nhi_postgresql_role.test with the given scopes and expiry;
// extra goes inside the resource.
func roleHCL(name, expires, extra string, scopes ...string) string {
	q := make([]string, len(scopes))
	for i, s := range scopes {
		q[i] = fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf(`
resource "nhi_postgresql_role" "test" {
  name       = %q
  owner      = "team:payments"
  purpose    = "Reads orders for the payments service"
  scopes     = [%s]
  expires_at = %q
  %s
}
`, name, strings.Join(q, ", "), expires, extra)
}

func scopeSet(scopes ...string) knownvalue.Check {
	checks := make([]knownvalue.Check, len(scopes))
	for i, s := range scopes {
		checks[i] = knownvalue.StringExact(s)
	}
	return knownvalue.SetExact(checks)
}

// privileges lists what the role holds on the fixture's tables and
// databases, as has_*_privilege sees it.
func (f fixture) privileges(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, db := range []string{"app", "analytics"} {
		for _, p := range []string{"SELECT", "INSERT"} {
			if acctest.PostgresValue(t, db, "SELECT has_table_privilege($1, $2, $3)", f.role, f.schema+".orders", p) == "t" {
				out = append(out, p+"@"+db)
			}
		}
		if acctest.PostgresValue(t, db, "SELECT has_schema_privilege($1, $2, 'USAGE')", f.role, f.schema) == "t" {
			out = append(out, "USAGE@"+db)
		}
		// CONNECT is PUBLIC's by default; count only the role's own.
		if acctest.PostgresValue(t, "", "SELECT count(*) FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = $1 AND a.grantee = (SELECT oid FROM pg_roles WHERE rolname = $2) AND a.privilege_type = 'CONNECT'", db, f.role) != "0" {
			out = append(out, "CONNECT@"+db)
		}
	}
	return out
}

func roleGone(t *testing.T, name string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		if n := acctest.PostgresValue(t, "", "SELECT count(*) FROM pg_roles WHERE rolname = $1", name); n != "0" {
			return fmt.Errorf("role %s still exists", name)
		}
		return nil
	}
}

// canLogin reads rolcanlogin.
func canLogin(t *testing.T, name string) bool {
	return acctest.PostgresValue(t, "", "SELECT rolcanlogin FROM pg_roles WHERE rolname = $1", name) == "t"
}

// login connects as user with password to database app.
func login(t *testing.T, user, password string) error {
	t.Helper()
	s := acctest.Postgres(t)
	cfg, err := pgx.ParseConfig(fmt.Sprintf("host=%s port=%d dbname=app sslmode=%s", s.Host, s.Port, s.SSLMode))
	if err != nil {
		return err
	}
	cfg.User, cfg.Password = user, password
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	return c.Close(ctx)
}

func TestAccPostgresqlRole_basic(t *testing.T) {
	f := newFixture(t)
	day := acctest.Date(acctest.Days(90))
	// The full form: an import reads the instant back as RFC 3339.
	expires := day + "T00:00:00Z"
	cfg := acctest.PostgresProviderBlock(t, "") + roleHCL(f.role, expires, "", f.scopes()...)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PostgresPreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             roleGone(t, f.role),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(roleAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectKnownValue(roleAddr, tfjsonpath.New("id"), knownvalue.StringExact("role/"+f.role)),
					plancheck.ExpectKnownValue(roleAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
					plancheck.ExpectKnownValue(roleAddr, tfjsonpath.New("valid_until"), knownvalue.StringExact(expires)),
					plancheck.ExpectKnownValue(roleAddr, tfjsonpath.New("effective_scopes"), scopeSet(f.scopes()...)),
					plancheck.ExpectUnknownValue(roleAddr, tfjsonpath.New("oid")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(roleAddr, tfjsonpath.New("oid"), knownvalue.StringRegexp(regexp.MustCompile(`^[1-9][0-9]*$`))),
					statecheck.ExpectKnownValue(roleAddr, tfjsonpath.New("effective_scopes"), scopeSet(f.scopes()...)),
					statecheck.ExpectKnownValue(roleAddr, tfjsonpath.New("password_changed_at"), knownvalue.Null()),
					statecheck.ExpectKnownValue(roleAddr, tfjsonpath.New("rotation_due_at"), knownvalue.Null()),
				},
				Check: func(*terraform.State) error {
					if !canLogin(t, f.role) {
						return fmt.Errorf("role %s cannot log in", f.role)
					}
					if got := acctest.PostgresValue(t, "", "SELECT rolvaliduntil AT TIME ZONE 'UTC' FROM pg_roles WHERE rolname = $1", f.role); !strings.HasPrefix(got, day+" 00:00:00") {
						return fmt.Errorf("VALID UNTIL is %q, want %s", got, expires)
					}
					var doc map[string]any
					comment := acctest.PostgresValue(t, "", "SELECT shobj_description(oid, 'pg_authid') FROM pg_roles WHERE rolname = $1", f.role)
					if err := json.Unmarshal([]byte(comment), &doc); err != nil {
						return fmt.Errorf("role comment is not the governance document: %q", comment)
					}
					if doc["managed_by"] != "nhi.dev" || doc["owner"] != "team:payments" || doc["version"] != float64(1) {
						return fmt.Errorf("governance document %v", doc)
					}
					want := "CONNECT@app,SELECT@app,USAGE@app,CONNECT@analytics,INSERT@analytics,USAGE@analytics"
					if got := f.privileges(t); sortedJoin(got) != sortedJoin(strings.Split(want, ",")) {
						return fmt.Errorf("privileges %v, want %s", got, want)
					}
					return nil
				},
			},
			{ResourceName: roleAddr, ImportState: true, ImportStateId: f.role, ImportStateVerify: true},
			{ResourceName: roleAddr, ImportState: true, ImportStateId: "role/" + f.role, ImportStateVerify: true},
			// The same configuration plans nothing.
			{Config: cfg, PlanOnly: true},
		},
	})
}

func sortedJoin(s []string) string {
	c := append([]string(nil), s...)
	for i := range c {
		for j := i + 1; j < len(c); j++ {
			if c[j] < c[i] {
				c[i], c[j] = c[j], c[i]
			}
		}
	}
	return strings.Join(c, ",")
}

func TestAccPostgresqlRole_disappears(t *testing.T) {
	f := newFixture(t)
	cfg := acctest.PostgresProviderBlock(t, "") + roleHCL(f.role, acctest.Date(acctest.Days(90)), "", f.scopes()...)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PostgresPreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             roleGone(t, f.role),
		Steps: []resource.TestStep{
			{
				Config:             cfg,
				Check:              func(*terraform.State) error { acctest.DropPostgresRole(t, f.role); return nil },
				ExpectNonEmptyPlan: true,
			},
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(roleAddr, plancheck.ResourceActionCreate),
				}},
				Check: func(*terraform.State) error {
					if !canLogin(t, f.role) {
						return fmt.Errorf("role %s not created again", f.role)
					}
					return nil
				},
			},
		},
	})
}

// A GRANT made out of band shows in the next plan as a change of
// effective_scopes, and the apply revokes it.
func TestAccPostgresqlRole_outOfBandGrantRemoved(t *testing.T) {
	f := newFixture(t)
	cfg := acctest.PostgresProviderBlock(t, "") + roleHCL(f.role, acctest.Date(acctest.Days(90)), "", f.scopes()...)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PostgresPreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             roleGone(t, f.role),
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: func(*terraform.State) error {
					acctest.PostgresExec(t, "app", fmt.Sprintf("GRANT INSERT, DELETE ON %s.orders TO %s", f.schema, f.role))
					acctest.PostgresExec(t, "", "ALTER ROLE "+f.role+" CREATEDB")
					return nil
				},
				ExpectNonEmptyPlan: true,
			},
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(roleAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(roleAddr, tfjsonpath.New("effective_scopes"), scopeSet(f.scopes()...)),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(roleAddr, tfjsonpath.New("effective_scopes"), scopeSet(f.scopes()...)),
				},
				Check: func(*terraform.State) error {
					if acctest.PostgresValue(t, "app", "SELECT has_table_privilege($1, $2, 'INSERT')", f.role, f.schema+".orders") == "t" {
						return fmt.Errorf("out-of-band INSERT not revoked")
					}
					if acctest.PostgresValue(t, "", "SELECT rolcreatedb FROM pg_roles WHERE rolname = $1", f.role) == "t" {
						return fmt.Errorf("out-of-band CREATEDB not revoked")
					}
					return nil
				},
			},
			{Config: cfg, PlanOnly: true},
		},
	})
}

// Past expires_at (evaluated 100 days ahead), the plan disables the role in
// place: NOLOGIN, no grants, role kept. Extending expires_at lifts it.
func TestAccPostgresqlRole_expiryDisables(t *testing.T) {
	f := newFixture(t)
	expires, later, extended := acctest.Date(acctest.Days(30)), acctest.Date(acctest.Days(100)), acctest.Date(acctest.Days(200))
	ahead := fmt.Sprintf("evaluation_time = %q", later)
	var oid string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PostgresPreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             roleGone(t, f.role),
		Steps: []resource.TestStep{
			{
				Config: acctest.PostgresProviderBlock(t, "") + roleHCL(f.role, expires, "", f.scopes()...),
				Check:  resource.TestCheckResourceAttrWith(roleAddr, "oid", func(v string) error { oid = v; return nil }),
			},
			{
				Config: acctest.PostgresProviderBlock(t, ahead) + roleHCL(f.role, expires, "", f.scopes()...),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(roleAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(roleAddr, tfjsonpath.New("status"), knownvalue.StringExact("disabled")),
					plancheck.ExpectKnownValue(roleAddr, tfjsonpath.New("effective_scopes"), knownvalue.SetExact(nil)),
				}},
				Check: func(s *terraform.State) error {
					if canLogin(t, f.role) {
						return fmt.Errorf("role %s can still log in", f.role)
					}
					if p := f.privileges(t); len(p) != 0 {
						return fmt.Errorf("disabled role still holds %v", p)
					}
					if got := s.RootModule().Resources[roleAddr].Primary.Attributes["oid"]; got != oid {
						return fmt.Errorf("oid changed from %s to %s: the role was replaced", oid, got)
					}
					return nil
				},
			},
			// Disabled stays disabled: nothing more to do.
			{Config: acctest.PostgresProviderBlock(t, ahead) + roleHCL(f.role, expires, "", f.scopes()...), PlanOnly: true},
			{
				Config: acctest.PostgresProviderBlock(t, ahead) + roleHCL(f.role, extended, "", f.scopes()...),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(roleAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(roleAddr, tfjsonpath.New("status"), knownvalue.StringExact("active")),
				}},
				Check: func(*terraform.State) error {
					if !canLogin(t, f.role) {
						return fmt.Errorf("role %s cannot log in after expires_at was extended", f.role)
					}
					want := "CONNECT@app,SELECT@app,USAGE@app,CONNECT@analytics,INSERT@analytics,USAGE@analytics"
					if got := f.privileges(t); sortedJoin(got) != sortedJoin(strings.Split(want, ",")) {
						return fmt.Errorf("privileges after lifting %v, want %s", got, want)
					}
					return nil
				},
			},
		},
	})
}

// noSecretInPlan fails when the plan JSON holds the secret anywhere.
type noSecretInPlan struct{ secret *string }

func (c noSecretInPlan) CheckPlan(_ context.Context, req plancheck.CheckPlanRequest, resp *plancheck.CheckPlanResponse) {
	b, err := json.Marshal(req.Plan)
	if err != nil {
		resp.Error = err
		return
	}
	if *c.secret != "" && strings.Contains(string(b), *c.secret) {
		resp.Error = fmt.Errorf("the password is in the plan JSON")
	}
}

// noSecretInState fails when the state JSON holds the secret anywhere.
type noSecretInState struct{ secret *string }

func (c noSecretInState) CheckState(_ context.Context, req statecheck.CheckStateRequest, resp *statecheck.CheckStateResponse) {
	b, err := json.Marshal(req.State)
	if err != nil {
		resp.Error = err
		return
	}
	if *c.secret == "" {
		resp.Error = fmt.Errorf("no password to look for")
		return
	}
	if strings.Contains(string(b), *c.secret) {
		resp.Error = fmt.Errorf("the password is in the state JSON")
	}
}

func TestAccPostgresqlRole_passwordWriteOnly(t *testing.T) {
	f := newFixture(t)
	first, second := "first-Secret-"+acctest.PostgresRandName("pw"), "second-Secret-"+acctest.PostgresRandName("pw")
	expires := acctest.Date(acctest.Days(90))
	// The password comes from an ephemeral variable, as it would from a
	// secret store: a literal would be in the plan's configuration section
	// (Terraform's doing, not the provider's).
	cfg := func(version int) string {
		return acctest.PostgresProviderBlock(t, "") + "variable \"pw\" {\n  type      = string\n  ephemeral = true\n  sensitive = true\n}\n" +
			roleHCL(f.role, expires, fmt.Sprintf("password_wo = var.pw\n  password_wo_version = %d", version), f.scopes()...)
	}
	pw := func(v string) config.Variables { return config.Variables{"pw": config.StringVariable(v)} }
	var changed string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PostgresPreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             roleGone(t, f.role),
		Steps: []resource.TestStep{
			{
				Config: cfg(1), ConfigVariables: pw(first),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					noSecretInPlan{&first},
					plancheck.ExpectKnownValue(roleAddr, tfjsonpath.New("password_wo"), knownvalue.Null()),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					noSecretInState{&first},
					statecheck.ExpectKnownValue(roleAddr, tfjsonpath.New("password_wo"), knownvalue.Null()),
					statecheck.ExpectKnownValue(roleAddr, tfjsonpath.New("password_changed_at"), knownvalue.NotNull()),
					statecheck.ExpectKnownValue(roleAddr, tfjsonpath.New("rotation_due_at"), knownvalue.NotNull()),
				},
				Check: resource.ComposeTestCheckFunc(
					func(*terraform.State) error { return login(t, f.role, first) },
					resource.TestCheckResourceAttrWith(roleAddr, "password_changed_at", func(v string) error { changed = v; return nil }),
				),
			},
			{Config: cfg(1), ConfigVariables: pw(first), PlanOnly: true},
			// A new password with a new version: set in place.
			{
				Config: cfg(2), ConfigVariables: pw(second),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(roleAddr, plancheck.ResourceActionUpdate),
					noSecretInPlan{&second},
				}},
				ConfigStateChecks: []statecheck.StateCheck{noSecretInState{&second}},
				Check: func(s *terraform.State) error {
					if got := s.RootModule().Resources[roleAddr].Primary.Attributes["password_changed_at"]; got == changed {
						return fmt.Errorf("password_changed_at is still %s", got)
					}
					if err := login(t, f.role, second); err != nil {
						return fmt.Errorf("the new password does not work: %v", err)
					}
					if login(t, f.role, first) == nil {
						return fmt.Errorf("the old password still works")
					}
					return nil
				},
			},
			// Only the password changed, not the version: nothing to do
			// (Terraform cannot see a write-only value).
			{Config: cfg(2), ConfigVariables: pw(first), PlanOnly: true},
		},
	})
}

// The provider's postgresql block puts PostgreSQL in the inventory: the
// declared role is listed by nhi_identities with its governance.
func TestAccPostgresqlRole_listedByIdentities(t *testing.T) {
	f := newFixture(t)
	owner := "team:" + strings.ReplaceAll(f.role, "_", "-")
	role := strings.Replace(roleHCL(f.role, acctest.Date(acctest.Days(90)), "", f.scopes()...), `"team:payments"`, fmt.Sprintf("%q", owner), 1)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PostgresPreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             roleGone(t, f.role),
		Steps: []resource.TestStep{
			{Config: acctest.PostgresProviderBlock(t, "") + role},
			{
				Config: acctest.PostgresProviderBlock(t, "") + role + fmt.Sprintf(`
data "nhi_identities" "pg" {
  system = "postgresql"
  owner  = %q
}
`, owner),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("data.nhi_identities.pg", tfjsonpath.New("identities"), knownvalue.ListPartial(map[int]knownvalue.Check{
						0: knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"id": knownvalue.StringExact("role/" + f.role), "system": knownvalue.StringExact("postgresql"),
							"kind": knownvalue.StringExact("login_role"), "declared": knownvalue.Bool(true),
						}),
					})),
					statecheck.ExpectKnownValue("data.nhi_identities.pg", tfjsonpath.New("identities"), knownvalue.ListSizeExact(1)),
				},
			},
		},
	})
}

// rotate_after known only at apply (another resource's output): the plan
// leaves rotation_due_at unknown, and the apply's value is consistent.
func TestAccPostgresqlRole_rotateAfterUnknown(t *testing.T) {
	f := newFixture(t)
	pw := "ra-Secret-" + acctest.PostgresRandName("pw")
	expires := acctest.Date(acctest.Days(90))
	cfg := func(rotate string) string {
		return acctest.PostgresProviderBlock(t, "") + "variable \"pw\" {\n  type      = string\n  ephemeral = true\n  sensitive = true\n}\n" +
			"resource \"terraform_data\" \"ra\" {\n  input = \"60d\"\n}\n" +
			roleHCL(f.role, expires, "password_wo = var.pw\n  password_wo_version = 1\n  rotate_after = "+rotate, f.scopes()...)
	}
	vars := config.Variables{"pw": config.StringVariable(pw)}
	var changed string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PostgresPreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             roleGone(t, f.role),
		Steps: []resource.TestStep{
			{
				Config: cfg(`"30d"`), ConfigVariables: vars,
				Check: resource.TestCheckResourceAttrWith(roleAddr, "password_changed_at", func(v string) error { changed = v; return nil }),
			},
			{
				Config:          strings.Replace(cfg("terraform_data.ra.output"), `input = "60d"`, `input = "60d"`+"\n  triggers_replace = [\"x\"]", 1),
				ConfigVariables: vars,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(roleAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(roleAddr, tfjsonpath.New("rotation_due_at")),
				}},
				Check: resource.ComposeTestCheckFunc(
					resource.TestCheckResourceAttr(roleAddr, "rotate_after", "60d"),
					resource.TestCheckResourceAttrWith(roleAddr, "rotation_due_at", func(v string) error {
						c, _ := time.Parse(time.RFC3339, changed)
						if want := nhi.FormatTime(c.Add(60 * 24 * time.Hour)); v != want {
							return fmt.Errorf("rotation_due_at %s, want %s (password_changed_at %s + 60d)", v, want, changed)
						}
						return nil
					}),
				),
			},
		},
	})
}

// role: and attribute: scopes: created, an out-of-band revoke and grant of
// each shows in the next plan and is put back by apply, and disabling on
// expiry removes them.
func TestAccPostgresqlRole_roleAndAttributeScopes(t *testing.T) {
	f := newFixture(t)
	g1 := acctest.PostgresRole(t, acctest.PostgresRandName("grp"))
	g2 := acctest.PostgresRole(t, acctest.PostgresRandName("grp"))
	acctest.PostgresExec(t, "", "CREATE ROLE "+g1+" NOLOGIN")
	acctest.PostgresExec(t, "", "CREATE ROLE "+g2+" NOLOGIN")
	expires := acctest.Date(acctest.Days(30))
	scopes := []string{"role:" + g1, "attribute:CREATEDB", "database:CONNECT@app"}
	cfg := func(extra string) string {
		return acctest.PostgresProviderBlock(t, extra) + roleHCL(f.role, expires, "", scopes...)
	}
	member := func(group string) bool {
		return acctest.PostgresValue(t, "", "SELECT pg_has_role($1, $2, 'MEMBER')", f.role, group) == "t"
	}
	attr := func(col string) bool {
		return acctest.PostgresValue(t, "", "SELECT "+col+" FROM pg_roles WHERE rolname = $1", f.role) == "t"
	}
	want := func(g1Member, g2Member, createdb, createrole bool) resource.TestCheckFunc {
		return func(*terraform.State) error {
			if got := [4]bool{member(g1), member(g2), attr("rolcreatedb"), attr("rolcreaterole")}; got != [4]bool{g1Member, g2Member, createdb, createrole} {
				return fmt.Errorf("member of %s, member of %s, CREATEDB, CREATEROLE = %v, want %v", g1, g2, got, [4]bool{g1Member, g2Member, createdb, createrole})
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PostgresPreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             roleGone(t, f.role),
		Steps: []resource.TestStep{
			{
				Config: cfg(""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(roleAddr, tfjsonpath.New("effective_scopes"), scopeSet(scopes...)),
				},
				Check: resource.ComposeTestCheckFunc(want(true, false, true, false), func(*terraform.State) error {
					acctest.PostgresExec(t, "", "REVOKE "+g1+" FROM "+f.role)
					acctest.PostgresExec(t, "", "GRANT "+g2+" TO "+f.role)
					acctest.PostgresExec(t, "", "ALTER ROLE "+f.role+" NOCREATEDB CREATEROLE")
					return nil
				}),
				ExpectNonEmptyPlan: true,
			},
			{
				Config: cfg(""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(roleAddr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(roleAddr, tfjsonpath.New("effective_scopes"), scopeSet(scopes...)),
				},
				Check: want(true, false, true, false),
			},
			{Config: cfg(""), PlanOnly: true},
			{
				Config: cfg(fmt.Sprintf("evaluation_time = %q", acctest.Date(acctest.Days(60)))),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(roleAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(roleAddr, tfjsonpath.New("status"), knownvalue.StringExact("disabled")),
				}},
				Check: resource.ComposeTestCheckFunc(want(false, false, false, false), func(*terraform.State) error {
					if canLogin(t, f.role) {
						return fmt.Errorf("role %s can still log in", f.role)
					}
					return nil
				}),
			},
		},
	})
}

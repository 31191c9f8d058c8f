package postgresql_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
)

// secretPassword reads the password the Secret delivers, checking that it
// names the role.
func secretPassword(t *testing.T, ns, name, role string) (string, error) {
	sec, err := acctest.Clientset(t).CoreV1().Secrets(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	if got := string(sec.Data["PGUSER"]); got != role {
		return "", fmt.Errorf("the Secret's PGUSER is %q, want %q", got, role)
	}
	pw := string(sec.Data["PGPASSWORD"])
	if len(pw) < 32 {
		return "", fmt.Errorf("the Secret's PGPASSWORD has %d characters, want 32", len(pw))
	}
	return pw, nil
}

// deliveredWorks checks that the Secret's password logs in, is not the one
// in *prev (when set), and records it in *got.
func deliveredWorks(t *testing.T, ns, role string, prev, got *string) resource.TestCheckFunc {
	return deliveredTo(t, ns, "orders-db", role, prev, got)
}

func deliveredTo(t *testing.T, ns, name, role string, prev, got *string) resource.TestCheckFunc {
	return func(*terraform.State) error {
		pw, err := secretPassword(t, ns, name, role)
		if err != nil {
			return err
		}
		if prev != nil && pw == *prev {
			return fmt.Errorf("the Secret still holds the previous password")
		}
		if err := login(t, role, pw); err != nil {
			return fmt.Errorf("the delivered password does not log in: %v", err)
		}
		if prev != nil && login(t, role, *prev) == nil {
			return fmt.Errorf("the previous password still logs in")
		}
		*got = pw
		return nil
	}
}

func TestAccPostgresqlRole_kubernetesSecret(t *testing.T) {
	f := newFixture(t)
	ns := acctest.Namespace(t)
	expires := acctest.Date(acctest.Days(300))
	cfgTo := func(providerExtra, secretName string) string {
		secret := fmt.Sprintf("kubernetes_secret = {\n    namespace = %q\n    name      = %q\n  }\n  rotate_after = \"30d\"", ns, secretName)
		return acctest.ProviderBlock(t, acctest.PostgresBlock(t)+providerExtra) + roleHCL(f.role, expires, secret, f.scopes()...)
	}
	cfg := func(providerExtra string) string { return cfgTo(providerExtra, "orders-db") }
	secretGone := func(name string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			if _, err := acctest.Clientset(t).CoreV1().Secrets(ns).Get(context.Background(), name, metav1.GetOptions{}); err == nil {
				return fmt.Errorf("Secret %s/%s still exists", ns, name)
			}
			return nil
		}
	}
	ahead := fmt.Sprintf("evaluation_time = %q", acctest.Date(acctest.Days(40)))
	var first, second, oid string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t); acctest.PostgresPreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             resource.ComposeTestCheckFunc(roleGone(t, f.role), secretGone("orders-db"), secretGone("orders-db-v2")),
		Steps: []resource.TestStep{
			{
				Config: cfg(""),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(roleAddr, plancheck.ResourceActionCreate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					noSecretInState{&first},
					statecheck.ExpectKnownValue(roleAddr, tfjsonpath.New("delivered"), knownvalue.Bool(true)),
				},
				Check: resource.ComposeTestCheckFunc(
					deliveredWorks(t, ns, f.role, nil, &first),
					resource.TestCheckResourceAttrWith(roleAddr, "oid", func(v string) error { oid = v; return nil }),
				),
			},
			{Config: cfg(""), PlanOnly: true},
			// 40 days on, rotation is due: an in-place update that sets a
			// new password and rewrites the Secret; the role is kept.
			{
				Config: cfg(ahead),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(roleAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectUnknownValue(roleAddr, tfjsonpath.New("password_changed_at")),
					noSecretInPlan{&first},
				}},
				ConfigStateChecks: []statecheck.StateCheck{noSecretInState{&second}},
				Check: resource.ComposeTestCheckFunc(
					deliveredWorks(t, ns, f.role, &first, &second),
					resource.TestCheckResourceAttrWith(roleAddr, "oid", func(v string) error {
						if v != oid {
							return fmt.Errorf("oid changed from %s to %s: the role was replaced", oid, v)
						}
						return nil
					}),
				),
			},
			// Rotated on the provider's clock: not due again.
			{Config: cfg(ahead), PlanOnly: true},
			// The Secret deleted out of band: the next plan sets a new
			// password and delivers it, in place.
			{
				PreConfig: func() {
					if err := acctest.Clientset(t).CoreV1().Secrets(ns).Delete(context.Background(), "orders-db", metav1.DeleteOptions{}); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg(ahead),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(roleAddr, plancheck.ResourceActionUpdate),
				}},
				Check: deliveredWorks(t, ns, f.role, &second, &first),
			},
			// Another Secret: a new password delivered there, in place, and
			// the old Secret deleted.
			{
				Config: cfgTo(ahead, "orders-db-v2"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(roleAddr, plancheck.ResourceActionUpdate),
				}},
				Check: resource.ComposeTestCheckFunc(deliveredTo(t, ns, "orders-db-v2", f.role, &first, &second), secretGone("orders-db")),
			},
			// Imported (no Secret in state yet): the Secret the configuration
			// names holds the current password, so the plan keeps it and
			// only records the Secret.
			{
				Config: acctest.ProviderBlock(t, acctest.PostgresBlock(t)+ahead) + "removed {\n  from = nhi_postgresql_role.test\n  lifecycle {\n    destroy = false\n  }\n}\n",
				Check:  func(*terraform.State) error { return login(t, f.role, second) },
			},
			{
				Config: cfgTo(ahead, "orders-db-v2") + fmt.Sprintf("import {\n  to = nhi_postgresql_role.test\n  id = \"role/%s\"\n}\n", f.role),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(roleAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue(roleAddr, tfjsonpath.New("delivered"), knownvalue.Bool(true)),
					plancheck.ExpectKnownValue(roleAddr, tfjsonpath.New("password_changed_at"), knownvalue.NotNull()),
				}},
				Check: func(*terraform.State) error {
					pw, err := secretPassword(t, ns, "orders-db-v2", f.role)
					if err != nil {
						return err
					}
					if pw != second {
						return fmt.Errorf("the import's first apply changed the password")
					}
					return login(t, f.role, pw)
				},
			},
			{Config: cfgTo(ahead, "orders-db-v2"), PlanOnly: true},
		},
	})
}

func TestAccPostgresqlRole_badInput(t *testing.T) {
	f := newFixture(t)
	exp := acctest.Date(acctest.Days(30))
	pgOnly := acctest.PostgresProviderBlock(t, "")
	table := "table:SELECT@app." + f.schema + ".orders"
	cases := []struct {
		name, config, want string
	}{
		{"unknown privilege", pgOnly + roleHCL(f.role, exp, "", "table:SELEKT@app."+f.schema+".orders"), `scopes "table:SELEKT@app.` + f.schema + `.orders" has unknown table privilege "SELEKT"; use one of SELECT`},
		{"bad syntax", pgOnly + roleHCL(f.role, exp, "", "table:SELECT@app.orders"), `scopes "table:SELECT@app.orders" names 2 dot-separated part\(s\) after "@", expected 3`},
		{"unknown kind", pgOnly + roleHCL(f.role, exp, "", "tables:SELECT@app"), `scopes "tables:SELECT@app" has unknown kind "tables"`},
		{"owner", pgOnly + roleHCL(f.role, exp, "", "database:OWNER@app"), `scopes "database:OWNER@app" cannot be declared`},
		{"missing table", pgOnly + roleHCL(f.role, exp, "", table, "table:SELECT@app."+f.schema+".no_such_table"), `Scope names something that does not exist.*no_such_table`},
		{"missing group role", pgOnly + roleHCL(f.role, exp, "", "role:no_such_group_"+f.schema), `Scope names something that does not exist.*no_such_group_` + f.schema},
		{"missing database", pgOnly + roleHCL(f.role, exp, "", "database:CONNECT@no_such_db"), `Scope names something that does not exist.*no_such_db`},
		{"both password sources", pgOnly + roleHCL(f.role, exp, "password_wo = \"x-Secret-1\"\n  password_wo_version = 1\n  kubernetes_secret = {\n    namespace = \"default\"\n    name = \"x\"\n  }", table),
			`password_wo and kubernetes_secret are both set`},
		{"write-only without version", pgOnly + roleHCL(f.role, exp, `password_wo = "x-Secret-1"`, table), `password_wo is write-only, so Terraform never sees it change: set password_wo_version`},
		{"bad password", pgOnly + roleHCL(f.role, exp, "password_wo = \"caf\u00e9-Secret\"\n  password_wo_version = 1", table), `password_wo holds a character that is not printable ASCII`},
		{"role name", pgOnly + roleHCL("pg_mine", exp, "", table), `name starts with "pg_", which PostgreSQL reserves`},
		{"rotate_after", pgOnly + roleHCL(f.role, exp, `rotate_after = "120d"`, table), `rotate_after 120d is longer than the provider's policy.max_credential_age of 90d`},
		{"expiry", pgOnly + roleHCL(f.role, "2020-01-01", "", table), `expires_at 2020-01-01T00:00:00Z is already past`},
		{"sslmode", strings.Replace(pgOnly, `sslmode  = "disable"`, `sslmode  = "sometimes"`, 1) + roleHCL(f.role, exp, "", table),
			`postgresql.sslmode is "sometimes"; expected one of "disable", "allow"`},
		{"empty database name", strings.Replace(pgOnly, `sslmode  = "disable"`, `sslmode  = "disable"
    databases = ["app", ""]`, 1) + roleHCL(f.role, exp, "", table), `postgresql.databases holds an empty name`},
	}
	steps := make([]resource.TestStep, 0, len(cases))
	for _, c := range cases {
		steps = append(steps, resource.TestStep{Config: c.config, PlanOnly: true, ExpectError: regexp.MustCompile("(?s)" + strings.ReplaceAll(c.want, " ", `\s+`))})
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PostgresPreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps:                    steps,
	})
}

// A host known only during apply: the plan does not connect (PGHOST points
// elsewhere, as another environment's would), and the apply creates the
// role on the configured server.
func TestAccPostgresqlRole_unknownProviderConfig(t *testing.T) {
	s := acctest.Postgres(t)
	f := newFixture(t)
	block := acctest.PostgresProviderBlock(t, "")
	block = strings.Replace(block, fmt.Sprintf("host     = %q", s.Host), "host     = terraform_data.db.output", 1)
	acctest.PostgresPool(t, "") // the checks' connection, made before the environment points elsewhere
	t.Setenv("PGHOST", "127.0.0.1")
	t.Setenv("PGPORT", "1")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             roleGone(t, f.role),
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf("resource \"terraform_data\" \"db\" {\n  input = %q\n}\n", s.Host) + block + roleHCL(f.role, acctest.Date(acctest.Days(60)), "", f.scopes()...),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(roleAddr, plancheck.ResourceActionCreate),
				plancheck.ExpectUnknownValue(roleAddr, tfjsonpath.New("oid")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue(roleAddr, tfjsonpath.New("effective_scopes"), scopeSet(f.scopes()...)),
			},
		}},
	})
}

// Two credentials naming one Secret would overwrite each other on every
// apply: a Secret holding another role's password, or an access key, is
// refused at plan on kubernetes_secret, naming the credential it holds.
func TestAccPostgresqlRole_secretOfAnotherCredential(t *testing.T) {
	f := newFixture(t)
	other := acctest.PostgresRole(t, acctest.PostgresRandName("acc"))
	ns := acctest.Namespace(t)
	exp := acctest.Date(acctest.Days(60))
	secret := func(name string) string {
		return fmt.Sprintf("kubernetes_secret = {\n    namespace = %q\n    name      = %q\n  }", ns, name)
	}
	first := acctest.ProviderBlock(t, acctest.PostgresBlock(t)) + roleHCL(f.role, exp, secret("shared-db"), f.scopes()...)
	second := first + strings.Replace(roleHCL(other, exp, secret("shared-db"), f.scopes()...), `"test"`, `"other"`, 1)
	keySecret := func() {
		_, err := acctest.Clientset(t).CoreV1().Secrets(ns).Create(context.Background(), &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: "key-db", Labels: map[string]string{k8s.ManagedByLabel: k8s.ManagedByValue},
				Annotations: map[string]string{"nhi.dev/credential-id": "AKIAEXAMPLE0000000001"}},
			Type: corev1.SecretTypeOpaque,
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
	}
	var pw string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t); acctest.PostgresPreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             roleGone(t, f.role),
		Steps: []resource.TestStep{
			{Config: first, Check: deliveredTo(t, ns, "shared-db", f.role, nil, &pw)},
			{
				Config:      second,
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Secret\s+` + ns + `/shared-db\s+holds\s+credential\s+"` + f.role + `/password@.*of\s+another\s+resource`),
			},
			{
				PreConfig:   keySecret,
				Config:      acctest.ProviderBlock(t, acctest.PostgresBlock(t)) + roleHCL(f.role, exp, secret("key-db"), f.scopes()...),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)holds\s+credential\s+"AKIAEXAMPLE0000000001"\s+of\s+another\s+resource`),
			},
			// The role's own Secret still passes, and still holds its password.
			{Config: first, PlanOnly: true, Check: func(*terraform.State) error { return login(t, f.role, pw) }},
		},
	})
}

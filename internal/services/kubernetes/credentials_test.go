package kubernetes_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/echoprovider"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// factoriesWithEcho adds the testing framework's echo provider, which copies
// an ephemeral value into test state so that a test can use it. Only tests
// do this: real configurations pass ephemeral values to providers or
// write-only arguments.
func factoriesWithEcho() map[string]func() (tfprotov6.ProviderServer, error) {
	f := map[string]func() (tfprotov6.ProviderServer, error){"echo": echoprovider.NewProviderServer()}
	for k, v := range acctest.ProviderFactories {
		f[k] = v
	}
	return f
}

// whoAmI authenticates with token and returns the user the API server sees.
func whoAmI(t *testing.T, token string) (string, error) {
	t.Helper()
	cfg, err := k8s.Connection{ConfigPath: acctest.Kubeconfig(t)}.RESTConfig()
	if err != nil {
		return "", err
	}
	anon := rest.AnonymousClientConfig(cfg)
	anon.BearerToken = token
	cs, err := kubernetes.NewForConfig(anon)
	if err != nil {
		return "", err
	}
	r, err := cs.AuthenticationV1().SelfSubjectReviews().Create(context.Background(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		return "", err
	}
	return r.Status.UserInfo.Username, nil
}

func declaredSA(ns, name, expires string) string {
	return fmt.Sprintf(`
resource "nhi_kubernetes_service_account" "test" {
  namespace  = %q
  name       = %q
  owner      = "team:platform"
  purpose    = "credential tests"
  scopes     = []
  expires_at = %q
}
`, ns, name, expires)
}

func TestAccToken_ephemeralAuthenticates(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("minted")
	base := acctest.ProviderBlock(t, "") + declaredSA(ns, name, acctest.Date(acctest.Days(60)))
	withToken := base + `
ephemeral "nhi_kubernetes_token" "t" {
  namespace       = nhi_kubernetes_service_account.test.namespace
  service_account = nhi_kubernetes_service_account.test.name
  expiration      = "15m"
  audiences       = ["https://kubernetes.default.svc.cluster.local"]
}

provider "echo" {
  data = ephemeral.nhi_kubernetes_token.t
}

resource "echo" "t" {}
`
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: factoriesWithEcho(),
		Steps: []resource.TestStep{
			{Config: base},
			{
				Config: withToken,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("echo.t", tfjsonpath.New("data").AtMapKey("expires_at"), knownvalue.NotNull()),
				},
				Check: func(s *terraform.State) error {
					tok := s.RootModule().Resources["echo.t"].Primary.Attributes["data.token"]
					user, err := whoAmI(t, tok)
					if err != nil {
						return fmt.Errorf("the minted token does not authenticate: %v", err)
					}
					if want := "system:serviceaccount:" + ns + ":" + name; user != want {
						return fmt.Errorf("token authenticates as %q, want %q", user, want)
					}
					return nil
				},
			},
		},
	})
}

func TestAccToken_refused(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("refused")
	undeclared := acctest.RandName("plain")
	if _, err := acctest.Clientset(t).CoreV1().ServiceAccounts(ns).Create(context.Background(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: undeclared}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	sa := declaredSA(ns, name, acctest.Date(acctest.Days(40)))
	later := fmt.Sprintf("evaluation_time = %q", acctest.Date(acctest.Days(45)))
	token := func(saName, expiration string) string {
		return fmt.Sprintf(`
ephemeral "nhi_kubernetes_token" "t" {
  namespace       = %q
  service_account = %q
  expiration      = %q
}
provider "echo" {
  data = ephemeral.nhi_kubernetes_token.t
}
resource "echo" "t" {}
`, ns, saName, expiration)
	}
	step := func(providerExtra, saName, expiration, want string) resource.TestStep {
		return resource.TestStep{
			Config:      acctest.ProviderBlock(t, providerExtra) + sa + token(saName, expiration),
			ExpectError: regexp.MustCompile(want),
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: factoriesWithEcho(),
		Steps: []resource.TestStep{
			{Config: acctest.ProviderBlock(t, "") + sa},
			step(later, name, "1h", `(?s)Service account has expired.*gets no token`),
			step("", undeclared, "1h", `(?s)Service account is not declared`),
			step("", "ghost", "1h", `(?s)Service account not found`),
			step("", name, "5m", `(?s)Token expiration too short.*10m`),
			step("", name, "48h", `(?s)Token expiration exceeds policy.*"48h" is longer than the provider's\s+policy.max_token_expiration\s+of\s+24h0m0s`),
			// Disable it on expiry, then ask as of now: disabled gets nothing.
			{Config: acctest.ProviderBlock(t, later) + sa},
			step("", name, "1h", `(?s)Service account is disabled`),
		},
	})
}

const tokenAddr = "nhi_kubernetes_service_account_token.ci"

func tokenConfig(ns, name, extraLifecycle string) string {
	return declaredSA(ns, name, acctest.Date(acctest.Days(90))) + fmt.Sprintf(`
resource "nhi_kubernetes_service_account_token" "ci" {
  namespace       = nhi_kubernetes_service_account.test.namespace
  service_account = nhi_kubernetes_service_account.test.name
  owner           = "team:platform"
  purpose         = "external CI system"
  rotate_after    = "30d"
  %s
}

# A consumer that must be rolled when the token rotates.
resource "terraform_data" "consumer" {
  input = nhi_kubernetes_service_account_token.ci.name
  lifecycle {
    replace_triggered_by = [nhi_kubernetes_service_account_token.ci]
  }
}
`, extraLifecycle)
}

func secretName(s *terraform.State) string {
	return s.RootModule().Resources[tokenAddr].Primary.Attributes["name"]
}

func testRotation(t *testing.T, cbd bool, action plancheck.ResourceActionType) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("ci")
	lc := ""
	if cbd {
		lc = "lifecycle {\n    create_before_destroy = true\n  }"
	}
	cfg := tokenConfig(ns, name, lc)
	var first string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: acctest.ProviderBlock(t, "") + cfg,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(tokenAddr, tfjsonpath.New("rotation_due_at"), knownvalue.StringRegexp(regexp.MustCompile(`^\d{4}-`))),
					// A declared token is not a legacy token of its account.
					statecheck.ExpectKnownValue("nhi_kubernetes_service_account.test", tfjsonpath.New("legacy_tokens"), knownvalue.SetSizeExact(0)),
				},
				Check: func(s *terraform.State) error {
					first = secretName(s)
					sec, err := acctest.Clientset(t).CoreV1().Secrets(ns).Get(context.Background(), first, metav1.GetOptions{})
					if err != nil || sec.Annotations["nhi.dev/owner"] != "team:platform" || sec.Labels[k8s.ManagedByLabel] != k8s.ManagedByValue {
						return fmt.Errorf("governed Secret: %v %v", sec, err)
					}
					return nil
				},
			},
			{
				// Before it is due: nothing to do.
				Config: acctest.ProviderBlock(t, fmt.Sprintf("evaluation_time = %q", acctest.Date(acctest.Days(20)))) + cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionNoop),
				}},
			},
			{
				// 31 days on, rotation is due: the plan replaces the token and
				// the consumer with it.
				Config: acctest.ProviderBlock(t, fmt.Sprintf("evaluation_time = %q", acctest.Date(acctest.Days(31)))) + cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tokenAddr, action),
					plancheck.ExpectResourceAction("terraform_data.consumer", plancheck.ResourceActionReplace),
				}},
				// Under a fixed clock 31 days ahead, the new token (created
				// now) is already past due too: a preview clock keeps
				// rotating. The next step goes back to the real clock.
				ExpectNonEmptyPlan: true,
				Check: func(s *terraform.State) error {
					next := secretName(s)
					if next == first {
						return fmt.Errorf("the token Secret was not replaced (%s)", next)
					}
					cs := acctest.Clientset(t)
					if _, err := cs.CoreV1().Secrets(ns).Get(context.Background(), first, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
						return fmt.Errorf("the old token Secret %s still exists (%v)", first, err)
					}
					tok, err := acctest.Client(t).ReadTokenValue(context.Background(), nhiRef(ns, next))
					if err != nil {
						return err
					}
					user, err := whoAmI(t, tok)
					if err != nil || user != "system:serviceaccount:"+ns+":"+name {
						return fmt.Errorf("the new token authenticates as %q (%v)", user, err)
					}
					return nil
				},
			},
			{
				Config: acctest.ProviderBlock(t, "") + cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionNoop),
				}},
			},
		},
	})
}

func TestAccServiceAccountToken_rotationCreateBeforeDestroy(t *testing.T) {
	testRotation(t, true, plancheck.ResourceActionCreateBeforeDestroy)
}

func TestAccServiceAccountToken_rotationDestroyBeforeCreate(t *testing.T) {
	testRotation(t, false, plancheck.ResourceActionDestroyBeforeCreate)
}

func TestAccServiceAccountToken_badInput(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("bad")
	sa := declaredSA(ns, name, acctest.Date(acctest.Days(90)))
	tok := func(body string) string {
		return fmt.Sprintf(`
resource "nhi_kubernetes_service_account_token" "ci" {
  namespace       = nhi_kubernetes_service_account.test.namespace
  service_account = nhi_kubernetes_service_account.test.name
  %s
}
`, body)
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{Config: acctest.ProviderBlock(t, "") + sa + tok(`owner = "team:a"
  purpose = "ci"
  rotate_after = "120d"`), PlanOnly: true, ExpectError: wrapped(`(?s)Rotation period exceeds policy.*rotate_after 120d is longer than the provider's policy.max_credential_age of 90d`)},
			{Config: acctest.ProviderBlock(t, "") + sa + tok(`owner = " "
  purpose = "ci"`), PlanOnly: true, ExpectError: regexp.MustCompile(`(?s)Missing owner`)},
			{Config: acctest.ProviderBlock(t, "") + sa + tok(`owner = "team:a"
  purpose = "ci"
  expires_at = "2020-01-01"`), PlanOnly: true, ExpectError: wrapped(`(?s)Expiry is in the past.*Set a future date for the token`)},
		},
	})
}

func TestAccServiceAccount_legacyTokensRemoved(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("legacy")
	cs := acctest.Clientset(t)
	legacy := func(secret string) func() {
		return func() {
			createTokenSecret(t, cs, ns, secret, name, nil, nil)
		}
	}
	sa := declaredSA(ns, name, acctest.Date(acctest.Days(90)))
	allowed := allowingLegacyTokens(sa)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkDestroyed(t, ns, name),
		Steps: []resource.TestStep{
			{Config: acctest.ProviderBlock(t, "") + sa},
			{
				PreConfig: legacy("pasted-into-ci-years-ago"),
				Config:    acctest.ProviderBlock(t, "") + sa,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("nhi_kubernetes_service_account.test", plancheck.ResourceActionUpdate),
					plancheck.ExpectKnownValue("nhi_kubernetes_service_account.test", tfjsonpath.New("legacy_tokens"), knownvalue.SetSizeExact(0)),
				}},
				Check: func(*terraform.State) error {
					if _, err := cs.CoreV1().Secrets(ns).Get(context.Background(), "pasted-into-ci-years-ago", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
						return fmt.Errorf("the undeclared token Secret must be deleted (%v)", err)
					}
					return nil
				},
			},
			{
				PreConfig: legacy("tolerated"),
				Config:    acctest.ProviderBlock(t, "") + allowed,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("nhi_kubernetes_service_account.test", tfjsonpath.New("legacy_tokens"),
						knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("tolerated")})),
				},
			},
		},
	})
}

func nhiRef(ns, name string) nhi.Ref { return nhi.Ref{Location: ns, Name: name} }

// wrapped compiles a pattern whose spaces match any whitespace, since
// Terraform wraps long diagnostics.
func wrapped(p string) *regexp.Regexp { return regexp.MustCompile(strings.ReplaceAll(p, " ", `\s+`)) }

// Importing an existing token Secret adopts it: it becomes declared, so the
// account's legacy-token rule no longer deletes it.
func TestAccServiceAccountToken_importAdoptsLegacySecret(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("adopt")
	cs := acctest.Clientset(t)
	sa := declaredSA(ns, name, acctest.Date(acctest.Days(90)))
	allowed := allowingLegacyTokens(sa)
	tok := fmt.Sprintf(`
import {
  to = nhi_kubernetes_service_account_token.ci
  id = "%s/old-ci-token"
}
resource "nhi_kubernetes_service_account_token" "ci" {
  namespace       = nhi_kubernetes_service_account.test.namespace
  service_account = nhi_kubernetes_service_account.test.name
  owner           = "team:platform"
  purpose         = "legacy CI token, adopted"
}
`, ns)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{Config: acctest.ProviderBlock(t, "") + allowed},
			{
				PreConfig: func() {
					createTokenSecret(t, cs, ns, "old-ci-token", name, nil, nil)
				},
				Config: acctest.ProviderBlock(t, "") + allowed + tok,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionUpdate),
				}},
			},
			{
				// Now forbid undeclared tokens: the adopted one is declared.
				Config: acctest.ProviderBlock(t, "") + sa + tok,
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue("nhi_kubernetes_service_account.test", tfjsonpath.New("legacy_tokens"), knownvalue.SetSizeExact(0)),
				},
				Check: func(*terraform.State) error {
					s, err := cs.CoreV1().Secrets(ns).Get(context.Background(), "old-ci-token", metav1.GetOptions{})
					if err != nil || s.Labels[k8s.ManagedByLabel] != k8s.ManagedByValue || s.Annotations["nhi.dev/owner"] != "team:platform" {
						return fmt.Errorf("the adopted token must be kept and declared: %v %v", s, err)
					}
					return nil
				},
			},
		},
	})
}

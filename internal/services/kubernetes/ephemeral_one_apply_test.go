package kubernetes_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
)

// inventoryReader creates a ClusterRole that lets a token read the
// inventory (service accounts, token Secrets, bindings), removed when the
// test ends.
func inventoryReader(t *testing.T) string {
	t.Helper()
	name := acctest.RandName("inventory-reader")
	cs := acctest.Clientset(t)
	if _, err := cs.RbacV1().ClusterRoles().Create(context.Background(), &rbacv1.ClusterRole{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"serviceaccounts", "secrets"}, Verbs: []string{"get", "list"}},
			{APIGroups: []string{"rbac.authorization.k8s.io"}, Resources: []string{"rolebindings", "clusterrolebindings", "roles", "clusterroles"}, Verbs: []string{"get", "list"}},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cs.RbacV1().ClusterRoles().Delete(context.Background(), name, metav1.DeleteOptions{}) })
	return name
}

// clusterEndpoint returns the test cluster's API server URL and CA
// certificate (PEM), as a user would pass them to a provider block.
func clusterEndpoint(t *testing.T) (string, string) {
	t.Helper()
	cfg, err := k8s.Connection{ConfigPath: acctest.Kubeconfig(t)}.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	ca := cfg.CAData
	if len(ca) == 0 && cfg.CAFile != "" {
		if ca, err = os.ReadFile(cfg.CAFile); err != nil {
			t.Fatal(err)
		}
	}
	return cfg.Host, string(ca)
}

// identitySeen checks that a nhi_identities data source lists id.
func identitySeen(addr, id string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		r := s.RootModule().Resources[addr]
		if r == nil {
			return fmt.Errorf("%s is not in state", addr)
		}
		for k, v := range r.Primary.Attributes {
			if regexp.MustCompile(`^identities\.\d+\.id$`).MatchString(k) && v == id {
				return nil
			}
		}
		return fmt.Errorf("%s does not list %s: %v", addr, id, r.Primary.Attributes)
	}
}

// The documented pattern, from an empty namespace in one apply: declare the
// service account, mint a token for it (passing its uid), and configure a
// second, aliased provider with that token, which reads the inventory. With
// the uid, Terraform opens the ephemeral resource only once the account
// exists; with only namespace and name it opened it during plan and failed
// with "Service account not found".
func TestAccToken_oneApplyConfiguresAliasedProvider(t *testing.T) {
	ns := acctest.Namespace(t)
	reader := inventoryReader(t)
	host, ca := clusterEndpoint(t)
	cfg := acctest.ProviderBlock(t, "") + fmt.Sprintf(`
resource "nhi_kubernetes_service_account" "ci" {
  namespace  = %[1]q
  name       = "ci-deployer"
  owner      = "team:platform"
  purpose    = "reads the inventory with its own short-lived token"
  scopes     = ["clusterrole:%[2]s"]
  expires_at = %[3]q
}

ephemeral "nhi_kubernetes_token" "ci" {
  namespace           = nhi_kubernetes_service_account.ci.namespace
  service_account     = nhi_kubernetes_service_account.ci.name
  service_account_uid = nhi_kubernetes_service_account.ci.uid
  expiration          = "15m"
}

provider "nhi" {
  alias = "ci"
  kubernetes {
    host                   = %[4]q
    cluster_ca_certificate = %[5]q
    token                  = ephemeral.nhi_kubernetes_token.ci.token
  }
}

data "nhi_identities" "seen" {
  provider  = nhi.ci
  namespace = nhi_kubernetes_service_account.ci.namespace
}
`, ns, reader, acctest.Date(acctest.Days(60)), host, ca)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("nhi_kubernetes_service_account.ci", plancheck.ResourceActionCreate),
			}},
			Check: identitySeen("data.nhi_identities.seen", ns+"/ci-deployer"),
		}},
	})
}

// The token-value ephemeral resource in the configuration that creates the
// token, in one apply: with the token's uid it is opened once the token
// exists, and its value authenticates as the service account.
func TestAccTokenValue_oneApply(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("ci")
	cfg := acctest.ProviderBlock(t, "") + tokenConfig(ns, name, "") + `
ephemeral "nhi_kubernetes_service_account_token" "ci" {
  namespace = nhi_kubernetes_service_account_token.ci.namespace
  name      = nhi_kubernetes_service_account_token.ci.name
  uid       = nhi_kubernetes_service_account_token.ci.uid
}

provider "echo" {
  data = ephemeral.nhi_kubernetes_service_account_token.ci
}

resource "echo" "t" {}
`
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: factoriesWithEcho(),
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("echo.t", tfjsonpath.New("data").AtMapKey("service_account"), knownvalue.StringExact(name)),
			},
			Check: func(s *terraform.State) error {
				user, err := whoAmI(t, s.RootModule().Resources["echo.t"].Primary.Attributes["data.token"])
				if err != nil || user != "system:serviceaccount:"+ns+":"+name {
					return fmt.Errorf("the token read authenticates as %q (%v)", user, err)
				}
				return nil
			},
		}},
	})
}

// Without the uid, a service account that does not exist yet is an error
// that says to pass it; with a uid that is not the account's, the token is
// refused on service_account_uid.
func TestAccToken_uidGuidance(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("uid")
	sa := declaredSA(ns, name, acctest.Date(acctest.Days(60)))
	token := func(saName, uid string) string {
		u := ""
		if uid != "" {
			u = fmt.Sprintf("service_account_uid = %q", uid)
		}
		return fmt.Sprintf(`
ephemeral "nhi_kubernetes_token" "t" {
  namespace       = %q
  service_account = %q
  %s
}
provider "echo" {
  data = ephemeral.nhi_kubernetes_token.t
}
resource "echo" "t" {}
`, ns, saName, u)
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: factoriesWithEcho(),
		Steps: []resource.TestStep{
			{
				Config:      acctest.ProviderBlock(t, "") + token("not-yet", ""),
				ExpectError: wrapped(`(?s)Service account not found.*service_account_uid = nhi_kubernetes_service_account.<name>.uid.*only once it does`),
			},
			{Config: acctest.ProviderBlock(t, "") + sa},
			{
				Config:      acctest.ProviderBlock(t, "") + sa + token(name, "00000000-0000-0000-0000-000000000000"),
				ExpectError: wrapped(`(?s)Service account was replaced.*not 00000000-0000-0000-0000-000000000000`),
			},
			{
				Config:      acctest.ProviderBlock(t, "") + sa + token(name, "not-a-uid"),
				ExpectError: wrapped(`(?s)Invalid UID.*nhi_kubernetes_service_account.<name>.uid`),
			},
			// End on a valid configuration, which the test's destroy uses.
			{Config: acctest.ProviderBlock(t, "") + sa},
		},
	})
}

// Errors about a token's service account are reported on name, the
// argument the user wrote, not on the computed service_account: Terraform
// then points at that line of the configuration.
func TestAccTokenValue_errorsNameWrittenArgument(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("expired")
	cfg := declaredSA(ns, name, acctest.Date(acctest.Days(40))) + `
resource "nhi_kubernetes_service_account_token" "ci" {
  namespace       = nhi_kubernetes_service_account.test.namespace
  service_account = nhi_kubernetes_service_account.test.name
  owner           = "team:platform"
  purpose         = "external CI system"
}
`
	value := `
ephemeral "nhi_kubernetes_service_account_token" "ci" {
  namespace = nhi_kubernetes_service_account_token.ci.namespace
  uid       = nhi_kubernetes_service_account_token.ci.uid
  name      = nhi_kubernetes_service_account_token.ci.name # the argument written
}
provider "echo" {
  data = ephemeral.nhi_kubernetes_service_account_token.ci
}
resource "echo" "t" {}
`
	later := fmt.Sprintf("evaluation_time = %q", acctest.Date(acctest.Days(45)))
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: factoriesWithEcho(),
		Steps: []resource.TestStep{
			{Config: acctest.ProviderBlock(t, "") + cfg},
			{
				Config: acctest.ProviderBlock(t, later) + cfg + value,
				// The diagnostic's source line is the one with name = ...
				ExpectError: regexp.MustCompile(`(?s)Service account has expired.*\d+:\s+name\s+= nhi_kubernetes_service_account_token\.ci\.name # the argument written`),
			},
		},
	})
}

package provider_test

import (
	"fmt"
	"os"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// explicit renders a provider block with host, token and CA taken from the
// test cluster's kubeconfig, instead of the kubeconfig itself.
func explicit(t *testing.T, token string) string {
	cfg, err := clientcmd.LoadFromFile(acctest.Kubeconfig(t))
	if err != nil {
		t.Fatal(err)
	}
	cl := cfg.Clusters[cfg.Contexts[cfg.CurrentContext].Cluster]
	ca, err := os.ReadFile(cl.CertificateAuthority)
	if err != nil {
		t.Fatal(err)
	}
	if token == "" {
		token = cfg.AuthInfos[cfg.Contexts[cfg.CurrentContext].AuthInfo].Token
	}
	return fmt.Sprintf(`
provider "nhi" {
  kubernetes {
    host                   = %q
    token                  = %q
    cluster_ca_certificate = %q
  }
}
`, cl.Server, token, string(ca))
}

func TestAccProvider_explicitHostTokenCA(t *testing.T) {
	ns := acctest.Namespace(t)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config: explicit(t, "") + fmt.Sprintf(`
resource "nhi_kubernetes_service_account" "test" {
  namespace  = %q
  name       = "explicit"
  owner      = "team:platform"
  purpose    = "proves host, token and CA configuration"
  scopes     = []
  expires_at = %q
}
data "nhi_identities" "test" {
  namespace  = %q
  declared   = true
  depends_on = [nhi_kubernetes_service_account.test]
}
`, ns, acctest.Date(acctest.Days(30*6)), ns),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.nhi_identities.test", tfjsonpath.New("identities"), knownvalue.ListSizeExact(1)),
			},
		}},
	})
}

// The diagnostic is the connector's error text, which
// connectors/kubernetes TestIntegrationAuthenticationMethods checks never
// contains the token; here we check that Terraform shows a clear error.
func TestAccProvider_refusedToken(t *testing.T) {
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      explicit(t, "not-a-real-token") + `data "nhi_identities" "test" {}`,
			ExpectError: regexp.MustCompile(`(?s)Listing kubernetes identities failed.*forbidden:.*Unauthorized`),
		}},
	})
}

// A client certificate without its key (or a key without its certificate)
// fails validation on the attribute, before anything tries to connect.
func TestAccProvider_clientCertificateAndKeyTogether(t *testing.T) {
	block := func(attr string) string {
		return fmt.Sprintf(`
provider "nhi" {
  kubernetes {
    host = "https://127.0.0.1:1"
    %s = "-----BEGIN PEM-----"
  }
}
data "nhi_identities" "test" {}
`, attr)
	}
	want := regexp.MustCompile(`(?s)Invalid Attribute Combination.*kubernetes\.client_certificate,kubernetes\.client_key`)
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{Config: block("client_certificate"), PlanOnly: true, ExpectError: want},
			{Config: block("client_key"), PlanOnly: true, ExpectError: want},
		},
	})
}

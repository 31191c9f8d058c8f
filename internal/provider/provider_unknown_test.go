package provider_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// ambientElsewhere points the ambient Kubernetes settings at a cluster that
// is not there, as a KUBECONFIG for another cluster would be: a provider
// that falls back to them while its own configuration is unknown fails (or,
// worse, plans against the wrong cluster).
func ambientElsewhere(t *testing.T) {
	t.Helper()
	kc := filepath.Join(t.TempDir(), "elsewhere.kubeconfig")
	if err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: elsewhere, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: someone, user: {token: not-this-one}}]
contexts: [{name: elsewhere, context: {cluster: elsewhere, user: someone}}]
current-context: elsewhere
`), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("KUBE_CONFIG_PATH", kc)
	t.Setenv("KUBECONFIG", kc)
}

// unknownKubeConfig configures the provider from a value Terraform learns
// only during apply, as `host = module.eks.cluster_endpoint` is on a first
// plan.
func unknownKubeConfig(t *testing.T, input string) string {
	return fmt.Sprintf(`
resource "terraform_data" "cluster" {
  input = %q
}
provider "nhi" {
  kubernetes {
    config_path = terraform_data.cluster.output
  }
}
`, input)
}

// A first plan with an unknown kubernetes configuration plans the service
// account with unknown computed values, without reaching any cluster (the
// ambient one is not the one configured); the apply creates it in the
// configured cluster.
func TestAccProvider_unknownKubernetesConfigPlansThenApplies(t *testing.T) {
	ambientElsewhere(t)
	ns := acctest.Namespace(t)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config: unknownKubeConfig(t, acctest.Kubeconfig(t)) + fmt.Sprintf(`
resource "nhi_kubernetes_service_account" "test" {
  namespace  = %q
  name       = "unknown-config"
  owner      = "team:platform"
  purpose    = "proves an unknown provider configuration waits for apply"
  scopes     = ["clusterrole:view"]
  expires_at = %q
}
`, ns, acctest.Date(acctest.Days(60))),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("nhi_kubernetes_service_account.test", plancheck.ResourceActionCreate),
				plancheck.ExpectUnknownValue("nhi_kubernetes_service_account.test", tfjsonpath.New("uid")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("nhi_kubernetes_service_account.test", tfjsonpath.New("effective_scopes"),
					knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("clusterrole:view")})),
			},
		}},
	})
}

// Something that must read the cluster now (a data source) says that the
// configuration is not known yet and names the attribute, instead of
// listing whatever cluster KUBECONFIG points at.
func TestAccProvider_unknownKubernetesConfigDataSource(t *testing.T) {
	ambientElsewhere(t)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      unknownKubeConfig(t, acctest.Kubeconfig(t)) + `data "nhi_identities" "all" {}`,
			ExpectError: regexp.MustCompile(`(?s)Provider configuration is not known yet.*kubernetes\.config_path\s+depends\s+on\s+values.*-target`),
		}},
	})
}

// The same for AWS: an unknown endpoint is never replaced by
// AWS_ENDPOINT_URL_IAM, and the user plans and applies once it is known.
func TestAccProvider_unknownAWSEndpointPlansThenApplies(t *testing.T) {
	acctest.AWS(t)
	endpoint := os.Getenv("AWS_ENDPOINT_URL_IAM")
	t.Setenv("AWS_ENDPOINT_URL_IAM", "http://127.0.0.1:1")
	t.Setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")
	name := acctest.RandName("unknown-endpoint")
	resource.Test(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
resource "terraform_data" "endpoint" {
  input = %q
}
provider "nhi" {
  aws {
    endpoint     = terraform_data.endpoint.output
    max_attempts = 1
  }
}
resource "nhi_aws_iam_user" "test" {
  name       = %q
  owner      = "team:platform"
  purpose    = "proves an unknown endpoint waits for apply"
  scopes     = ["policy:arn:aws:iam::aws:policy/ReadOnlyAccess"]
  expires_at = %q
}
`, endpoint, name, acctest.Date(acctest.Days(60))),
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction("nhi_aws_iam_user.test", plancheck.ResourceActionCreate),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("nhi_aws_iam_user.test", tfjsonpath.New("effective_scopes"),
					knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("policy:arn:aws:iam::aws:policy/ReadOnlyAccess")})),
			},
		}},
	})
}

// Policy decides what a plan allows, so it must be known when planning:
// each of its values, and every element of its lists.
func TestAccProvider_unknownPolicyRefused(t *testing.T) {
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config: `
resource "terraform_data" "p" {
  input = "30d"
}
provider "nhi" {
  policy {
    max_lifetime = terraform_data.p.output
  }
}
data "nhi_identities" "all" {}
`,
			ExpectError: regexp.MustCompile(`(?s)Value must be known when planning.*policy\.max_lifetime decides what every\s+plan allows`),
		}, {
			Config: `
resource "terraform_data" "p" {
  input = "clusterrole:cluster-admin"
}
provider "nhi" {
  policy {
    forbidden_scopes = ["clusterrole:admin", terraform_data.p.output]
  }
}
data "nhi_identities" "all" {}
`,
			ExpectError: regexp.MustCompile(`(?s)Value must be known when planning.*policy\.forbidden_scopes decides what\s+every\s+plan allows`),
		}},
	})
}

// A data source filtered to one system lists it while another system's
// configuration is not known yet: what a filter leaves out is not
// connected to.
func TestAccProvider_unknownKubernetesConfigAWSOnlyListing(t *testing.T) {
	acctest.AWS(t)
	ambientElsewhere(t)
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config: fmt.Sprintf(`
resource "terraform_data" "cluster" {
  input = %q
}
provider "nhi" {
  kubernetes {
    config_path = terraform_data.cluster.output
  }
  aws {}
}
data "nhi_identities" "aws" {
  system = "aws"
}
`, acctest.Kubeconfig(t)),
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.nhi_identities.aws", tfjsonpath.New("system"), knownvalue.StringExact("aws")),
			},
		}},
	})
}

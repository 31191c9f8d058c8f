package kubernetes_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// queryOnly are the Terraform versions that have `terraform query` (list
// resources are generally available from 1.14).
var queryOnly = []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)}

// TestAccServiceAccountList_query lists a namespace holding a declared
// service account, one created out of band and the controller manager's
// default one, with each filter, and checks identities, lengths, display
// names and the adoption an undeclared one's resource carries.
func TestAccServiceAccountList_query(t *testing.T) {
	ns := acctest.Namespace(t)
	cs := acctest.Clientset(t)
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(context.Background(), &corev1.ServiceAccount{
		ObjectMeta: metav1.ObjectMeta{Name: "out-of-band", Labels: map[string]string{"team": "legacy"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	createTokenSecret(t, cs, ns, "out-of-band-token", "out-of-band", nil, nil)
	declared := sa{ns: ns, name: "declared", owner: "team:payments", expires: acctest.Date(acctest.Days(30))}.hcl()
	provider := acctest.ProviderBlock(t, "")
	list := func(name, cfg string, include bool) string {
		return fmt.Sprintf(`
list "nhi_kubernetes_service_account" %q {
  provider         = nhi
  include_resource = %t
  config {
    namespace = %q
    %s
  }
}
`, name, include, ns, cfg)
	}
	id := func(name string) map[string]knownvalue.Check {
		return map[string]knownvalue.Check{"namespace": knownvalue.StringExact(ns), "name": knownvalue.StringExact(name)}
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		TerraformVersionChecks:   queryOnly,
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{Config: provider + declared},
			{
				Query: true,
				Config: list("all", "", false) + list("undeclared", "declared = false", true) + list("declared", "declared = true", false) +
					list("owner", `owner = "team:payments"`, false) + list("nobody", `owner = "team:nobody"`, false) + list("system", "include_system = true", false) +
					fmt.Sprintf(`
list "nhi_kubernetes_service_account_token" "tokens" {
  provider = nhi
  config {
    namespace = %q
    declared  = false
  }
}
`, ns),
				QueryResultChecks: []querycheck.QueryResultCheck{
					// The default service account is the system's own.
					querycheck.ExpectLength("nhi_kubernetes_service_account.all", 2),
					querycheck.ExpectIdentity("nhi_kubernetes_service_account.all", id("declared")),
					querycheck.ExpectIdentity("nhi_kubernetes_service_account.all", id("out-of-band")),
					querycheck.ExpectLength("nhi_kubernetes_service_account.system", 3),
					querycheck.ExpectIdentity("nhi_kubernetes_service_account.system", id("default")),
					querycheck.ExpectLength("nhi_kubernetes_service_account.undeclared", 1),
					querycheck.ExpectIdentity("nhi_kubernetes_service_account.undeclared", id("out-of-band")),
					querycheck.ExpectResourceDisplayName("nhi_kubernetes_service_account.undeclared", queryfilter.ByResourceIdentity(id("out-of-band")),
						knownvalue.StringExact("service account "+ns+"/out-of-band (undeclared)")),
					querycheck.ExpectResourceKnownValues("nhi_kubernetes_service_account.undeclared", queryfilter.ByResourceIdentity(id("out-of-band")), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("owner"), KnownValue: knownvalue.StringExact("FILL-IN: the person or team responsible")},
						{Path: tfjsonpath.New("purpose"), KnownValue: knownvalue.StringExact("FILL-IN: why this identity exists")},
						{Path: tfjsonpath.New("expires_at"), KnownValue: knownvalue.StringExact("FILL-IN: YYYY-MM-DD")},
						// Adopting deletes none of its token Secrets.
						{Path: tfjsonpath.New("allow_legacy_tokens"), KnownValue: knownvalue.Bool(true)},
						{Path: tfjsonpath.New("legacy_tokens"), KnownValue: knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("out-of-band-token")})},
						{Path: tfjsonpath.New("labels"), KnownValue: knownvalue.MapExact(map[string]knownvalue.Check{"team": knownvalue.StringExact("legacy")})},
					}),
					querycheck.ExpectLength("nhi_kubernetes_service_account.declared", 1),
					querycheck.ExpectResourceDisplayName("nhi_kubernetes_service_account.declared", queryfilter.ByResourceIdentity(id("declared")),
						knownvalue.StringExact("service account "+ns+"/declared (owner team:payments)")),
					querycheck.ExpectLength("nhi_kubernetes_service_account.owner", 1),
					querycheck.ExpectIdentity("nhi_kubernetes_service_account.owner", id("declared")),
					querycheck.ExpectLength("nhi_kubernetes_service_account.nobody", 0),
					querycheck.ExpectLength("nhi_kubernetes_service_account_token.tokens", 1),
					querycheck.ExpectIdentity("nhi_kubernetes_service_account_token.tokens", id("out-of-band-token")),
					querycheck.ExpectResourceDisplayName("nhi_kubernetes_service_account_token.tokens", queryfilter.ByResourceIdentity(id("out-of-band-token")),
						knownvalue.StringExact("legacy token Secret "+ns+"/out-of-band-token of service account "+ns+"/out-of-band (undeclared)")),
				},
			},
		},
	})
}

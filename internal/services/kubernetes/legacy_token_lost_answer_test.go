package kubernetes_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/faultproxy"
)

// The apply that deletes a legacy token Secret deletes it with the Secret's
// UID as a precondition, so when the answer of that DELETE is lost (the
// server did delete it) the retry layer resends it and the apply succeeds in
// one go. An unconditional DELETE is not resent after a lost answer, and the
// apply fails.
func TestAccServiceAccount_legacyTokenDeleteSurvivesLostAnswer(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("lostdel")
	cs := acctest.Clientset(t)
	const secret = "legacy-lost-answer"
	p := acctest.KubeProxy(t, 11)
	kc := acctest.ProxiedKubeconfig(t, p)
	sa := declaredSA(ns, name, acctest.Date(acctest.Days(90)))
	allowed := allowingLegacyTokens(sa)
	var lost *faultproxy.Target
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{Config: acctest.ProviderBlockAt(kc, "") + allowed},
			{
				PreConfig: func() {
					createTokenSecret(t, cs, ns, secret, name, nil, nil)
					var err error
					lost, err = p.AddRule(faultproxy.Rule{
						Method: http.MethodDelete,
						Path:   "/api/v1/namespaces/" + ns + "/secrets/" + secret,
						Fault:  faultproxy.LostAnswer,
						Times:  1,
					})
					if err != nil {
						t.Fatal(err)
					}
				},
				Config: acctest.ProviderBlockAt(kc, "") + sa,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction("nhi_kubernetes_service_account.test", plancheck.ResourceActionUpdate),
				}},
				Check: func(*terraform.State) error {
					if lost.Applied() != 1 {
						return fmt.Errorf("the answer of the legacy token's DELETE was not lost (rule applied %d times): the test proves nothing", lost.Applied())
					}
					if lost.Seen() < 2 {
						return fmt.Errorf("the legacy token's DELETE was sent %d times, want it resent after the lost answer", lost.Seen())
					}
					if _, err := cs.CoreV1().Secrets(ns).Get(context.Background(), secret, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
						return fmt.Errorf("the legacy token Secret must be deleted (%v)", err)
					}
					return nil
				},
			},
		},
	})
}

package driftcmd_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	"github.com/nhi-ops/terraform-provider-nhi/internal/driftcmd"
)

// Adopting an undeclared service account with --generate-imports changes
// nothing until a person decides: the first apply of the generated blocks
// (placeholders filled in) keeps the account's legacy token Secret, which a
// workload may still read. Setting allow_legacy_tokens to false, as the
// generated comment says, is what deletes it.
func TestScenarioAdoptKeepsLegacyTokens(t *testing.T) {
	cs := acctest.Clientset(t)
	ctx := context.Background()
	ns := acctest.Namespace(t)
	dir := t.TempDir()

	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "legacy-user"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "legacy-user-token", Annotations: map[string]string{corev1.ServiceAccountNameKey: "legacy-user"}},
		Type:       corev1.SecretTypeServiceAccountToken,
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The controller manager fills the token in (and would delete a Secret
	// whose account it cannot find); wait until it has.
	var uid string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		sec, err := cs.CoreV1().Secrets(ns).Get(ctx, "legacy-user-token", metav1.GetOptions{})
		if err == nil && len(sec.Data["token"]) > 0 {
			uid = string(sec.UID)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the controller manager did not fill the legacy token Secret: %v", err)
		}
	}

	config := filepath.Join(dir, "nhi-drift.hcl")
	if err := os.WriteFile(config, []byte(fmt.Sprintf("source \"kubernetes\" \"adopt\" {\n  kubeconfig = %q\n  namespaces = [%q]\n}\n", acctest.Kubeconfig(t), ns)), 0o600); err != nil {
		t.Fatal(err)
	}
	adopt := filepath.Join(dir, "adopt.tf")
	if r := run(t, "--config", config, "--format", "json", "--fail-on", "none", "--generate-imports", adopt); r.code != driftcmd.ExitClean {
		t.Fatalf("--generate-imports: exit %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(adopt)
	if err != nil {
		t.Fatal(err)
	}
	gen := string(b)
	for _, want := range []string{"#   " + ns + "/legacy-user-token\n", "allow_legacy_tokens = true\n"} {
		if !strings.Contains(gen, want) {
			t.Errorf("generated imports lack %q:\n%s", want, gen)
		}
	}
	filled := strings.NewReplacer(
		`"FILL-IN: the person or team responsible"`, `"team:platform"`,
		`"FILL-IN: why this identity exists"`, `"adopted from drift"`,
		`"FILL-IN: YYYY-MM-DD"`, fmt.Sprintf("%q", acctest.Date(acctest.Days(90))),
	).Replace(gen)
	addr := fmt.Sprintf("nhi_kubernetes_service_account.%s__legacy-user", ns)
	secret := func(wantKept bool) resource.TestCheckFunc {
		return func(*terraform.State) error {
			sec, err := cs.CoreV1().Secrets(ns).Get(ctx, "legacy-user-token", metav1.GetOptions{})
			switch {
			case wantKept && err != nil:
				return fmt.Errorf("the legacy token Secret did not survive the adopting apply: %v", err)
			case wantKept && string(sec.UID) != uid:
				return fmt.Errorf("the legacy token Secret was replaced (uid %s, was %s)", sec.UID, uid)
			case !wantKept && !apierrors.IsNotFound(err):
				return fmt.Errorf("allow_legacy_tokens = false must delete the legacy token Secret: %v", err)
			}
			return nil
		}
	}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: acctest.ProviderBlock(t, "") + filled,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					expectImporting(addr),
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					// Unknown while allow_legacy_tokens may adopt a token Secret in the same apply.
					plancheck.ExpectUnknownValue(addr, tfjsonpath.New("legacy_tokens")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("legacy_tokens"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact("legacy-user-token")})),
				},
				Check: secret(true),
			},
			{
				// What the generated comment says false does.
				Config: acctest.ProviderBlock(t, "") + strings.Replace(filled, "allow_legacy_tokens = true", "allow_legacy_tokens = false", 1),
				Check:  secret(false),
			},
		},
	})
}

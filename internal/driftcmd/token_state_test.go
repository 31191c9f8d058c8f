package driftcmd_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/driftcmd"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// A token Secret counts as governed only with the provider's full markers
// and, with --state, a state that declares it as an
// nhi_kubernetes_service_account_token. The managed-by label alone, which
// anyone can set, is reported like any legacy token (NHI007).
func TestScenarioTokenGovernedOnlyByState(t *testing.T) {
	c := acctest.Client(t)
	cs := c.Clientset()
	ctx := context.Background()
	ns := acctest.Namespace(t)
	dir := t.TempDir()
	now := time.Now().UTC()
	must := fatalOnError(t)

	ref := nhi.Ref{Location: ns, Name: "runner"}
	g := nhi.Governance{Owner: "team:ci", Purpose: "external CI", ExpiresAt: now.Add(200 * 24 * time.Hour)}
	sa, err := c.Create(ctx, k8s.ServiceAccountSpec{Spec: nhi.Spec{Ref: ref, Governance: g}})
	must(err)
	inState, err := c.CreateTokenSecret(ctx, k8s.TokenSecretSpec{ServiceAccount: ref, Governance: g, RotateAfter: 30 * 24 * time.Hour})
	must(err)
	notInState, err := c.CreateTokenSecret(ctx, k8s.TokenSecretSpec{ServiceAccount: ref, Governance: g, RotateAfter: 30 * 24 * time.Hour})
	must(err)
	_, err = cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "bare-label", Labels: map[string]string{k8s.ManagedByLabel: k8s.ManagedByValue},
			Annotations: map[string]string{corev1.ServiceAccountNameKey: "runner"}},
		Type: corev1.SecretTypeServiceAccountToken,
	}, metav1.CreateOptions{})
	must(err)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		sec, err := cs.CoreV1().Secrets(ns).Get(ctx, "bare-label", metav1.GetOptions{})
		if err == nil && len(sec.Data["token"]) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the controller manager did not fill the bare-labelled token Secret: %v", err)
		}
	}

	config := filepath.Join(dir, "nhi-drift.hcl")
	must(os.WriteFile(config, []byte(fmt.Sprintf("source \"kubernetes\" \"ci\" {\n  kubeconfig = %q\n  namespaces = [%q]\n}\n", acctest.Kubeconfig(t), ns)), 0o600))
	state := filepath.Join(dir, "terraform.tfstate")
	must(os.WriteFile(state, []byte(fmt.Sprintf(`{"version":4,"resources":[
	  {"mode":"managed","type":"nhi_kubernetes_service_account","name":"runner","instances":[{"attributes":{"id":%q,"uid":%q}}]},
	  {"mode":"managed","type":"nhi_kubernetes_service_account_token","name":"runner","instances":[{"attributes":{"id":%q,"uid":%q,"service_account":"runner"}}]}
	]}`, ref.String(), sa.ID, inState.Ref.String(), inState.UID)), 0o600))

	// long lists "RULE secret" for each finding on the service account.
	long := func(args ...string) []string {
		t.Helper()
		r := run(t, append([]string{"--config", config, "--format", "json", "--fail-on", "none"}, args...)...)
		if r.code != driftcmd.ExitClean {
			t.Fatalf("exit %d\n%s", r.code, r.stderr)
		}
		var out []string
		for _, f := range parseJSON(t, r.stdout).Findings {
			what := f.Identity.ID
			for _, s := range []string{inState.Ref.String(), notInState.Ref.String(), ns + "/bare-label"} {
				if strings.Contains(f.Message, s) {
					what = s
				}
			}
			out = append(out, f.RuleID+" "+strings.TrimPrefix(what, ns+"/"))
		}
		sort.Strings(out)
		return out
	}
	check := func(name string, got []string, want ...string) {
		t.Helper()
		sort.Strings(want)
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: findings\n  %s\nwant\n  %s", name, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
	}
	check("with --state", long("--state", state), "NHI007 bare-label", "NHI007 "+notInState.Ref.Name)
	check("without --state", long(), "NHI007 bare-label")
}

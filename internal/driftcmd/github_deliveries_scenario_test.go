package driftcmd_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/driftcmd"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// A deploy key of the prod GitHub organisation whose private key is
// delivered into a Secret of a staging namespace (as nhi_github_deploy_key
// delivers it: the Secret records "<owner>/<repo>/<key_id>") is NHI015 on
// the key, naming the Secret. Needs the shared Kubernetes cluster.
func TestGitHubScenarioDeliveredDeployKey(t *testing.T) {
	sc := seedGitHub(t)
	kc := acctest.Client(t)
	ns := acctest.Namespace(t)
	push := fmt.Sprintf("acme/api/%d", sc.push)
	if err := kc.PutDeliveredCredential(context.Background(), k8s.DeliveredCredential{Ref: nhi.Ref{Location: ns, Name: "ci-push-key"}, CredentialID: push,
		Data: map[string][]byte{"ssh-privatekey": []byte("not a key")}, Governance: nhi.Governance{Owner: "team:ci", Purpose: "push"}}); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(sc.config)
	fatalOnError(t)(err)
	gh := strings.Replace(string(b), "source \"github\" \"gh\" {\n", "source \"github\" \"gh\" {\n  environment = \"prod\"\n", 1)
	cfg := filepath.Join(sc.dir, "environments.hcl")
	fatalOnError(t)(os.WriteFile(cfg, []byte(gh+fmt.Sprintf("source \"kubernetes\" \"staging-eu\" {\n  kubeconfig  = %q\n  namespaces  = [%q]\n  environment = \"staging\"\n}\n", acctest.Kubeconfig(t), ns)), 0o600))
	r := runGitHub(t, "--config", cfg, "--state", sc.state, "--format", "json", "--fail-on", "none", "--at", sc.at.Format(time.RFC3339))
	if r.code != driftcmd.ExitClean {
		t.Fatalf("exit %d\nstderr: %s", r.code, r.stderr)
	}
	want := []string{fmt.Sprintf(`NHI015 high %s: deploy key %s is used from 2 environments: prod (source "gh"), staging (SSH key %s delivered to %s/ci-push-key in source "staging-eu")`, push, push, push, ns)}
	sameLines(t, findingLines(parseJSON(t, r.stdout), func(f jsonFinding) bool { return f.RuleID == "NHI015" }), want, r.stdout)
}

package kubernetes_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6/tf6server"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/provider"
)

// terraformAtLeast returns the Terraform CLI the acceptance tests run
// (TF_ACC_TERRAFORM_PATH, else terraform on PATH), skipping the test when
// it is older than major.minor.
func terraformAtLeast(t *testing.T, major, minor int) string {
	t.Helper()
	tf := os.Getenv("TF_ACC_TERRAFORM_PATH")
	if tf == "" {
		var err error
		if tf, err = exec.LookPath("terraform"); err != nil {
			t.Fatalf("no Terraform CLI: set TF_ACC_TERRAFORM_PATH or put terraform on PATH (%v)", err)
		}
	}
	out, err := exec.Command(tf, "version", "-json").Output()
	if err != nil {
		t.Fatalf("%s version -json: %v", tf, err)
	}
	var v struct {
		Version string `json:"terraform_version"`
	}
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatalf("%s version -json: %v", tf, err)
	}
	parts := strings.SplitN(v.Version, ".", 3)
	maj, _ := strconv.Atoi(parts[0])
	min := 0
	if len(parts) > 1 {
		min, _ = strconv.Atoi(parts[1])
	}
	if maj < major || maj == major && min < minor {
		t.Skipf("Terraform %s at %s has no `terraform query`; this test needs %d.%d or later (set TF_ACC_TERRAFORM_PATH, such as ~/.cache/nhi-dev/bin/terraform-v1.15.0/terraform)", v.Version, tf, major, minor)
	}
	return tf
}

// serveProvider serves the provider in this process, as plugin-testing
// does, and returns the TF_REATTACH_PROVIDERS value that points Terraform
// at it.
func serveProvider(t *testing.T) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfgCh := make(chan *plugin.ReattachConfig)
	closeCh := make(chan struct{})
	const addr = "registry.terraform.io/hashicorp/nhi"
	go func() {
		if err := tf6server.Serve(addr, providerserver.NewProtocol6(provider.New("test")()),
			tf6server.WithDebug(ctx, cfgCh, closeCh), tf6server.WithLoggingSink(t), tf6server.WithGoPluginLogger(hclog.NewNullLogger())); err != nil {
			t.Errorf("serving the provider: %v", err)
		}
	}()
	cfg := <-cfgCh
	t.Cleanup(func() { cancel(); <-closeCh })
	type reattachAddr struct{ Network, String string }
	type reattach struct {
		Protocol        string
		ProtocolVersion int
		Pid             int
		Test            bool
		Addr            reattachAddr
	}
	b, err := json.Marshal(map[string]reattach{addr: {
		Protocol: string(cfg.Protocol), ProtocolVersion: cfg.ProtocolVersion, Pid: cfg.Pid, Test: true,
		Addr: reattachAddr{Network: cfg.Addr.Network(), String: cfg.Addr.String()},
	}})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestAccServiceAccountList_generateConfigAdopts is adoption with Terraform
// alone: `terraform query -generate-config-out` on a namespace holding a
// service account made out of band (a label, a grant, a legacy token
// Secret) writes import blocks by identity and resource blocks, for the
// account and its token Secret, whose owner, purpose and expiry are FILL-IN
// placeholders; a plan refuses them; filled in, one apply imports both and
// updates them in place (the governance written, nothing removed), and the
// next plan is empty.
func TestAccServiceAccountList_generateConfigAdopts(t *testing.T) {
	tf := terraformAtLeast(t, 1, 14)
	ns := acctest.Namespace(t)
	cs := acctest.Clientset(t)
	ctx := context.Background()
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{
		ObjectMeta: metav1.ObjectMeta{Name: "runner", Labels: map[string]string{"team": "legacy"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "runner-view"},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "runner", Namespace: ns}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	createTokenSecret(t, cs, ns, "runner-token", "runner", nil, nil)

	dir := t.TempDir()
	write := func(name, content string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("main.tf", acctest.ProviderBlock(t, ""))
	write("adopt.tfquery.hcl", fmt.Sprintf(`
list "nhi_kubernetes_service_account" "undeclared" {
  provider = nhi
  config {
    namespace = %q
    declared  = false
  }
}

list "nhi_kubernetes_service_account_token" "legacy" {
  provider = nhi
  config {
    namespace = %q
    declared  = false
  }
}
`, ns, ns))
	env := append(os.Environ(), "TF_REATTACH_PROVIDERS="+serveProvider(t), "TF_IN_AUTOMATION=1", "CHECKPOINT_DISABLE=1")
	run := func(args ...string) (string, error) {
		cmd := exec.Command(tf, args...)
		cmd.Dir, cmd.Env = dir, env
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	mustRun := func(args ...string) string {
		t.Helper()
		out, err := run(args...)
		if err != nil {
			t.Fatalf("terraform %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	mustRun("init", "-no-color", "-input=false")
	mustRun("query", "-no-color", "-generate-config-out=adopt.tf")
	raw, err := os.ReadFile(filepath.Join(dir, "adopt.tf"))
	if err != nil {
		t.Fatal(err)
	}
	gen := string(raw)
	t.Logf("generated:\n%s", gen)
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?s)import \{.*to\s*= nhi_kubernetes_service_account\.undeclared_0.*identity = \{.*name\s*= "runner".*namespace\s*= "` + ns + `"`),
		regexp.MustCompile(`resource "nhi_kubernetes_service_account" "undeclared_0" \{`),
		regexp.MustCompile(`owner\s*= "FILL-IN: the person or team responsible"`),
		regexp.MustCompile(`purpose\s*= "FILL-IN: why this identity exists"`),
		regexp.MustCompile(`expires_at\s*= "FILL-IN: YYYY-MM-DD"`),
		regexp.MustCompile(`allow_legacy_tokens\s*= true`),
		regexp.MustCompile(`scopes\s*= \["clusterrole:view@` + ns + `"\]`),
		// The legacy token Secret, adopted as a governed token.
		regexp.MustCompile(`(?s)import \{.*to\s*= nhi_kubernetes_service_account_token\.legacy_0.*identity = \{.*name\s*= "runner-token"`),
		regexp.MustCompile(`(?s)resource "nhi_kubernetes_service_account_token" "legacy_0" \{.*owner\s*= "FILL-IN: the person or team responsible".*service_account\s*= "runner"`),
	} {
		if !want.MatchString(gen) {
			t.Errorf("the generated configuration does not match %s", want)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	// The query file lists; the apply does not need it.
	if err := os.Remove(filepath.Join(dir, "adopt.tfquery.hcl")); err != nil {
		t.Fatal(err)
	}

	// As generated, the validators refuse the placeholders.
	out, err := run("plan", "-no-color", "-input=false")
	if err == nil || !strings.Contains(out, `is still the placeholder "FILL-IN: the person or team responsible"`) || !strings.Contains(out, `is still the placeholder "FILL-IN: YYYY-MM-DD"`) {
		t.Fatalf("a plan of the generated placeholders was not refused on them (%v):\n%s", err, out)
	}

	expires := acctest.Date(acctest.Days(60))
	filled := strings.NewReplacer(
		"FILL-IN: the person or team responsible", "team:ci",
		"FILL-IN: why this identity exists", "Runs the CI jobs",
		"FILL-IN: YYYY-MM-DD", expires,
	).Replace(gen)
	write("adopt.tf", filled)
	mustRun("plan", "-no-color", "-input=false", "-out=adopt.plan")
	var plan struct {
		ResourceChanges []struct {
			Address string `json:"address"`
			Change  struct {
				Actions   []string        `json:"actions"`
				Importing json.RawMessage `json:"importing"`
			} `json:"change"`
		} `json:"resource_changes"`
	}
	if err := json.Unmarshal([]byte(mustRun("show", "-json", "adopt.plan")), &plan); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{"nhi_kubernetes_service_account.undeclared_0": true, "nhi_kubernetes_service_account_token.legacy_0": true}
	if len(plan.ResourceChanges) != len(want) {
		t.Fatalf("plan changes %d resources, want the two imports: %+v", len(plan.ResourceChanges), plan.ResourceChanges)
	}
	for _, rc := range plan.ResourceChanges {
		if !want[rc.Address] || len(rc.Change.Importing) == 0 || strings.Join(rc.Change.Actions, ",") != "update" {
			t.Errorf("plan: %s %v importing %s, want an import updated in place", rc.Address, rc.Change.Actions, rc.Change.Importing)
		}
	}
	if t.Failed() {
		t.FailNow()
	}
	mustRun("apply", "-no-color", "-input=false", "adopt.plan")

	id, err := acctest.Client(t).Get(ctx, nhi.Ref{Location: ns, Name: "runner"})
	if err != nil {
		t.Fatal(err)
	}
	if !id.Declared || id.Governance.Owner != "team:ci" || id.Governance.Purpose != "Runs the CI jobs" || nhi.FormatTime(id.Governance.ExpiresAt)[:10] != expires {
		t.Errorf("after the apply the service account is declared=%t with %+v, want the filled-in governance", id.Declared, id.Governance)
	}
	if strings.Join(id.EffectiveScopes, ",") != "clusterrole:view@"+ns || id.Labels["team"] != "legacy" {
		t.Errorf("adopting changed the account: scopes %v, labels %v", id.EffectiveScopes, id.Labels)
	}
	if s, err := cs.CoreV1().Secrets(ns).Get(ctx, "runner-token", metav1.GetOptions{}); err != nil {
		t.Errorf("adopting deleted the legacy token Secret: %v", err)
	} else if s.Annotations["nhi.dev/owner"] != "team:ci" {
		t.Errorf("the adopted token Secret carries no governance: %v", s.Annotations)
	}
	out, err = run("plan", "-no-color", "-input=false", "-detailed-exitcode")
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 0) {
		t.Errorf("the plan after adopting is not empty (%v):\n%s", err, out)
	}
}

package driftcmd_test

// These tests run the drift command against the project's real
// kube-apiserver (make test starts it).

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/driftcmd"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/provider"
)

// scenario is a namespace seeded so that every rule fires exactly once
// (NHI001 and NHI008 twice), evaluated 60 days from now.
type scenario struct {
	ns, dir, config, state string
	at                     time.Time
}

func day(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

func seedScenario(t *testing.T) scenario {
	t.Helper()
	c := acctest.Client(t)
	cs := c.Clientset()
	ctx := context.Background()
	ns := acctest.Namespace(t)
	now := time.Now().UTC()
	s := scenario{ns: ns, dir: t.TempDir(), at: now.Add(day(60))}

	must := fatalOnError(t)
	declare := func(name, owner string, expires time.Duration, scopes ...string) {
		_, err := c.Create(ctx, k8s.ServiceAccountSpec{Spec: nhi.Spec{
			Ref:        nhi.Ref{Location: ns, Name: name},
			Governance: nhi.Governance{Owner: owner, Purpose: "scenario", Scopes: scopes, ExpiresAt: now.Add(expires)},
		}})
		must(err)
	}
	undeclared := func(name string) {
		_, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
		must(err)
	}
	podSpec := func(sa string) corev1.PodTemplateSpec {
		return corev1.PodTemplateSpec{
			ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "x"}},
			Spec:       corev1.PodSpec{ServiceAccountName: sa, Containers: []corev1.Container{{Name: "c", Image: "example.invalid/app"}}},
		}
	}
	deployment := func(name, sa string) {
		one := int32(0)
		_, err := cs.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			Spec:       appsv1.DeploymentSpec{Replicas: &one, Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "x"}}, Template: podSpec(sa)},
		}, metav1.CreateOptions{})
		must(err)
	}

	// A Role granting everything, for NHI008's wildcard case.
	_, err := cs.RbacV1().Roles(ns).Create(ctx, &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Name: "everything"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: []string{"*"}, Resources: []string{"*"}, Verbs: []string{"*"}}},
	}, metav1.CreateOptions{})
	must(err)

	declare("ok-deployer", "team:payments", day(200), "clusterrole:view") // no finding
	deployment("ok", "ok-deployer")
	declare("expired-holder", "team:payments", day(30), "clusterrole:view") // NHI004
	deployment("expired", "expired-holder")
	declare("expiring", "team:payments", day(80)) // NHI005
	deployment("expiring", "expiring")
	declare("widened", "team:payments", day(200), "clusterrole:view") // NHI003
	deployment("widened", "widened")
	_, err = cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "out-of-band"}, // a grant nobody declared (view: no risky capability, so NHI003 alone)
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "widened", Namespace: ns}},
	}, metav1.CreateOptions{})
	must(err)
	declare("orphan-owner", "team:gone", day(200)) // NHI006
	deployment("orphan-owner", "orphan-owner")
	declare("legacy-token", "team:payments", day(200)) // NHI007
	deployment("legacy-token", "legacy-token")
	_, err = cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "legacy-token-secret", Annotations: map[string]string{corev1.ServiceAccountNameKey: "legacy-token"}},
		Type:       corev1.SecretTypeServiceAccountToken,
	}, metav1.CreateOptions{})
	must(err)
	declare("wild", "team:payments", day(200), "role:everything") // NHI008 (wildcard)
	deployment("wild", "wild")
	declare("stale", "team:payments", day(200))  // NHI009, and the expired exception does not hide it
	declare("reused", "team:payments", day(200)) // NHI010, suppressed by a live exception
	deployment("reused-web", "reused")
	_, err = cs.BatchV1().CronJobs(ns).Create(ctx, &batchv1.CronJob{
		ObjectMeta: metav1.ObjectMeta{Name: "reused-nightly"},
		Spec: batchv1.CronJobSpec{Schedule: "0 3 * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
			Template: func() corev1.PodTemplateSpec {
				p := podSpec("reused")
				p.Spec.RestartPolicy = corev1.RestartPolicyNever
				return p
			}(),
		}}},
	}, metav1.CreateOptions{})
	must(err)
	declare("orphan-decl", "team:payments", day(200)) // NHI012: in no state
	deployment("orphan-decl", "orphan-decl")

	undeclared("shadow-admin") // NHI001 (high) and NHI008
	_, err = cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: ns + "-shadow-admin"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: "shadow-admin", Namespace: ns}},
	}, metav1.CreateOptions{})
	must(err)
	t.Cleanup(func() {
		_ = cs.RbacV1().ClusterRoleBindings().Delete(context.Background(), ns+"-shadow-admin", metav1.DeleteOptions{})
	})
	_, err = cs.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "shadow"}, Spec: podSpec("shadow-admin").Spec}, metav1.CreateOptions{})
	must(err)
	undeclared("plain") // NHI001 (medium)
	deployment("plain", "plain")

	owners := filepath.Join(s.dir, "owners.txt")
	must(os.WriteFile(owners, []byte("# people and teams\nteam:payments\nalice@example.com # on-call\n"), 0o600))
	s.config = filepath.Join(s.dir, "nhi-drift.hcl")
	must(os.WriteFile(s.config, []byte(fmt.Sprintf(`
source "kubernetes" "scenario" {
  kubeconfig = %q
  namespaces = [%q]
}

owners {
  file = "owners.txt"
}

exception "reuse-waiver" {
  identity = "%[2]s/reused"
  rules    = ["NHI010"]
  reason   = "web and nightly job are one product"
  ticket   = "SEC-1"
  expires  = %[3]q
}

exception "old-waiver" {
  identity = "%[2]s/stale"
  rules    = ["NHI009"]
  reason   = "kept for a migration"
  expires  = %[4]q
}
`, acctest.Kubeconfig(t), ns, now.Add(day(365)).Format("2006-01-02"), now.Add(day(10)).Format("2006-01-02"))), 0o600))

	// State: every declared account but orphan-decl, plus one that does not
	// exist (NHI002).
	var res []string
	for _, n := range []string{"ok-deployer", "expired-holder", "expiring", "widened", "orphan-owner", "legacy-token", "wild", "stale", "reused", "ghost"} {
		res = append(res, fmt.Sprintf(`{"mode":"managed","type":"nhi_kubernetes_service_account","name":%q,"provider":"provider[\"registry.terraform.io/nhi-ops/nhi\"]","instances":[{"attributes":{"id":"%s/%s"}}]}`, n, ns, n))
	}
	s.state = filepath.Join(s.dir, "terraform.tfstate")
	must(os.WriteFile(s.state, []byte(`{"version":4,"terraform_version":"1.11.4","serial":1,"lineage":"x","outputs":{},"resources":[`+strings.Join(res, ",")+`]}`), 0o600))

	// The controller manager fills the legacy token Secret; wait for it so
	// the scenario is settled.
	deadline := time.Now().Add(30 * time.Second)
	for {
		sec, err := cs.CoreV1().Secrets(ns).Get(ctx, "legacy-token-secret", metav1.GetOptions{})
		if err == nil && len(sec.Data["token"]) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the controller manager did not fill the legacy token Secret")
		}
		time.Sleep(200 * time.Millisecond)
	}
	return s
}

type result struct {
	code   int
	stdout string
	stderr string
}

func run(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := driftcmd.Main(context.Background(), args, driftcmd.IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}, "test", provider.Registry())
	return result{code, out.String(), errb.String()}
}

type jsonFinding struct {
	RuleID   string `json:"rule_id"`
	Severity string `json:"severity"`
	OWASP    string `json:"owasp"`
	Identity struct {
		ID     string `json:"id"`
		Source string `json:"source"`
	} `json:"identity"`
	Message     string `json:"message"`
	Remediation string `json:"remediation"`
	Fingerprint string `json:"fingerprint"`
	Location    *struct {
		File string `json:"file"`
		Line int    `json:"line"`
	} `json:"location"`
	Suppressed *struct {
		Exception string `json:"exception"`
	} `json:"suppressed"`
}

type jsonReport struct {
	Version  int           `json:"version"`
	Complete bool          `json:"complete"`
	Findings []jsonFinding `json:"findings"`
	Sources  []struct {
		Name     string `json:"name"`
		Complete bool   `json:"complete"`
		Error    string `json:"error"`
	} `json:"sources"`
	Summary struct {
		Total      int `json:"total"`
		Suppressed int `json:"suppressed"`
	} `json:"summary"`
}

func parseJSON(t *testing.T, s string) jsonReport {
	t.Helper()
	var r jsonReport
	if err := json.Unmarshal([]byte(s), &r); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, s)
	}
	return r
}

func TestScenarioEveryRuleExactly(t *testing.T) {
	s := seedScenario(t)
	r := run(t, "--config", s.config, "--state", s.state, "--format", "json", "--at", s.at.Format(time.RFC3339))
	if r.code != driftcmd.ExitFindings {
		t.Fatalf("exit code %d, want %d (findings at or above high)\nstderr: %s", r.code, driftcmd.ExitFindings, r.stderr)
	}
	rep := parseJSON(t, r.stdout)
	var got []string
	for _, f := range rep.Findings {
		line := fmt.Sprintf("%s %s %s", f.RuleID, f.Severity, strings.TrimPrefix(f.Identity.ID, s.ns+"/"))
		if f.Suppressed != nil {
			line += " suppressed-by:" + f.Suppressed.Exception
		}
		got = append(got, line)
		if f.OWASP == "" || f.Remediation == "" || f.Message == "" || len(f.Fingerprint) != 32 || f.Location == nil {
			t.Errorf("finding %s lacks a field: %+v", line, f)
		}
	}
	sort.Strings(got)
	want := []string{
		"NHI001 high shadow-admin",
		"NHI001 medium plain",
		"NHI002 high ghost",
		"NHI003 high widened",
		"NHI004 critical expired-holder",
		"NHI005 low expiring",
		"NHI006 high orphan-owner",
		"NHI007 high legacy-token",
		"NHI008 high shadow-admin",
		"NHI008 high wild",
		"NHI009 medium stale",
		"NHI010 medium reused suppressed-by:reuse-waiver",
		"NHI011 medium old-waiver",
		"NHI012 medium orphan-decl",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("findings differ.\ngot:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	if !rep.Complete || rep.Version != 2 || rep.Summary.Total != 13 || rep.Summary.Suppressed != 1 {
		t.Errorf("report header: complete %v version %d summary %+v", rep.Complete, rep.Version, rep.Summary)
	}

	// Fingerprints are stable across runs.
	again := parseJSON(t, run(t, "--config", s.config, "--state", s.state, "--format", "json", "--at", s.at.Format(time.RFC3339)).stdout)
	for i := range rep.Findings {
		if again.Findings[i].Fingerprint != rep.Findings[i].Fingerprint {
			t.Errorf("fingerprint of %s changed between runs", rep.Findings[i].RuleID)
		}
	}

	// --config-dir points findings about declared identities at their
	// resource blocks: by literal namespace/name, or by state address.
	tfdir := filepath.Join(s.dir, "tf")
	if err := os.MkdirAll(tfdir, 0o700); err != nil {
		t.Fatal(err)
	}
	tf := fmt.Sprintf("# identities\n\nresource \"nhi_kubernetes_service_account\" \"expired\" {\n  namespace = %q\n  name      = \"expired-holder\"\n}\n\nresource \"nhi_kubernetes_service_account\" \"widened\" {\n  namespace = var.ns\n  name      = \"widened\"\n}\n", s.ns)
	if err := os.WriteFile(filepath.Join(tfdir, "main.tf"), []byte(tf), 0o600); err != nil {
		t.Fatal(err)
	}
	located := parseJSON(t, run(t, "--config", s.config, "--state", s.state, "--config-dir", tfdir, "--format", "json", "--at", s.at.Format(time.RFC3339)).stdout)
	where := map[string]string{}
	for _, f := range located.Findings {
		where[f.RuleID+" "+strings.TrimPrefix(f.Identity.ID, s.ns+"/")] = fmt.Sprintf("%s:%d", filepath.Base(f.Location.File), f.Location.Line)
	}
	if where["NHI004 expired-holder"] != "main.tf:3" || where["NHI003 widened"] != "main.tf:8" || where["NHI001 plain"] != "nhi-drift.hcl:2" {
		t.Errorf("locations: %v", where)
	}

	// Without --state, the state rules (NHI002, NHI012) do not apply.
	noState := parseJSON(t, run(t, "--config", s.config, "--format", "json", "--at", s.at.Format(time.RFC3339)).stdout)
	for _, f := range noState.Findings {
		if f.RuleID == "NHI002" || f.RuleID == "NHI012" {
			t.Errorf("%s reported without --state", f.RuleID)
		}
	}

	// --fail-on decides exit code 2.
	if c := run(t, "--config", s.config, "--format", "json", "--at", s.at.Format(time.RFC3339), "--fail-on", "none").code; c != driftcmd.ExitClean {
		t.Errorf("--fail-on none: exit %d, want 0", c)
	}
	if c := run(t, "--config", s.config, "--format", "json", "--at", s.at.Format(time.RFC3339), "--fail-on", "critical").code; c != driftcmd.ExitFindings {
		t.Errorf("--fail-on critical with a critical finding: exit %d, want 2", c)
	}
	// Evaluated now instead of in 60 days, nothing has expired: no critical.
	if c := run(t, "--config", s.config, "--format", "json", "--fail-on", "critical").code; c != driftcmd.ExitClean {
		t.Errorf("--fail-on critical evaluated now: exit %d, want 0", c)
	}
}

func writeKubeconfig(t *testing.T, server, token string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "kubeconfig")
	body := fmt.Sprintf(`apiVersion: v1
kind: Config
current-context: x
clusters: [{name: x, cluster: {server: %q, insecure-skip-tls-verify: true}}]
contexts: [{name: x, context: {cluster: x, user: x}}]
users: [{name: x, user: {token: %q}}]
`, server, token)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExitIncomplete(t *testing.T) {
	real := acctest.Kubeconfig(t)
	cfg, err := k8s.Connection{ConfigPath: real}.RESTConfig()
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]string{
		"closed port":         writeKubeconfig(t, "https://127.0.0.1:1", "x"),
		"refused credentials": writeKubeconfig(t, cfg.Host, "not-a-valid-token"),
	}
	for name, kc := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			conf := filepath.Join(dir, "nhi-drift.hcl")
			if err := os.WriteFile(conf, []byte(fmt.Sprintf("source \"kubernetes\" \"good\" {\n  kubeconfig = %q\n}\nsource \"kubernetes\" \"bad\" {\n  kubeconfig = %q\n}\n", real, kc)), 0o600); err != nil {
				t.Fatal(err)
			}
			sarif := filepath.Join(dir, "out.sarif")
			r := run(t, "--config", conf, "--format", "json", "--output", "sarif="+sarif, "--fail-on", "none")
			if r.code != driftcmd.ExitIncomplete {
				t.Fatalf("exit %d, want 3\nstderr: %s", r.code, r.stderr)
			}
			rep := parseJSON(t, r.stdout)
			if rep.Complete || len(rep.Sources) != 2 || !rep.Sources[0].Complete || rep.Sources[1].Complete || rep.Sources[1].Error == "" {
				t.Fatalf("the report must be written and marked incomplete with the source's error: %+v", rep.Sources)
			}
			if strings.Contains(r.stdout+r.stderr, "not-a-valid-token") {
				t.Fatal("the refused token appears in the output")
			}
			b, err := os.ReadFile(sarif)
			if err != nil || !bytes.Contains(b, []byte(`"executionSuccessful": false`)) {
				t.Fatalf("the SARIF file must be written and say the run was incomplete: %v", err)
			}
		})
	}
}

func TestExitConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(body string) string {
		p := filepath.Join(dir, fmt.Sprintf("c%d.hcl", time.Now().UnixNano()))
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	src := "source \"kubernetes\" \"k\" {\n  kubeconfig = \"x\"\n}\n"
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"missing config", []string{"--config", filepath.Join(dir, "nope.hcl")}, "reading the drift configuration"},
		{"unknown block", []string{"--config", write(src + "sauce {}\n")}, ":4:1: Error: Unsupported block type"},
		{"unknown attribute", []string{"--config", write("source \"kubernetes\" \"k\" {\n  kubeconfg = \"x\"\n}\n")}, ":2:3: Error: Unsupported argument"},
		{"bad duration", []string{"--config", write(src + "policy {\n  stale_after = \"45 days\"\n}\n")}, ":5:17: Error: Invalid duration; stale_after"},
		{"bad pattern", []string{"--config", write(src + "policy {\n  privileged_scopes = [\"clusterrole:[x\"]\n}\n")}, ":5:23: Error: Invalid scope pattern"},
		{"exception without reason", []string{"--config", write(src + "exception \"e\" {\n  identity = \"a/b\"\n  rules = [\"NHI009\"]\n  expires = \"2027-01-01\"\n}\n")}, "Missing required argument"},
		{"exception with unknown rule", []string{"--config", write(src + "exception \"e\" {\n  identity = \"a/b\"\n  rules = [\"NHI999\"]\n  reason = \"r\"\n  expires = \"2027-01-01\"\n}\n")}, "Unknown rule; rules: \"NHI999\""},
		{"unsupported source type", []string{"--config", write("source \"gcp\" \"g\" {}\n")}, ":1:8: Error: Unsupported source type"},
		{"no sources", []string{"--config", write("policy {}\n")}, "No sources"},
		{"aws endpoint not a URL", []string{"--config", write("source \"aws\" \"a\" {\n  endpoint = \"iam.example.com\"\n}\n")}, ":2:14: Error: Invalid endpoint; endpoint \"iam.example.com\" must be an http(s) URL"},
		{"aws assume_role not an ARN", []string{"--config", write("source \"aws\" \"a\" {\n  assume_role = \"reader\"\n}\n")}, ":2:17: Error: Invalid role ARN; assume_role \"reader\" must be a role ARN"},
		{"aws unknown attribute", []string{"--config", write("source \"aws\" \"a\" {\n  kubeconfig = \"x\"\n}\n")}, ":2:3: Error: Unsupported argument"},
		{"bad format", []string{"--config", write(src), "--format", "xml"}, "--format \"xml\" is not a format"},
		{"bad output", []string{"--config", write(src), "--output", "sarif"}, "must be FORMAT=PATH"},
		{"bad fail-on", []string{"--config", write(src), "--fail-on", "severe"}, "--fail-on \"severe\" is not a severity"},
		{"bad --at", []string{"--config", write(src), "--at", "2027-02-30"}, "--at \"2027-02-30\" is not a valid date"},
		{"bad state", []string{"--config", write(src), "--state", write("{\"version\": 3}")}, "state format version 3 is not supported"},
		{"state not JSON", []string{"--config", write(src), "--state", write("not json")}, "not a Terraform state"},
		{"unknown flag", []string{"--colour"}, "flag provided but not defined"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := run(t, c.args...)
			if r.code != driftcmd.ExitConfig || !strings.Contains(r.stderr, c.want) || r.stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr:\n%s\nwant exit 1 and stderr containing %q", r.code, r.stdout, r.stderr, c.want)
			}
		})
	}
}

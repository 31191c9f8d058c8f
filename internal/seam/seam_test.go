package seam_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhi-ops/terraform-provider-nhi/internal/provider"
	"github.com/nhi-ops/terraform-provider-nhi/internal/seam"
)

const module = "github.com/nhi-ops/terraform-provider-nhi"

// allowed are the known exceptions, each with its reason. An entry that no
// longer matches anything fails the test, so the list can only shrink.
var allowed = []struct{ File, System, Why string }{
	{"internal/drift/rules.go", "aws", "rule descriptions cite AWS AdministratorAccess, CIS AWS items and nhi_aws_* examples; they are user-facing catalog text pinned by the SARIF and Markdown goldens"},
	{"internal/drift/rules.go", "kubernetes", "rule descriptions cite Kubernetes' wildcard roles and nhi_kubernetes_service_account_token"},
	{"internal/drift/rules.go", "postgresql", "rule descriptions cite PostgreSQL's VALID UNTIL, its privileged attributes and predefined roles, pg_stat_activity and nhi_postgresql_role"},
	{"internal/services/aws/resource_iam_access_key.go", "kubernetes", "the access key delivers its secret into a Kubernetes Secret (kubernetes_secret); a secret-delivery seam (one interface for every store) is follow-up work"},
	{"internal/services/github/resource_deploy_key.go", "kubernetes", "the deploy key's private key is delivered into a Kubernetes Secret (kubernetes_secret), as the access key's secret is; the same follow-up secret-delivery seam removes it"},
	{"internal/connectors/aws/policydoc.go", "github", "GitHub Actions' OIDC issuer (token.actions.githubusercontent.com) is a federated principal of IAM trust policies, an AWS concept; the check that its subject is pinned is AWS's"},
	{"internal/services/aws/resource_iam_role.go", "github", "the role's trust-policy advice for GitHub Actions' OIDC issuer (its sub condition), an AWS federation concern"},
	{"internal/drift/rules.go", "github", "NHI014's catalog text cites GitHub Actions' OIDC issuer as the example of an issuer trusted without a subject condition"},
	{"internal/provider/provider.go", "github", "require_oidc_subject's description cites GitHub Actions' OIDC issuer as the example"},
	{"internal/connectors/github/adopt.go", "kubernetes", "the generated nhi_github_deploy_key block names its kubernetes_secret delivery attribute, as the access key's does; the secret-delivery seam removes it"},
	{"internal/services/aws/list_aws.go", "kubernetes", "the access key list reads the delivery Secrets that record which keys the provider delivered, and its error says to check the kubernetes connection; the same follow-up secret-delivery seam removes it"},
	{"internal/services/postgresql/resource_role.go", "kubernetes", "the role's generated password is delivered into a Kubernetes Secret (kubernetes_secret), as the access key's secret is; the same follow-up secret-delivery seam removes both"},
}

func systems() []seam.System {
	var out []seam.System
	for _, d := range provider.Registry().All() {
		s := seam.System{Name: d.Name, Title: d.Title}
		for _, k := range d.Kinds {
			s.Literals = append(s.Literals, k.ResourceType, k.Kind)
		}
		for _, c := range d.Credentials {
			s.Literals = append(s.Literals, c.ResourceType, c.Kind)
		}
		s.Literals = append(s.Literals, "nhi_"+d.Name+"_")
		out = append(out, s)
	}
	return out
}

func TestSystemsAreNamedOnlyInTheirPackages(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found at %s: %v", root, err)
	}
	vs, err := seam.CheckModule(root, module, systems())
	if err != nil {
		t.Fatal(err)
	}
	used := make([]bool, len(allowed))
	for _, v := range vs {
		ok := false
		for i, a := range allowed {
			if a.File == v.File && a.System == v.System {
				used[i], ok = true, true
			}
		}
		if !ok {
			t.Errorf("%s\n\tA system is named only in internal/connectors/<name>, internal/services/<name> and internal/provider/systems.go; take what this code needs from the registry (internal/system) instead.", v)
		}
	}
	for i, a := range allowed {
		if !used[i] {
			t.Errorf("allowed exception %s (%s) no longer matches anything: remove it from the list", a.File, a.System)
		}
	}
}

// The checker itself catches each kind of mention, and leaves a system's
// own packages and the registration alone.
func TestSeamCheckerCatches(t *testing.T) {
	src := []byte(`package drift

import k8s "` + module + `/internal/connectors/kubernetes"

// Comments may say Kubernetes.
type awsModel struct{}

var typ = "nhi_aws_iam_user"
var msg = "the Kubernetes connection failed"
var ok = "draws no conclusion"
var home = "https://` + module + `/blob/main/docs/guides/drift-rules.md"
var _ = k8s.SystemName
var elsewhere = "https://github.com/other/repo"
`)
	vs, err := seam.CheckFile("internal/drift/x.go", src, module, systems())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, v.String())
	}
	want := []string{
		`internal/drift/x.go:3: names system "kubernetes" (imports ` + module + `/internal/connectors/kubernetes)`,
		`internal/drift/x.go:9: names system "kubernetes" (string "the Kubernetes connection failed")`,
		`internal/drift/x.go:6: names system "aws" (identifier awsModel)`,
		`internal/drift/x.go:8: names system "aws" (string "nhi_aws_iam_user")`,
		`internal/drift/x.go:13: names system "github" (string "https://github.com/other/repo")`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("violations:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, own := range []string{"internal/connectors/kubernetes/x.go", "internal/provider/systems.go"} {
		vs, err := seam.CheckFile(own, src, module, systems())
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range vs {
			if v.System == "kubernetes" {
				t.Errorf("%s is Kubernetes' own, but: %s", own, v)
			}
		}
	}
}

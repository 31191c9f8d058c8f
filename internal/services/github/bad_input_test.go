package github_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// dk is one nhi_github_deploy_key declaration; block replaces the
// provider's github block when set.
type dk struct {
	repo, title, owner, purpose, expires, ns, secret, extra, provider, block string
}

func (d dk) config(t *testing.T, s interface {
	URL() string
	Token() string
}) string {
	block := d.block
	if block == "" {
		block = fmt.Sprintf("github {\n    organization = %q\n    base_url     = %q\n    token        = %q\n  }\n", org, s.URL(), s.Token())
	}
	return acctest.ProviderBlock(t, block+d.provider) + fmt.Sprintf(`
resource "nhi_github_deploy_key" "test" {
  repository = %q
  title      = %q
  owner      = %q
  purpose    = %q
  expires_at = %q
  kubernetes_secret = {
    namespace = %q
    name      = %q
  }
  %s
}
`, d.repo, d.title, d.owner, d.purpose, d.expires, d.ns, d.secret, d.extra)
}

// Every mistake in a declaration or in the provider's github block is a
// plan-time error that names the attribute and says what is expected; no
// key is registered and no Secret written.
func TestAccDeployKey_badInput(t *testing.T) {
	ns := acctest.Namespace(t)
	s := fake(t)
	s.AddRepository(org, "secret-project")
	s.HideRepository(org, "secret-project")
	ctx := context.Background()
	secrets := acctest.Clientset(t).CoreV1().Secrets(ns)
	if _, err := secrets.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "by-hand"}, StringData: map[string]string{"ssh-privatekey": "someone else's"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// A Secret this provider delivered another credential to (a key of
	// another repository).
	if err := acctest.Client(t).PutDeliveredCredential(ctx, deliveredCredential(ns, "other-key", "acme/other/42")); err != nil {
		t.Fatal(err)
	}
	ok := dk{repo: "acme/app", title: "ci", owner: "team:platform", purpose: "Clones in CI", expires: acctest.Date(acctest.Days(90)), ns: ns, secret: "deploy-key"}
	with := func(f func(*dk)) dk { c := ok; f(&c); return c }
	app := func(attrs string) string {
		return fmt.Sprintf("github {\n    organization = %q\n    base_url = %q\n    %s\n  }\n", org, s.URL(), attrs)
	}
	cases := []struct {
		name string
		d    dk
		want string
	}{
		{"repository with a .git suffix", with(func(d *dk) { d.repo = "acme/app.git" }), `(?s)Invalid repository.*repository "acme/app.git" is not a repository.*no ".git" suffix`},
		{"repository URL", with(func(d *dk) { d.repo = "https://github.com/acme/app" }), `(?s)Invalid repository.*does not start with a GitHub owner login \("owner/repo"`},
		{"repository with a path", with(func(d *dk) { d.repo = "acme/app/keys" }), `(?s)Invalid repository.*is not a repository: write "owner/repo"`},
		{"repository that does not exist", with(func(d *dk) { d.repo = "acme/nope" }), `(?s)Repository not found.*Repository acme/nope does not exist, or the provider's GitHub credentials may not see it`},
		{"repository the credentials may not see", with(func(d *dk) { d.repo = "secret-project" }), `(?s)Repository not found.*Repository acme/secret-project does not exist`},
		{"empty title", with(func(d *dk) { d.title = "" }), `(?s)Missing title.*title is empty`},
		{"title with spaces around", with(func(d *dk) { d.title = " ci " }), `(?s)Missing title.*leading or trailing whitespace`},
		{"blank owner", with(func(d *dk) { d.owner = " " }), `(?s)Missing owner.*owner is empty: set it to the person or team responsible`},
		{"blank purpose", with(func(d *dk) { d.purpose = "" }), `(?s)Missing purpose.*purpose is empty`},
		{"unparseable expiry", with(func(d *dk) { d.expires = "next year" }), `(?s)Invalid expiry.*expires_at "next year" is not a valid timestamp`},
		{"expiry in the past", with(func(d *dk) { d.expires = "2020-01-01" }), `(?s)Expiry is in the past.*expires_at 2020-01-01T00:00:00Z is already past`},
		{"lifetime over policy", with(func(d *dk) { d.expires = acctest.Date(acctest.Days(400)) }), `(?s)Lifetime exceeds policy.*policy.max_lifetime of 365d`},
		{"bad on_expiry", with(func(d *dk) { d.extra = `on_expiry = "delete"` }), `(?s)on_expiry is "delete"; expected one of "disable", "block", "warn"`},
		{"bad rotate_after", with(func(d *dk) { d.extra = `rotate_after = "soon"` }), `(?s)Invalid duration.*rotate_after`},
		{"rotate_after over max_credential_age", with(func(d *dk) { d.extra = `rotate_after = "120d"` }), `rotate_after 120d is longer than the provider's policy.max_credential_age of 90d`},
		{"owner pattern", with(func(d *dk) { d.provider = "policy {\n owner_pattern = \"team:[a-z-]+\"\n}\n"; d.owner = "bob" }), `(?s)Owner does not match the owner policy.*owner "bob" does not match`},
		{"namespace Kubernetes rejects", with(func(d *dk) { d.ns = "Team_A" }), `(?s)Invalid namespace.*RFC 1123`},
		{"namespace that does not exist", with(func(d *dk) { d.ns = "no-such-namespace" }), `(?s)The deploy key cannot be delivered there.*namespace "no-such-namespace" does not exist`},
		{"Secret made by hand", with(func(d *dk) { d.secret = "by-hand" }), `(?s)The deploy key cannot be delivered there.*Secret ` + ns + `/by-hand exists and was not created by this provider`},
		{"Secret of another credential", with(func(d *dk) { d.secret = "other-key" }), `(?s)The deploy key cannot be delivered there.*Secret ` + ns + `/other-key holds credential "acme/other/42" of another resource`},
		{"scopes other than read_only's", with(func(d *dk) { d.extra = `scopes = ["deploy_key:write@acme/app"]` }), `(?s)Scopes do not match read_only.*this key's is \["deploy_key:read@acme/app"\].*change read_only`},
		{"token and app", with(func(d *dk) {
			d.block = app(`token = "x"` + "\n    app_id = 1\n    installation_id = 2\n    private_key_file = \"/k.pem\"")
		}), `(?s)Two ways to authenticate to GitHub.*Remove token to act as the App's installation`},
		{"app without installation", with(func(d *dk) { d.block = app("app_id = 1\n    private_key_file = \"/k.pem\"") }), `(?s)Missing github.installation_id.*github.installation_id is not set`},
		{"app without key", with(func(d *dk) { d.block = app("app_id = 1\n    installation_id = 2") }), `(?s)Missing github.private_key.*private_key_file to the key file's path`},
		{"private key that is not PEM", with(func(d *dk) { d.block = app("app_id = 1\n    installation_id = 2\n    private_key = \"hunter2\"") }), `(?s)Invalid private_key.*github.private_key is not a PEM private key`},
		{"missing key file", with(func(d *dk) {
			d.block = app("app_id = 1\n    installation_id = 2\n    private_key_file = \"/nonexistent/app.pem\"")
		}), `(?s)github.private_key_file "/nonexistent/app.pem" cannot be read`},
		{"base_url that is not a URL", with(func(d *dk) {
			d.block = fmt.Sprintf("github {\n organization = %q\n base_url = \"api.github.com\"\n token = \"x\"\n}\n", org)
		}), `(?s)Invalid base_url.*github.base_url "api.github.com" is not an http\(s\) URL`},
		{"organization that is not a login", with(func(d *dk) {
			d.block = fmt.Sprintf("github {\n organization = \"acme corp\"\n base_url = %q\n token = \"x\"\n}\n", s.URL())
		}), `(?s)Invalid organization.*"acme corp" is not a GitHub login`},
		{"no organization", with(func(d *dk) { d.block = fmt.Sprintf("github {\n base_url = %q\n token = \"x\"\n}\n", s.URL()) }), `(?s)Missing github.organization.*The github block needs organization: the login of the GitHub organization`},
	}
	steps := make([]resource.TestStep, 0, len(cases))
	for _, c := range cases {
		steps = append(steps, resource.TestStep{
			Config:      c.d.config(t, s),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(strings.ReplaceAll(c.want, " ", `\s+`)),
		})
	}
	// Last, with nothing in state (so CheckDestroy would not run): nothing
	// was registered or written.
	steps = append(steps, resource.TestStep{
		Config: acctest.ProviderBlock(t, githubBlock(s)),
		Check: func(*terraform.State) error {
			if keys := s.DeployKeys(org, "app"); len(keys) != 0 {
				return fmt.Errorf("a rejected plan registered %+v", keys)
			}
			if _, err := secrets.Get(context.Background(), "deploy-key", metav1.GetOptions{}); err == nil {
				return fmt.Errorf("a rejected plan wrote Secret deploy-key")
			}
			return nil
		},
	})
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps:                    steps,
	})
}

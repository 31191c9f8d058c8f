package github_test

// Acceptance tests of nhi_github_deploy_key: the real Terraform CLI runs the
// provider in-process against a fake GitHub REST API of each test's own
// (internal/testenv/githubfake, started in-process: no GitHub server can run
// here) and the shared Kubernetes test cluster, where the private key is
// delivered.

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"golang.org/x/crypto/ssh"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	ghc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/github"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/githubfake"
)

const (
	org     = "acme"
	keyAddr = "nhi_github_deploy_key.test"
	// secretName is the delivery Secret of keyConfig.
	secretName = "deploy-key"
)

// fake starts a fake GitHub with repository acme/app, stopped when the
// test ends.
func fake(t *testing.T) *githubfake.Server {
	t.Helper()
	s := githubfake.New()
	t.Cleanup(s.Close)
	s.AddRepository(org, "app")
	return s
}

// githubBlock is the provider's github block for the fake.
func githubBlock(s *githubfake.Server) string {
	return fmt.Sprintf("github {\n    organization = %q\n    base_url     = %q\n    token        = %q\n  }\n", org, s.URL(), s.Token())
}

// providerConfig is the provider block for the fake and the test cluster;
// extra is added inside it (policy, evaluation_time).
func providerConfig(t *testing.T, s *githubfake.Server, extra string) string {
	return acctest.ProviderBlock(t, githubBlock(s)+extra)
}

// keyConfig is nhi_github_deploy_key.test on acme/app, delivered to
// <ns>/deploy-key; keyExtra is added inside the resource.
func keyConfig(t *testing.T, s *githubfake.Server, providerExtra, ns, keyExtra string) string {
	return providerConfig(t, s, providerExtra) + fmt.Sprintf(`
resource "nhi_github_deploy_key" "test" {
  repository = "acme/app"
  title      = "ci"
  owner      = "team:platform"
  purpose    = "Clones the app repository in CI"
  expires_at = %q
  kubernetes_secret = {
    namespace = %q
    name      = %q
  }
  %s
}
`, acctest.Date(acctest.Days(80)), ns, secretName, keyExtra)
}

// client is a connector to the fake, for arranging and checking.
func client(t *testing.T, s *githubfake.Server) *ghc.Client {
	t.Helper()
	c, err := ghc.New(context.Background(), ghc.Config{BaseURL: s.URL(), Organization: org, Token: s.Token()})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// delivered checks the key end to end: the fake holds exactly one key on
// acme/app, the one in state (governed title, public key, read_only); the
// Secret holds an OpenSSH private key whose public half is that key, with
// the credential ID of the state's id; and no state attribute holds any
// part of the private key. With got, it records the key ID.
func delivered(t *testing.T, s *githubfake.Server, ns string, readOnly bool, got *string) resource.TestCheckFunc {
	return func(st *terraform.State) error {
		rs := st.RootModule().Resources[keyAddr]
		if rs == nil {
			return fmt.Errorf("%s is not in state", keyAddr)
		}
		a := rs.Primary.Attributes
		keys := s.DeployKeys(org, "app")
		if len(keys) != 1 {
			return fmt.Errorf("the fake holds %d keys on acme/app, want 1: %+v", len(keys), keys)
		}
		k := keys[0]
		if fmt.Sprint(k.ID) != a["key_id"] || rs.Primary.ID != fmt.Sprintf("acme/app/%d", k.ID) {
			return fmt.Errorf("the fake holds key %d, state has id %s key_id %s", k.ID, rs.Primary.ID, a["key_id"])
		}
		if k.Title != "ci [nhi.dev]" || k.ReadOnly != readOnly || !strings.HasPrefix(a["public_key"], "ssh-ed25519 ") || !strings.HasPrefix(k.Key, a["public_key"]) {
			return fmt.Errorf("the fake's key is %+v; state has public_key %q", k, a["public_key"])
		}
		sec, err := acctest.Clientset(t).CoreV1().Secrets(ns).Get(context.Background(), secretName, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if sec.Type != corev1.SecretTypeSSHAuth {
			return fmt.Errorf("the Secret is of type %s, want %s", sec.Type, corev1.SecretTypeSSHAuth)
		}
		priv := sec.Data["ssh-privatekey"]
		signer, err := ssh.ParsePrivateKey(priv)
		if err != nil {
			return fmt.Errorf("the Secret's ssh-privatekey is not an OpenSSH private key: %v", err)
		}
		pub := strings.TrimSpace(string(ssh.MarshalAuthorizedKey(signer.PublicKey())))
		if pub != a["public_key"] || ssh.FingerprintSHA256(signer.PublicKey()) != a["fingerprint"] {
			return fmt.Errorf("the Secret's private key is of %s (%s), state has %s (%s)", pub, ssh.FingerprintSHA256(signer.PublicKey()), a["public_key"], a["fingerprint"])
		}
		if id := sec.Annotations["nhi.dev/credential-id"]; id != rs.Primary.ID || a["delivered"] != "true" {
			return fmt.Errorf("the Secret records credential %q, state has %s (delivered %s)", id, rs.Primary.ID, a["delivered"])
		}
		if string(sec.Data["repository"]) != "acme/app" || string(sec.Data["fingerprint"]) != a["fingerprint"] {
			return fmt.Errorf("the Secret's metadata: repository %q fingerprint %q", sec.Data["repository"], sec.Data["fingerprint"])
		}
		body := string(priv)
		for addr, r := range st.RootModule().Resources {
			for name, v := range r.Primary.Attributes {
				for _, line := range strings.Split(body, "\n") {
					if len(line) >= 16 && !strings.HasPrefix(line, "-----") && strings.Contains(v, line) {
						return fmt.Errorf("the private key is in state: %s.%s", addr, name)
					}
				}
			}
		}
		if got != nil {
			*got = a["key_id"]
		}
		return nil
	}
}

// deliveredCredential is a delivery Secret of this provider holding
// credential id, as another resource would have written it.
func deliveredCredential(ns, name, id string) k8s.DeliveredCredential {
	return k8s.DeliveredCredential{Ref: nhi.Ref{Location: ns, Name: name}, CredentialID: id,
		Governance: nhi.Governance{Owner: "team:other", Purpose: "another resource's"}, Data: map[string][]byte{"ssh-privatekey": []byte("not this test's")}}
}

// replaceOnce replaces the first old in s, failing loudly (a panic in a
// config builder) when it is not there.
func replaceOnce(s, old, new string) string {
	i := strings.Index(s, old)
	if i < 0 {
		panic(fmt.Sprintf("%q not in the configuration", old))
	}
	return s[:i] + new + s[i+len(old):]
}

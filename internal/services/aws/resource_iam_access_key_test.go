package aws_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
)

const keyAddr = "nhi_aws_iam_access_key.test"

func keyConfig(t *testing.T, providerExtra, user, ns, keyExtra string) string {
	return keyConfigAt(t, "", providerExtra, user, ns, keyExtra)
}

// keyConfigAt points the provider at an IAM endpoint ("" for the shared one).
func keyConfigAt(t *testing.T, endpoint, providerExtra, user, ns, keyExtra string) string {
	awsBlock := "aws {}\n"
	if endpoint != "" {
		awsBlock = fmt.Sprintf("aws {\n    endpoint = %q\n  }\n", endpoint)
	}
	return acctest.ProviderBlock(t, awsBlock+providerExtra) + fmt.Sprintf(`
resource "nhi_aws_iam_user" "u" {
  name       = %q
  owner      = "team:platform"
  purpose    = "Pushes images from the on-prem CI"
  scopes     = ["policy:%s"]
  expires_at = %q
}

resource "nhi_aws_iam_access_key" "test" {
  user = nhi_aws_iam_user.u.name
  kubernetes_secret = {
    namespace = %q
    name      = "aws-creds"
  }
  %s
}
`, user, readOnly, acctest.Date(acctest.Days(300)), ns, keyExtra)
}

// delivered reads the key the Secret holds and proves it works with a
// signed STS call; it also checks that no state attribute holds the secret.
func delivered(t *testing.T, ns, stsEndpoint string, wantID *string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		sec, err := acctest.Clientset(t).CoreV1().Secrets(ns).Get(context.Background(), "aws-creds", metav1.GetOptions{})
		if err != nil {
			return err
		}
		id, secret := string(sec.Data["AWS_ACCESS_KEY_ID"]), string(sec.Data["AWS_SECRET_ACCESS_KEY"])
		rs := s.RootModule().Resources[keyAddr]
		if rs == nil || rs.Primary.ID != id {
			return fmt.Errorf("Secret holds %s, state has %v", id, rs)
		}
		if secret == "" {
			return fmt.Errorf("Secret has no secret access key")
		}
		for addr, r := range s.RootModule().Resources {
			for k, v := range r.Primary.Attributes {
				if strings.Contains(v, secret) {
					return fmt.Errorf("the secret access key is in state: %s.%s", addr, k)
				}
			}
		}
		client := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(stsEndpoint), Credentials: credentials.NewStaticCredentialsProvider(id, secret, "")})
		if _, err := client.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
			return fmt.Errorf("the delivered key does not work: %v", err)
		}
		if wantID != nil {
			*wantID = id
		}
		return nil
	}
}

// Rotation on a private IAM server, so that the key's creation time can be
// moved 40 days back in its store (IAM sets it itself).
func TestAccIAMAccessKey_deliveryAndRotation(t *testing.T) {
	if acctest.Live() {
		t.Skip("backdates the key's creation in the test IAM server's store; not run against real AWS")
	}
	ns := acctest.Namespace(t)
	srv := acctest.PrivateIAM(t)
	c, err := awsc.New(context.Background(), awsc.Connection{Endpoint: srv.Endpoint}, "")
	if err != nil {
		t.Fatal(err)
	}
	user := acctest.RandName("ci")
	var first, second string
	extra := `rotate_after = "30d"` + "\n  lifecycle {\n    create_before_destroy = true\n  }"
	cfg := keyConfigAt(t, srv.Endpoint, "", user, ns, extra)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t); acctest.AWS(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			if _, err := c.GetUser(context.Background(), user); !awsc.IsNotFound(err) {
				return fmt.Errorf("IAM user %s still exists (%v)", user, err)
			}
			return nil
		},
		Steps: []resource.TestStep{
			{
				Config: cfg,
				Check: resource.ComposeTestCheckFunc(delivered(t, ns, srv.Endpoint, &first), func(*terraform.State) error {
					return srv.Backdate("user", user, first, time.Now().Add(-40*24*time.Hour), time.Time{})
				}),
				// The check ages the key past rotate_after, so a plan follows.
				ExpectNonEmptyPlan: true,
			},
			// 40 days old: due, replaced create-before-destroy; the Secret
			// now holds the new key and survives the old key's deletion.
			{
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy),
				}},
				Check: resource.ComposeTestCheckFunc(delivered(t, ns, srv.Endpoint, &second), func(*terraform.State) error {
					if second == first {
						return fmt.Errorf("the key was not replaced")
					}
					d, err := c.GetUser(context.Background(), user)
					if err != nil {
						return err
					}
					if len(d.Credentials) != 1 || d.Credentials[0].ID != second {
						return fmt.Errorf("after rotation the user holds %v, want only %s", d.Credentials, second)
					}
					return nil
				}),
			},
			// The Secret deleted out of band: the key is replaced, since its
			// secret cannot be read again.
			{
				PreConfig: func() {
					if err := acctest.Clientset(t).CoreV1().Secrets(ns).Delete(context.Background(), "aws-creds", metav1.DeleteOptions{}); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionCreateBeforeDestroy),
				}},
				Check: delivered(t, ns, srv.Endpoint, nil),
			},
		},
	})
}

func userOnly(t *testing.T, user string) string {
	full := keyConfig(t, "", user, "x", "")
	return full[:strings.Index(full, `resource "nhi_aws_iam_access_key"`)]
}

func TestAccIAMAccessKey_refused(t *testing.T) {
	ns, foreignNS := acctest.Namespace(t), acctest.Namespace(t)
	user := acctest.RandName("ci")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t); acctest.AWS(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkUserGone(t, user),
		Steps: []resource.TestStep{
			{
				Config:      keyConfig(t, "", user, ns, `rotate_after = "120d"`),
				ExpectError: regexp.MustCompile(`rotate_after\s+120d\s+is\s+longer\s+than\s+the\s+provider's\s+policy.max_credential_age\s+of\s+90d`),
			},
			// Nowhere to deliver the secret: refused before any key exists.
			{
				Config:      keyConfig(t, "", user, "no-such-namespace", ""),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`namespace\s+"no-such-namespace"\s+does\s+not\s+exist`),
			},
			{
				PreConfig: func() {
					if _, err := acctest.Clientset(t).CoreV1().Secrets(foreignNS).Create(context.Background(), &corev1.Secret{
						ObjectMeta: metav1.ObjectMeta{Name: "aws-creds"}, StringData: map[string]string{"note": "someone else's"},
					}, metav1.CreateOptions{}); err != nil {
						t.Fatal(err)
					}
				},
				Config:      keyConfig(t, "", user, foreignNS, ""),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`Secret\s+` + foreignNS + `/aws-creds\s+exists\s+and\s+was\s+not\s+created\s+by\s+this\s+provider`),
			},
			// Two keys made out of band: a third is refused at plan time.
			{
				Config: userOnly(t, user),
				Check: func(*terraform.State) error {
					c := acctest.AWSClient(t)
					for i := 0; i < 2; i++ {
						if _, err := c.CreateAccessKey(context.Background(), user); err != nil {
							return err
						}
					}
					return nil
				},
			},
			{
				Config:      keyConfig(t, "", user, ns, ""),
				ExpectError: regexp.MustCompile(`already\s+holds\s+AKIA\w+\s+and\s+AKIA\w+,\s+and\s+AWS\s+allows\s+two\s+per\s+user`),
			},
		},
	})
}

func TestAccIAMAccessKey_undeclaredUser(t *testing.T) {
	ns := acctest.Namespace(t)
	user := acctest.RandName("legacy")
	if _, err := rawIAM(t).CreateUser(context.Background(), &iam.CreateUserInput{UserName: aws.String(user)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = acctest.AWSClient(t).DeleteUser(context.Background(), user) })
	cfg := acctest.ProviderBlock(t, "aws {}") + fmt.Sprintf(`
resource "nhi_aws_iam_access_key" "test" {
  user              = %q
  kubernetes_secret = { namespace = %q, name = "aws-creds" }
}
`, user, ns)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t); acctest.AWS(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg, PlanOnly: true,
			ExpectError: regexp.MustCompile(`IAM\s+user\s+"` + user + `"\s+carries\s+no\s+owner,\s+purpose\s+or\s+expiry`),
		}},
	})
}

// secretHolds checks that the delivery Secret holds the key in state (and,
// with want, that it is the key *want names), and records the ID in file as
// an import ID, <user>/<key ID>, for later steps.
func secretHolds(t *testing.T, ns, user string, want *string, file string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		sec, err := acctest.Clientset(t).CoreV1().Secrets(ns).Get(context.Background(), "aws-creds", metav1.GetOptions{})
		if err != nil {
			return err
		}
		id := string(sec.Data["AWS_ACCESS_KEY_ID"])
		rs := s.RootModule().Resources[keyAddr]
		if rs == nil || rs.Primary.ID != id || rs.Primary.Attributes["delivered"] != "true" {
			return fmt.Errorf("Secret holds %s, state has %v", id, rs)
		}
		if *want == "" {
			*want = id
		} else if id != *want {
			return fmt.Errorf("the key was replaced: %s, want %s", id, *want)
		}
		keys, err := acctest.AWSClient(t).ListAccessKeys(context.Background(), user, false)
		if err != nil {
			return err
		}
		if len(keys) != 1 || keys[0].ID != id {
			return fmt.Errorf("IAM user %s holds %v, want only %s", user, keys, id)
		}
		if file != "" {
			return os.WriteFile(file, []byte(user+"/"+id), 0o600)
		}
		return nil
	}
}

// Importing a key whose Secret holds it keeps the key: by <user>/<key ID>
// the first plan is an in-place update that records kubernetes_secret; by
// <user>/<key ID>/<namespace>/<Secret> the import itself matches. A Secret
// that does not hold the key makes the plan replace it.
func TestAccIAMAccessKey_importKeepsKey(t *testing.T) {
	ns := acctest.Namespace(t)
	user := acctest.RandName("ci")
	idFile := filepath.Join(t.TempDir(), "import-id")
	cfg := keyConfig(t, "", user, ns, "")
	forget := userOnly(t, user) + `
removed {
  from = nhi_aws_iam_access_key.test
  lifecycle {
    destroy = false
  }
}
`
	adopt := cfg + fmt.Sprintf(`
import {
  to = nhi_aws_iam_access_key.test
  id = trimspace(file(%q))
}
`, idFile)
	var first, replaced string
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t); acctest.AWS(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkUserGone(t, user),
		Steps: []resource.TestStep{
			{Config: cfg, Check: secretHolds(t, ns, user, &first, idFile)},
			{
				ResourceName: keyAddr, ImportState: true, ImportStateVerify: true,
				ImportStateIdFunc: func(*terraform.State) (string, error) { return user + "/" + first + "/" + ns + "/aws-creds", nil },
			},
			// Forget the key without deleting it, then import it by
			// <user>/<key ID>.
			{Config: forget},
			{
				Config: adopt,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionUpdate),
				}},
				Check: secretHolds(t, ns, user, &first, ""),
			},
			// The Secret gone: the imported key is replaced, since its
			// secret cannot be read again.
			{Config: forget},
			{
				PreConfig: func() {
					if err := acctest.Clientset(t).CoreV1().Secrets(ns).Delete(context.Background(), "aws-creds", metav1.DeleteOptions{}); err != nil {
						t.Fatal(err)
					}
				},
				Config: adopt,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(keyAddr, plancheck.ResourceActionDestroyBeforeCreate),
				}},
				Check: resource.ComposeTestCheckFunc(secretHolds(t, ns, user, &replaced, idFile), func(*terraform.State) error {
					if replaced == first {
						return fmt.Errorf("the key was not replaced")
					}
					return nil
				}),
			},
			// A Secret someone else made: the plan refuses, rather than
			// delete the key and then fail to deliver a new one.
			{Config: forget},
			{
				PreConfig: func() {
					secrets := acctest.Clientset(t).CoreV1().Secrets(ns)
					if err := secrets.Delete(context.Background(), "aws-creds", metav1.DeleteOptions{}); err != nil {
						t.Fatal(err)
					}
					if _, err := secrets.Create(context.Background(), &corev1.Secret{
						ObjectMeta: metav1.ObjectMeta{Name: "aws-creds"}, StringData: map[string]string{"AWS_ACCESS_KEY_ID": replaced, "AWS_SECRET_ACCESS_KEY": "by hand"},
					}, metav1.CreateOptions{}); err != nil {
						t.Fatal(err)
					}
				},
				Config:      adopt,
				ExpectError: regexp.MustCompile(`Secret\s+` + ns + `/aws-creds\s+exists\s+and\s+was\s+not\s+created\s+by\s+this\s+provider`),
			},
			{
				Config: forget,
				Check: func(*terraform.State) error {
					keys, err := acctest.AWSClient(t).ListAccessKeys(context.Background(), user, false)
					if err != nil || len(keys) != 1 || keys[0].ID != replaced {
						return fmt.Errorf("the refused plan changed the keys: %v %v, want only %s", keys, err, replaced)
					}
					return nil
				},
			},
		},
	})
}

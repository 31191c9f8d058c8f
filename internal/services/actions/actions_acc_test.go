package actions_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv"
)

const (
	saAddr    = "nhi_kubernetes_service_account.test"
	tokenAddr = "nhi_kubernetes_service_account_token.ci"
	userAddr  = "nhi_aws_iam_user.u"
	keyAddr   = "nhi_aws_iam_access_key.k"
	readOnly  = "arn:aws:iam::aws:policy/ReadOnlyAccess"
)

// serviceAccountConfig is a governed service account with a RoleBinding
// (view in its namespace) and a governed long-lived token.
func serviceAccountConfig(t *testing.T, ns, name, extra string) string {
	return acctest.ProviderBlock(t, "") + fmt.Sprintf(`
resource "nhi_kubernetes_service_account" "test" {
  namespace  = %q
  name       = %q
  owner      = "team:platform"
  purpose    = "deploys the payments service"
  scopes     = ["clusterrole:view@%s"]
  expires_at = %q
  # Workloads mount its token: nhi_disable turns that off.
  automount_token = true
}

resource "nhi_kubernetes_service_account_token" "ci" {
  namespace       = nhi_kubernetes_service_account.test.namespace
  service_account = nhi_kubernetes_service_account.test.name
  owner           = "team:platform"
  purpose         = "external CI system"
  rotate_after    = "30d"
}
%s
`, ns, name, ns, acctest.Date(acctest.Days(90)), extra)
}

func actionBlock(typ, id string) string {
	return fmt.Sprintf(`
action %q "x" {
  config {
    system = "kubernetes"
    id     = %s
  }
}
`, typ, id)
}

// newCLI is a Terraform working directory on a Terraform with actions,
// initialised, destroyed when the test ends.
func newCLI(t *testing.T, config string) *acctest.CLI {
	t.Helper()
	acctest.RequireTerraform(t, acctest.MinTerraformActions)
	cli := acctest.NewCLI(t)
	cli.Write(config)
	cli.MustRun("init", "-input=false", "-no-color")
	cli.Destroy()
	return cli
}

func invoke(cli *acctest.CLI, action string) (string, error) {
	return cli.Run("apply", "-invoke=action."+action+".x", "-auto-approve", "-input=false", "-no-color")
}

func identity(t *testing.T, ns, name string) nhi.Identity {
	t.Helper()
	id, err := acctest.Client(t).Get(context.Background(), nhi.Ref{Location: ns, Name: name})
	if err != nil {
		t.Fatalf("reading service account %s/%s: %v", ns, name, err)
	}
	return id
}

func wantOutput(t *testing.T, out string, patterns ...string) {
	t.Helper()
	flat := strings.Join(strings.Fields(out), " ")
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(flat) {
			t.Errorf("the output does not say %q:\n%s", p, out)
		}
	}
}

func wantPlan(t *testing.T, got map[string][]string, want map[string]string) {
	t.Helper()
	for addr, action := range want {
		if strings.Join(got[addr], ",") != action {
			t.Errorf("the next plan has %s %v, want %s (whole plan: %v)", addr, got[addr], action, got)
		}
	}
	for addr := range got {
		if _, ok := want[addr]; !ok {
			t.Errorf("the next plan also changes %s: %v", addr, got[addr])
		}
	}
}

// nhi_disable invoked from the CLI strips the grants, turns automount off and
// marks the account disabled on the API server, says so, and the next plan
// is the update that enables it again.
func TestAccDisable_invokeKubernetes(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("deployer")
	cli := newCLI(t, serviceAccountConfig(t, ns, name, actionBlock("nhi_disable", saAddr+".id")))
	cli.MustRun("apply", "-auto-approve", "-input=false", "-no-color")
	if got := identity(t, ns, name).EffectiveScopes; len(got) != 1 {
		t.Fatalf("before the action the account has grants %v, want one", got)
	}

	out, err := invoke(cli, "nhi_disable")
	if err != nil {
		t.Fatal(err)
	}
	wantOutput(t, out,
		`removed grant clusterrole:view@`+ns+` from service account `+ns+`/`+name,
		`turned token automount off for service account `+ns+`/`+name,
		`marked service account `+ns+`/`+name+` disabled`,
		`service account `+ns+`/`+name+` disabled: 3 changes`,
		`service account `+ns+`/`+name+` keeps 1 token Secret, which still authenticate`)

	id := identity(t, ns, name)
	if len(id.EffectiveScopes) != 0 || !id.Disabled || id.AutomountToken == nil || *id.AutomountToken {
		t.Errorf("after nhi_disable the account has grants %v, disabled %v, automount %v; want none, true, false", id.EffectiveScopes, id.Disabled, id.AutomountToken)
	}
	sa, err := acctest.Clientset(t).CoreV1().ServiceAccounts(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sa.Annotations["nhi.dev/disabled-at"] == "" || sa.Annotations["nhi.dev/owner"] != "team:platform" {
		t.Errorf("annotations after nhi_disable: %v; want disabled-at and the governance kept", sa.Annotations)
	}
	if len(id.Credentials) != 1 {
		t.Errorf("nhi_disable deleted token Secrets: %v", id.Credentials)
	}

	// The declaration still says active: the next plan enables it again.
	wantPlan(t, cli.PlannedActions(), map[string]string{saAddr: "update"})
	plan := cli.MustRun("show", "-no-color", "tfplan")
	wantOutput(t, plan, `status = "disabled" -> "active"`, `effective_scopes = \[ \+ "clusterrole:view@`+ns+`"`)

	// Run again: nothing left to change, and it says so.
	out, err = invoke(cli, "nhi_disable")
	if err != nil {
		t.Fatal(err)
	}
	wantOutput(t, out, `was already disabled: nothing changed`)
}

// nhi_revoke_credentials deletes the governed token Secret and a legacy one
// made out of band, keeps the account and its grants, and the next plan
// creates the governed token again.
func TestAccRevokeCredentials_invokeKubernetes(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("deployer")
	cli := newCLI(t, serviceAccountConfig(t, ns, name, actionBlock("nhi_revoke_credentials", saAddr+".id")))
	cli.MustRun("apply", "-auto-approve", "-input=false", "-no-color")
	cs := acctest.Clientset(t)
	ctx := context.Background()
	legacy, err := cs.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-legacy", Namespace: ns, Annotations: map[string]string{corev1.ServiceAccountNameKey: name}},
		Type:       corev1.SecretTypeServiceAccountToken,
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	before := identity(t, ns, name)
	if len(before.Credentials) != 2 {
		t.Fatalf("before the action the account has credentials %v, want the governed and the legacy token", before.Credentials)
	}

	out, err := invoke(cli, "nhi_revoke_credentials")
	if err != nil {
		t.Fatal(err)
	}
	wantOutput(t, out,
		`deleted legacy token Secret `+ns+`/`+legacy.Name+` of service account `+ns+`/`+name,
		`deleted governed token Secret `+ns+`/\S+ of service account `+ns+`/`+name,
		`service account `+ns+`/`+name+`: 2 changes made; some credentials are still usable \(see the warnings\)`,
		`Warning: Warning when invoking action Credentials still usable after nhi_revoke_credentials: .*TokenRequest API .* stay valid until they expire`)
	for _, c := range before.Credentials {
		n := strings.TrimPrefix(c.ID, ns+"/")
		if _, err := cs.CoreV1().Secrets(ns).Get(ctx, n, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("token Secret %s still exists after nhi_revoke_credentials (%v)", c.ID, err)
		}
	}
	after := identity(t, ns, name)
	if len(after.Credentials) != 0 || strings.Join(after.EffectiveScopes, ",") != strings.Join(before.EffectiveScopes, ",") || after.Disabled {
		t.Errorf("after nhi_revoke_credentials: credentials %v, grants %v (before %v), disabled %v; want no credentials and the account as it was",
			after.Credentials, after.EffectiveScopes, before.EffectiveScopes, after.Disabled)
	}

	// The governed token is gone: the next plan creates it again.
	wantPlan(t, cli.PlannedActions(), map[string]string{tokenAddr: "create"})
}

// An identity without this provider's governance markers is refused and
// left as it was: a service account made out of band with a RoleBinding,
// and one the provider governs under another annotation_prefix.
func TestAccDisable_refusesUnmanaged(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("foreign")
	cs := acctest.Clientset(t)
	ctx := context.Background()
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: name + "-view", Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: name, Namespace: ns}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	cli := newCLI(t, acctest.ProviderBlock(t, "")+actionBlock("nhi_disable", fmt.Sprintf("%q", ns+"/"+name)))
	out, err := invoke(cli, "nhi_disable")
	if err == nil {
		t.Fatal("nhi_disable of an undeclared service account succeeded")
	}
	wantOutput(t, out, `Identity not managed by this provider`,
		`service account `+ns+`/`+name+` carries no governance markers of this provider \(annotation_prefix "nhi.dev"\), so nhi_disable refuses it and changed nothing`,
		`import it into a nhi_kubernetes_service_account resource`)
	if got := identity(t, ns, name); len(got.EffectiveScopes) != 1 || got.Disabled {
		t.Errorf("the refused account changed: grants %v, disabled %v", got.EffectiveScopes, got.Disabled)
	}

	// The provider's own account, seen through another annotation_prefix,
	// is not managed either.
	other := acctest.RandName("other")
	owned := newCLI(t, serviceAccountConfig(t, ns, other, ""))
	owned.MustRun("apply", "-auto-approve", "-input=false", "-no-color")
	foreign := newCLI(t, strings.Replace(acctest.ProviderBlock(t, ""), `provider "nhi" {`, `provider "nhi" {
  annotation_prefix = "other.example"`, 1)+actionBlock("nhi_revoke_credentials", fmt.Sprintf("%q", ns+"/"+other)))
	out, err = invoke(foreign, "nhi_revoke_credentials")
	if err == nil {
		t.Fatal("nhi_revoke_credentials under another annotation_prefix succeeded")
	}
	wantOutput(t, out, `annotation_prefix "other.example"`, `set annotation_prefix to the prefix that declared it`)
	if got := identity(t, ns, other); len(got.Credentials) != 1 {
		t.Errorf("the refused account's token Secrets changed: %v", got.Credentials)
	}
}

// A malformed or missing identity is an error on id that says what is
// expected, before anything is changed.
func TestAccDisable_badID(t *testing.T) {
	acctest.RequireTerraform(t, acctest.MinTerraformActions)
	ns := acctest.Namespace(t)
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		Steps: []resource.TestStep{
			{
				Config:      acctest.ProviderBlock(t, "") + actionBlock("nhi_disable", `"just-a-name"`),
				ExpectError: regexp.MustCompile(`(?s)Invalid identity ID.*id "just-a-name" is not a valid kubernetes identity ID:\s+expected\s+"namespace/name"`),
			},
			{
				Config: acctest.ProviderBlock(t, "") + fmt.Sprintf(`
action "nhi_disable" "x" {
  config {
    system = "aws"
    id     = "group/admins"
  }
}
resource "terraform_data" "t" {
  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.nhi_disable.x]
    }
  }
}
`),
				ExpectError: regexp.MustCompile(`(?s)id "group/admins" is not a valid aws identity ID:\s+expected\s+"user/name"\s+or\s+"role/name"`),
			},
			{
				Config: acctest.ProviderBlock(t, "") + actionBlock("nhi_disable", fmt.Sprintf("%q", ns+"/missing")) + `
resource "terraform_data" "t" {
  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.nhi_disable.x]
    }
  }
}
`,
				ExpectError: regexp.MustCompile(`(?s)Identity not found.*service account ` + ns + `/missing does not exist`),
			},
		},
	})
}

// nhi_revoke_credentials through an action_trigger: after the incident
// marker is created the token Secret is gone from the API server, the
// refresh plans the token's create, and the next apply makes a new one.
func TestAccRevokeCredentials_actionTrigger(t *testing.T) {
	acctest.RequireTerraform(t, acctest.MinTerraformActions)
	ns := acctest.Namespace(t)
	name := acctest.RandName("deployer")
	var first string
	trigger := actionBlock("nhi_revoke_credentials", saAddr+".id") + `
resource "terraform_data" "incident" {
  input = "INC-1234: CI token leaked"
  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.nhi_revoke_credentials.x]
    }
  }
}
`
	tokenName := func(s *terraform.State) string {
		return s.RootModule().Resources[tokenAddr].Primary.Attributes["name"]
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		Steps: []resource.TestStep{
			{
				Config: serviceAccountConfig(t, ns, name, ""),
				Check: func(s *terraform.State) error {
					first = tokenName(s)
					return nil
				},
			},
			{
				Config: serviceAccountConfig(t, ns, name, trigger),
				Check: func(*terraform.State) error {
					_, err := acctest.Clientset(t).CoreV1().Secrets(ns).Get(context.Background(), first, metav1.GetOptions{})
					if !apierrors.IsNotFound(err) {
						return fmt.Errorf("token Secret %s/%s still exists after the triggered nhi_revoke_credentials (%v)", ns, first, err)
					}
					if got := identity(t, ns, name); len(got.EffectiveScopes) != 1 || got.Disabled {
						return fmt.Errorf("revoking changed the account: grants %v, disabled %v", got.EffectiveScopes, got.Disabled)
					}
					return nil
				},
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionCreate),
					plancheck.ExpectResourceAction(saAddr, plancheck.ResourceActionNoop),
				}},
			},
			{
				// The marker exists: no new trigger; the token is made again.
				Config: serviceAccountConfig(t, ns, name, trigger),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionCreate),
				}},
				Check: func(s *terraform.State) error {
					if n := tokenName(s); n == first || n == "" {
						return fmt.Errorf("token Secret after the next apply is %q, want a new one (the revoked one was %q)", n, first)
					}
					if got := identity(t, ns, name); len(got.Credentials) != 1 {
						return fmt.Errorf("the account has token Secrets %v, want the new one", got.Credentials)
					}
					return nil
				},
			},
		},
	})
}

// awsConfig is a governed IAM user with a policy and a governed access key
// delivered into the cluster.
func awsConfig(t *testing.T, user, ns, extra string) string {
	return acctest.ProviderBlock(t, "aws {}\n") + fmt.Sprintf(`
resource "nhi_aws_iam_user" "u" {
  name       = %q
  owner      = "team:platform"
  purpose    = "Pushes images from the on-prem CI"
  scopes     = ["policy:%s"]
  expires_at = %q
}

resource "nhi_aws_iam_access_key" "k" {
  user = nhi_aws_iam_user.u.name
  kubernetes_secret = {
    namespace = %q
    name      = "aws-creds"
  }
}

action %q "x" {
  config {
    system = "aws"
    id     = nhi_aws_iam_user.u.id
  }
}
`, user, readOnly, acctest.Date(acctest.Days(90)), ns, extra)
}

func awsUser(t *testing.T, user string) awsc.Details {
	t.Helper()
	d, err := acctest.AWSClient(t).GetUser(context.Background(), user)
	if err != nil {
		t.Fatalf("reading IAM user %s: %v", user, err)
	}
	return d
}

// nhi_disable of an IAM user deactivates its key and detaches its policy on
// the IAM server; the next plan enables it again.
func TestAccDisable_invokeAWS(t *testing.T) {
	acctest.AWS(t)
	ns := acctest.Namespace(t)
	user := acctest.RandName("ci-pusher")
	cli := newCLI(t, awsConfig(t, user, ns, "nhi_disable"))
	cli.MustRun("apply", "-auto-approve", "-input=false", "-no-color")
	before := awsUser(t, user)
	if len(before.Credentials) != 1 || before.Credentials[0].Inactive || len(before.EffectiveScopes) != 1 {
		t.Fatalf("before the action: keys %v, grants %v; want one active key and the policy", before.Credentials, before.EffectiveScopes)
	}
	key := before.Credentials[0].ID

	out, err := invoke(cli, "nhi_disable")
	if err != nil {
		t.Fatal(err)
	}
	wantOutput(t, out,
		`removed grant policy:`+regexp.QuoteMeta(readOnly)+` from IAM user `+user,
		`deactivated access key `+key+` of IAM user `+user,
		`tagged IAM user `+user+` disabled`,
		`IAM user user/`+user+` disabled: 3 changes`)
	after := awsUser(t, user)
	if len(after.Credentials) != 1 || !after.Credentials[0].Inactive || len(after.EffectiveScopes) != 0 || !after.Disabled || after.Governance.Owner != "team:platform" {
		t.Errorf("after nhi_disable: keys %v, grants %v, disabled %v, owner %q; want the key inactive, no grants, disabled, governance kept",
			after.Credentials, after.EffectiveScopes, after.Disabled, after.Governance.Owner)
	}
	actions := cli.PlannedActions()
	if strings.Join(actions[userAddr], ",") != "update" {
		t.Errorf("the next plan has %s %v, want update (enable again); whole plan %v", userAddr, actions[userAddr], actions)
	}
}

// nhi_revoke_credentials of an IAM user deletes its key on the IAM server;
// the user keeps its policy, and the next plan creates the key again.
func TestAccRevokeCredentials_invokeAWS(t *testing.T) {
	acctest.AWS(t)
	ns := acctest.Namespace(t)
	user := acctest.RandName("ci-pusher")
	cli := newCLI(t, awsConfig(t, user, ns, "nhi_revoke_credentials"))
	cli.MustRun("apply", "-auto-approve", "-input=false", "-no-color")
	before := awsUser(t, user)
	if len(before.Credentials) != 1 {
		t.Fatalf("before the action: keys %v, want one", before.Credentials)
	}

	out, err := invoke(cli, "nhi_revoke_credentials")
	if err != nil {
		t.Fatal(err)
	}
	wantOutput(t, out,
		`deleted access key `+before.Credentials[0].ID+` \(active\) of IAM user `+user,
		`IAM user user/`+user+`: 1 change made; some credentials are still usable \(see the warnings\)`,
		`Warning: Warning when invoking action Credentials still usable after nhi_revoke_credentials: .*sessions issued with the deleted keys of IAM user `+user+` .*stay valid until they expire`,
		`console password, SSH public keys, service-specific credentials and signing certificates of IAM user `+user+` are not touched`)
	after := awsUser(t, user)
	if len(after.Credentials) != 0 || len(after.EffectiveScopes) != 1 || after.Disabled {
		t.Errorf("after nhi_revoke_credentials: keys %v, grants %v, disabled %v; want no key and the user as it was", after.Credentials, after.EffectiveScopes, after.Disabled)
	}
	wantPlan(t, cli.PlannedActions(), map[string]string{keyAddr: "create"})
}

// nhi_disable through an action_trigger on a departure record: after the
// apply the account has no grants and is marked disabled on the API server,
// and the refresh plans the update that enables it again.
func TestAccDisable_actionTrigger(t *testing.T) {
	acctest.RequireTerraform(t, acctest.MinTerraformActions)
	ns := acctest.Namespace(t)
	name := acctest.RandName("deployer")
	trigger := actionBlock("nhi_disable", saAddr+".id") + `
resource "terraform_data" "owner_left" {
  input = "alice left; ci deployer disabled until a new owner takes it"
  lifecycle {
    action_trigger {
      events  = [after_create]
      actions = [action.nhi_disable.x]
    }
  }
}
`
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		Steps: []resource.TestStep{
			{Config: serviceAccountConfig(t, ns, name, "")},
			{
				Config: serviceAccountConfig(t, ns, name, trigger),
				Check: func(*terraform.State) error {
					id := identity(t, ns, name)
					if len(id.EffectiveScopes) != 0 || !id.Disabled {
						return fmt.Errorf("after the triggered nhi_disable the account has grants %v, disabled %v; want none, true", id.EffectiveScopes, id.Disabled)
					}
					return nil
				},
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(saAddr, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionNoop),
				}},
			},
		},
	})
}

// nhi_disable of an IAM role detaches its policy and tags it disabled but
// keeps its trust policy; nhi_revoke_credentials of a role changes nothing
// and says why (a role has no long-lived credentials).
func TestAccDisable_invokeAWSRole(t *testing.T) {
	acctest.AWS(t)
	role := acctest.RandName("deployer")
	cli := newCLI(t, acctest.ProviderBlock(t, "aws {}\n")+fmt.Sprintf(`
resource "nhi_aws_iam_role" "r" {
  name       = %q
  owner      = "team:ci"
  purpose    = "Deploys the payments service"
  scopes     = ["policy:%s"]
  expires_at = %q
  trust_policy = jsonencode({
    Version   = "2012-10-17"
    Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::%s:root" }, Action = "sts:AssumeRole" }]
  })
}

action "nhi_disable" "x" {
  config {
    system = "aws"
    id     = nhi_aws_iam_role.r.id
  }
}

action "nhi_revoke_credentials" "x" {
  config {
    system = "aws"
    id     = nhi_aws_iam_role.r.id
  }
}
`, role, readOnly, acctest.Date(acctest.Days(90)), testenv.IAMAccountID))
	cli.MustRun("apply", "-auto-approve", "-input=false", "-no-color")
	before, err := acctest.AWSClient(t).GetRole(context.Background(), role)
	if err != nil {
		t.Fatal(err)
	}

	out, err := invoke(cli, "nhi_disable")
	if err != nil {
		t.Fatal(err)
	}
	wantOutput(t, out, `removed grant policy:`+regexp.QuoteMeta(readOnly)+` from IAM role `+role, `tagged IAM role `+role+` disabled`,
		`IAM role role/`+role+` disabled: 2 changes`, `sessions of IAM role `+role+` assumed before now keep their credentials until they expire`)
	after, err := acctest.AWSClient(t).GetRole(context.Background(), role)
	if err != nil {
		t.Fatal(err)
	}
	if len(after.EffectiveScopes) != 0 || !after.Disabled || !awsc.EquivalentPolicies(after.TrustPolicy, before.TrustPolicy) {
		t.Errorf("after nhi_disable: grants %v, disabled %v, trust policy %s (was %s); want no grants, disabled, the trust policy kept",
			after.EffectiveScopes, after.Disabled, after.TrustPolicy, before.TrustPolicy)
	}

	out, err = invoke(cli, "nhi_revoke_credentials")
	if err != nil {
		t.Fatal(err)
	}
	wantOutput(t, out, `Warning: Warning when invoking action Credentials still usable after nhi_revoke_credentials: .*IAM role `+role+` has no long-lived credentials, but sessions assumed before now keep theirs`,
		`IAM role role/`+role+`: nothing changed; some credentials are still usable \(see the warnings\)`)
	wantPlan(t, cli.PlannedActions(), map[string]string{"nhi_aws_iam_role.r": "update"})
}

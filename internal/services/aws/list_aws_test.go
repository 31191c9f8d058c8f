package aws_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/querycheck"
	"github.com/hashicorp/terraform-plugin-testing/querycheck/queryfilter"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"
	"github.com/hashicorp/terraform-plugin-testing/tfversion"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// TestAccIAMList_query lists users, roles and access keys under a path of
// the test's own (so other tests' identities stay out): a declared user
// with a governed key and a key made by hand, and a user with a key and a
// role made out of band, with each filter. The hand-made key of the
// declared user is undeclared, with FILL-IN placeholders for its delivery
// Secret.
func TestAccIAMList_query(t *testing.T) {
	raw := rawIAM(t)
	ctx := context.Background()
	p := "/" + acctest.RandName("query") + "/"
	legacy, role, declared := acctest.RandName("legacy"), acctest.RandName("legacy-role"), acctest.RandName("declared")
	if _, err := raw.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(legacy), Path: aws.String(p)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = acctest.AWSClient(t).DeleteUser(context.Background(), legacy) })
	key, err := raw.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(legacy)})
	if err != nil {
		t.Fatal(err)
	}
	keyID := aws.ToString(key.AccessKey.AccessKeyId)
	t.Cleanup(func() {
		_, _ = raw.DeleteAccessKey(context.Background(), &iam.DeleteAccessKeyInput{UserName: aws.String(legacy), AccessKeyId: aws.String(keyID)})
	})
	if _, err := raw.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(role), Path: aws.String(p),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = raw.DeleteRole(context.Background(), &iam.DeleteRoleInput{RoleName: aws.String(role)}) })

	ns := acctest.Namespace(t)
	var handKey string // the key made by hand for the declared user, once made
	t.Cleanup(func() {
		if handKey != "" {
			_, _ = raw.DeleteAccessKey(context.Background(), &iam.DeleteAccessKeyInput{UserName: aws.String(declared), AccessKeyId: aws.String(handKey)})
		}
	})
	cfg := acctest.ProviderBlock(t, "  aws {}\n") + fmt.Sprintf(`
resource "nhi_aws_iam_user" "test" {
  name       = %q
  path       = %q
  owner      = "team:payments"
  purpose    = "Uploads invoices"
  scopes     = []
  expires_at = %q
}

resource "nhi_aws_iam_access_key" "governed" {
  user              = nhi_aws_iam_user.test.name
  kubernetes_secret = { namespace = %q, name = "aws-creds" }
}
`, declared, p, acctest.Date(acctest.Days(30)), ns)
	list := func(typ, name, filters string, include bool) string {
		return fmt.Sprintf(`
list %q %q {
  provider         = nhi
  include_resource = %t
  config {
    path = %q
    %s
  }
}
`, typ, name, include, p, filters)
	}
	name := func(n string) map[string]knownvalue.Check {
		return map[string]knownvalue.Check{"name": knownvalue.StringExact(n)}
	}
	keyIdentity := map[string]knownvalue.Check{"user": knownvalue.StringExact(legacy), "access_key_id": knownvalue.StringExact(keyID)}
	handIdentity := map[string]knownvalue.Check{"user": knownvalue.StringExact(declared), "access_key_id": later{value: &handKey}}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.AWS(t) },
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkUserGone(t, declared),
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				PreConfig: func() {
					out, err := raw.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(declared)})
					if err != nil {
						t.Fatal(err)
					}
					handKey = aws.ToString(out.AccessKey.AccessKeyId)
				},
				Query: true,
				Config: list("nhi_aws_iam_user", "all", "", false) + list("nhi_aws_iam_user", "undeclared", "declared = false", true) +
					list("nhi_aws_iam_user", "declared", "declared = true", false) + list("nhi_aws_iam_user", "owner", `owner = "team:payments"`, false) +
					list("nhi_aws_iam_role", "roles", "", true) + list("nhi_aws_iam_access_key", "keys", "", true) +
					list("nhi_aws_iam_access_key", "declared_keys", "declared = true", false) +
					list("nhi_aws_iam_access_key", "undeclared_keys", "declared = false", true),
				QueryResultChecks: []querycheck.QueryResultCheck{
					querycheck.ExpectLength("nhi_aws_iam_user.all", 2),
					querycheck.ExpectIdentity("nhi_aws_iam_user.all", name(legacy)),
					querycheck.ExpectIdentity("nhi_aws_iam_user.all", name(declared)),
					querycheck.ExpectLength("nhi_aws_iam_user.undeclared", 1),
					querycheck.ExpectResourceDisplayName("nhi_aws_iam_user.undeclared", queryfilter.ByResourceIdentity(name(legacy)), knownvalue.StringExact("IAM user user/"+legacy+" (undeclared)")),
					querycheck.ExpectResourceKnownValues("nhi_aws_iam_user.undeclared", queryfilter.ByResourceIdentity(name(legacy)), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("path"), KnownValue: knownvalue.StringExact(p)},
						{Path: tfjsonpath.New("owner"), KnownValue: knownvalue.StringExact("FILL-IN: the person or team responsible")},
						{Path: tfjsonpath.New("expires_at"), KnownValue: knownvalue.StringExact("FILL-IN: YYYY-MM-DD")},
					}),
					querycheck.ExpectLength("nhi_aws_iam_user.declared", 1),
					querycheck.ExpectResourceDisplayName("nhi_aws_iam_user.declared", queryfilter.ByResourceIdentity(name(declared)), knownvalue.StringExact("IAM user user/"+declared+" (owner team:payments)")),
					querycheck.ExpectLength("nhi_aws_iam_user.owner", 1),
					querycheck.ExpectIdentity("nhi_aws_iam_user.owner", name(declared)),
					querycheck.ExpectLength("nhi_aws_iam_role.roles", 1),
					querycheck.ExpectIdentity("nhi_aws_iam_role.roles", name(role)),
					querycheck.ExpectResourceKnownValues("nhi_aws_iam_role.roles", queryfilter.ByResourceIdentity(name(role)), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("purpose"), KnownValue: knownvalue.StringExact("FILL-IN: why this identity exists")},
						{Path: tfjsonpath.New("trust_policy"), KnownValue: knownvalue.NotNull()},
					}),
					querycheck.ExpectLength("nhi_aws_iam_access_key.keys", 3),
					querycheck.ExpectIdentity("nhi_aws_iam_access_key.keys", keyIdentity),
					querycheck.ExpectResourceDisplayName("nhi_aws_iam_access_key.keys", queryfilter.ByResourceIdentity(keyIdentity),
						knownvalue.StringExact("access key "+keyID+" of IAM user user/"+legacy+" (undeclared)")),
					querycheck.ExpectResourceKnownValues("nhi_aws_iam_access_key.keys", queryfilter.ByResourceIdentity(keyIdentity), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("status"), KnownValue: knownvalue.StringExact("Active")},
						{Path: tfjsonpath.New("kubernetes_secret").AtMapKey("name"), KnownValue: knownvalue.StringExact("FILL-IN: name of that Secret")},
					}),
					querycheck.ExpectLength("nhi_aws_iam_access_key.declared_keys", 1),
					querycheck.ExpectResourceDisplayName("nhi_aws_iam_access_key.declared_keys",
						queryfilter.ByResourceIdentity(map[string]knownvalue.Check{"user": knownvalue.StringExact(declared), "access_key_id": knownvalue.NotNull()}),
						knownvalue.StringRegexp(regexp.MustCompile(`^access key \S+ of IAM user user/`+declared+` \(owner team:payments\)$`))),
					querycheck.ExpectLength("nhi_aws_iam_access_key.undeclared_keys", 2),
					querycheck.ExpectIdentity("nhi_aws_iam_access_key.undeclared_keys", keyIdentity),
					querycheck.ExpectIdentity("nhi_aws_iam_access_key.undeclared_keys", handIdentity),
					querycheck.ExpectResourceDisplayName("nhi_aws_iam_access_key.undeclared_keys", queryfilter.ByResourceIdentity(handIdentity),
						later{value: &handKey, format: "access key %s of IAM user user/" + declared + " (undeclared)"}),
					querycheck.ExpectResourceKnownValues("nhi_aws_iam_access_key.undeclared_keys", queryfilter.ByResourceIdentity(handIdentity), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("kubernetes_secret").AtMapKey("namespace"), KnownValue: knownvalue.StringExact("FILL-IN: namespace of the Secret that holds the key")},
						{Path: tfjsonpath.New("kubernetes_secret").AtMapKey("name"), KnownValue: knownvalue.StringExact("FILL-IN: name of that Secret")},
					}),
				},
			},
			{
				// The hand-made key goes before the user does.
				PreConfig: func() {
					if _, err := raw.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: aws.String(declared), AccessKeyId: aws.String(handKey)}); err != nil {
						t.Fatal(err)
					}
					handKey = ""
				},
				Config: cfg,
			},
		},
	})
}

// later checks a string against a value known only when the check runs
// (an ID made in a step's PreConfig), formatted into format when set.
type later struct {
	value  *string
	format string
}

func (l later) want() string {
	if l.format == "" {
		return *l.value
	}
	return fmt.Sprintf(l.format, *l.value)
}

func (l later) CheckValue(other any) error {
	if s, ok := other.(string); !ok || s != l.want() {
		return fmt.Errorf("expected value %s for StringExact check, got: %v", l.want(), other)
	}
	return nil
}

func (l later) String() string { return l.want() }

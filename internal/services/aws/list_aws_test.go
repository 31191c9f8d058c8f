package aws_test

import (
	"context"
	"fmt"
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
// the test's own (so other tests' identities stay out): a declared user,
// and a user with a key and a role made out of band, with each filter.
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

	cfg := acctest.AWSProviderBlock(t, "") + fmt.Sprintf(`
resource "nhi_aws_iam_user" "test" {
  name       = %q
  path       = %q
  owner      = "team:payments"
  purpose    = "Uploads invoices"
  scopes     = []
  expires_at = %q
}
`, declared, p, acctest.Date(acctest.Days(30)))
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
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.AWS(t) },
		TerraformVersionChecks:   []tfversion.TerraformVersionCheck{tfversion.SkipBelow(tfversion.Version1_14_0)},
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy:             checkUserGone(t, declared),
		Steps: []resource.TestStep{
			{Config: cfg},
			{
				Query: true,
				Config: list("nhi_aws_iam_user", "all", "", false) + list("nhi_aws_iam_user", "undeclared", "declared = false", true) +
					list("nhi_aws_iam_user", "declared", "declared = true", false) + list("nhi_aws_iam_user", "owner", `owner = "team:payments"`, false) +
					list("nhi_aws_iam_role", "roles", "", true) + list("nhi_aws_iam_access_key", "keys", "", true) +
					list("nhi_aws_iam_access_key", "declared_keys", "declared = true", false),
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
					querycheck.ExpectLength("nhi_aws_iam_access_key.keys", 1),
					querycheck.ExpectIdentity("nhi_aws_iam_access_key.keys", keyIdentity),
					querycheck.ExpectResourceDisplayName("nhi_aws_iam_access_key.keys", queryfilter.ByResourceIdentity(keyIdentity),
						knownvalue.StringExact("access key "+keyID+" of IAM user user/"+legacy+" (undeclared)")),
					querycheck.ExpectResourceKnownValues("nhi_aws_iam_access_key.keys", queryfilter.ByResourceIdentity(keyIdentity), []querycheck.KnownValueCheck{
						{Path: tfjsonpath.New("status"), KnownValue: knownvalue.StringExact("Active")},
						{Path: tfjsonpath.New("kubernetes_secret").AtMapKey("name"), KnownValue: knownvalue.StringExact("FILL-IN: name of that Secret")},
					}),
					querycheck.ExpectLength("nhi_aws_iam_access_key.declared_keys", 0),
				},
			},
		},
	})
}

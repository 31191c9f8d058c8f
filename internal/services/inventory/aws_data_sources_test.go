package inventory_test

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// The same two data sources list AWS identities through the normalized
// model. A private versitygw (behind the managed-policy FAKE) makes the
// listing exact.
func TestAccDataSources_aws(t *testing.T) {
	srv, c, raw := acctest.PrivateIAMClients(t)
	ctx := context.Background()
	var err error
	if _, err := raw.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("legacy")}); err != nil {
		t.Fatal(err)
	}
	// A service-linked role (versitygw takes no Service principals, so it
	// trusts the account; the path is what marks it).
	if _, err := raw.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("AWSServiceRoleForSupport"), Path: aws.String("/aws-service-role/support.amazonaws.com/"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateUser(ctx, awsc.UserSpec{Spec: nhi.Spec{Ref: awsc.UserRef("report-bot"), Governance: nhi.Governance{
		Owner: "team:data", Purpose: "Nightly reports", Scopes: []string{"policy:arn:aws:iam::aws:policy/ReadOnlyAccess"}, ExpiresAt: time.Now().Add(60 * 24 * time.Hour)}}}); err != nil {
		t.Fatal(err)
	}
	key, err := c.CreateAccessKey(ctx, "report-bot")
	if err != nil {
		t.Fatal(err)
	}
	cfg := acctest.ProviderBlock(t, fmt.Sprintf("aws {\n    endpoint = %q\n  }", srv.Endpoint)) + `
data "nhi_undeclared" "aws" {
  system = "aws"
}

data "nhi_identities" "declared" {
  system   = "aws"
  declared = true
}
`
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t); acctest.AWS(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config: cfg,
			ConfigStateChecks: []statecheck.StateCheck{
				statecheck.ExpectKnownValue("data.nhi_undeclared.aws", tfjsonpath.New("ids"), knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("user/legacy")})),
				statecheck.ExpectKnownValue("data.nhi_undeclared.aws", tfjsonpath.New("excluded"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectExact(map[string]knownvalue.Check{
						"id": knownvalue.StringExact("role/AWSServiceRoleForSupport"), "reason": knownvalue.StringExact("aws_service_linked_role"), "pattern": knownvalue.Null(),
					}),
				})),
				statecheck.ExpectKnownValue("data.nhi_identities.declared", tfjsonpath.New("identities"), knownvalue.ListExact([]knownvalue.Check{
					knownvalue.ObjectPartial(map[string]knownvalue.Check{
						"id": knownvalue.StringExact("user/report-bot"), "system": knownvalue.StringExact("aws"), "kind": knownvalue.StringExact("iam_user"),
						"owner": knownvalue.StringExact("team:data"), "status": knownvalue.StringExact("active"),
						"uid":              knownvalue.StringRegexp(regexp.MustCompile(`^AIDA`)),
						"effective_scopes": knownvalue.ListExact([]knownvalue.Check{knownvalue.StringExact("policy:arn:aws:iam::aws:policy/ReadOnlyAccess")}),
						"credentials": knownvalue.ListExact([]knownvalue.Check{knownvalue.ObjectPartial(map[string]knownvalue.Check{
							"id": knownvalue.StringExact(key.ID), "kind": knownvalue.StringExact("aws_access_key"), "active": knownvalue.Bool(true),
						})}),
					}),
				})),
			},
		}},
	})
}

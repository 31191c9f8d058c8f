package aws_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

type iamTag = types.Tag

// awsCreds reads the root credentials of the IAM test server from the
// standard environment variables.
type awsCreds struct{}

func (awsCreds) Retrieve(context.Context) (aws.Credentials, error) {
	return aws.Credentials{AccessKeyID: os.Getenv("AWS_ACCESS_KEY_ID"), SecretAccessKey: os.Getenv("AWS_SECRET_ACCESS_KEY")}, nil
}

// userAndRoleHCL is a user (with a managed policy and the artifacts inline
// policy) and a role (with a managed policy), both expiring in 90 days, as
// nhi_aws_iam_user.test and nhi_aws_iam_role.test.
func userAndRoleHCL(user, role string) string {
	return fmt.Sprintf(`
resource "nhi_aws_iam_user" "test" {
  name       = %q
  owner      = "team:platform"
  purpose    = "Uploads build artifacts"
  scopes     = ["policy:%s", "inline:artifacts"]
  expires_at = %q
  %s
}

resource "nhi_aws_iam_role" "test" {
  name         = %q
  owner        = "team:ci"
  purpose      = "Deploys"
  scopes       = ["policy:%s"]
  expires_at   = %q
  trust_policy = jsonencode({ Version = "2012-10-17", Statement = [{ Effect = "Allow", Principal = { AWS = "arn:aws:iam::000000000000:root" }, Action = "sts:AssumeRole" }] })
}
`, user, readOnly, acctest.Date(acctest.Days(90)), artifactsPolicy, role, readOnly, acctest.Date(acctest.Days(90)))
}

// disabledUser creates a user whose expiry disabled it (on expiry
// "disable"), deleted when the test ends, and returns its name.
func disabledUser(t *testing.T, purpose string) string {
	t.Helper()
	user := acctest.RandName("expired")
	c := acctest.AWSClient(t)
	spec := awsc.UserSpec{Spec: nhi.Spec{Ref: awsc.UserRef(user), Governance: nhi.Governance{
		Owner: "team:platform", Purpose: purpose,
		ExpiresAt: time.Now().Add(24 * time.Hour).Truncate(time.Second), OnExpiry: nhi.OnExpiryDisable,
	}}}
	ctx := context.Background()
	if _, err := c.CreateUser(ctx, spec); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = acctest.AWSClient(t).DeleteUser(context.Background(), user) })
	if _, err := c.DisableUser(ctx, spec, time.Now().Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	return user
}

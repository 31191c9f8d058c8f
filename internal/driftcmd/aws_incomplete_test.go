package driftcmd_test

// An AWS source whose policy or group reads fail is incomplete (exit 3),
// never "clean": against versitygw of the test's own behind the project's
// IAM fake (internal/testenv/iamfake), which answers the managed-policy and
// group actions and fails the chosen one.

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/driftcmd"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/provider"
)

func TestAWSPolicyReadFailureIsIncomplete(t *testing.T) {
	srv, c, raw := acctest.PrivateIAMClients(t)
	ctx := context.Background()
	var err error
	must := fatalOnError(t)
	// A declared user with a managed policy, in a group with an attached
	// and an inline policy: a scan reads all five kinds of grant.
	_, err = raw.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("deployers")})
	must(err)
	_, err = raw.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("deployers"), PolicyArn: aws.String(arnIAMReadOnly)})
	must(err)
	_, err = raw.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("deployers"), PolicyName: aws.String("artifacts"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)})
	must(err)
	_, err = c.CreateUser(ctx, awsc.UserSpec{Spec: nhi.Spec{Ref: awsc.UserRef("uploader"), Governance: nhi.Governance{
		Owner: "team:platform", Purpose: "uploads", Scopes: []string{"policy:" + arnReadOnly, "group:deployers"},
		ExpiresAt: time.Now().Add(90 * 24 * time.Hour).UTC().Truncate(time.Second), OnExpiry: nhi.OnExpiryDisable,
	}}})
	must(err)

	dir := t.TempDir()
	config := filepath.Join(dir, "nhi-drift.hcl")
	must(os.WriteFile(config, []byte(fmt.Sprintf("source \"aws\" \"prod\" {\n  endpoint = %q\n  region   = \"us-east-1\"\n}\n", srv.Endpoint)), 0o600))
	drift := func() (int, string, string) {
		var out, errb bytes.Buffer
		code := driftcmd.Main(ctx, []string{"--config", config, "--format", "json", "--fail-on", "none"},
			driftcmd.IO{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb}, "test", provider.Registry())
		return code, out.String(), errb.String()
	}
	if code, out, errs := drift(); code != driftcmd.ExitClean {
		t.Fatalf("with every read answered: exit %d, want %d\nstderr: %s\nstdout: %s", code, driftcmd.ExitClean, errs, out)
	}
	for _, tc := range []struct {
		action string
		status int
		says   string
	}{
		{"GetPolicy", http.StatusForbidden, "reading managed policy " + arnReadOnly},
		{"GetPolicyVersion", http.StatusForbidden, "reading version v1 of managed policy " + arnReadOnly},
		{"GetPolicyVersion", http.StatusNotFound, "reading version v1 of managed policy " + arnReadOnly},
		{"ListAttachedGroupPolicies", http.StatusForbidden, "listing the managed policies of IAM group deployers"},
		{"ListGroupPolicies", http.StatusForbidden, "listing the inline policies of IAM group deployers"},
		{"GetGroupPolicy", http.StatusForbidden, "reading inline policy artifacts of IAM group deployers"},
	} {
		t.Run(fmt.Sprintf("%s %d", tc.action, tc.status), func(t *testing.T) {
			srv.Fake.FailAction(tc.action, tc.status)
			code, out, errs := drift()
			if code != driftcmd.ExitIncomplete {
				t.Fatalf("exit %d, want %d (incomplete)\nstderr: %s\nstdout: %s", code, driftcmd.ExitIncomplete, errs, out)
			}
			if !strings.Contains(errs, `Incomplete: source "prod"`) || !strings.Contains(errs, tc.says) {
				t.Fatalf("stderr does not say which read failed (%q):\n%s", tc.says, errs)
			}
			if !strings.Contains(out, `"complete": false`) {
				t.Fatalf("the report does not say it is incomplete:\n%s", out)
			}
		})
	}
}

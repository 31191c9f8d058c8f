package acctest

import (
	"context"
	"fmt"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/iamfake"
)

// EnvIAMUpstream is set (with the standard AWS variables) by sourcing the
// aws.env that `make test` and `make iam-up` write.
const EnvIAMUpstream = "NHI_TEST_IAM_UPSTREAM"

// AWS checks that the IAM test server is configured, failing the test
// (never skipping it) when it is not, and returns the connection the
// standard AWS variables describe. NHI_AWS_LIVE=1 runs against real AWS
// with whatever credentials the environment holds instead.
func AWS(t testing.TB) awsc.Connection {
	t.Helper()
	if Live() {
		if os.Getenv("AWS_ACCESS_KEY_ID") == "" && os.Getenv("AWS_PROFILE") == "" && os.Getenv("AWS_WEB_IDENTITY_TOKEN_FILE") == "" {
			t.Fatal("NHI_AWS_LIVE=1 runs against real AWS and needs credentials: set AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or a web identity. Use a sandbox account: the tests create and delete IAM users.")
		}
		return awsc.Connection{}
	}
	if os.Getenv(EnvIAMUpstream) == "" || os.Getenv("AWS_ENDPOINT_URL_IAM") == "" {
		t.Fatalf("%s and AWS_ENDPOINT_URL_IAM are not set: AWS tests need the project's IAM test server. Run `make test`, or `make iam-up`, `. .nhi-dev/aws.env` and `make testacc`.", EnvIAMUpstream)
	}
	return awsc.Connection{}
}

// Live reports whether the AWS tests run against real AWS (NHI_AWS_LIVE=1).
func Live() bool { return os.Getenv("NHI_AWS_LIVE") == "1" }

// AWSClient returns a connector using the environment's IAM server.
func AWSClient(t testing.TB) *awsc.Client {
	t.Helper()
	c, err := awsc.New(context.Background(), AWS(t), "")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// OwnFakeIAM starts an in-process managed-policy fake in front of the test
// IAM server, for tests that inject failures or count requests, and returns
// a connector through it.
func OwnFakeIAM(t testing.TB, maxAttempts int) (*awsc.Client, *iamfake.Server) {
	t.Helper()
	AWS(t)
	fake, endpoint := startIAMFake(t)
	return connectIAM(t, endpoint, maxAttempts), fake
}

// startIAMFake starts an in-process IAM fake in front of the test IAM
// server and returns it with its URL; it stops when the test ends.
func startIAMFake(t testing.TB) (*iamfake.Server, string) {
	t.Helper()
	u, err := url.Parse(os.Getenv(EnvIAMUpstream))
	if err != nil {
		t.Fatal(err)
	}
	fake := iamfake.New(u, testenv.IAMAccountID)
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	return fake, srv.URL
}

// connectIAM is a connector to the IAM endpoint; maxAttempts 0 keeps the
// default.
func connectIAM(t testing.TB, endpoint string, maxAttempts int) *awsc.Client {
	t.Helper()
	c, err := awsc.New(context.Background(), awsc.Connection{Endpoint: endpoint, MaxAttempts: maxAttempts}, "")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// EnvVersitygw is the versitygw binary, for tests that need an IAM server
// of their own (make test exports it).
const EnvVersitygw = "NHI_VERSITYGW"

// PrivateIAM starts an IAM server (versitygw behind the managed-policy
// fake) that only this test uses, so that a scan sees exactly what the test
// seeded. It is stopped when the test ends.
func PrivateIAM(t testing.TB) *testenv.IAM {
	t.Helper()
	bin := os.Getenv(EnvVersitygw)
	if bin == "" {
		t.Fatalf("%s is not set: this test starts its own IAM server. Run `make test`, or set it to the path scripts/versitygw-build.sh prints.", EnvVersitygw)
	}
	i, err := testenv.StartIAM(context.Background(), testenv.IAMOptions{
		Dir: t.TempDir(), Versitygw: bin,
		// The same root credentials as the shared server, so that the
		// standard credential chain works for both.
		AccessKey: os.Getenv("AWS_ACCESS_KEY_ID"), SecretKey: os.Getenv("AWS_SECRET_ACCESS_KEY"),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = i.Stop() })
	return i
}

// AWSProviderBlock configures the provider for the IAM test server (through
// the standard AWS environment variables) plus extra provider arguments.
func AWSProviderBlock(t testing.TB, extra string) string {
	AWS(t)
	return fmt.Sprintf("\nprovider \"nhi\" {\n  aws {}\n%s\n}\n", extra)
}

// PrivateIAMClients starts a private IAM server (PrivateIAM) and returns it
// with the project's connector to it and a raw IAM client for seeding it as
// someone outside the provider would.
func PrivateIAMClients(t testing.TB) (*testenv.IAM, *awsc.Client, *iam.Client) {
	t.Helper()
	srv := PrivateIAM(t)
	c := connectIAM(t, srv.Endpoint, 0)
	raw := iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.Endpoint),
		Credentials: credentials.NewStaticCredentialsProvider(srv.AccessKey, srv.SecretKey, "")})
	return srv, c, raw
}

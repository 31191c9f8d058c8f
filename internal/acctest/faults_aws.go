package acctest

import (
	"testing"

	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/faultproxy"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/iamfake"
)

// IAMThrottleBody is the answer IAM gives when it throttles a request (the
// Query API's error document with the code Throttling). The fault proxy
// sends it with its 429s, so the AWS SDK sees throttling, which it
// recognises by the error code, not by the status.
const IAMThrottleBody = `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>` +
	`<Code>Throttling</Code><Message>Rate exceeded</Message></Error><RequestId>faultproxy-throttle</RequestId></ErrorResponse>`

// FaultyIAMServer is the IAM test server behind an in-process IAM fake
// (internal/testenv/iamfake) behind the fault proxy:
//
//	client -> Proxy (random and ruled faults) -> Fake -> versitygw
//
// The fake can also lose the answer of chosen actions after carrying them
// out (iamfake LoseAnswer, FailAction with a 5xx), which the proxy cannot
// aim at one action: the Query API names the action in the request body.
// Behind the proxy, a connection the fake resets reaches the client as the
// proxy's 502 (upstream unreachable): still an answer that does not say
// whether the work was done.
type FaultyIAMServer struct {
	Proxy *faultproxy.Proxy
	Fake  *iamfake.Server
	// Endpoint is the proxy's URL, for connectors and the provider's aws
	// block; Direct reaches the fake without faults, for a test's checks.
	Endpoint, Direct string
}

// FaultyIAM starts a FaultyIAMServer for one test; cfg's Upstream is set to
// the fake, and its ThrottleBody defaults to IAMThrottleBody. Both stop when
// the test ends.
func FaultyIAM(t testing.TB, cfg faultproxy.Config) *FaultyIAMServer {
	t.Helper()
	AWS(t)
	if Live() {
		t.Skip("injects faults in front of the project's IAM test server; not run against real AWS")
	}
	fake, direct := startIAMFake(t)
	cfg.Upstream = direct
	if cfg.ThrottleBody == "" {
		cfg.ThrottleBody, cfg.ThrottleContentType = IAMThrottleBody, "text/xml"
	}
	p, err := faultproxy.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return &FaultyIAMServer{Proxy: p, Fake: fake, Endpoint: p.URL(), Direct: direct}
}

// Client is a connector through the proxy; maxAttempts 0 keeps the default.
func (s *FaultyIAMServer) Client(t testing.TB, maxAttempts int) *awsc.Client {
	t.Helper()
	return connectIAM(t, s.Endpoint, maxAttempts)
}

// DirectClient is a connector to the fake, past the proxy's faults.
func (s *FaultyIAMServer) DirectClient(t testing.TB) *awsc.Client {
	t.Helper()
	return connectIAM(t, s.Direct, 0)
}

package aws_test

// Applies through a faulty network: the provider reaches versitygw behind
// an IAM fake of this test's own (internal/testenv/iamfake) behind the
// fault proxy (internal/testenv/faultproxy), which throttles (with IAM's
// Throttling error document, so the SDK knows it), answers 503 and resets
// connections at random; the fake loses the answer of one create of each
// kind after carrying it out. The access key's Secret is written to the
// shared test cluster directly.

import (
	"context"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/faultproxy"
)

// faultRates are the random faults of the converging apply: 25% of all
// requests, of which 10% throttled, 8% answered 503, 7% reset.
var faultRates = faultproxy.Rates{TooManyRequests: 0.10, Unavailable: 0.08, Reset: 0.07}

// maxRequestFactor bounds the requests of a faulty run against a fault-free
// run of the same configuration.
const maxRequestFactor = 2

func faultsConfig(t *testing.T, endpoint, user, role, ns string) string {
	return acctest.ProviderBlock(t, fmt.Sprintf("aws {\n    endpoint = %q\n  }\n", endpoint)) + userAndRoleHCL(user, role) + fmt.Sprintf(`
resource "nhi_aws_iam_access_key" "test" {
  user = nhi_aws_iam_user.test.name
  kubernetes_secret = {
    namespace = %q
    name      = "aws-creds"
  }
}
`, ns)
}

// exactlyOne checks, past the proxy, that the user and role exist once, the
// user holds exactly the one key the state and the Secret hold, and no
// create token is left on either.
func exactlyOne(t *testing.T, direct *awsc.Client, user, role string) resource.TestCheckFunc {
	return func(s *terraform.State) error {
		ctx := context.Background()
		raw := rawIAM(t) // the same versitygw, through the shared fake
		users, roles := 0, 0
		up := iam.NewListUsersPaginator(raw, &iam.ListUsersInput{})
		for up.HasMorePages() {
			page, err := up.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, u := range page.Users {
				if aws.ToString(u.UserName) == user {
					users++
				}
			}
		}
		rp := iam.NewListRolesPaginator(raw, &iam.ListRolesInput{})
		for rp.HasMorePages() {
			page, err := rp.NextPage(ctx)
			if err != nil {
				return err
			}
			for _, r := range page.Roles {
				if aws.ToString(r.RoleName) == role {
					roles++
				}
			}
		}
		if users != 1 || roles != 1 {
			return fmt.Errorf("%d IAM users named %s and %d roles named %s, want one of each", users, user, roles, role)
		}
		keys, err := direct.ListAccessKeys(ctx, user, false)
		if err != nil {
			return err
		}
		if rs := s.RootModule().Resources[keyAddr]; len(keys) != 1 || rs == nil || keys[0].ID != rs.Primary.ID {
			return fmt.Errorf("IAM user %s holds keys %v; want exactly the one in state", user, keys)
		}
		ut, err := raw.ListUserTags(ctx, &iam.ListUserTagsInput{UserName: aws.String(user)})
		if err != nil {
			return err
		}
		rt, err := raw.ListRoleTags(ctx, &iam.ListRoleTagsInput{RoleName: aws.String(role)})
		if err != nil {
			return err
		}
		for _, tg := range append(ut.Tags, rt.Tags...) {
			if aws.ToString(tg.Key) == "nhi:create-token" {
				return fmt.Errorf("the create token is left: %s=%s", aws.ToString(tg.Key), aws.ToString(tg.Value))
			}
		}
		return nil
	}
}

// runFaults applies cfg in one step with the proxy at rates (and, when
// lose, one lost create answer of each kind), re-plans, and returns the
// proxy's counts over the apply, its plan and the re-plan, and how long
// they took.
func runFaults(t *testing.T, srv *acctest.FaultyIAMServer, direct *awsc.Client, rates faultproxy.Rates, lose bool, ns string) (faultproxy.Stats, time.Duration) {
	user, role := acctest.RandName("svc"), acctest.RandName("ci")
	cfg := faultsConfig(t, srv.Endpoint, user, role, ns)
	var stats faultproxy.Stats
	var start time.Time
	var took time.Duration
	creates := []string{"CreateUser", "CreateRole", "CreateAccessKey"}
	before := map[string]int{}
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t); acctest.AWS(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			if _, err := direct.GetUser(context.Background(), user); !awsc.IsNotFound(err) {
				return fmt.Errorf("IAM user %s still exists (%v)", user, err)
			}
			if _, err := direct.GetRole(context.Background(), role); !awsc.IsNotFound(err) {
				return fmt.Errorf("IAM role %s still exists (%v)", role, err)
			}
			return nil
		},
		Steps: []resource.TestStep{
			// One apply converges: no error, and the plan the test runs
			// right after it (through the same faults) is empty.
			{
				PreConfig: func() {
					srv.Proxy.ResetStats()
					if err := srv.Proxy.SetRates(rates); err != nil {
						t.Fatal(err)
					}
					for _, a := range creates {
						before[a] = srv.Fake.Count(a)
						if lose {
							srv.Fake.LoseAnswer(a, 1)
						}
					}
					start = time.Now()
				},
				Config: cfg,
				Check: resource.ComposeTestCheckFunc(
					exactlyOne(t, direct, user, role),
					delivered(t, ns, srv.Direct, nil),
					func(*terraform.State) error {
						if !lose {
							return nil
						}
						for _, a := range creates {
							if n := srv.Fake.Count(a) - before[a]; n < 2 {
								return fmt.Errorf("%s arrived %d times: the lost answer was not followed by a retry", a, n)
							}
						}
						return nil
					},
				),
			},
			// A re-plan, still through the faults, is empty.
			{Config: cfg, PlanOnly: true},
			{
				PreConfig: func() {
					took = time.Since(start)
					stats = srv.Proxy.Stats()
					if err := srv.Proxy.SetRates(faultproxy.Rates{}); err != nil {
						t.Fatal(err)
					}
				},
				Config: cfg, PlanOnly: true,
			},
		},
	})
	return stats, took
}

// One apply of a user, a role and a delivered key converges through 25%
// random faults plus one lost create answer of each kind, with exactly one
// of each made, within maxRequestFactor of a fault-free run's requests.
func TestAccIAM_faultsConverge(t *testing.T) {
	fakeIAMOnly(t)
	t.Parallel()
	ns := acctest.Namespace(t)
	srv := acctest.FaultyIAM(t, faultproxy.Config{Seed: 20260})
	direct := srv.DirectClient(t)

	clean, cleanTook := runFaults(t, srv, direct, faultproxy.Rates{}, false, ns)
	faulty, faultyTook := runFaults(t, srv, direct, faultRates, true, ns)
	t.Logf("fault-free: %d requests in %v; with %.0f%% faults and three lost create answers: %d requests (%v) in %v",
		clean.Total, cleanTook.Round(time.Millisecond), 100*faultRates.Total(), faulty.Total, faulty.ByFault, faultyTook.Round(time.Millisecond))
	if clean.Total == 0 || faulty.ByFault[faultproxy.None] == faulty.Total {
		t.Fatalf("the proxy saw %d clean requests and no faults in the faulty run (%v): the test proves nothing", clean.Total, faulty.ByFault)
	}
	if faulty.Total > maxRequestFactor*clean.Total {
		t.Fatalf("the faulty run made %d requests, more than %dx the %d of a fault-free run", faulty.Total, maxRequestFactor, clean.Total)
	}
}

// An IAM endpoint that answers 503 to everything makes the plan fail, with
// the default attempts, within a bounded time and with an error that names
// the call, the status and the attempts.
func TestAccIAM_faultsUnavailableFailsBounded(t *testing.T) {
	fakeIAMOnly(t)
	t.Parallel()
	ns := acctest.Namespace(t)
	srv := acctest.FaultyIAM(t, faultproxy.Config{Rates: faultproxy.Rates{Unavailable: 1}})
	user, role := acctest.RandName("svc"), acctest.RandName("ci")
	start := time.Now()
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t); acctest.AWS(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config:      faultsConfig(t, srv.Endpoint, user, role, ns),
			ExpectError: regexp.MustCompile(`(?s)operation\s+error\s+IAM:\s+\w+,\s+exceeded\s+maximum\s+number\s+of\s+attempts,\s+8,\s+https\s+response\s+error\s+StatusCode:\s+503,.*\(no\s+success\s+in\s+8\s+attempts,\s+the\s+last\s+was\s+answered\s+503\s+Service\s+Unavailable`),
		}},
	})
	took := time.Since(start)
	t.Logf("always 503: the plan failed after %v and %d requests", took.Round(time.Millisecond), srv.Proxy.Stats().Total)
	if took > 2*time.Minute {
		t.Fatalf("the plan took %v to fail against an always-503 endpoint, more than 2 minutes", took)
	}
	if n := srv.Proxy.Stats().ByFault[faultproxy.None]; n != 0 {
		t.Fatalf("%d requests reached IAM", n)
	}
}

package aws_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// These tests run against versitygw, a real IAM Query API server, behind
// the project's managed-policy FAKE (internal/testenv/iamfake), because
// versitygw does not implement managed policies.

const readOnly = "arn:aws:iam::aws:policy/ReadOnlyAccess"
const admin = "arn:aws:iam::aws:policy/AdministratorAccess"
const s3Doc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::artifacts/*"}]}`

func spec(name string, scopes ...string) awsc.UserSpec {
	return awsc.UserSpec{
		Spec: nhi.Spec{Ref: awsc.UserRef(name), Governance: nhi.Governance{
			Owner: "team:platform", Purpose: "Uploads build artifacts", Scopes: scopes,
			ExpiresAt: time.Now().Add(90 * 24 * time.Hour).Truncate(time.Second).UTC(), OnExpiry: nhi.OnExpiryDisable,
		}, Labels: map[string]string{"cost-center": "42"}},
		InlinePolicies: map[string]string{"artifacts": s3Doc},
	}
}

func TestIntegrationUserLifecycle(t *testing.T) {
	c, _ := acctest.OwnFakeIAM(t, 0)
	ctx := context.Background()
	name := acctest.RandName("svc")
	s := spec(name, "policy:"+readOnly, "inline:artifacts")
	d, err := c.CreateUser(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteUser(context.Background(), name) })
	if !d.Declared || d.Governance.Owner != "team:platform" || !d.Governance.ExpiresAt.Equal(s.Governance.ExpiresAt) {
		t.Fatalf("governance not read back: %+v", d.Identity)
	}
	want := []string{"inline:artifacts", "policy:" + readOnly}
	if got := d.EffectiveScopes; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Fatalf("effective scopes = %v, want %v", got, want)
	}
	if d.Labels["cost-center"] != "42" || len(d.Labels) != 1 {
		t.Fatalf("labels = %v", d.Labels)
	}
	if !awsc.EquivalentPolicies(d.InlinePolicies["artifacts"], s3Doc) {
		t.Fatalf("inline document = %q", d.InlinePolicies["artifacts"])
	}

	// Out of band: someone attaches AdministratorAccess and an inline policy.
	raw := rawIAM(t)
	if _, err := raw.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: &name, PolicyArn: aws.String(admin)}); err == nil {
		t.Fatal("attaching through versitygw directly should fail: it has no managed policies (the fake provides them)")
	}
	if _, err := raw.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: &name, PolicyName: aws.String("sneaky"), PolicyDocument: aws.String(s3Doc)}); err != nil {
		t.Fatal(err)
	}
	d, err = c.GetUser(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if extra, _ := nhi.ScopeDiff(d.Governance.Scopes, d.EffectiveScopes); len(extra) != 1 || extra[0] != "inline:sneaky" {
		t.Fatalf("out-of-band inline policy not seen: declared %v effective %v", d.Governance.Scopes, d.EffectiveScopes)
	}
	d, err = c.UpdateUser(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if extra, missing := nhi.ScopeDiff(s.Governance.Scopes, d.EffectiveScopes); len(extra)+len(missing) != 0 {
		t.Fatalf("update did not enforce scopes: %v / %v", extra, missing)
	}

	// Keys: two at most, the third refused with what to do.
	k1, err := c.CreateAccessKey(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAccessKey(ctx, name); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateAccessKey(ctx, name); !errors.Is(err, awsc.ErrTooManyKeys) {
		t.Fatalf("third key: err = %v, want ErrTooManyKeys", err)
	}
	// Using a key records its last use.
	useKey(t, k1)
	keys, err := c.ListAccessKeys(ctx, name, true)
	if err != nil {
		t.Fatal(err)
	}
	used := 0
	for _, k := range keys {
		if !k.UsageKnown {
			t.Fatalf("key %s: usage not known", k.ID)
		}
		if k.LastUsedAt != nil {
			used++
			if k.ID != k1.ID {
				t.Fatalf("key %s reported used, only %s was", k.ID, k1.ID)
			}
		}
	}
	if used != 1 {
		t.Fatalf("%d keys used, want 1", used)
	}

	// Disable: keys off, grants gone, user kept and marked.
	d, err = c.DisableUser(ctx, s, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !d.Disabled || len(d.EffectiveScopes) != 0 {
		t.Fatalf("disabled user: disabled=%v scopes=%v", d.Disabled, d.EffectiveScopes)
	}
	for _, k := range d.Credentials {
		if !k.Inactive {
			t.Fatalf("key %s still active after disable", k.ID)
		}
	}
	// Enabling again restores the grants and drops the marker.
	if d, err = c.UpdateUser(ctx, s); err != nil || d.Disabled || len(d.EffectiveScopes) != 2 {
		t.Fatalf("re-enable: %v disabled=%v scopes=%v", err, d.Disabled, d.EffectiveScopes)
	}
	if err := c.DeleteUser(ctx, name); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetUser(ctx, name); !awsc.IsNotFound(err) {
		t.Fatalf("after delete: err = %v, want not found", err)
	}
}

func TestIntegrationCreateRollsBack(t *testing.T) {
	c, _ := acctest.OwnFakeIAM(t, 0)
	ctx := context.Background()
	name := acctest.RandName("svc")
	_, err := c.CreateUser(ctx, spec(name, "policy:arn:aws:iam::000000000000:policy/does-not-exist", "inline:artifacts"))
	if err == nil {
		t.Fatal("create with a missing policy succeeded")
	}
	if _, gerr := c.GetUser(ctx, name); !awsc.IsNotFound(gerr) {
		t.Fatalf("half-created user left behind: %v (create error: %v)", gerr, err)
	}
}

func TestIntegrationRetriesThrottlingWithinBounds(t *testing.T) {
	c, fake := acctest.OwnFakeIAM(t, 3)
	ctx := context.Background()
	fake.FailNext(http.StatusBadRequest, http.StatusServiceUnavailable)
	if _, err := c.List(ctx, nhi.ListOptions{Locations: []string{"user"}, PageSize: 5}); err != nil {
		t.Fatalf("two failures within three attempts should succeed: %v", err)
	}
	if n := fake.Count("ListUsers"); n != 3 {
		t.Fatalf("ListUsers arrived %d times, want 3 (two failures, one success)", n)
	}
	fake.FailNext(400, 400, 400, 400)
	ctx2, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := c.List(ctx2, nhi.ListOptions{Locations: []string{"user"}}); err == nil {
		t.Fatal("persistent throttling should fail after the attempt limit")
	}
	if n := fake.Count("ListUsers"); n != 6 {
		t.Fatalf("ListUsers arrived %d times, want 6: retries must stop at MaxAttempts", n)
	}
	fake.FailNext(400, 400, 400, 400)
	ctx3, cancel3 := context.WithCancel(ctx)
	cancel3()
	if _, err := c.List(ctx3, nhi.ListOptions{}); err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled context must stop the call: %v", err)
	}
}

func TestIntegrationRoleTrustAndScan(t *testing.T) {
	c, _ := acctest.OwnFakeIAM(t, 0)
	ctx := context.Background()
	name := acctest.RandName("ci")
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::000000000000:oidc-provider/token.actions.githubusercontent.com"},"Action":"sts:AssumeRoleWithWebIdentity","Condition":{"StringEquals":{"token.actions.githubusercontent.com:aud":"sts.amazonaws.com"},"StringLike":{"token.actions.githubusercontent.com:sub":"repo:*"}}}]}`
	rs := awsc.RoleSpec{Spec: nhi.Spec{Ref: awsc.RoleRef(name), Governance: nhi.Governance{Owner: "team:ci", Purpose: "Deploys", Scopes: []string{"policy:" + admin},
		ExpiresAt: time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)}}, TrustPolicy: trust}
	d, err := c.CreateRole(ctx, rs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteRole(context.Background(), name) })
	if len(d.Trusts) != 1 || !d.Trusts[0].Unrestricted || d.Trusts[0].Issuer != awsc.GitHubActionsIssuer {
		t.Fatalf("trusts = %+v, want GitHub open to every repository", d.Trusts)
	}
	ids, err := c.Scan(ctx, []string{"role"})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, id := range ids {
		if id.Ref.Name == name {
			found = true
			if len(id.WildcardScopes) != 1 || id.WildcardScopes[0] != "policy:"+admin {
				t.Fatalf("wildcard scopes = %v", id.WildcardScopes)
			}
		}
	}
	if !found {
		t.Fatalf("role %s not in scan", name)
	}
	// Expiry disables the role: policies gone, trust kept; extending the
	// expiry enables it again.
	d, err = c.DisableRole(ctx, rs, time.Now())
	if err != nil || !d.Disabled || len(d.EffectiveScopes) != 0 || !awsc.EquivalentPolicies(d.TrustPolicy, trust) {
		t.Fatalf("disabled role: %v disabled=%v scopes=%v trust kept=%v", err, d.Disabled, d.EffectiveScopes, awsc.EquivalentPolicies(d.TrustPolicy, trust))
	}
	if d, err = c.UpdateRole(ctx, rs); err != nil || d.Disabled || len(d.EffectiveScopes) != 1 {
		t.Fatalf("re-enabled role: %v disabled=%v scopes=%v", err, d.Disabled, d.EffectiveScopes)
	}
}

// rawIAM talks to versitygw directly, bypassing the fake.
func rawIAM(t *testing.T) *iam.Client {
	return iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(os.Getenv(acctest.EnvIAMUpstream)),
		Credentials: credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), "")})
}

// useKey makes one signed STS call with a key, as a workload would.
func useKey(t *testing.T, k awsc.NewAccessKey) {
	t.Helper()
	s := sts.New(sts.Options{Region: "us-east-1", BaseEndpoint: aws.String(os.Getenv("AWS_ENDPOINT_URL_STS")),
		Credentials: credentials.NewStaticCredentialsProvider(k.ID, k.Secret, "")})
	if _, err := s.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("using key %s: %v", k.ID, err)
	}
}

// Creating a key is not idempotent: after a 5xx (the fake does the work and
// loses the answer) it is not repeated blindly: the key that was made, whose
// secret nobody got, is deleted first, and the repeat makes the one key the
// caller receives. A throttled attempt, refused before any work, is retried.
func TestIntegrationNonIdempotentWritesAreNotRetriedBlindly(t *testing.T) {
	c, fake := acctest.OwnFakeIAM(t, 0)
	ctx := context.Background()
	name := newUser(t, c, "inline:artifacts")

	fake.FailAction("CreateAccessKey", http.StatusInternalServerError)
	k, err := c.CreateAccessKey(ctx, name)
	if err != nil {
		t.Fatalf("CreateAccessKey after a 5xx should clean up and repeat: %v", err)
	}
	if n, d := fake.Count("CreateAccessKey"), fake.Count("DeleteAccessKey"); n != 2 || d != 1 {
		t.Fatalf("CreateAccessKey sent %d times and DeleteAccessKey %d, want 2 and 1: the lost answer's key goes before the repeat", n, d)
	}
	keys, err := c.ListAccessKeys(ctx, name, false)
	if err != nil || len(keys) != 1 || keys[0].ID != k.ID {
		t.Fatalf("keys %v (%v), want only %s: the lost answer's key must not stay", keys, err, k.ID)
	}

	fake.FailAction("CreateAccessKey", http.StatusBadRequest)
	if _, err := c.CreateAccessKey(ctx, name); err != nil {
		t.Fatalf("a throttled CreateAccessKey should be retried: %v", err)
	}
	if n, d := fake.Count("CreateAccessKey"), fake.Count("DeleteAccessKey"); n != 4 || d != 1 {
		t.Fatalf("CreateAccessKey sent %d times in all and DeleteAccessKey %d, want 4 and 1", n, d)
	}
}

// Right after CreateUser, IAM may answer NoSuchEntity for the new user for
// a moment; the idempotent calls that follow wait for it, within bounds.
func TestIntegrationWaitsForEventualConsistency(t *testing.T) {
	c, fake := acctest.OwnFakeIAM(t, 0)
	ctx := context.Background()
	name := acctest.RandName("svc")
	fake.FailAction("AttachUserPolicy", http.StatusNotFound, http.StatusNotFound)
	if _, err := c.CreateUser(ctx, spec(name, "policy:"+readOnly)); err != nil {
		t.Fatalf("create should ride out two NoSuchEntity answers: %v", err)
	}
	t.Cleanup(func() { _ = c.DeleteUser(context.Background(), name) })
	if n := fake.Count("AttachUserPolicy"); n != 3 {
		t.Fatalf("AttachUserPolicy sent %d times, want 3", n)
	}
	// Not forever: six answers of NoSuchEntity make the create fail and
	// roll back.
	other := acctest.RandName("svc")
	fake.FailAction("AttachUserPolicy", 404, 404, 404, 404, 404, 404)
	if _, err := c.CreateUser(ctx, spec(other, "policy:"+readOnly)); err == nil {
		_ = c.DeleteUser(ctx, other)
		t.Fatal("create should give up after the bounded wait")
	}
	if _, err := c.GetUser(ctx, other); !awsc.IsNotFound(err) {
		t.Fatalf("the user should have been rolled back: %v", err)
	}
}

// Group membership is a scope: out-of-band membership shows and is removed,
// declared membership is added, a group holding AdministratorAccess makes
// the membership a wildcard grant, and deleting the user leaves the group.
func TestIntegrationGroupMembership(t *testing.T) {
	c, _ := acctest.OwnFakeIAM(t, 0)
	ctx := context.Background()
	raw := iamThrough(t, c)
	admins, deployers := acctest.RandName("admins"), acctest.RandName("deployers")
	for _, g := range []string{admins, deployers} {
		if _, err := raw.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(g)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := raw.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String(admins), PolicyArn: aws.String(admin)}); err != nil {
		t.Fatal(err)
	}
	name := acctest.RandName("svc")
	s := spec(name, "group:"+deployers)
	if _, err := c.CreateUser(ctx, s); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.DeleteUser(context.Background(), name) })
	if _, err := raw.AddUserToGroup(ctx, &iam.AddUserToGroupInput{GroupName: aws.String(admins), UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	ids, err := c.Scan(ctx, []string{"user"})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range ids {
		if id.Ref.Name != name {
			continue
		}
		if got := strings.Join(id.EffectiveScopes, ","); got != "group:"+admins+",group:"+deployers {
			t.Fatalf("effective scopes = %s", got)
		}
		if got := strings.Join(id.WildcardScopes, ","); got != "group:"+admins {
			t.Fatalf("wildcard scopes = %s, want the admins group (AdministratorAccess)", got)
		}
	}
	d, err := c.UpdateUser(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.EffectiveScopes, ","); got != "group:"+deployers {
		t.Fatalf("after update: %s, want only the declared group", got)
	}
	if err := c.DeleteUser(ctx, name); err != nil {
		t.Fatalf("deleting a user in a group (IAM refuses until it leaves): %v", err)
	}
}

// iamThrough is a raw IAM client through the same fake as c.
func iamThrough(t *testing.T, c *awsc.Client) *iam.Client {
	t.Helper()
	return iam.New(iam.Options{Region: "us-east-1", BaseEndpoint: aws.String(c.Endpoint()),
		Credentials: credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), "")})
}

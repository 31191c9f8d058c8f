package aws

// Unit tests of the scan's wildcard reads against the project's IAM fake
// (internal/testenv/iamfake), served in process. Managed policies and groups
// are the fake's own actions, so no IAM server stands behind it here.

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/iamfake"
)

const (
	arnReadOnly  = "arn:aws:iam::aws:policy/ReadOnlyAccess"
	allowAll     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`
	allowGetOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
)

// fakeOnly serves an iamfake with nothing behind it and returns a client
// that makes one attempt per call, so a failure the fake injects is final.
func fakeOnly(t *testing.T) (*Client, *iamfake.Server) {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAFAKEFAKEFAKEFAKE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "fake")
	t.Setenv("AWS_CONFIG_FILE", t.TempDir()+"/none")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", t.TempDir()+"/none")
	nowhere, _ := url.Parse("http://127.0.0.1:9")
	fake := iamfake.New(nowhere, "000000000000")
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	c, err := New(context.Background(), Connection{Endpoint: srv.URL, Region: "us-east-1", MaxAttempts: 1}, "")
	if err != nil {
		t.Fatal(err)
	}
	return c, fake
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A read the scan cannot make is an error, never "not a wildcard", and it
// is not remembered: the same cache answers correctly once IAM does.
func TestWildcardReadFailuresAreErrorsAndNotCached(t *testing.T) {
	c, fake := fakeOnly(t)
	ctx := context.Background()
	_, err := c.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String("admins")})
	must(t, err)
	_, err = c.iam.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("admins"), PolicyArn: aws.String(arnReadOnly)})
	must(t, err)
	_, err = c.iam.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("admins"), PolicyName: aws.String("all"), PolicyDocument: aws.String(allowAll)})
	must(t, err)
	g := grants{attached: []string{arnReadOnly}, groups: []string{"admins"}}

	for _, action := range []string{"GetPolicy", "GetPolicyVersion", "ListAttachedGroupPolicies", "ListGroupPolicies", "GetGroupPolicy"} {
		for _, status := range []int{http.StatusForbidden, http.StatusNotFound, http.StatusInternalServerError} {
			cache := &policyCache{docs: map[string]bool{}}
			if action == "ListAttachedGroupPolicies" || action == "ListGroupPolicies" || action == "GetGroupPolicy" {
				// Reach the group reads with the user's policy already known.
				cache.docs[arnReadOnly] = false
			}
			fake.FailAction(action, status)
			got, err := c.wildcard(ctx, g, cache)
			if err == nil {
				t.Fatalf("%s answering %d: wildcard = %v with no error; the scan would report complete on partial data", action, status, got)
			}
			if IsNotFound(err) {
				t.Fatalf("%s answering %d: %v counts as the identity not found, so the scan would leave the identity out", action, status, err)
			}
			if !strings.Contains(err.Error(), "admins") && !strings.Contains(err.Error(), arnReadOnly) {
				t.Fatalf("%s answering %d: error %q names neither the policy nor the group", action, status, err)
			}
			got, err = c.wildcard(ctx, g, cache)
			if err != nil || len(got) != 1 || got[0] != "group:admins" {
				t.Fatalf("%s answering %d, then the same read again: wildcard = %v, %v; want [group:admins] (was the failure cached?)", action, status, got, err)
			}
		}
	}
}

// Both group lists are read to the end: the policy that allows everything
// is on the last page.
func TestGroupPoliciesArePaginated(t *testing.T) {
	c, fake := fakeOnly(t)
	ctx := context.Background()
	fake.PageSize(1)
	for _, n := range []string{"attached", "inline"} {
		_, err := c.iam.CreateGroup(ctx, &iam.CreateGroupInput{GroupName: aws.String(n)})
		must(t, err)
	}
	// Customer-managed ARNs (account 000000000000) sort before AWS-managed
	// ones, so AdministratorAccess comes last.
	for _, p := range []string{"p1", "p2"} {
		out, err := c.iam.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(p), PolicyDocument: aws.String(allowGetOnly)})
		must(t, err)
		_, err = c.iam.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("attached"), PolicyArn: out.Policy.Arn})
		must(t, err)
	}
	_, err := c.iam.AttachGroupPolicy(ctx, &iam.AttachGroupPolicyInput{GroupName: aws.String("attached"), PolicyArn: aws.String("arn:aws:iam::aws:policy/AdministratorAccess")})
	must(t, err)
	for _, p := range []struct{ name, doc string }{{"a", allowGetOnly}, {"b", allowGetOnly}, {"z", allowAll}} {
		_, err := c.iam.PutGroupPolicy(ctx, &iam.PutGroupPolicyInput{GroupName: aws.String("inline"), PolicyName: aws.String(p.name), PolicyDocument: aws.String(p.doc)})
		must(t, err)
	}
	for _, group := range []string{"attached", "inline"} {
		cache := &policyCache{docs: map[string]bool{}}
		ok, err := cache.groupGrantsEverything(ctx, c, group)
		if err != nil || !ok {
			t.Fatalf("group %s: grants everything = %v, %v; want true (the wildcard policy is on page 3)", group, ok, err)
		}
		if group == "attached" {
			if n := fake.Count("ListAttachedGroupPolicies"); n != 3 {
				t.Fatalf("ListAttachedGroupPolicies was called %d times, want 3 (one per page of one)", n)
			}
		}
	}
	if n := fake.Count("ListGroupPolicies"); n != 3 {
		t.Fatalf("ListGroupPolicies was called %d times for group inline, want 3 (one per page of one)", n)
	}
}

// The sentinel errors a caller branches on survive the wrapping.
func TestGrantReadErrorKeepsCancellation(t *testing.T) {
	err := grantReadFailed(context.Canceled, "reading managed policy x")
	if !errors.Is(err, context.Canceled) || IsNotFound(err) {
		t.Fatalf("%v: Is(Canceled) = %v, IsNotFound = %v", err, errors.Is(err, context.Canceled), IsNotFound(err))
	}
}

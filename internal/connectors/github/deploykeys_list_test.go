package github

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/githubfake"
)

// An App that may read repository administration only (deploy keys) and is
// installed on selected repositories: a scan fails (installations, tokens,
// secrets, webhooks refused; coverage), OrganizationDeployKeys lists the
// keys of the repositories it covers, all of them or the named ones.
func TestOrganizationDeployKeysNeedsOnlyAdministration(t *testing.T) {
	s := fake(t)
	s.AddRepository(org, "app")
	s.AddRepository(org, "api")
	s.AddRepository(org, "hidden")
	app := s.AddDeployKey(org, "app", githubfake.FakeDeployKey{Title: "ci", Key: pubKey(1)})
	api := s.AddDeployKey(org, "api", githubfake.FakeDeployKey{Title: "mirror", Key: pubKey(2), ReadOnly: true})
	s.AddDeployKey(org, "hidden", githubfake.FakeDeployKey{Title: "other", Key: pubKey(3)})
	s.AddRepoSecret(org, "app", githubfake.Secret{Name: "TOKEN"})
	c, _ := appClientFor(t, s, Config{}, githubfake.Installation{RepositorySelection: "selected", Repositories: []string{"app", "api"},
		Permissions: map[string]string{"metadata": "read", "administration": "read"}})
	ctx := context.Background()
	if _, err := c.List(ctx, nhi.ListOptions{}); err == nil {
		t.Fatal("the full scan succeeded: the test's App has too many permissions to tell the listings apart")
	}
	refs := func(ids []nhi.Identity) string {
		var out []string
		for _, id := range ids {
			if id.Kind != KindDeployKey {
				t.Errorf("listed %s %s, not a deploy key", id.Kind, id.Ref)
			}
			out = append(out, id.Ref.String())
		}
		return strings.Join(out, " ")
	}
	ids, err := c.OrganizationDeployKeys(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := refs(ids), "acme/api/"+strconv.FormatInt(api, 10)+" acme/app/"+strconv.FormatInt(app, 10); got != want {
		t.Errorf("all keys: %s, want %s", got, want)
	}
	for _, name := range []string{"app", "acme/app", "ACME/App"} {
		ids, err := c.OrganizationDeployKeys(ctx, []string{name})
		if err != nil {
			t.Fatal(name, err)
		}
		if got, want := refs(ids), "acme/app/"+strconv.FormatInt(app, 10); got != want {
			t.Errorf("keys of %s: %s, want %s", name, got, want)
		}
	}
	_, err = c.OrganizationDeployKeys(ctx, []string{"someone-else/app"})
	if err == nil || !strings.Contains(err.Error(), `"someone-else/app" is not in organisation acme`) {
		t.Errorf("another owner's repository: %v, want an error naming organisation acme", err)
	}
}

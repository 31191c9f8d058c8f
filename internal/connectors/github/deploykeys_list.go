package github

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// OrganizationDeployKeys lists deploy keys and nothing else: those of the named
// repositories ("<owner>/<repo>" of the organisation, or a repository's
// name), or with none named those of every repository of the organisation
// that the client's repository filter (Config.Repositories, Config.Topics)
// keeps. It reads the repository listing and each repository's deploy
// keys only, never the App installations, fine-grained token grants,
// Actions secrets or webhooks that Scan reads, so the Administration
// (read) repository permission is all it needs. It makes no coverage check
// either: a GitHub App installed on selected repositories lists the keys
// of the repositories it was given, the ones it can govern.
//
// A repository of another owner is an error (the client reads one
// organisation). Keys are sorted by reference.
func (c *Client) OrganizationDeployKeys(ctx context.Context, repositories []string) ([]nhi.Identity, error) {
	want := map[string]bool{}
	for _, r := range repositories {
		name := r
		if o, n, ok := strings.Cut(r, "/"); ok {
			if !strings.EqualFold(o, c.org) {
				return nil, fmt.Errorf("repository %q is not in organisation %s, the only one the provider's github block reads: name a repository of %s (%s/<repo> or the repository's name), or set the block's organization to %s", r, c.org, c.org, c.org, o)
			}
			name = n
		}
		want[strings.ToLower(name)] = true
	}
	if _, err := c.auth.token(ctx); err != nil {
		return nil, fmt.Errorf("the deploy keys of organisation %s were not listed: %w", c.org, err)
	}
	p := scanParts{keys: true}
	if len(want) > 0 {
		p.repos = want
	}
	ids, err := c.scanRepositories(ctx, p)
	sort.Slice(ids, func(i, j int) bool { return ids[i].Ref.String() < ids[j].Ref.String() })
	if err != nil {
		return ids, fmt.Errorf("the deploy keys of organisation %s were not all listed: %w", c.org, err)
	}
	return ids, nil
}

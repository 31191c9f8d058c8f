package github

import (
	"context"
	"fmt"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

var _ nhi.Scanner = (*Client)(nil)

// List returns the organisation's identities in one page (a scan; GitHub's
// listings are paginated underneath). Locations are kinds' locations; see
// Scan.
func (c *Client) List(ctx context.Context, opts nhi.ListOptions) (nhi.Page, error) {
	ids, err := c.Scan(ctx, opts.Locations)
	if err != nil {
		return nhi.Page{}, err
	}
	var page nhi.Page
	for _, id := range ids {
		if opts.Declared != nil && id.Declared != *opts.Declared {
			continue
		}
		if opts.Owner != "" && id.Governance.Owner != opts.Owner {
			continue
		}
		page.Identities = append(page.Identities, id)
	}
	return page, nil
}

// Get returns one identity by reference, or an error wrapping
// nhi.ErrNotFound.
func (c *Client) Get(ctx context.Context, ref nhi.Ref) (nhi.Identity, error) {
	ids, err := c.Scan(ctx, nil)
	if err != nil {
		return nhi.Identity{}, err
	}
	for _, id := range ids {
		if id.Ref == ref {
			return id, nil
		}
	}
	return nhi.Identity{}, fmt.Errorf("GitHub identity %s of organisation %s: %w", ref, c.org, nhi.ErrNotFound)
}

// Scan reads the organisation's machine access.
func (c *Client) Scan(ctx context.Context, locations []string) ([]nhi.Identity, error) {
	return nil, fmt.Errorf("github: the inventory is not implemented yet")
}

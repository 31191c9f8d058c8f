package aws

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"golang.org/x/sync/errgroup"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

var _ nhi.Scanner = (*Client)(nil)

// Locations of the normalized model: an IAM identity is "user/<name>" or
// "role/<name>".
const (
	LocationUser = "user"
	LocationRole = "role"
)

// detailWorkers bounds the concurrent per-identity reads of a listing.
const detailWorkers = 8

// Get reads one user ("user/<name>") or role ("role/<name>").
func (c *Client) Get(ctx context.Context, ref nhi.Ref) (nhi.Identity, error) {
	switch ref.Location {
	case LocationUser:
		d, err := c.GetUser(ctx, ref.Name)
		return d.Identity, err
	case LocationRole:
		d, err := c.GetRole(ctx, ref.Name)
		return d.Identity, err
	}
	return nhi.Identity{}, fmt.Errorf("%q is not an AWS identity reference: expected user/<name> or role/<name>: %w", ref.String(), nhi.ErrNotFound)
}

// List returns one page of users, then of roles. Locations ("user",
// "role") limit it; the page token carries IAM's marker.
func (c *Client) List(ctx context.Context, opts nhi.ListOptions) (nhi.Page, error) {
	want := map[string]bool{LocationUser: len(opts.Locations) == 0, LocationRole: len(opts.Locations) == 0}
	for _, l := range opts.Locations {
		want[l] = true
	}
	kind, marker, _ := strings.Cut(opts.PageToken, ":")
	if kind == "" {
		kind = LocationUser
	}
	var max *int32
	if opts.PageSize > 0 {
		max = aws.Int32(int32(opts.PageSize))
	}
	var mk *string
	if marker != "" {
		mk = aws.String(marker)
	}
	var page nhi.Page
	var ids []Details
	var err error
	if kind == LocationUser {
		if want[LocationUser] {
			var next *string
			ids, next, err = c.listUsers(ctx, mk, max, nil)
			if next != nil {
				page.NextPageToken = LocationUser + ":" + *next
			} else if want[LocationRole] {
				page.NextPageToken = LocationRole + ":"
			}
		} else {
			kind = LocationRole
		}
	}
	if kind == LocationRole && want[LocationRole] {
		var next *string
		ids, next, err = c.listRoles(ctx, mk, max, nil)
		if next != nil {
			page.NextPageToken = LocationRole + ":" + *next
		}
	}
	if err != nil {
		return nhi.Page{}, err
	}
	for _, d := range ids {
		if opts.Declared != nil && d.Declared != *opts.Declared {
			continue
		}
		if opts.Owner != "" && d.Governance.Owner != opts.Owner {
			continue
		}
		page.Identities = append(page.Identities, d.Identity)
	}
	return page, nil
}

func (c *Client) listUsers(ctx context.Context, marker *string, max *int32, cache *policyCache) ([]Details, *string, error) {
	out, err := c.iam.ListUsers(ctx, &iam.ListUsersInput{Marker: marker, MaxItems: max})
	if err != nil {
		return nil, nil, wrap(err, "listing IAM users")
	}
	ds, err := details(ctx, out.Users, func(ctx context.Context, u types.User) (Details, error) { return c.userDetails(ctx, u, cache) })
	if !out.IsTruncated {
		return ds, nil, err
	}
	return ds, out.Marker, err
}

func (c *Client) listRoles(ctx context.Context, marker *string, max *int32, cache *policyCache) ([]Details, *string, error) {
	out, err := c.iam.ListRoles(ctx, &iam.ListRolesInput{Marker: marker, MaxItems: max})
	if err != nil {
		return nil, nil, wrap(err, "listing IAM roles")
	}
	ds, err := details(ctx, out.Roles, func(ctx context.Context, r types.Role) (Details, error) { return c.roleDetails(ctx, r, cache) })
	if !out.IsTruncated {
		return ds, nil, err
	}
	return ds, out.Marker, err
}

// details reads each listed entity's details, a few at a time, keeping the
// listing's order. An entity deleted meanwhile is left out.
func details[T any](ctx context.Context, items []T, read func(context.Context, T) (Details, error)) ([]Details, error) {
	out := make([]Details, len(items))
	found := make([]bool, len(items))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(detailWorkers)
	for i := range items {
		g.Go(func() error {
			d, err := read(gctx, items[i])
			if IsNotFound(err) {
				return nil
			}
			if err != nil {
				return err
			}
			out[i], found[i] = d, true
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	kept := out[:0]
	for i, d := range out {
		if found[i] {
			kept = append(kept, d)
		}
	}
	return kept, nil
}

// Scan reads every user and role with what the drift rules need: access key
// last use and the policies that grant everything. Locations ("user",
// "role") limit it.
func (c *Client) Scan(ctx context.Context, locations []string) ([]nhi.Identity, error) {
	want := map[string]bool{LocationUser: len(locations) == 0, LocationRole: len(locations) == 0}
	for _, l := range locations {
		want[l] = true
	}
	cache := &policyCache{docs: map[string]bool{}}
	var out []nhi.Identity
	for _, list := range []struct {
		location string
		page     func(context.Context, *string, *int32, *policyCache) ([]Details, *string, error)
	}{{LocationUser, c.listUsers}, {LocationRole, c.listRoles}} {
		if !want[list.location] {
			continue
		}
		page := list.page
		ids, err := followMarkers(ctx, list.location, func(ctx context.Context, marker *string) ([]Details, *string, error) {
			return page(ctx, marker, nil, cache)
		})
		out = append(out, ids...)
		if err != nil {
			return out, err
		}
	}
	return out, nil
}

// followMarkers reads every page of one IAM listing, following its Marker.
// A marker that comes back a second time would make the listing loop
// forever: it fails the scan, naming the marker.
func followMarkers(ctx context.Context, location string, page func(context.Context, *string) ([]Details, *string, error)) ([]nhi.Identity, error) {
	var out []nhi.Identity
	seen := map[string]bool{}
	var marker *string
	for {
		ds, next, err := page(ctx, marker)
		if err != nil {
			return out, err
		}
		for _, d := range ds {
			out = append(out, d.Identity)
		}
		if next == nil {
			return out, nil
		}
		if seen[*next] {
			return out, fmt.Errorf("listing IAM %ss: IAM returned marker %q again after %d pages; the listing would never end", location, *next, len(seen)+1)
		}
		seen[*next] = true
		marker = next
	}
}

// policyCache remembers, per managed policy ARN and per group, whether it
// grants everything, for the length of one scan. Only answers are
// remembered: a read that failed fails the scan, and is never taken for
// "does not grant everything".
type policyCache struct {
	mu   sync.Mutex
	docs map[string]bool
}

func (p *policyCache) get(key string) (v, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok = p.docs[key]
	return v, ok
}

func (p *policyCache) put(key string, v bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.docs[key] = v
}

func (p *policyCache) grantsEverything(ctx context.Context, c *Client, arn string) (bool, error) {
	if v, ok := p.get(arn); ok {
		return v, nil
	}
	v, err := c.managedPolicyGrantsEverything(ctx, arn)
	if err != nil {
		return false, err
	}
	p.put(arn, v)
	return v, nil
}

// managedPolicyGrantsEverything reads a managed policy's default version.
func (c *Client) managedPolicyGrantsEverything(ctx context.Context, arn string) (bool, error) {
	pol, err := c.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		return false, grantReadFailed(err, "reading managed policy "+arn)
	}
	if pol.Policy == nil || aws.ToString(pol.Policy.DefaultVersionId) == "" {
		return false, grantReadFailed(errors.New("IAM's answer names no default version"), "reading managed policy "+arn)
	}
	version := aws.ToString(pol.Policy.DefaultVersionId)
	ver, err := c.iam.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(version)})
	if err != nil {
		return false, grantReadFailed(err, fmt.Sprintf("reading version %s of managed policy %s", version, arn))
	}
	if ver.PolicyVersion == nil {
		return false, grantReadFailed(errors.New("IAM's answer holds no document"), fmt.Sprintf("reading version %s of managed policy %s", version, arn))
	}
	return GrantsEverything(decodeDocument(aws.ToString(ver.PolicyVersion.Document))), nil
}

// PolicyExists reports whether a managed policy exists.
func (c *Client) PolicyExists(ctx context.Context, arn string) (bool, error) {
	_, err := c.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err = wrap(err, "reading managed policy "+arn); IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// groupGrantsEverything reports whether any policy of a group, attached or
// inline, allows every action on every resource. Both lists are read page
// by page; a read that fails is an error.
func (p *policyCache) groupGrantsEverything(ctx context.Context, c *Client, group string) (bool, error) {
	key := "group:" + group
	if v, ok := p.get(key); ok {
		return v, nil
	}
	v, err := c.groupGrantsEverything(ctx, p, group)
	if err != nil {
		return false, err
	}
	p.put(key, v)
	return v, nil
}

func (c *Client) groupGrantsEverything(ctx context.Context, p *policyCache, group string) (bool, error) {
	att := iam.NewListAttachedGroupPoliciesPaginator(c.iam, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String(group)})
	for att.HasMorePages() {
		page, err := att.NextPage(ctx)
		if err != nil {
			return false, grantReadFailed(err, "listing the managed policies of IAM group "+group)
		}
		for _, a := range page.AttachedPolicies {
			if ok, err := p.grantsEverything(ctx, c, aws.ToString(a.PolicyArn)); err != nil || ok {
				return ok, err
			}
		}
	}
	names := iam.NewListGroupPoliciesPaginator(c.iam, &iam.ListGroupPoliciesInput{GroupName: aws.String(group)})
	for names.HasMorePages() {
		page, err := names.NextPage(ctx)
		if err != nil {
			return false, grantReadFailed(err, "listing the inline policies of IAM group "+group)
		}
		for _, n := range page.PolicyNames {
			doc, err := c.iam.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String(group), PolicyName: aws.String(n)})
			if err != nil {
				return false, grantReadFailed(err, fmt.Sprintf("reading inline policy %s of IAM group %s", n, group))
			}
			if GrantsEverything(decodeDocument(aws.ToString(doc.PolicyDocument))) {
				return true, nil
			}
		}
	}
	return false, nil
}

// GroupExists reports whether an IAM group exists.
func (c *Client) GroupExists(ctx context.Context, name string) (bool, error) {
	_, err := c.iam.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String(name), MaxItems: aws.Int32(1)})
	if err = wrap(err, "reading IAM group "+name); IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

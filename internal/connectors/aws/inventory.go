package aws

import (
	"context"
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
		var marker *string
		for {
			ds, next, err := list.page(ctx, marker, nil, cache)
			if err != nil {
				return out, err
			}
			for _, d := range ds {
				out = append(out, d.Identity)
			}
			if next == nil {
				break
			}
			marker = next
		}
	}
	return out, nil
}

// policyCache remembers, per managed policy ARN, whether its default
// version grants everything, for the length of one scan.
type policyCache struct {
	mu   sync.Mutex
	docs map[string]bool
}

func (p *policyCache) grantsEverything(ctx context.Context, c *Client, arn string) bool {
	p.mu.Lock()
	v, ok := p.docs[arn]
	p.mu.Unlock()
	if ok {
		return v
	}
	v = c.managedPolicyGrantsEverything(ctx, arn)
	p.mu.Lock()
	p.docs[arn] = v
	p.mu.Unlock()
	return v
}

// managedPolicyGrantsEverything reads a managed policy's default version.
// A policy it cannot read counts as not granting everything; the drift
// rules still flag AdministratorAccess by name (privileged_scopes).
func (c *Client) managedPolicyGrantsEverything(ctx context.Context, arn string) bool {
	pol, err := c.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil || pol.Policy == nil {
		return false
	}
	ver, err := c.iam.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: pol.Policy.DefaultVersionId})
	if err != nil || ver.PolicyVersion == nil {
		return false
	}
	return GrantsEverything(decodeDocument(aws.ToString(ver.PolicyVersion.Document)))
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
// inline, allows every action on every resource. A group it cannot read
// counts as not granting everything.
func (p *policyCache) groupGrantsEverything(ctx context.Context, c *Client, group string) bool {
	key := "group:" + group
	p.mu.Lock()
	v, ok := p.docs[key]
	p.mu.Unlock()
	if ok {
		return v
	}
	v = false
	if att, err := c.iam.ListAttachedGroupPolicies(ctx, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String(group)}); err == nil {
		for _, a := range att.AttachedPolicies {
			if p.grantsEverything(ctx, c, aws.ToString(a.PolicyArn)) {
				v = true
			}
		}
	}
	if names, err := c.iam.ListGroupPolicies(ctx, &iam.ListGroupPoliciesInput{GroupName: aws.String(group)}); err == nil && !v {
		for _, n := range names.PolicyNames {
			doc, err := c.iam.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String(group), PolicyName: aws.String(n)})
			if err == nil && GrantsEverything(decodeDocument(aws.ToString(doc.PolicyDocument))) {
				v = true
			}
		}
	}
	p.mu.Lock()
	p.docs[key] = v
	p.mu.Unlock()
	return v
}

// GroupExists reports whether an IAM group exists.
func (c *Client) GroupExists(ctx context.Context, name string) (bool, error) {
	_, err := c.iam.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String(name), MaxItems: aws.Int32(1)})
	if err = wrap(err, "reading IAM group "+name); IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

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
	ds, err := details(ctx, out.Users, func(ctx context.Context, u types.User) (Details, error) {
		d, err := c.userDetails(ctx, u, cache)
		if err != nil {
			return d, err
		}
		return d, c.withCapabilities(ctx, &d, cache)
	})
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
	ds, err := details(ctx, out.Roles, func(ctx context.Context, r types.Role) (Details, error) {
		d, err := c.roleDetails(ctx, r, cache)
		if err != nil {
			return d, err
		}
		return d, c.withCapabilities(ctx, &d, cache)
	})
	if !out.IsTruncated {
		return ds, nil, err
	}
	return ds, out.Marker, err
}

// withCapabilities resolves a listed identity's risky capabilities
// (access.go). A scan (scan set) fails when a policy or group the identity
// holds cannot be read, as its wildcard reads do; an inventory listing
// reads through the command's cache and marks the capabilities unknown
// when the provider's credentials may not read a policy or group (or it
// went away meanwhile), rather than failing or reporting none.
func (c *Client) withCapabilities(ctx context.Context, d *Details, scan *policyCache) error {
	cache := scan
	if cache == nil {
		cache = c.commandCache()
	}
	err := c.identityCapabilities(ctx, d, cache)
	if err != nil && scan == nil && (errors.Is(err, ErrForbidden) || errors.Is(err, nhi.ErrNotFound)) {
		d.Capabilities, d.CapabilitiesUnknown = nil, true
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s %s: %w", d.Ref.Location, d.Ref.Name, err)
	}
	return nil
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
// last use, the policies that grant everything and the risky capabilities
// (access.go), each managed policy and group read once. Locations ("user",
// "role") limit it.
func (c *Client) Scan(ctx context.Context, locations []string) ([]nhi.Identity, error) {
	want := map[string]bool{LocationUser: len(locations) == 0, LocationRole: len(locations) == 0}
	for _, l := range locations {
		want[l] = true
	}
	cache := newPolicyCache()
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

// policyCache remembers, for the length of one scan (or, as commandCache,
// one command), per managed policy ARN and per group, whether it grants
// everything, the parsed statements of each managed policy's default
// version, and each group's attached policies and inline documents. Only
// answers are remembered: a read that failed fails the scan, and is never
// taken for "does not grant everything" or "grants nothing". Concurrent
// readers of one key wait for the first one's read.
type policyCache struct {
	mu   sync.Mutex
	docs map[string]bool
	once map[string]*cacheEntry
}

type cacheEntry struct {
	ready chan struct{} // closed once val and err are set
	val   any
	err   error
}

func newPolicyCache() *policyCache { return &policyCache{docs: map[string]bool{}} }

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

// load returns the answer of read for key, reading it once; a failure is
// returned to the callers waiting for it and then forgotten.
func (p *policyCache) load(key string, read func() (any, error)) (any, error) {
	p.mu.Lock()
	if p.once == nil {
		p.once = map[string]*cacheEntry{}
	}
	e, ok := p.once[key]
	if !ok {
		e = &cacheEntry{ready: make(chan struct{})}
		p.once[key] = e
	}
	p.mu.Unlock()
	if !ok {
		e.val, e.err = read()
		close(e.ready)
	}
	<-e.ready
	if e.err != nil {
		p.mu.Lock()
		if p.once[key] == e {
			delete(p.once, key)
		}
		p.mu.Unlock()
	}
	return e.val, e.err
}

// document returns the default version of a managed policy.
func (p *policyCache) document(ctx context.Context, c *Client, arn string) (string, error) {
	v, err := p.load("doc\x00"+arn, func() (any, error) { return c.managedPolicyDocument(ctx, arn) })
	if err != nil {
		return "", err
	}
	return v.(string), nil
}

// statements returns the parsed statements of a managed policy's default
// version, parsed once.
func (p *policyCache) statements(ctx context.Context, c *Client, arn string) ([]statement, error) {
	doc, err := p.document(ctx, c, arn)
	if err != nil {
		return nil, err
	}
	v, err := p.load("stmts\x00"+arn, func() (any, error) { return parsed(doc) })
	if err != nil {
		return nil, fmt.Errorf("managed policy %s: %w", arn, err)
	}
	return v.([]statement), nil
}

func (p *policyCache) grantsEverything(ctx context.Context, c *Client, arn string) (bool, error) {
	if v, ok := p.get(arn); ok {
		return v, nil
	}
	doc, err := p.document(ctx, c, arn)
	if err != nil {
		return false, err
	}
	v := GrantsEverything(doc)
	p.put(arn, v)
	return v, nil
}

// managedPolicyDocument reads a managed policy's default version.
func (c *Client) managedPolicyDocument(ctx context.Context, arn string) (string, error) {
	pol, err := c.iam.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(arn)})
	if err != nil {
		return "", grantReadFailed(err, "reading managed policy "+arn)
	}
	if pol.Policy == nil || aws.ToString(pol.Policy.DefaultVersionId) == "" {
		return "", grantReadFailed(errors.New("IAM's answer names no default version"), "reading managed policy "+arn)
	}
	version := aws.ToString(pol.Policy.DefaultVersionId)
	ver, err := c.iam.GetPolicyVersion(ctx, &iam.GetPolicyVersionInput{PolicyArn: aws.String(arn), VersionId: aws.String(version)})
	if err != nil {
		return "", grantReadFailed(err, fmt.Sprintf("reading version %s of managed policy %s", version, arn))
	}
	if ver.PolicyVersion == nil {
		return "", grantReadFailed(errors.New("IAM's answer holds no document"), fmt.Sprintf("reading version %s of managed policy %s", version, arn))
	}
	return decodeDocument(aws.ToString(ver.PolicyVersion.Document)), nil
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
	v, err := p.groupEverything(ctx, c, group)
	if err != nil {
		return false, err
	}
	p.put(key, v)
	return v, nil
}

func (p *policyCache) groupEverything(ctx context.Context, c *Client, group string) (bool, error) {
	arns, err := p.groupAttached(ctx, c, group)
	if err != nil {
		return false, err
	}
	for _, a := range arns {
		if ok, err := p.grantsEverything(ctx, c, a); err != nil || ok {
			return ok, err
		}
	}
	docs, err := p.groupInline(ctx, c, group)
	if err != nil {
		return false, err
	}
	for _, n := range nhi.SortedKeys(docs) {
		if GrantsEverything(docs[n]) {
			return true, nil
		}
	}
	return false, nil
}

// groupAttached lists the managed policies attached to a group, once.
func (p *policyCache) groupAttached(ctx context.Context, c *Client, group string) ([]string, error) {
	v, err := p.load("group-attached\x00"+group, func() (any, error) {
		var out []string
		att := iam.NewListAttachedGroupPoliciesPaginator(c.iam, &iam.ListAttachedGroupPoliciesInput{GroupName: aws.String(group)})
		for att.HasMorePages() {
			page, err := att.NextPage(ctx)
			if err != nil {
				return nil, grantReadFailed(err, "listing the managed policies of IAM group "+group)
			}
			for _, a := range page.AttachedPolicies {
				out = append(out, aws.ToString(a.PolicyArn))
			}
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return v.([]string), nil
}

// groupInline reads the inline policies of a group, once.
func (p *policyCache) groupInline(ctx context.Context, c *Client, group string) (map[string]string, error) {
	v, err := p.load("group-inline\x00"+group, func() (any, error) {
		out := map[string]string{}
		names := iam.NewListGroupPoliciesPaginator(c.iam, &iam.ListGroupPoliciesInput{GroupName: aws.String(group)})
		for names.HasMorePages() {
			page, err := names.NextPage(ctx)
			if err != nil {
				return nil, grantReadFailed(err, "listing the inline policies of IAM group "+group)
			}
			for _, n := range page.PolicyNames {
				doc, err := c.iam.GetGroupPolicy(ctx, &iam.GetGroupPolicyInput{GroupName: aws.String(group), PolicyName: aws.String(n)})
				if err != nil {
					return nil, grantReadFailed(err, fmt.Sprintf("reading inline policy %s of IAM group %s", n, group))
				}
				out[n] = decodeDocument(aws.ToString(doc.PolicyDocument))
			}
		}
		return out, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(map[string]string), nil
}

// GroupExists reports whether an IAM group exists.
func (c *Client) GroupExists(ctx context.Context, name string) (bool, error) {
	_, err := c.iam.GetGroup(ctx, &iam.GetGroupInput{GroupName: aws.String(name), MaxItems: aws.Int32(1)})
	if err = wrap(err, "reading IAM group "+name); IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

package aws

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/cleanup"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// Details is an IAM user or role as found, with what the Terraform layer
// compares against a declaration beyond the normalized identity.
type Details struct {
	nhi.Identity
	ARN string
}

// grants are an entity's attached and inline policies and, for users,
// group memberships.
type grants struct {
	attached []string
	inline   map[string]string
	groups   []string
}

func (g grants) scopes() []string {
	out := make([]string, 0, len(g.attached)+len(g.inline))
	for _, a := range g.attached {
		out = append(out, "policy:"+a)
	}
	for n := range g.inline {
		out = append(out, "inline:"+n)
	}
	for _, n := range g.groups {
		out = append(out, "group:"+n)
	}
	return nhi.SortedUnique(out)
}

// wildcard lists the scopes whose document allows every action on every
// resource. Managed policy documents are looked up once per ARN in cache.
// A policy or group it cannot read is an error: a scan that guessed "not a
// wildcard" would report complete on partial data.
func (c *Client) wildcard(ctx context.Context, g grants, cache *policyCache) ([]string, error) {
	var out []string
	for _, a := range g.attached {
		ok, err := cache.grantsEverything(ctx, c, a)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, "policy:"+a)
		}
	}
	for n, doc := range g.inline {
		if GrantsEverything(doc) {
			out = append(out, "inline:"+n)
		}
	}
	for _, n := range g.groups {
		ok, err := cache.groupGrantsEverything(ctx, c, n)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, "group:"+n)
		}
	}
	return nhi.SortedUnique(out), nil
}

func (c *Client) readGrants(ctx context.Context, e entity) (grants, error) {
	attached, err := e.listAttached(ctx)
	if err != nil {
		return grants{}, err
	}
	names, err := e.listInline(ctx)
	if err != nil {
		return grants{}, err
	}
	inline := make(map[string]string, len(names))
	for _, n := range names {
		doc, err := e.getInline(ctx, n)
		if err != nil {
			return grants{}, err
		}
		inline[n] = doc
	}
	groups, err := e.listGroups(ctx)
	if err != nil {
		return grants{}, err
	}
	sort.Strings(attached)
	sort.Strings(groups)
	return grants{attached: attached, inline: inline, groups: groups}, nil
}

// reconcileGrants makes the entity hold exactly the wanted policies: it adds
// what is missing first and removes what nobody declared last, so a failure
// half-way never leaves the identity with less than was declared.
func (c *Client) reconcileGrants(ctx context.Context, e entity, want grants) error {
	arns, inline := want.attached, want.inline
	have, err := c.readGrants(ctx, e)
	if err != nil {
		return err
	}
	haveGroup := map[string]bool{}
	for _, g := range have.groups {
		haveGroup[g] = true
	}
	wantGroup := map[string]bool{}
	for _, g := range want.groups {
		wantGroup[g] = true
		if !haveGroup[g] {
			if err := c.untilVisible(ctx, func() error { return e.addToGroup(ctx, g) }); err != nil {
				return err
			}
		}
	}
	haveARN := map[string]bool{}
	for _, a := range have.attached {
		haveARN[a] = true
	}
	wantARN := map[string]bool{}
	for _, a := range arns {
		wantARN[a] = true
		if !haveARN[a] {
			if err := c.untilVisible(ctx, func() error { return e.attach(ctx, a) }); err != nil {
				return err
			}
		}
	}
	for _, n := range nhi.SortedKeys(inline) {
		if cur, ok := have.inline[n]; ok && EquivalentPolicies(cur, inline[n]) {
			continue
		}
		if err := c.untilVisible(ctx, func() error { return e.putInline(ctx, n, inline[n]) }); err != nil {
			return err
		}
	}
	for _, g := range have.groups {
		if !wantGroup[g] {
			if err := e.removeFromGroup(ctx, g); err != nil && !IsNotFound(err) {
				return err
			}
		}
	}
	for _, a := range have.attached {
		if !wantARN[a] {
			if err := e.detach(ctx, a); err != nil && !IsNotFound(err) {
				return err
			}
		}
	}
	for _, n := range nhi.SortedKeys(have.inline) {
		if _, ok := inline[n]; !ok {
			if err := e.deleteInline(ctx, n); err != nil && !IsNotFound(err) {
				return err
			}
		}
	}
	return nil
}

// reconcileTags makes the entity's tags exactly want: governance markers
// and user tags are authoritative, so tags added out of band are removed.
func (c *Client) reconcileTags(ctx context.Context, e entity, want map[string]string) error {
	have, err := e.listTags(ctx)
	if err != nil {
		return err
	}
	var stale []string
	cur := map[string]string{}
	for _, t := range have {
		k := aws.ToString(t.Key)
		cur[k] = aws.ToString(t.Value)
		if _, ok := want[k]; !ok {
			stale = append(stale, k)
		}
	}
	changed := map[string]string{}
	for k, v := range want {
		if old, ok := cur[k]; !ok || old != v {
			changed[k] = v
		}
	}
	if len(changed) > 0 {
		if err := c.untilVisible(ctx, func() error { return e.tag(ctx, toTags(changed)) }); err != nil {
			return err
		}
	}
	if len(stale) > 0 {
		sort.Strings(stale)
		if err := e.untag(ctx, stale); err != nil {
			return err
		}
	}
	return nil
}

// specTags are the tags a spec asks for; disabledAt is zero unless the
// identity is being (or stays) disabled.
func (c *Client) specTags(s nhi.Spec, disabledAt time.Time) map[string]string {
	return c.Tags.governanceTags(s.Governance, s.Labels, disabledAt)
}

// wantGrants turns declared scopes into the grants to hold, with the
// documents of the declared inline policies.
func wantGrants(g nhi.Governance, docs map[string]string) (grants, error) {
	sp, err := SplitScopes(g.Scopes)
	if err != nil {
		return grants{}, err
	}
	inline := map[string]string{}
	for _, n := range sp.Inline {
		inline[n] = docs[n]
	}
	return grants{attached: sp.ARNs, inline: inline, groups: sp.Groups}, nil
}

// currentDisabledAt keeps the first disable time across updates.
func currentDisabledAt(ctx context.Context, e entity, m Markers, now time.Time) time.Time {
	tags, err := e.listTags(ctx)
	if err == nil {
		for _, t := range tags {
			if aws.ToString(t.Key) == m.DisabledAt() {
				if ts, perr := time.Parse(time.RFC3339, aws.ToString(t.Value)); perr == nil {
					return ts
				}
			}
		}
	}
	return now
}

// createFailed explains a failed create, with the way out when the name is
// taken.
func createFailed(err error, noun, name string) error {
	err = wrap(err, "creating "+noun+" "+name)
	if errors.Is(err, ErrAlreadyExists) {
		return fmt.Errorf("%w\n\nAn %s named %q exists already. Import it (terraform import <address> %s) to declare it, or choose another name", err, noun, name, name)
	}
	return err
}

// ErrNotReadBack is wrapped when an entity was created and given its
// grants, but reading it back failed (IAM unreachable, the apply cancelled,
// the entity not yet visible). The entity exists: the Details returned with
// it hold what the create answer and the spec say, so the caller records it
// rather than orphaning it, and the next read refreshes it.
var ErrNotReadBack = errors.New("created, but reading it back failed")

// finishCreate gives a just-created entity its declared grants, removes the
// create token of the tags it was created with (sent), and reads it back.
// When granting fails the entity is deleted again, with a cleanup
// context that survives the cancellation of ctx, so nothing half-made is
// left. When only the read-back fails, made (the entity as the create
// answer described it) is returned with the declared grants and an error
// wrapping ErrNotReadBack.
func (c *Client) finishCreate(ctx context.Context, e entity, want grants, made Details, sent []types.Tag,
	del func(context.Context, string) error, get func(context.Context, string) (Details, error)) (Details, error) {
	noun := "IAM " + e.kind()
	if err := c.reconcileGrants(ctx, e, want); err != nil {
		if derr := cleanup.Do(ctx, func(cctx context.Context) error { return del(cctx, e.name()) }); derr != nil {
			return Details{}, fmt.Errorf("%w; removing the half-created %s failed too: %v (delete %s %s by hand)", err, e.kind(), derr, noun, e.name())
		}
		return Details{}, fmt.Errorf("%w (the %s was deleted again; nothing was left behind)", err, e.kind())
	}
	c.dropToken(ctx, e, sent)
	var d Details
	err := c.untilVisible(ctx, func() (gerr error) { d, gerr = get(ctx, e.name()); return gerr })
	if err != nil {
		made.EffectiveScopes = want.scopes()
		made.InlinePolicies = want.inline
		return made, fmt.Errorf("%s %s was %w: %w", noun, e.name(), ErrNotReadBack, err)
	}
	return d, nil
}

// readGoverned fills what users and roles share: governance from the tags
// (listed when the answer that found the entity left them out, as ListUsers
// and ListRoles do), and the grants, with wildcard ones when cache is set.
func (c *Client) readGoverned(ctx context.Context, e entity, tags []types.Tag, d *Details, cache *policyCache) error {
	if len(tags) == 0 {
		var err error
		if tags, err = e.listTags(ctx); err != nil {
			return err
		}
	}
	c.Tags.read(tags, &d.Identity)
	g, err := c.readGrants(ctx, e)
	if err != nil {
		return err
	}
	d.InlinePolicies = g.inline
	d.EffectiveScopes = g.scopes()
	if cache != nil {
		if d.WildcardScopes, err = c.wildcard(ctx, g, cache); err != nil {
			return fmt.Errorf("%s %s: %w", e.kind(), e.name(), err)
		}
	}
	return nil
}

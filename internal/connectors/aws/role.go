package aws

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// RoleSpec is a declared workload role.
type RoleSpec = PrincipalSpec

func (c *Client) role(name string) roleEntity { return roleEntity{c: c.iam, n: name} }

// GetRole reads a role with its tags, trust policy and grants.
func (c *Client) GetRole(ctx context.Context, name string) (Details, error) {
	out, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return Details{}, wrap(err, "reading IAM role "+name)
	}
	return c.roleDetails(ctx, *out.Role, nil)
}

func (c *Client) roleDetails(ctx context.Context, r types.Role, cache *policyCache) (Details, error) {
	e := c.role(aws.ToString(r.RoleName))
	d := roleIdentity(r)
	if err := c.readGoverned(ctx, e, r.Tags, &d, cache); err != nil {
		return Details{}, err
	}
	return d, nil
}

// roleIdentity is what an IAM answer (GetRole, ListRoles, CreateRole) says
// about a role itself.
func roleIdentity(r types.Role) Details {
	trust := decodeDocument(aws.ToString(r.AssumeRolePolicyDocument))
	d := Details{ARN: aws.ToString(r.Arn)}
	d.Identity = nhi.Identity{
		System: SystemName, Kind: KindIAMRole, ID: aws.ToString(r.RoleId), Ref: RoleRef(aws.ToString(r.RoleName)),
		Path: aws.ToString(r.Path), CreatedAt: aws.ToTime(r.CreateDate).UTC(), Trusts: AnalyzeTrust(trust), TrustPolicy: trust,
	}
	if r.RoleLastUsed != nil && r.RoleLastUsed.LastUsedDate != nil {
		t := r.RoleLastUsed.LastUsedDate.UTC()
		d.LastUsedAt = &t
	}
	return d
}

// CreateRole creates a declared role (adopting the one its own attempt
// made after a lost answer, create.go), and deletes it again when granting
// its scopes fails; when only reading it back fails, what was made is
// returned with an error wrapping ErrNotReadBack.
func (c *Client) CreateRole(ctx context.Context, s RoleSpec) (Details, error) {
	want, err := wantGrants(s.Governance, s.InlinePolicies)
	if err != nil {
		return Details{}, err
	}
	name := s.Ref.Name
	token := newCreateToken()
	tags := c.createTags(c.specTags(s.Spec, time.Time{}), token)
	// Retried like any call: a repeat meets EntityAlreadyExists, and the
	// token tells whether this create made the role (create.go).
	var ran attempts
	out, err := c.iam.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String(name), Path: aws.String(s.path()), AssumeRolePolicyDocument: aws.String(s.TrustPolicy),
		Tags: tags,
	}, ran.observe)
	made := Details{Identity: nhi.Identity{System: SystemName, Kind: KindIAMRole, Ref: RoleRef(name), Path: s.path()}}
	switch {
	case err != nil:
		if made, err = c.settleCreate(ctx, c.role(name), token, err, &ran, c.findRole, c.DeleteRole); err != nil {
			return Details{}, err
		}
	case out.Role != nil:
		made = roleIdentity(*out.Role)
	}
	if made.TrustPolicy == "" {
		made.TrustPolicy = s.TrustPolicy
		made.Trusts = AnalyzeTrust(s.TrustPolicy)
	}
	c.Tags.read(tags, &made.Identity)
	return c.finishCreate(ctx, c.role(name), want, made, tags, c.DeleteRole, c.GetRole)
}

// UpdateRole makes a role match its spec: trust policy, tags and grants.
// IAM cannot move a role to another path; the resource replaces it instead.
func (c *Client) UpdateRole(ctx context.Context, s RoleSpec) (Details, error) {
	return c.updateRole(ctx, s, time.Time{})
}

func (c *Client) updateRole(ctx context.Context, s RoleSpec, disabledAt time.Time) (Details, error) {
	want, err := wantGrants(s.Governance, s.InlinePolicies)
	if err != nil {
		return Details{}, err
	}
	if !disabledAt.IsZero() {
		want = grants{}
	}
	name := s.Ref.Name
	cur, err := c.iam.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String(name)})
	if err != nil {
		return Details{}, wrap(err, "reading IAM role "+name)
	}
	if !EquivalentPolicies(decodeDocument(aws.ToString(cur.Role.AssumeRolePolicyDocument)), s.TrustPolicy) {
		if _, err := c.iam.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(name), PolicyDocument: aws.String(s.TrustPolicy)}); err != nil {
			return Details{}, wrap(err, "updating the trust policy of IAM role "+name)
		}
	}
	e := c.role(name)
	if err := c.reconcileTags(ctx, e, c.specTags(s.Spec, disabledAt)); err != nil {
		return Details{}, err
	}
	if err := c.reconcileGrants(ctx, e, want); err != nil {
		return Details{}, err
	}
	return c.GetRole(ctx, name)
}

// DisableRole removes every policy of a role and records when; the role and
// its trust policy stay, so it can be enabled again by extending its expiry.
func (c *Client) DisableRole(ctx context.Context, s RoleSpec, now time.Time) (Details, error) {
	return c.updateRole(ctx, s, currentDisabledAt(ctx, c.role(s.Ref.Name), c.Tags, now))
}

// DeleteRole removes a role with its policies; one already gone is fine.
func (c *Client) DeleteRole(ctx context.Context, name string) error {
	if err := c.reconcileGrants(ctx, c.role(name), grants{}); err != nil {
		if IsNotFound(err) {
			return nil
		}
		return err
	}
	_, err := c.iam.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String(name)})
	if err = wrap(err, "deleting IAM role "+name); err != nil && !IsNotFound(err) {
		return err
	}
	return nil
}

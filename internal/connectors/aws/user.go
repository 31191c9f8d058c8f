package aws

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// UserSpec is a declared IAM service user; its TrustPolicy is not used.
type UserSpec = PrincipalSpec

// UserRef is the reference of an IAM user in the normalized model.
func UserRef(name string) nhi.Ref { return nhi.Ref{Location: "user", Name: name} }

// RoleRef is the reference of an IAM role in the normalized model.
func RoleRef(name string) nhi.Ref { return nhi.Ref{Location: "role", Name: name} }

func (c *Client) user(name string) userEntity { return userEntity{c: c.iam, n: name} }

// GetUser reads a user with its tags, grants and access keys.
func (c *Client) GetUser(ctx context.Context, name string) (Details, error) {
	out, err := c.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
	if err != nil {
		return Details{}, wrap(err, "reading IAM user "+name)
	}
	return c.userDetails(ctx, *out.User, nil)
}

// userDetails completes a user found by GetUser or ListUsers.
func (c *Client) userDetails(ctx context.Context, u types.User, cache *policyCache) (Details, error) {
	name := aws.ToString(u.UserName)
	e := c.user(name)
	d := userIdentity(u)
	if err := c.readGoverned(ctx, e, u.Tags, &d, cache); err != nil {
		return Details{}, err
	}
	keys, err := c.ListAccessKeys(ctx, name, cache != nil)
	if err != nil {
		return Details{}, err
	}
	d.Credentials = keys
	return d, nil
}

// userIdentity is what an IAM answer (GetUser, ListUsers, CreateUser) says
// about a user itself.
func userIdentity(u types.User) Details {
	d := Details{ARN: aws.ToString(u.Arn)}
	d.Identity = nhi.Identity{
		System: SystemName, Kind: KindIAMUser, ID: aws.ToString(u.UserId), Ref: UserRef(aws.ToString(u.UserName)),
		Path: aws.ToString(u.Path), CreatedAt: aws.ToTime(u.CreateDate).UTC(),
	}
	if u.PasswordLastUsed != nil {
		t := u.PasswordLastUsed.UTC()
		d.LastUsedAt = &t
	}
	return d
}

// CreateUser creates a declared user; after a lost answer it adopts the
// user its own attempt made (create.go). When granting its scopes fails,
// the user is deleted again, so nothing half-made is left; when only
// reading it back fails, what was made is returned with an error wrapping
// ErrNotReadBack.
func (c *Client) CreateUser(ctx context.Context, s UserSpec) (Details, error) {
	want, err := wantGrants(s.Governance, s.InlinePolicies)
	if err != nil {
		return Details{}, err
	}
	name := s.Ref.Name
	token := newCreateToken()
	tags := c.createTags(c.specTags(s.Spec, time.Time{}), token)
	// Retried like any call: a repeat meets EntityAlreadyExists, and the
	// token tells whether this create made the user (create.go).
	var ran attempts
	out, err := c.iam.CreateUser(ctx, &iam.CreateUserInput{
		UserName: aws.String(name), Path: aws.String(s.path()), Tags: tags,
	}, ran.observe)
	made := Details{Identity: nhi.Identity{System: SystemName, Kind: KindIAMUser, Ref: UserRef(name), Path: s.path()}}
	switch {
	case err != nil:
		if made, err = c.settleCreate(ctx, c.user(name), token, err, &ran, c.findUser, c.DeleteUser); err != nil {
			return Details{}, err
		}
	case out.User != nil:
		made = userIdentity(*out.User)
	}
	c.Tags.read(tags, &made.Identity)
	return c.finishCreate(ctx, c.user(name), want, made, tags, c.DeleteUser, c.GetUser)
}

// UpdateUser makes a user match its spec: path, tags and exactly the
// declared grants. A user that was disabled is enabled again; its access
// keys stay inactive until their own declarations turn them on.
func (c *Client) UpdateUser(ctx context.Context, s UserSpec) (Details, error) {
	want, err := wantGrants(s.Governance, s.InlinePolicies)
	if err != nil {
		return Details{}, err
	}
	name := s.Ref.Name
	cur, err := c.iam.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
	if err != nil {
		return Details{}, wrap(err, "reading IAM user "+name)
	}
	if aws.ToString(cur.User.Path) != s.path() {
		if _, err := c.iam.UpdateUser(ctx, &iam.UpdateUserInput{UserName: aws.String(name), NewPath: aws.String(s.path())}); err != nil {
			return Details{}, wrap(err, "moving IAM user "+name+" to path "+s.path())
		}
	}
	e := c.user(name)
	if err := c.reconcileTags(ctx, e, c.specTags(s.Spec, time.Time{})); err != nil {
		return Details{}, err
	}
	if err := c.reconcileGrants(ctx, e, want); err != nil {
		return Details{}, err
	}
	return c.GetUser(ctx, name)
}

// DisableUser is what expiry does: every access key is deactivated, every
// policy detached or deleted, and the user kept with a disabled-at tag.
func (c *Client) DisableUser(ctx context.Context, s UserSpec, now time.Time) (Details, error) {
	name := s.Ref.Name
	e := c.user(name)
	keys, err := c.ListAccessKeys(ctx, name, false)
	if err != nil {
		return Details{}, err
	}
	for _, k := range keys {
		if !k.Inactive {
			if err := c.SetAccessKeyActive(ctx, name, k.ID, false); err != nil {
				return Details{}, err
			}
		}
	}
	if err := c.reconcileGrants(ctx, e, grants{}); err != nil {
		return Details{}, err
	}
	if err := c.reconcileTags(ctx, e, c.specTags(s.Spec, currentDisabledAt(ctx, e, c.Tags, now))); err != nil {
		return Details{}, err
	}
	return c.GetUser(ctx, name)
}

// DeleteUser removes a user and what IAM requires gone first: access keys,
// inline and attached policies. A user already gone is not an error.
func (c *Client) DeleteUser(ctx context.Context, name string) error {
	keys, err := c.ListAccessKeys(ctx, name, false)
	if IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := c.DeleteAccessKey(ctx, name, k.ID); err != nil {
			return err
		}
	}
	if err := c.reconcileGrants(ctx, c.user(name), grants{}); err != nil && !IsNotFound(err) {
		return err
	}
	_, err = c.iam.DeleteUser(ctx, &iam.DeleteUserInput{UserName: aws.String(name)})
	if err = wrap(err, "deleting IAM user "+name); err != nil && !IsNotFound(err) {
		return err
	}
	return nil
}

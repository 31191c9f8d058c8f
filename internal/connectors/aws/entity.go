package aws

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
)

// entity is the part of the IAM API that users and roles share under
// different operation names: tags, attached managed policies and inline
// policies. One implementation per kind keeps the reconcile logic single.
type entity interface {
	kind() string // "user" or "role"
	name() string
	listTags(ctx context.Context) ([]types.Tag, error)
	tag(ctx context.Context, tags []types.Tag) error
	untag(ctx context.Context, keys []string) error
	listAttached(ctx context.Context) ([]string, error)
	attach(ctx context.Context, arn string) error
	detach(ctx context.Context, arn string) error
	listInline(ctx context.Context) ([]string, error)
	getInline(ctx context.Context, policy string) (string, error)
	putInline(ctx context.Context, policy, doc string) error
	deleteInline(ctx context.Context, policy string) error
	// Group membership: users only; roles have none.
	listGroups(ctx context.Context) ([]string, error)
	addToGroup(ctx context.Context, group string) error
	removeFromGroup(ctx context.Context, group string) error
}

type userEntity struct {
	c *iam.Client
	n string
}

func (u userEntity) kind() string { return "user" }
func (u userEntity) name() string { return u.n }

func (u userEntity) listTags(ctx context.Context) ([]types.Tag, error) {
	var out []types.Tag
	p := iam.NewListUserTagsPaginator(u.c, &iam.ListUserTagsInput{UserName: aws.String(u.n)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap(err, "listing the tags of IAM user "+u.n)
		}
		out = append(out, page.Tags...)
	}
	return out, nil
}

func (u userEntity) tag(ctx context.Context, tags []types.Tag) error {
	_, err := u.c.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(u.n), Tags: tags})
	return wrap(err, "tagging IAM user "+u.n)
}

func (u userEntity) untag(ctx context.Context, keys []string) error {
	_, err := u.c.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String(u.n), TagKeys: keys})
	return wrap(err, "untagging IAM user "+u.n)
}

func (u userEntity) listAttached(ctx context.Context) ([]string, error) {
	var out []string
	p := iam.NewListAttachedUserPoliciesPaginator(u.c, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(u.n)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap(err, "listing the managed policies of IAM user "+u.n)
		}
		for _, a := range page.AttachedPolicies {
			out = append(out, aws.ToString(a.PolicyArn))
		}
	}
	return out, nil
}

func (u userEntity) attach(ctx context.Context, arn string) error {
	_, err := u.c.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: aws.String(u.n), PolicyArn: aws.String(arn)})
	return wrap(err, fmt.Sprintf("attaching %s to IAM user %s", arn, u.n))
}

func (u userEntity) detach(ctx context.Context, arn string) error {
	_, err := u.c.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: aws.String(u.n), PolicyArn: aws.String(arn)})
	return wrap(err, fmt.Sprintf("detaching %s from IAM user %s", arn, u.n))
}

func (u userEntity) listInline(ctx context.Context) ([]string, error) {
	var out []string
	p := iam.NewListUserPoliciesPaginator(u.c, &iam.ListUserPoliciesInput{UserName: aws.String(u.n)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap(err, "listing the inline policies of IAM user "+u.n)
		}
		out = append(out, page.PolicyNames...)
	}
	return out, nil
}

func (u userEntity) getInline(ctx context.Context, policy string) (string, error) {
	out, err := u.c.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String(u.n), PolicyName: aws.String(policy)})
	if err != nil {
		return "", wrap(err, fmt.Sprintf("reading inline policy %s of IAM user %s", policy, u.n))
	}
	return decodeDocument(aws.ToString(out.PolicyDocument)), nil
}

func (u userEntity) putInline(ctx context.Context, policy, doc string) error {
	_, err := u.c.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(u.n), PolicyName: aws.String(policy), PolicyDocument: aws.String(doc)})
	return wrap(err, fmt.Sprintf("writing inline policy %s of IAM user %s", policy, u.n))
}

func (u userEntity) deleteInline(ctx context.Context, policy string) error {
	_, err := u.c.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: aws.String(u.n), PolicyName: aws.String(policy)})
	return wrap(err, fmt.Sprintf("deleting inline policy %s of IAM user %s", policy, u.n))
}

func (u userEntity) listGroups(ctx context.Context) ([]string, error) {
	var out []string
	p := iam.NewListGroupsForUserPaginator(u.c, &iam.ListGroupsForUserInput{UserName: aws.String(u.n)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap(err, "listing the groups of IAM user "+u.n)
		}
		for _, g := range page.Groups {
			out = append(out, aws.ToString(g.GroupName))
		}
	}
	return out, nil
}

func (u userEntity) addToGroup(ctx context.Context, group string) error {
	_, err := u.c.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: aws.String(u.n), GroupName: aws.String(group)})
	return wrap(err, fmt.Sprintf("adding IAM user %s to group %s", u.n, group))
}

func (u userEntity) removeFromGroup(ctx context.Context, group string) error {
	_, err := u.c.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: aws.String(u.n), GroupName: aws.String(group)})
	return wrap(err, fmt.Sprintf("removing IAM user %s from group %s", u.n, group))
}

type roleEntity struct {
	c *iam.Client
	n string
}

func (r roleEntity) kind() string { return "role" }
func (r roleEntity) name() string { return r.n }

func (r roleEntity) listTags(ctx context.Context) ([]types.Tag, error) {
	var out []types.Tag
	p := iam.NewListRoleTagsPaginator(r.c, &iam.ListRoleTagsInput{RoleName: aws.String(r.n)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap(err, "listing the tags of IAM role "+r.n)
		}
		out = append(out, page.Tags...)
	}
	return out, nil
}

func (r roleEntity) tag(ctx context.Context, tags []types.Tag) error {
	_, err := r.c.TagRole(ctx, &iam.TagRoleInput{RoleName: aws.String(r.n), Tags: tags})
	return wrap(err, "tagging IAM role "+r.n)
}

func (r roleEntity) untag(ctx context.Context, keys []string) error {
	_, err := r.c.UntagRole(ctx, &iam.UntagRoleInput{RoleName: aws.String(r.n), TagKeys: keys})
	return wrap(err, "untagging IAM role "+r.n)
}

func (r roleEntity) listAttached(ctx context.Context) ([]string, error) {
	var out []string
	p := iam.NewListAttachedRolePoliciesPaginator(r.c, &iam.ListAttachedRolePoliciesInput{RoleName: aws.String(r.n)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap(err, "listing the managed policies of IAM role "+r.n)
		}
		for _, a := range page.AttachedPolicies {
			out = append(out, aws.ToString(a.PolicyArn))
		}
	}
	return out, nil
}

func (r roleEntity) attach(ctx context.Context, arn string) error {
	_, err := r.c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(r.n), PolicyArn: aws.String(arn)})
	return wrap(err, fmt.Sprintf("attaching %s to IAM role %s", arn, r.n))
}

func (r roleEntity) detach(ctx context.Context, arn string) error {
	_, err := r.c.DetachRolePolicy(ctx, &iam.DetachRolePolicyInput{RoleName: aws.String(r.n), PolicyArn: aws.String(arn)})
	return wrap(err, fmt.Sprintf("detaching %s from IAM role %s", arn, r.n))
}

func (r roleEntity) listInline(ctx context.Context) ([]string, error) {
	var out []string
	p := iam.NewListRolePoliciesPaginator(r.c, &iam.ListRolePoliciesInput{RoleName: aws.String(r.n)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, wrap(err, "listing the inline policies of IAM role "+r.n)
		}
		out = append(out, page.PolicyNames...)
	}
	return out, nil
}

func (r roleEntity) getInline(ctx context.Context, policy string) (string, error) {
	out, err := r.c.GetRolePolicy(ctx, &iam.GetRolePolicyInput{RoleName: aws.String(r.n), PolicyName: aws.String(policy)})
	if err != nil {
		return "", wrap(err, fmt.Sprintf("reading inline policy %s of IAM role %s", policy, r.n))
	}
	return decodeDocument(aws.ToString(out.PolicyDocument)), nil
}

func (r roleEntity) putInline(ctx context.Context, policy, doc string) error {
	_, err := r.c.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String(r.n), PolicyName: aws.String(policy), PolicyDocument: aws.String(doc)})
	return wrap(err, fmt.Sprintf("writing inline policy %s of IAM role %s", policy, r.n))
}

func (r roleEntity) deleteInline(ctx context.Context, policy string) error {
	_, err := r.c.DeleteRolePolicy(ctx, &iam.DeleteRolePolicyInput{RoleName: aws.String(r.n), PolicyName: aws.String(policy)})
	return wrap(err, fmt.Sprintf("deleting inline policy %s of IAM role %s", policy, r.n))
}

func (r roleEntity) listGroups(context.Context) ([]string, error) { return nil, nil }

func (r roleEntity) addToGroup(_ context.Context, group string) error {
	return fmt.Errorf("IAM role %s cannot join group %s: only users are members of groups", r.n, group)
}

func (r roleEntity) removeFromGroup(context.Context, string) error { return nil }

package aws

import (
	"context"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// PrincipalSpec is a declared IAM user or role.
type PrincipalSpec struct {
	nhi.Spec
	// Path is the IAM path ("/" when empty).
	Path string
	// TrustPolicy is a role's assume-role policy document (users have none).
	TrustPolicy string
	// InlinePolicies holds the document of every "inline:<name>" scope.
	InlinePolicies map[string]string
}

func (s PrincipalSpec) path() string { return pathOrRoot(s.Path) }

// Users is the write side of IAM users (GetUser, CreateUser, UpdateUser,
// DisableUser, DeleteUser); a ref's Name is the user name.
func (c *Client) Users() nhi.Provisioner[PrincipalSpec, Details] {
	return kindProvisioner{c.GetUser, c.CreateUser, c.UpdateUser, c.DisableUser, c.DeleteUser}
}

// Roles is the write side of IAM roles (GetRole, CreateRole, UpdateRole,
// DisableRole, DeleteRole); a ref's Name is the role name.
func (c *Client) Roles() nhi.Provisioner[PrincipalSpec, Details] {
	return kindProvisioner{c.GetRole, c.CreateRole, c.UpdateRole, c.DisableRole, c.DeleteRole}
}

// kindProvisioner adapts one kind's methods, which take a name where
// nhi.Provisioner takes a Ref.
type kindProvisioner struct {
	get     func(ctx context.Context, name string) (Details, error)
	create  func(ctx context.Context, s PrincipalSpec) (Details, error)
	update  func(ctx context.Context, s PrincipalSpec) (Details, error)
	disable func(ctx context.Context, s PrincipalSpec, at time.Time) (Details, error)
	delete  func(ctx context.Context, name string) error
}

func (p kindProvisioner) Get(ctx context.Context, ref nhi.Ref) (Details, error) {
	return p.get(ctx, ref.Name)
}

func (p kindProvisioner) Create(ctx context.Context, s PrincipalSpec) (Details, error) {
	return p.create(ctx, s)
}

func (p kindProvisioner) Update(ctx context.Context, s PrincipalSpec) (Details, error) {
	return p.update(ctx, s)
}

func (p kindProvisioner) Disable(ctx context.Context, s PrincipalSpec, at time.Time) (Details, error) {
	return p.disable(ctx, s, at)
}

func (p kindProvisioner) Delete(ctx context.Context, ref nhi.Ref) error {
	return p.delete(ctx, ref.Name)
}

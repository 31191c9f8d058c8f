package postgresql

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"

	pg "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/postgresql"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
)

var _ resource.ResourceWithIdentity = &roleResource{}

// roleIdentity is nhi_postgresql_role's resource identity (Terraform
// 1.12+): the role's name, unique in the cluster.
var roleIdentity = framework.Identity{
	TypeName: "nhi_postgresql_role",
	Attrs:    []framework.IdentityAttr{{Name: "name", Description: "Name of the role.", Check: pg.ValidateRoleName}},
	ID:       func(vals []string) string { return pg.Location + "/" + vals[0] },
}

func (r *roleResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	roleIdentity.IdentitySchema(resp)
}

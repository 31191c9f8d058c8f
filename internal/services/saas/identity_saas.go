package saas

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/resource"

	saasc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/saas"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
)

var _ resource.ResourceWithIdentity = &identityResource{}

// identityIdentity is nhi_identity's resource identity (Terraform 1.12+):
// the system and the identity's name in it, as its id says them. There is
// no list resource: the provider has no inventory of these systems (the
// drift reporter reads their exports).
var identityIdentity = framework.Identity{
	TypeName: saasc.ResourceType,
	Attrs: []framework.IdentityAttr{
		{Name: "system", Description: "System the identity lives in.", Check: saasc.ValidateSystem},
		{Name: "name", Description: "The identity's name or ID in its system.", Check: checkName},
	},
	ID: func(vals []string) string { return vals[0] + "/" + vals[1] },
}

func (r *identityResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	identityIdentity.IdentitySchema(resp)
}

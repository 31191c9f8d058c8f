package postgresql

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"

	pg "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/postgresql"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
)

// ListResources are the PostgreSQL list resources (Terraform 1.14+,
// `terraform query`), on framework.NewList. Roles have no location to
// filter by.
func ListResources() []func() list.ListResource {
	return []func() list.ListResource{framework.NewList(framework.ListKind{
		System: pg.SystemName, Kind: pg.KindRole, Identity: roleIdentity,
		Values: func(it framework.ListItem) []string { return []string{it.Identity.Ref.Name} },
		Resource: func(ctx context.Context, pd *framework.ProviderData, it framework.ListItem, res *tfsdk.Resource) diag.Diagnostics {
			var diags diag.Diagnostics
			c, ok := client(ctx, pd, &diags)
			if !ok {
				return diags
			}
			found, err := c.Roles().Get(ctx, it.Identity.Ref)
			if err != nil {
				diags.AddError("Reading the PostgreSQL role "+it.Identity.Ref.Name+" failed", err.Error())
				return diags
			}
			var m roleModel
			if diags.Append(res.Get(ctx, &m)...); diags.HasError() {
				return diags
			}
			(&roleResource{pd: pd}).readInto(ctx, &m, found, &diags)
			diags.Append(res.Set(ctx, &m)...)
			return diags
		},
		Description: "The login roles of the PostgreSQL cluster, as `terraform query` lists them.",
	})}
}

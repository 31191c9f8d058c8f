package github

import (
	"context"
	"strconv"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	gh "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/github"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
)

// ListResources are the GitHub list resources (Terraform 1.14+, `terraform
// query`), on framework.NewList: the organization's deploy keys, optionally
// of one repository. A deploy key's owner is recorded only in Terraform
// state, so an owner filter finds none.
func ListResources() []func() list.ListResource {
	return []func() list.ListResource{framework.NewList(framework.ListKind{
		System: gh.SystemName, Kind: gh.KindDeployKey, Identity: deployKeyIdentity,
		Location: &framework.ListLocation{Attr: "repository",
			Description: "Only the deploy keys of this repository: `<owner>/<repo>` (of the provider's organization) or its name.",
			Validators:  []validator.String{framework.StringCheck{Summary: "Invalid repository", Desc: "\"owner/repo\" or a repository name", Check: validateRepository}}},
		Values: func(it framework.ListItem) []string { return []string{it.Identity.Ref.Location, it.Identity.Ref.Name} },
		Resource: func(ctx context.Context, pd *framework.ProviderData, it framework.ListItem, res *tfsdk.Resource) diag.Diagnostics {
			var diags diag.Diagnostics
			c, ok := conn(pd).OrDiag(ctx, &diags)
			if !ok {
				return diags
			}
			owner, repo, id, err := gh.ParseImportID(it.Identity.Ref.Location + "/" + it.Identity.Ref.Name)
			if err != nil {
				diags.AddError("Unexpected deploy key reference", err.Error())
				return diags
			}
			key, err := c.GetDeployKey(ctx, owner, repo, id)
			if err != nil {
				diags.AddError("Reading deploy key "+strconv.FormatInt(id, 10)+" of "+owner+"/"+repo+" failed", err.Error())
				return diags
			}
			var m deployKeyModel
			if diags.Append(res.Get(ctx, &m)...); diags.HasError() {
				return diags
			}
			// As a Read after an import: what GitHub knows; the governance
			// and the Secret are the configuration's.
			m.Repository = types.StringValue(owner + "/" + repo)
			m.OnExpiry = types.StringNull()
			(&deployKeyResource{pd: pd}).setKey(&m, owner, repo, key)
			diags.Append(res.Set(ctx, &m)...)
			return diags
		},
		Description: "The deploy keys of the GitHub organization's repositories, as `terraform query` lists them (a key's owner lives in Terraform state, so `owner` matches none).",
	})}
}

package github

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-framework/types"

	gh "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/github"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// ListResources are the GitHub list resources (Terraform 1.14+, `terraform
// query`), on framework.NewList: the organization's deploy keys, optionally
// of one repository. A deploy key's owner is recorded only in Terraform
// state, so an owner filter finds none.
//
// The list reads deploy keys only (ListKind.Inventory:
// gh.Client.OrganizationDeployKeys): not
// the App installations, token grants, Actions secrets and webhooks that
// the inventory data sources read, so a credential that may administer
// the repositories (their deploy keys) and nothing else can list them.
func ListResources() []func() list.ListResource {
	kind := framework.NewList(framework.ListKind{
		System: gh.SystemName, Kind: gh.KindDeployKey, Identity: deployKeyIdentity,
		Inventory: func(_ context.Context, inv nhi.Inventory) nhi.Inventory {
			if c, ok := inv.(*gh.Client); ok {
				return deployKeyInventory{c}
			}
			return inv
		},
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
		Description: "The deploy keys of the GitHub organization's repositories, as `terraform query` lists them (a key's owner lives in Terraform state, so `owner` matches none). " +
			"It reads the repositories and their deploy keys only, so the credential needs the Administration (read) repository permission and nothing else; " +
			"a GitHub App installed on selected repositories lists the keys of those repositories.",
	})
	return []func() list.ListResource{func() list.ListResource {
		return &deployKeyList{ListResourceWithConfigure: kind().(list.ListResourceWithConfigure)}
	}}
}

// deployKeyList is the framework's list resource of deploy keys, given
// provider data whose GitHub connector lists deploy keys only
// (deployKeysOnly), and refusing a repository of another owner.
type deployKeyList struct {
	list.ListResourceWithConfigure
	// pd is the provider's own data, for the organization.
	pd *framework.ProviderData
}

func (l *deployKeyList) Configure(ctx context.Context, req resource.ConfigureRequest, resp *resource.ConfigureResponse) {
	if pd := framework.ProviderDataFrom(req.ProviderData, &resp.Diagnostics); pd != nil {
		l.pd = pd
	}
	l.ListResourceWithConfigure.Configure(ctx, req, resp)
}

func (l *deployKeyList) List(ctx context.Context, req list.ListRequest, stream *list.ListResultsStream) {
	if diags := l.checkOwner(ctx, req.Config); diags.HasError() {
		stream.Results = list.ListResultsStreamDiagnostics(diags)
		return
	}
	l.ListResourceWithConfigure.List(ctx, req, stream)
}

// checkOwner refuses a repository filter "<owner>/<repo>" whose owner is
// not the provider's organization: the connector reads that organization
// only, so the query would list nothing. What it cannot judge (no
// connection, an unreadable or unknown filter) it leaves to the shared
// list code, which says what is wrong.
func (l *deployKeyList) checkOwner(ctx context.Context, cfg tfsdk.Config) diag.Diagnostics {
	var repo types.String
	if d := cfg.GetAttribute(ctx, path.Root("repository"), &repo); d.HasError() || repo.IsNull() || repo.IsUnknown() || l.pd == nil || l.pd.Connector(gh.SystemName) == nil {
		return nil
	}
	owner, name, ok := strings.Cut(repo.ValueString(), "/")
	if !ok {
		return nil
	}
	c, err := conn(l.pd).Get(ctx)
	if err != nil || strings.EqualFold(owner, c.Organization()) {
		return nil
	}
	org := c.Organization()
	var diags diag.Diagnostics
	diags.AddAttributeError(path.Root("repository"), "Repository of another organization",
		fmt.Sprintf("repository %q is owned by %s, but the provider's github block reads organization %s only, so the query would list nothing. "+
			"Name a repository of %s (%q, or just %q), or query with a provider whose github organization is %s (a provider alias).",
			repo.ValueString(), owner, org, org, org+"/"+name, name, owner))
	return diags
}

// deployKeyInventory is the client as an inventory of the organization's
// deploy keys: List reads them alone, of the repositories its locations
// name (all the client's repository filter keeps when none).
type deployKeyInventory struct{ *gh.Client }

func (d deployKeyInventory) List(ctx context.Context, opts nhi.ListOptions) (nhi.Page, error) {
	return d.ListOrganizationDeployKeys(ctx, opts)
}

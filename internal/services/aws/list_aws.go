package aws

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"

	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// The list resources (Terraform 1.14+, `terraform query`) of the AWS
// resources, on framework.NewList: what differs is the path filter, the
// identities' values and how a result becomes a resource.

// ListResources are the AWS list resources.
func ListResources() []func() list.ListResource {
	return []func() list.ListResource{
		framework.NewList(principalList(userKind, awsc.KindIAMUser, func() model { return &userModel{} })),
		framework.NewList(principalList(roleKind, awsc.KindIAMRole, func() model { return &roleModel{} })),
		framework.NewList(accessKeyList()),
	}
}

// pathFilter keeps identities under an IAM path, as IAM's PathPrefix does.
func pathFilter(what string) *framework.ListLocation {
	return &framework.ListLocation{
		Attr: "path", Description: "Only " + what + " whose IAM path starts with this one, such as `/ci/` (IAM's `PathPrefix`). Default: every path.",
		Validators: []validator.String{framework.StringCheck{Summary: "Invalid path", Desc: "an IAM path", Check: framework.TrimQuoted(awsc.ValidatePath)}},
		Match:      func(id nhi.Identity, prefix string) bool { return strings.HasPrefix(pathOf(id), prefix) },
	}
}

func pathOf(id nhi.Identity) string {
	if id.Path == "" {
		return "/"
	}
	return id.Path
}

func principalList(k kindSpec, kind string, newM func() model) framework.ListKind {
	return framework.ListKind{
		System: awsc.SystemName, Kind: kind, Identity: principalIdentity(k),
		Location: pathFilter(k.noun + "s"),
		Values:   func(it framework.ListItem) []string { return []string{it.Identity.Ref.Name} },
		Resource: func(ctx context.Context, pd *framework.ProviderData, it framework.ListItem, res *tfsdk.Resource) diag.Diagnostics {
			var diags diag.Diagnostics
			c, ok := iam(pd).OrDiag(ctx, &diags)
			if !ok {
				return diags
			}
			// The listing has no ARN: read the identity as a Read does.
			found, err := k.prov(c).Get(ctx, it.Identity.Ref)
			if err != nil {
				diags.AddError("Reading the "+k.noun+" "+it.Identity.Ref.Name+" failed", err.Error())
				return diags
			}
			m := newM()
			if diags.Append(res.Get(ctx, m)...); diags.HasError() {
				return diags
			}
			(&principalResource{pd: pd, kind: k}).readInto(ctx, m, found, &diags)
			diags.Append(res.Set(ctx, m)...)
			return diags
		},
		Description: "The " + k.noun + "s of the account, as `terraform query` lists them.",
	}
}

// accessKeyList lists the access keys of the account's users. A key has no
// markers of its own: it is declared, with its user's owner, when its user
// is declared and nhi_aws_iam_access_key delivered it (governKeys); any
// other key, such as one made by hand for a governed user, is undeclared,
// and its resource has FILL-IN placeholders for the delivery Secret.
func accessKeyList() framework.ListKind {
	return framework.ListKind{
		System: awsc.SystemName, Kind: awsc.KindIAMUser, Credential: awsc.CredentialAccessKey, Identity: accessKeyIdentity,
		Location: pathFilter("keys of users"),
		Values:   func(it framework.ListItem) []string { return []string{it.Identity.Ref.Name, it.Credential.ID} },
		Govern:   governKeys,
		DeclaredDoc: "an access key has no markers of its own: its user is declared, and a delivery Secret of `nhi_aws_iam_access_key` " +
			"records the key",
		Resource: func(ctx context.Context, pd *framework.ProviderData, it framework.ListItem, res *tfsdk.Resource) diag.Diagnostics {
			var diags diag.Diagnostics
			// listed writes the placeholders of an undeclared key: the
			// key's governance, not its user's.
			key := it
			key.Identity.Declared = it.Credential.Declared
			m := (&accessKeyResource{pd: pd}).listed(key, &diags)
			diags.Append(res.Set(ctx, &m)...)
			return diags
		},
		Description: "The access keys of the account's IAM users (never their secrets), as `terraform query` lists them.",
	}
}

// governKeys marks the keys this provider governs: those of declared users
// that a delivery Secret of the provider records (the credential-id
// annotation nhi_aws_iam_access_key writes), with their user's owner. The
// keys of undeclared users are undeclared without a look at the cluster.
func governKeys(ctx context.Context, pd *framework.ProviderData, items []framework.ListItem, diags *diag.Diagnostics) {
	need := false
	for _, it := range items {
		need = need || it.Identity.Declared
	}
	if !need {
		return
	}
	k, err := delivery(pd).Get(ctx)
	if err == nil {
		var dels map[string]string
		if dels, err = k.ScanDeliveries(ctx, nil); err == nil {
			delivered := make(map[string]bool, len(dels))
			for _, id := range dels {
				delivered[id] = true
			}
			for _, it := range items {
				if it.Identity.Declared && delivered[it.Credential.ID] {
					it.Credential.Declared, it.Credential.Owner = true, it.Identity.Governance.Owner
				}
			}
			return
		}
	}
	diags.AddError("Reading the delivered access keys failed",
		"An access key carries no markers: nhi_aws_iam_access_key governs the keys it delivered, which the delivery Secrets in Kubernetes record, "+
			"so listing access keys of declared users reads those Secrets: "+err.Error()+"\n\nCheck the provider's kubernetes configuration (or KUBECONFIG).")
}

package kubernetes

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/list"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"

	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// The list resources (Terraform 1.14+, `terraform query`) of the
// Kubernetes resources, on framework.NewList: what differs is the namespace
// filter, the identities' values and how a result becomes a resource.

// ListResources are the Kubernetes list resources.
func ListResources() []func() list.ListResource {
	return []func() list.ListResource{framework.NewList(serviceAccountList()), framework.NewList(tokenList())}
}

func namespaceFilter(what string) *framework.ListLocation {
	return &framework.ListLocation{
		Attr: "namespace", Description: "Only " + what + " in this namespace. Default: every namespace.",
		Validators: []validator.String{NamespaceValidator()},
	}
}

func serviceAccountList() framework.ListKind {
	return framework.ListKind{
		System: k8s.SystemName, Kind: k8s.KindServiceAccount, Identity: serviceAccountIdentity,
		Location: namespaceFilter("service accounts"),
		Values:   func(it framework.ListItem) []string { return []string{it.Identity.Ref.Location, it.Identity.Ref.Name} },
		Resource: func(ctx context.Context, pd *framework.ProviderData, it framework.ListItem, res *tfsdk.Resource) diag.Diagnostics {
			var diags diag.Diagnostics
			var m serviceAccountModel
			if diags.Append(res.Get(ctx, &m)...); diags.HasError() {
				return diags
			}
			(&serviceAccountResource{pd: pd}).readInto(ctx, &m, it.Identity, &diags)
			diags.Append(res.Set(ctx, &m)...)
			return diags
		},
		Description: "The service accounts of the cluster, as `terraform query` lists them.",
	}
}

// tokenList lists token Secrets (kubernetes.io/service-account-token): the
// governed ones and the legacy ones nobody declared, which adopting puts
// under nhi_kubernetes_service_account_token.
func tokenList() framework.ListKind {
	ref := func(it framework.ListItem) nhi.Ref {
		_, name, _ := strings.Cut(it.Credential.ID, "/")
		return nhi.Ref{Location: it.Identity.Ref.Location, Name: name}
	}
	return framework.ListKind{
		System: k8s.SystemName, Kind: k8s.KindServiceAccount, Credential: k8s.CredentialLegacyToken, Identity: tokenIdentity,
		Location: namespaceFilter("token Secrets"),
		Values:   func(it framework.ListItem) []string { r := ref(it); return []string{r.Location, r.Name} },
		// A Secret an earlier version of the token resource wrote (owner
		// and purpose, no rotation-due marker) is governed: its resource
		// completes the markers.
		Declared: func(it framework.ListItem) bool { return it.Credential.Declared || it.Credential.MarkersIncomplete },
		Resource: func(ctx context.Context, pd *framework.ProviderData, it framework.ListItem, res *tfsdk.Resource) diag.Diagnostics {
			var diags diag.Diagnostics
			c, ok := kube(pd).OrDiag(ctx, &diags)
			if !ok {
				return diags
			}
			t, err := c.GetTokenSecret(ctx, ref(it))
			if err != nil {
				diags.AddError("Reading the token Secret "+ref(it).String()+" failed", err.Error())
				return diags
			}
			var m tokenResourceModel
			if diags.Append(res.Get(ctx, &m)...); diags.HasError() {
				return diags
			}
			(&tokenResource{pd: pd}).readInto(&m, t, &diags)
			diags.Append(res.Set(ctx, &m)...)
			return diags
		},
		Description: "The service account token Secrets of the cluster (never their values), as `terraform query` lists them.",
	}
}

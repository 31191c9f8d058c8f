package kubernetes

import (
	"context"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/resource"

	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
)

// The resource identities (Terraform 1.12+) of the Kubernetes resources:
// the namespace and name of the object, as their ids say them.

var (
	_ resource.ResourceWithIdentity = &serviceAccountResource{}
	_ resource.ResourceWithIdentity = &tokenResource{}
)

func refID(vals []string) string { return strings.Join(vals, "/") }

// serviceAccountIdentity is nhi_kubernetes_service_account's identity.
var serviceAccountIdentity = framework.Identity{
	TypeName: "nhi_kubernetes_service_account",
	Attrs: []framework.IdentityAttr{
		{Name: "namespace", Description: "Namespace of the service account.", Check: k8s.ValidateNamespace},
		{Name: "name", Description: "Name of the service account.", Check: k8s.ValidateServiceAccountName},
	},
	ID: refID,
}

// tokenIdentity is nhi_kubernetes_service_account_token's identity: the
// Secret's namespace and generated name.
var tokenIdentity = framework.Identity{
	TypeName: "nhi_kubernetes_service_account_token",
	Attrs: []framework.IdentityAttr{
		{Name: "namespace", Description: "Namespace of the token Secret.", Check: k8s.ValidateNamespace},
		{Name: "name", Description: "Name of the token Secret.", Check: k8s.ValidateServiceAccountName},
	},
	ID: refID,
}

func (r *serviceAccountResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	serviceAccountIdentity.IdentitySchema(resp)
}

func (r *tokenResource) IdentitySchema(_ context.Context, _ resource.IdentitySchemaRequest, resp *resource.IdentitySchemaResponse) {
	tokenIdentity.IdentitySchema(resp)
}

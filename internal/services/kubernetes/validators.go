package kubernetes

import (
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
)

// NamespaceValidator checks a namespace name as the API server would.
func NamespaceValidator() validator.String {
	return framework.StringCheck{Summary: "Invalid namespace", Desc: "a Kubernetes namespace name", Check: framework.TrimQuoted(k8s.ValidateNamespace)}
}

// ServiceAccountNameValidator checks a service account name as the API
// server would.
func ServiceAccountNameValidator() validator.String {
	return framework.StringCheck{Summary: "Invalid name", Desc: "a Kubernetes service account name", Check: framework.TrimQuoted(k8s.ValidateServiceAccountName)}
}

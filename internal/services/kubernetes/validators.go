package kubernetes

import (
	"fmt"
	"regexp"

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

// UIDValidator checks a Kubernetes object UID (a UUID); what names the
// resource whose uid attribute should be passed.
func UIDValidator(what string) validator.String {
	return framework.StringCheck{Summary: "Invalid UID", Desc: "a Kubernetes UID", Check: func(s string) error {
		if !uidPattern.MatchString(s) {
			return fmt.Errorf("%q is not a Kubernetes UID; pass the uid attribute of the %s, such as %s.<name>.uid", s, what, what)
		}
		return nil
	}}
}

var uidPattern = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

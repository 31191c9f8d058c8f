package kubernetes

import (
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/schema/validator"

	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
)

// NamespaceValidator checks a namespace name as the API server would.
func NamespaceValidator() validator.String {
	return framework.StringCheck{Summary: "Invalid namespace", Desc: "a Kubernetes namespace name", Check: trimQuoted(k8s.ValidateNamespace)}
}

// ServiceAccountNameValidator checks a service account name as the API
// server would.
func ServiceAccountNameValidator() validator.String {
	return framework.StringCheck{Summary: "Invalid name", Desc: "a Kubernetes service account name", Check: trimQuoted(k8s.ValidateServiceAccountName)}
}

// trimQuoted drops the leading quoted value of a connector error, because the
// diagnostic already starts with the attribute path.
func trimQuoted(f func(string) error) func(string) error {
	return func(s string) error {
		err := f(s)
		if err == nil {
			return nil
		}
		return fmt.Errorf("%s", strings.TrimPrefix(err.Error(), fmt.Sprintf("%q ", s)))
	}
}

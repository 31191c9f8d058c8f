package kubernetes

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// ValidateNamespace checks a namespace name as the API server would.
func ValidateNamespace(ns string) error {
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return fmt.Errorf("%q is not a valid Kubernetes namespace name: %s", ns, strings.Join(errs, "; "))
	}
	return nil
}

// ValidateServiceAccountName checks a service account name as the API server
// would.
func ValidateServiceAccountName(name string) error {
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return fmt.Errorf("%q is not a valid Kubernetes service account name: %s", name, strings.Join(errs, "; "))
	}
	return nil
}

// ValidateLabel checks one label key and value, and that the key is not one
// of the provider's own markers.
func (m Markers) ValidateLabel(k, v string) error {
	if errs := validation.IsQualifiedName(k); len(errs) > 0 {
		return fmt.Errorf("label key %q is not valid: %s", k, strings.Join(errs, "; "))
	}
	if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
		return fmt.Errorf("label %q has an invalid value %q: %s", k, v, strings.Join(errs, "; "))
	}
	if m.IsReservedKey(k) {
		return fmt.Errorf("label key %q is reserved for the provider's own markers (%s and keys under %s/)", k, ManagedByLabel, m.Prefix)
	}
	return nil
}

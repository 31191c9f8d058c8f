package kubernetes

import (
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// ErrForbidden is returned (wrapped) when the API server refuses the caller.
var ErrForbidden = errors.New("forbidden")

// wrap maps API errors onto the model's typed errors, keeping the original
// message.
func wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	switch {
	case apierrors.IsNotFound(err):
		return fmt.Errorf("%s: %w: %v", what, nhi.ErrNotFound, err)
	case apierrors.IsForbidden(err), apierrors.IsUnauthorized(err):
		return fmt.Errorf("%s: %w: %v", what, ErrForbidden, err)
	default:
		return fmt.Errorf("%s: %w", what, err)
	}
}

// notFound builds the API server's not-found error for a lookup in a list.
func notFound(resource, name string) error {
	return apierrors.NewNotFound(schema.GroupResource{Resource: resource}, name)
}

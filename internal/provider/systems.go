package provider

import (
	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// Registry is THE registration of systems: the one place, with each system's
// own packages, that names them. The provider, the inventory data sources,
// the drift reporter and --generate-imports learn every system from it.
func Registry() *system.Registry {
	return system.NewRegistry(
		k8s.Descriptor(),
		awsc.Descriptor(),
	)
}

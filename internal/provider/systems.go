package provider

import (
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
	"github.com/nhi-ops/terraform-provider-nhi/internal/services/aws"
	"github.com/nhi-ops/terraform-provider-nhi/internal/services/github"
	"github.com/nhi-ops/terraform-provider-nhi/internal/services/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/services/postgresql"
	"github.com/nhi-ops/terraform-provider-nhi/internal/services/saas"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// Systems is THE registration of systems: the one place, with each system's
// own packages, that names them. The provider (its blocks, resources and
// connectors), the inventory data sources, the drift reporter and
// --generate-imports learn every system from it. Order matters where lists
// are shown: registration order.
func Systems() []framework.System {
	return []framework.System{
		kubernetes.System(),
		aws.System(),
		postgresql.System(),
		github.System(),
		saas.System(),
	}
}

// Registry is the Terraform-free half of Systems, for the drift reporter.
func Registry() *system.Registry { return registryOf(Systems()) }

func registryOf(systems []framework.System) *system.Registry {
	ds := make([]system.Descriptor, len(systems))
	for i, s := range systems {
		ds[i] = s.Core
	}
	return system.NewRegistry(ds...)
}

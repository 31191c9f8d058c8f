package report

import (
	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// testSystems are the registered systems, as the provider registers them
// (report cannot import the provider's registration without a cycle).
var testSystems = system.NewRegistry(k8s.Descriptor(), awsc.Descriptor())

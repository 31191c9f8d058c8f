package drift

import (
	awsc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/aws"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// testSystems are the registered systems, as the provider registers them
// (drift cannot import the provider's registration: the provider imports
// drift).
var testSystems = system.NewRegistry(k8s.Descriptor(), awsc.Descriptor())

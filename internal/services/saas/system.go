// Package saas holds nhi_identity, the declaration of an identity that
// lives in a system the provider has no connector for (a SaaS tool's
// integration user, bot, OAuth app or API key). It makes no API calls: its
// governance is the declaration, checked at plan time like every other
// identity's, and the drift reporter compares the declarations with the
// system's inventory export (internal/connectors/saas).
package saas

import (
	"github.com/hashicorp/terraform-plugin-framework/resource"

	saasc "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/saas"
	"github.com/nhi-ops/terraform-provider-nhi/internal/framework"
)

// System is the provider's half of identities without a connector: no
// connection to configure, and nhi_identity.
func System() framework.System {
	return framework.System{
		Core: saasc.Descriptor(),
		// No provider block and no connector: nothing to reach, and the
		// inventory data sources list only systems they can reach.
		Resources: []func() resource.Resource{NewIdentityResource},
	}
}

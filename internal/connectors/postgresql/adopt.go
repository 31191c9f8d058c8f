package postgresql

import (
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// adoption writes an adopted role's resource block. Adopting as generated
// changes nothing a workload depends on: the block names the role and sets
// neither password_wo nor kubernetes_secret, so the role keeps the password
// it has (the first apply writes the governance comment, VALID UNTIL and
// the declared grants).
func adoption() system.Adoption {
	return system.Adoption{Head: adoptHead, Tail: adoptTail}
}

func adoptHead(b *hclwrite.Body, id nhi.Identity) {
	b.SetAttributeValue("name", cty.StringVal(id.Ref.Name))
}

func adoptTail(b *hclwrite.Body, id nhi.Identity) {
	for _, c := range id.Credentials {
		if c.Kind == CredentialPassword {
			b.AppendUnstructuredTokens(system.Comments(
				"No password argument: the role keeps the password it has. To have the provider",
				"manage it, add password_wo or a generated, delivered one (the apply then sets it).",
			))
			return
		}
	}
}

package github

import (
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// adoption writes an adopted deploy key's resource block: the repository,
// the title and read_only as GitHub has them, so adopting changes nothing
// (the private key is not recoverable: importing keeps the registered key,
// and the next rotation delivers a new pair).
func adoption() system.Adoption {
	return system.Adoption{Head: adoptHead, Tail: adoptTail}
}

func adoptHead(b *hclwrite.Body, id nhi.Identity) {
	b.SetAttributeValue("repository", cty.StringVal(id.Ref.Location))
	if t := id.Labels["title"]; t != "" {
		b.SetAttributeValue("title", cty.StringVal(t))
	}
}

func adoptTail(b *hclwrite.Body, id nhi.Identity) {
	readOnly := true
	for _, s := range id.EffectiveScopes {
		if strings.HasPrefix(s, "deploy_key:write@") {
			readOnly = false
		}
	}
	b.SetAttributeValue("read_only", cty.BoolVal(readOnly))
	b.AppendUnstructuredTokens(system.Comments(
		"The Secret the private key goes to. GitHub never gives the private key back: if this",
		"Secret does not hold it already, the first plan after the import replaces the key",
		"(a new pair, delivered here) so that it is governed from then on.",
	))
	b.SetAttributeValue("kubernetes_secret", cty.ObjectVal(map[string]cty.Value{
		"namespace": cty.StringVal(nhi.Placeholder + "-namespace"),
		"name":      cty.StringVal(nhi.Placeholder + "-secret-name"),
	}))
}

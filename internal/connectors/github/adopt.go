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
}

package aws

import (
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// adoption writes an adopted IAM user's or role's resource block. Adopting
// as generated changes nothing: the path, the inline policies and a role's
// trust policy are written as they are.
func adoption() system.Adoption {
	return system.Adoption{Head: adoptHead, Tail: adoptTail, LabelsAttr: "tags"}
}

func adoptHead(b *hclwrite.Body, id nhi.Identity) {
	b.SetAttributeValue("name", cty.StringVal(id.Ref.Name))
	if id.Path != "" && id.Path != "/" {
		b.SetAttributeValue("path", cty.StringVal(id.Path))
	}
}

func adoptTail(b *hclwrite.Body, id nhi.Identity) {
	if len(id.InlinePolicies) > 0 {
		docs := map[string]cty.Value{}
		for k, v := range id.InlinePolicies {
			docs[k] = cty.StringVal(v)
		}
		b.SetAttributeValue("inline_policies", cty.MapVal(docs))
	}
	if id.TrustPolicy != "" {
		b.SetAttributeValue("trust_policy", cty.StringVal(id.TrustPolicy))
	}
}

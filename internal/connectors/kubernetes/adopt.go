package kubernetes

import (
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// adoption writes an adopted service account's resource block. Adopting as
// generated changes no workload: the account keeps token automount as it
// is, and its legacy token Secrets.
func adoption() system.Adoption {
	return system.Adoption{Head: adoptHead, Tail: adoptTail, LabelsAttr: "labels"}
}

func adoptHead(b *hclwrite.Body, id nhi.Identity) {
	b.SetAttributeValue("namespace", cty.StringVal(id.Ref.Location))
	b.SetAttributeValue("name", cty.StringVal(id.Ref.Name))
}

func adoptTail(b *hclwrite.Body, id nhi.Identity) {
	// Keep token automount as it is, so that adopting changes no workload.
	b.SetAttributeValue("automount_token", cty.BoolVal(id.AutomountToken == nil || *id.AutomountToken))
	// And keep its legacy token Secrets, which the provider deletes by
	// default: the comment names what false would delete.
	b.AppendUnstructuredTokens(legacyTokensComment(id))
	b.SetAttributeValue("allow_legacy_tokens", cty.True)
}

// legacyTokensComment explains the allow_legacy_tokens = true written for
// every adopted service account. It is true for every one, not only those
// with legacy token Secrets at the scan: a Secret created between the scan
// and the apply would otherwise be deleted by the apply that only meant to
// adopt. The comment names the Secrets that false would delete (names only,
// never their values).
func legacyTokensComment(id nhi.Identity) hclwrite.Tokens {
	var names []string
	for _, c := range id.Credentials {
		if c.Kind == CredentialLegacyToken && !c.Declared && !c.MarkersIncomplete {
			names = append(names, c.ID)
		}
	}
	names = nhi.SortedUnique(names)
	if len(names) == 0 {
		return system.Comments(
			"Kept true so that adopting deletes nothing: no legacy token Secret referenced it when this was",
			"generated, and one created since is kept too. Setting it to false makes the apply delete every",
			"token Secret of this account that no nhi_kubernetes_service_account_token declares (one with",
			"the provider's owner and purpose but no rotation-due marker is kept).",
		)
	}
	lines := []string{
		"Kept true so that adopting deletes nothing. Setting it to false makes the apply delete these",
		"legacy token Secrets, and breaks whatever still reads them:",
	}
	for _, n := range names {
		lines = append(lines, "  "+n)
	}
	return system.Comments(lines...)
}

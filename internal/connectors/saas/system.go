// Package saas is the connector of identities that live in systems the
// provider has no connector for, usually SaaS tools: a Salesforce
// integration user, a Slack bot, an OAuth app, a monitoring vendor's API
// key. It makes no API calls. Such an identity is governed by its
// declaration in Terraform (nhi_identity), and the drift reporter checks
// the declarations against the system's own inventory export, a CSV or JSON
// file read here (export.go), through an `inventory "<name>"` block
// (source.go).
//
// The export knows nothing of the provider's markers: whether an identity
// is declared, and its owner, purpose, scopes and expiry, come from the
// nhi_identity declarations in the given Terraform state (the kind is
// system.Kind.GovernedInState). Kinds are free-form (system.Kind.KindAttr):
// an identity's kind is what its export row or its declaration says.
package saas

import (
	"fmt"
	"regexp"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// The names this system uses in the model.
const (
	// SystemName is nhi.Identity.System of every identity read from an
	// export. The system the identity lives in ("salesforce") is its
	// reference's location: the ID is "salesforce/billing-sync".
	SystemName = "saas"
	// KindIdentity is the kind of an identity whose export row and
	// declaration give none; others carry their own ("bot", "api_key").
	KindIdentity = "saas_identity"
	// ResourceType declares one.
	ResourceType = "nhi_identity"
)

// Descriptor describes identities without a connector to the
// system-agnostic rooms.
func Descriptor() system.Descriptor {
	return system.Descriptor{
		Name:  SystemName,
		Title: "SAAS",
		Kinds: []system.Kind{{
			Kind: KindIdentity, Label: "SaaS identity", ResourceType: ResourceType,
			LocationAttr: "system", NameAttr: "name", KindAttr: "kind",
			GovernedInState: true, LastUsedIsActivity: true,
			Adopt: system.Adoption{Head: adoptHead},
		}},
		Source: source(),
	}
}

// adoptHead writes what identifies an adopted identity: the system, its
// kind, its name.
func adoptHead(b *hclwrite.Body, id nhi.Identity) {
	b.SetAttributeValue("system", cty.StringVal(id.Ref.Location))
	kind := id.Kind
	if kind == "" || kind == KindIdentity {
		kind = nhi.Placeholder + ": bot, api_key, integration_user, oauth_app, ..."
	}
	b.SetAttributeValue("kind", cty.StringVal(kind))
	b.SetAttributeValue("name", cty.StringVal(id.Ref.Name))
}

var (
	systemPattern = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
	kindPattern   = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// ValidateSystem checks the name of a system an identity lives in: a short
// lowercase name such as "salesforce" or "google-workspace", the first part
// of every ID.
func ValidateSystem(s string) error {
	if !systemPattern.MatchString(s) || len(s) > 63 {
		return fmt.Errorf("%q is not a system name: use a short lowercase name of letters, digits, '-' and '_' that starts with a letter (at most 63), such as \"salesforce\" or \"google-workspace\"", s)
	}
	return nil
}

// ValidateKind checks a kind of identity: lowercase letters, digits and
// '_', such as "integration_user", "bot", "oauth_app" or "api_key".
func ValidateKind(s string) error {
	if !kindPattern.MatchString(s) || len(s) > 63 {
		return fmt.Errorf("%q is not a kind: use lowercase letters, digits and '_' that start with a letter, such as \"integration_user\", \"bot\", \"oauth_app\" or \"api_key\"", s)
	}
	return nil
}

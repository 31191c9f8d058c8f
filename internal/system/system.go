// Package system is the seam every system plugs into: one Descriptor per
// system (Kubernetes, AWS IAM, ...) says everything the system-agnostic
// rooms need to know about it — its kinds and the resource types that
// declare them, its credential kinds, its default exclusions, its drift
// `source` block and how an adopted identity is written as Terraform. The
// drift engine, the reports, the drift command and the inventory data
// sources work from descriptors and never name a system.
//
// This package has no Terraform plugin types, so the drift reporter can use
// it without the provider. The provider's half of a system (its
// configuration block, resources, connector) is framework.System.
package system

import (
	"context"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// Descriptor describes one system. Each system's connector package builds
// its own (connectors/<name>.Descriptor()), and the provider registers every
// descriptor once (internal/provider/systems.go).
type Descriptor struct {
	// Name is the system's stable name: nhi.Identity.System, the drift
	// `source "<name>"` label and the provider block's name ("kubernetes").
	Name string
	// Title is the name for people ("Kubernetes", "AWS").
	Title string
	// Kinds are the identity kinds the system has.
	Kinds []Kind
	// Credentials are the credential kinds its identities hold.
	Credentials []CredentialKind
	// Exclusions leave the system's own identities out of undeclared
	// results by default; the first that matches wins.
	Exclusions []Exclusion
	// PrivilegedScopes are added to the reporter's default
	// privileged_scopes (scopes that give an identity control of the
	// system, such as a cluster-admin binding).
	PrivilegedScopes []string
	// ReadOnlyScopes are globs of effective scopes the system reports but
	// a declaration refuses, because the provider never grants them (a
	// PostgreSQL role's ownership of a database). Generated import blocks
	// leave them out of scopes, so the block plans.
	ReadOnlyScopes []string
	// Capabilities are the IDs of the system's risky-capability catalog (nhi.Capability.ID), for policy.forbidden_capabilities.
	Capabilities []string
	// LocationFilter is what a location filter of the inventory data
	// sources means for this system ("namespace"); empty when its
	// locations are fixed per kind, in which case such a filter leaves the
	// system out.
	LocationFilter string
	// Source is the system's drift `source` block.
	Source Source
}

// Kind is one kind of identity and the resource type that declares it.
type Kind struct {
	// Kind is nhi.Identity.Kind ("service_account").
	Kind string
	// Label names the kind for people ("service account", "IAM user").
	Label string
	// ResourceType declares an identity of this kind
	// ("nhi_kubernetes_service_account").
	ResourceType string
	// Location is the fixed location of every reference of this kind
	// ("user" for "user/<name>"); empty when the resource's LocationAttr
	// holds it.
	Location string
	// LocationAttr and NameAttr are the resource's attributes holding the
	// reference's location and name ("namespace", "name").
	LocationAttr, NameAttr string
	// UIDAttr is the resource's attribute holding the system's stable ID
	// ("uid", "unique_id"), which tells identities of one name in two
	// sources apart.
	UIDAttr string
	// Adopt writes what was discovered about an identity of this kind
	// into its generated resource block.
	Adopt Adoption
	// KindAttr is the resource's attribute holding the identity's own
	// kind, for a system whose kinds are free-form (the bots, API keys and
	// integration users of tools the provider has no connector for). Its
	// identities then carry that kind ("bot"), this Kind stands for all of
	// them (Registry.Kind), and Kind is only the fallback of an identity
	// whose kind nobody gave. Empty for fixed kinds.
	KindAttr string
	// GovernedInState says that the identity's governance is its
	// declaration in Terraform state rather than markers on the identity,
	// for a system the provider makes no API calls to. The reporter reads
	// owner, purpose, scopes, expires_at and on_expiry from the state's
	// attributes; an identity a state declares is declared with that
	// governance; nil EffectiveScopes of a scanned identity (its source
	// does not list scopes) take the declared ones; and an expired
	// identity that is still active (not Disabled) has its access whether
	// or not it lists scopes.
	GovernedInState bool
	// LastUsedIsActivity says that the identity's LastUsedAt is its last
	// activity (a last login an export records), so an active identity
	// not used for the policy's stale_after is stale. LastUsedAt nil means
	// unknown; pointing at the zero time, that the system records no use
	// at all.
	LastUsedIsActivity bool
	// Undeclarable says that no resource declares it (a store of secrets,
	// a webhook): drift checks its credentials but raises no NHI001.
	Undeclarable bool
}

// Adoption writes the system-specific attributes of an adopted identity's
// resource block; the report writes the governance attributes (owner,
// purpose, expires_at, scopes) between Head and Tail.
type Adoption struct {
	// Head writes the attributes that identify it (namespace, name, path).
	Head func(b *hclwrite.Body, id nhi.Identity)
	// Tail writes what keeps adopting from changing anything a workload
	// depends on (token automount, legacy tokens, policy documents).
	Tail func(b *hclwrite.Body, id nhi.Identity)
	// LabelsAttr is the attribute holding the identity's labels ("labels",
	// "tags").
	LabelsAttr string
}

// CredentialKind is one kind of credential an identity holds.
type CredentialKind struct {
	// Kind is nhi.Credential.Kind ("aws_access_key").
	Kind string
	// Label names it for people ("access key", "legacy token Secret").
	Label string
	// ResourceType declares one in Terraform, when one does
	// ("nhi_kubernetes_service_account_token"); the resource's id is the
	// credential's ID.
	ResourceType string
	// UIDAttr is the resource's attribute holding the stable ID, if any.
	UIDAttr string
	// NeverExpires marks credentials with no expiry of their own (legacy
	// token Secrets): each undeclared one is reported as long-lived, and
	// several at once are not reported as duplicates.
	NeverExpires bool
}

// Exclusion is a default exclusion from undeclared results.
type Exclusion struct {
	// Reason is the stable reason shown to users ("system_namespace").
	Reason string
	// Doc says what it leaves out, for the documentation.
	Doc string
	// Match is called for the system's undeclared identities.
	Match func(nhi.Identity) bool
}

// Source is the system's drift `source "<name>" "<label>"` block.
type Source struct {
	// Block, when set, is the block type the system's sources are written
	// as instead, with the source's name as its one label: `inventory
	// "<label>" { ... }` for a system whose sources are export files rather
	// than connections. Such a system has no `source "<name>"` blocks.
	Block string
	// Schema lists the block's attributes, and any nested blocks
	// DecodeContent reads.
	Schema *hcl.BodySchema
	// Example is a minimal block, shown when a configuration has none.
	Example string
	// Decode reads the block's attributes; dir is the configuration
	// file's directory, for relative paths. Errors carry the attribute's
	// range, so users see file:line:col.
	Decode func(attrs hcl.Attributes, dir string) (SourceConfig, hcl.Diagnostics)
	// DecodeContent, when set, is used instead of Decode: it reads the
	// block's attributes and the nested blocks Schema lists (a `columns`
	// block).
	DecodeContent func(content *hcl.BodyContent, dir string) (SourceConfig, hcl.Diagnostics)
}

// Decodes reports whether the system has a drift source block.
func (s Source) Decodes() bool { return s.Decode != nil || s.DecodeContent != nil }

// SourceConfig is one decoded source block.
type SourceConfig interface {
	// Locations limits the scan; nil means everything.
	Locations() []string
	// Connect builds the scanner. It is called inside the source's
	// timeout, so it may reach the system.
	Connect(ctx context.Context) (nhi.Scanner, error)
}

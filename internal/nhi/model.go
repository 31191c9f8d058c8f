// Package nhi is the system-agnostic model of a non-human identity: what it
// is, who owns it, what it may do, when it ends, and the credentials it holds.
// It has no Terraform imports: the provider, the connectors and the drift
// engine all speak it.
package nhi

import "time"

// DefaultMarkerPrefix is the default prefix of governance markers: the
// annotations, labels or tags in which the provider records an identity's
// governance on the identity itself (the provider's annotation_prefix; a
// system may derive its own form from it, such as a tag prefix).
const DefaultMarkerPrefix = "nhi.dev"

// Ref locates one identity inside a system.
type Ref struct {
	// Location is the container of the identity: a Kubernetes namespace, an
	// AWS account. Empty for systems without one.
	Location string
	// Name is the identity's name inside its location.
	Name string
}

// String renders the reference as "location/name" (or "name").
func (r Ref) String() string {
	if r.Location == "" {
		return r.Name
	}
	return r.Location + "/" + r.Name
}

// Governance is what a declaration says about an identity.
type Governance struct {
	Owner     string
	Purpose   string
	Scopes    []string
	ExpiresAt time.Time
	// OnExpiry is the declared expiry action ("disable", "block", "warn").
	OnExpiry OnExpiry
}

// Identity is one non-human identity as found in a system.
type Identity struct {
	System string
	Kind   string
	// ID is the system's stable identifier (a Kubernetes UID, an AWS unique ID).
	ID  string
	Ref Ref
	// Governance as recorded in the system's markers. Zero when undeclared.
	Governance Governance
	// Declared is true when the identity carries this product's managed marker.
	Declared bool
	// Disabled is true when the identity was disabled on expiry.
	Disabled bool
	// Labels are the identity's user-visible labels or tags, without the
	// product's own markers.
	Labels map[string]string
	// EffectiveScopes is every grant the system gives the identity, declared
	// or not, in the scope grammar of its system, sorted.
	EffectiveScopes []string
	// WildcardScopes are the effective scopes whose role grants every verb on
	// every resource. Set by scans.
	WildcardScopes []string
	// PrivilegedWhy holds effective scopes the system itself knows to be
	// privileged although their names say nothing (membership of a group
	// that holds a privileged grant), each with why. Set by scans.
	PrivilegedWhy map[string]string
	// Capabilities are the risky things the identity can do through its
	// effective grants, each with the path that grants it, sorted (see
	// Capability). Set by scans of systems that resolve effective access.
	Capabilities []Capability
	// CapabilitiesUnknown is true when the capabilities could not be
	// resolved (the caller may not read the roles that grant them), so an
	// empty Capabilities does not mean "none".
	CapabilitiesUnknown bool
	// UsageKnown is true when UsedBy was looked up (by a scan).
	UsageKnown bool
	// UsedBy names the workloads that run as this identity, such as
	// "Deployment team-a/web", sorted.
	UsedBy []string
	// AutomountToken is Kubernetes' automountServiceAccountToken (nil: unset).
	AutomountToken *bool
	CreatedAt      time.Time
	// LastUsedAt is set where the system knows it.
	LastUsedAt  *time.Time
	Credentials []Credential
	// Path is the identity's place in a system hierarchy, such as an IAM
	// path ("/aws-service-role/"). Empty where the system has none.
	Path string
	// Trusts are the principals allowed to assume the identity (an IAM
	// role's trust policy). Nil for identities nobody assumes.
	Trusts []Trust
	// InlinePolicies are the identity's own policy documents by name, where
	// the system has them (IAM inline policies).
	InlinePolicies map[string]string
	// TrustPolicy is the document that says who may assume the identity
	// (an IAM role's trust policy); empty elsewhere.
	TrustPolicy string
}

// Trust is one principal allowed to act as an identity.
type Trust struct {
	// Principal as the system names it (an ARN, an OIDC provider, "*").
	Principal string
	// Issuer is the OIDC issuer of a federated principal ("" otherwise).
	Issuer string
	// Unrestricted is true when any subject of Issuer may assume the
	// identity: no subject condition narrows it.
	Unrestricted bool
	// Reason explains Unrestricted.
	Reason string
	// PublicIssuer is true when Issuer is a public CI service whose tokens
	// anyone can obtain for some subject (GitHub Actions), so an open
	// (Unrestricted) trust of it is critical: anyone on that service may
	// assume the identity.
	PublicIssuer bool
}

// Credential is a secret an identity authenticates with. It never carries the
// secret value itself.
type Credential struct {
	ID   string
	Kind string
	// UID is the system's stable identifier of this credential, when it
	// has one (a Kubernetes token Secret's metadata.uid), else empty. It
	// tells apart two credentials that share an ID, such as a Secret
	// deleted and created again under the same name, or Secrets of the
	// same name in two clusters, and lets a delete be made conditional on
	// it.
	UID string
	// Declared is true when a declaration of this product manages it.
	Declared bool
	// Owner is the person or team recorded as responsible for this
	// credential, where the system records one (a governed token's owner
	// marker); empty otherwise. The reporter judges it by the owners
	// directory like an identity's owner (NHI006).
	Owner      string
	CreatedAt  time.Time
	ExpiresAt  *time.Time
	LastUsedAt *time.Time
	// UsageKnown is true when the system reports last use (LastUsedAt nil
	// then means never used).
	UsageKnown bool
	// Inactive is true for a credential that exists but is switched off.
	Inactive bool
	// NeverExpires is true for a credential that has no expiry although
	// its kind can have one (a database password without VALID UNTIL);
	// kinds that never expire say so in their system's descriptor.
	NeverExpires bool
	// MarkersIncomplete is true for a credential that carries the
	// provider's owner and purpose but not every marker a declaration
	// writes now (an earlier version wrote it). It is not governed, so
	// reports show it, but it is not removed as an undeclared leftover
	// either: the resource that declares it completes its markers.
	MarkersIncomplete bool
}

// Placeholder starts every value that `drift --generate-imports` leaves for
// a person to fill in (owner, purpose, expiry). The provider rejects values
// that start with it, so adoption cannot skip taking ownership.
const Placeholder = "FILL-IN"

package framework

import (
	"context"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// The optional interfaces of the incident-response actions (nhi_disable,
// nhi_revoke_credentials; Terraform 1.14+). A system offers an action by
// having the client its Connector returns (Connector.Inventory) implement
// the interface; the actions find it by a type assertion and never name a
// system. The signatures use only nhi and stdlib types, so connectors
// implement them without importing this package.
//
// The action has already read the identity (nhi.Inventory.Get) and checked
// that this provider manages it (Managed); the connector acts on that
// identity. changed is called once per change made, as it is made, with a
// sentence for people ("removed grant ClusterRole/view"); a failure half-way
// returns the error after the changes already reported. usable names, one
// sentence each, the credentials that still authenticate after the action
// (tokens stored nowhere, sessions already issued or open, login methods
// the action does not touch): the action raises each as a warning and its
// summary says not everything is revoked. notes are anything else a person
// should know that did not change. Never secrets.

// Disabler disables one identity now, as expiry with on_expiry = "disable"
// does: every grant removed, credentials turned off, the identity kept and
// stamped disabled at at (an identity disabled before keeps its first
// disable time).
type Disabler interface {
	DisableIdentity(ctx context.Context, id nhi.Identity, at time.Time, changed func(string)) (usable, notes []string, err error)
}

// CredentialRevoker deletes or deactivates every credential of one identity
// (token Secrets, access keys, passwords), governed or not, keeping the
// identity and its grants.
type CredentialRevoker interface {
	RevokeCredentials(ctx context.Context, id nhi.Identity, changed func(string)) (usable, notes []string, err error)
}

// Managed reports whether the provider manages id: it carries the managed
// marker and an owner, both read through this provider's annotation_prefix
// (a marker written under another prefix, or a managed-by label alone,
// which anyone can set, does not count).
func Managed(id nhi.Identity) bool {
	return id.Declared && id.Governance.Owner != ""
}

package postgresql

// Governance lives on the role itself, in its comment (COMMENT ON ROLE), as
// a small versioned JSON document that any tool can read:
//
//	{"managed_by":"nhi.dev","version":1,"owner":"team:payments","purpose":"Reads orders",
//	 "scopes":["database:CONNECT@app","table:SELECT@app.public.orders"],
//	 "expires_at":"2027-03-31T00:00:00Z","on_expiry":"disable",
//	 "disabled_at":"2027-03-31T00:00:00Z","password_changed_at":"2026-01-05T10:00:00Z"}
//
// managed_by equal to the client's prefix (the provider's annotation_prefix,
// default "nhi.dev") is the managed marker. disabled_at is present only
// while the role is disabled on expiry, password_changed_at only once the
// provider has set a password, and create_token only during a create (it
// tells a create whose answer was lost that the role it finds is its own,
// and is removed when the create is done). A comment that is not such a
// document (or whose managed_by is another prefix) means the role is
// undeclared; adopting it replaces the comment. A document with this
// prefix and a newer version than this provider knows is an error that
// says to upgrade the provider: reading it as undeclared would make the
// next apply overwrite what the newer provider wrote.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// GovernanceVersion is the version of the governance document this
// provider writes and reads.
const GovernanceVersion = 1

// document is the governance document, in the order its keys are written.
type document struct {
	ManagedBy         string   `json:"managed_by"`
	Version           int      `json:"version"`
	Owner             string   `json:"owner"`
	Purpose           string   `json:"purpose"`
	Scopes            []string `json:"scopes"`
	ExpiresAt         string   `json:"expires_at,omitempty"`
	OnExpiry          string   `json:"on_expiry,omitempty"`
	DisabledAt        string   `json:"disabled_at,omitempty"`
	PasswordChangedAt string   `json:"password_changed_at,omitempty"`
	CreateToken       string   `json:"create_token,omitempty"`
}

// governance is a decoded document.
type governance struct {
	nhi.Governance
	DisabledAt        time.Time
	PasswordChangedAt time.Time
	CreateToken       string
}

// encodeGovernance renders the document a role's comment holds. Scopes are
// written as given (callers pass them canonical and sorted).
func encodeGovernance(prefix string, g governance) string {
	d := document{
		ManagedBy: prefix, Version: GovernanceVersion,
		Owner: g.Owner, Purpose: g.Purpose, Scopes: g.Scopes,
		OnExpiry: string(g.OnExpiry), CreateToken: g.CreateToken,
	}
	if d.Scopes == nil {
		d.Scopes = []string{}
	}
	if !g.ExpiresAt.IsZero() {
		d.ExpiresAt = nhi.FormatTime(g.ExpiresAt)
	}
	if !g.DisabledAt.IsZero() {
		d.DisabledAt = nhi.FormatTime(g.DisabledAt)
	}
	if !g.PasswordChangedAt.IsZero() {
		d.PasswordChangedAt = nhi.FormatTime(g.PasswordChangedAt)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(d) // strings and ints only: never fails
	return string(bytes.TrimRight(b.Bytes(), "\n"))
}

// decodeGovernance reads a role's comment. ok is false when the comment is
// not this provider's document (the role is undeclared); err is set when it
// is, but cannot be used: a version this provider does not know, or a
// malformed field. role names the role for the error.
func decodeGovernance(prefix, role, comment string) (g governance, ok bool, err error) {
	var raw map[string]json.RawMessage
	if json.Unmarshal([]byte(comment), &raw) != nil {
		return governance{}, false, nil
	}
	var managedBy string
	if m, found := raw["managed_by"]; !found || json.Unmarshal(m, &managedBy) != nil || managedBy != prefix {
		return governance{}, false, nil
	}
	bad := func(format string, args ...any) error {
		return fmt.Errorf("the governance document in the comment of PostgreSQL role %q %s; apply the resource that declares it to rewrite it, or remove the comment (COMMENT ON ROLE ... IS NULL) to leave the role undeclared",
			role, fmt.Sprintf(format, args...))
	}
	var version int
	if v, found := raw["version"]; !found || json.Unmarshal(v, &version) != nil {
		return governance{}, false, bad("has no integer \"version\"")
	}
	if version > GovernanceVersion {
		return governance{}, false, fmt.Errorf("the governance document in the comment of PostgreSQL role %q has version %d, written by a newer provider; this provider reads version %d: upgrade terraform-provider-nhi (or the drift reporter): %w",
			role, version, GovernanceVersion, ErrUnsupportedGovernance)
	}
	if version < 1 {
		return governance{}, false, bad("has version %d; versions start at 1", version)
	}
	var d document
	if err := json.Unmarshal([]byte(comment), &d); err != nil {
		return governance{}, false, bad("is not valid (%v)", err)
	}
	g.Owner, g.Purpose, g.CreateToken = d.Owner, d.Purpose, d.CreateToken
	g.Scopes = nhi.SortedUnique(d.Scopes)
	if g.Scopes == nil {
		g.Scopes = []string{}
	}
	g.OnExpiry = nhi.OnExpiry(d.OnExpiry)
	for _, f := range []struct {
		key, v string
		dst    *time.Time
	}{{"expires_at", d.ExpiresAt, &g.ExpiresAt}, {"disabled_at", d.DisabledAt, &g.DisabledAt}, {"password_changed_at", d.PasswordChangedAt, &g.PasswordChangedAt}} {
		if f.v == "" {
			continue
		}
		t, perr := nhi.ParseExpiry(f.v)
		if perr != nil {
			return governance{}, false, bad("has an invalid %q: %v", f.key, perr)
		}
		*f.dst = t
	}
	return g, true, nil
}

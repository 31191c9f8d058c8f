package nhi

import (
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Policy defaults, documented on the provider page.
const (
	DefaultMaxLifetime        = 365 * 24 * time.Hour
	DefaultWarnBefore         = 30 * 24 * time.Hour
	DefaultMaxTokenExpiration = 24 * time.Hour
	DefaultMaxCredentialAge   = 90 * 24 * time.Hour
)

// Policy is the organisation's rules for declared identities, enforced at
// plan time by the provider and at scan time by the drift reporter.
type Policy struct {
	// MaxLifetime bounds how far in the future expires_at may be.
	MaxLifetime time.Duration
	// WarnBefore is the window before expiry in which plans warn.
	WarnBefore time.Duration
	// ForbiddenScopes are glob patterns ("clusterrole:cluster-admin",
	// "clusterrole:*@kube-system") no declaration may hold.
	ForbiddenScopes []string
	// ForbiddenCapabilities are risky-capability IDs (Capability.ID, such
	// as "secrets-read") that no declared scope may grant.
	ForbiddenCapabilities []string
	// OwnerPattern, when set, must match the whole owner.
	OwnerPattern *regexp.Regexp
	// MaxTokenExpiration bounds short-lived tokens minted at plan/apply time.
	MaxTokenExpiration time.Duration
	// MaxCredentialAge bounds how long a long-lived credential may live
	// before it must be rotated.
	MaxCredentialAge time.Duration
}

// DefaultPolicy returns the policy in force when none is configured.
func DefaultPolicy() Policy {
	return Policy{MaxLifetime: DefaultMaxLifetime, WarnBefore: DefaultWarnBefore,
		MaxTokenExpiration: DefaultMaxTokenExpiration, MaxCredentialAge: DefaultMaxCredentialAge}
}

// Violation is one broken rule, phrased for a person: what is wrong and how
// to fix it.
type Violation struct {
	Summary string
	Detail  string
}

// CompileOwnerPattern compiles a pattern that must match a whole owner.
func CompileOwnerPattern(p string) (*regexp.Regexp, error) {
	re, err := regexp.Compile("^(?:" + p + ")$")
	if err != nil {
		return nil, fmt.Errorf("%q is not a valid regular expression: %v", p, err)
	}
	return re, nil
}

// ValidateScopePattern checks a forbidden-scope glob.
func ValidateScopePattern(p string) error {
	if strings.TrimSpace(p) == "" {
		return fmt.Errorf("is empty; expected a scope or a glob such as \"clusterrole:cluster-admin\" or \"clusterrole:*@kube-system\"")
	}
	if _, err := path.Match(p, ""); err != nil {
		return fmt.Errorf("%q is not a valid glob pattern: %v", p, err)
	}
	return nil
}

// MatchScope reports whether the whole scope matches the glob pattern, in
// path.Match syntax with one difference: scopes are opaque strings, so "/"
// is an ordinary character. "*" matches any run of characters, "/"
// included, and "?" any one character: "policy:arn:aws:iam::*:policy/team/*"
// matches every policy under the path /team/, however deep, and
// "policy:arn:aws*:iam::aws:policy/AdministratorAccess" matches
// AdministratorAccess in every partition. A malformed pattern matches
// nothing (ValidateScopePattern rejects it first).
func MatchScope(pattern, scope string) bool {
	// path.Match stops "*" and "?" at "/". Rewrite "/" in both the pattern
	// and the scope to a character no scope contains, so a "/" in a pattern
	// still matches a "/" in a scope and wildcards cross it.
	const slash = "\x00"
	ok, err := path.Match(strings.ReplaceAll(pattern, "/", slash), strings.ReplaceAll(scope, "/", slash))
	return err == nil && ok
}

// OwnerAllowed reports whether owner satisfies OwnerPattern (the whole owner
// must match). Without an OwnerPattern every owner is allowed.
func (p Policy) OwnerAllowed(owner string) bool {
	return p.OwnerPattern == nil || p.OwnerPattern.MatchString(owner)
}

// CheckOwner applies OwnerPattern.
func (p Policy) CheckOwner(owner string) *Violation {
	if p.OwnerAllowed(owner) {
		return nil
	}
	pat := strings.TrimSuffix(strings.TrimPrefix(p.OwnerPattern.String(), "^(?:"), ")$")
	return &Violation{
		Summary: "Owner does not match the owner policy",
		Detail: fmt.Sprintf("owner %q does not match the provider's policy.owner_pattern %q. "+
			"Set owner to a responsible person or team in the form the policy requires.", owner, pat),
	}
}

// ForbiddenMatch returns the first of ForbiddenScopes (in policy order) that
// the whole scope matches (see MatchScope), or "" when the scope is allowed.
func (p Policy) ForbiddenMatch(scope string) string {
	for _, pat := range p.ForbiddenScopes {
		if MatchScope(pat, scope) {
			return pat
		}
	}
	return ""
}

// CheckScopes applies ForbiddenScopes; one violation per forbidden scope.
func (p Policy) CheckScopes(scopes []string) []Violation {
	var out []Violation
	for _, s := range scopes {
		if pat := p.ForbiddenMatch(s); pat != "" {
			out = append(out, Violation{
				Summary: "Forbidden scope",
				Detail: fmt.Sprintf("scope %q is forbidden by the provider's policy.forbidden_scopes (it matches %q). "+
					"Remove it from scopes and grant a narrower role instead.", s, pat),
			})
		}
	}
	return out
}

// CheckCapabilities applies ForbiddenCapabilities to the capabilities that
// one declared scope grants by itself (each Capability.Scope is scope):
// one violation naming every forbidden capability the scope grants, with
// the grant's reach and path, or nil. subject names the identity for
// people ("service account ci/deployer").
func (p Policy) CheckCapabilities(subject, scope string, caps []Capability) *Violation {
	forbidden := map[string]bool{}
	for _, id := range p.ForbiddenCapabilities {
		forbidden[id] = true
	}
	var what, ids []string
	for _, c := range caps {
		if !forbidden[c.ID] {
			continue
		}
		ids = append(ids, c.ID)
		what = append(what, fmt.Sprintf("%s %s (%q, through %s)", c.Title, reachPhrase(c.Reach), c.ID, strings.TrimPrefix(c.Path, fmt.Sprintf("scope %q -> ", scope))))
	}
	if len(what) == 0 {
		return nil
	}
	quoted := make([]string, 0, len(ids))
	for _, id := range SortedUnique(ids) {
		quoted = append(quoted, fmt.Sprintf("%q", id))
	}
	return &Violation{
		Summary: "Scope grants a forbidden capability",
		Detail: fmt.Sprintf("scopes contains %q, which lets %s %s; the provider's policy.forbidden_capabilities forbids %s. "+
			"Remove the scope and grant a narrower role or policy without these grants instead.", scope, subject, strings.Join(what, "; and "), strings.Join(quoted, ", ")),
	}
}

// reachPhrase renders a Capability.Reach for a sentence.
func reachPhrase(reach string) string {
	if reach == ReachCluster {
		return "cluster-wide"
	}
	return "in " + reach
}

// LifetimeExceeded reports whether an expiry set as of now lies beyond
// MaxLifetime: strictly after now + MaxLifetime (an expiry exactly
// MaxLifetime away is allowed). A zero or negative MaxLifetime bounds
// nothing.
func (p Policy) LifetimeExceeded(now, expiresAt time.Time) bool {
	return p.MaxLifetime > 0 && expiresAt.After(now.Add(p.MaxLifetime))
}

// CheckLifetime applies MaxLifetime to an expiry set as of now.
func (p Policy) CheckLifetime(now, expiresAt time.Time) *Violation {
	if !p.LifetimeExceeded(now, expiresAt) {
		return nil
	}
	latest := now.Add(p.MaxLifetime)
	return &Violation{
		Summary: "Lifetime exceeds policy",
		Detail: fmt.Sprintf("expires_at %s is %s away, beyond the provider's policy.max_lifetime of %s. "+
			"Set expires_at on or before %s, and extend it in a reviewed change when the identity is still needed.",
			FormatTime(expiresAt), HumanDuration(expiresAt.Sub(now)), FormatDuration(p.MaxLifetime), FormatTime(latest)),
	}
}

// CredentialOverdue reports whether a long-lived credential created at
// created is due for rotation under MaxCredentialAge as of now: by the rule
// of DecideRotation with MaxCredentialAge as the period, so a credential
// exactly MaxCredentialAge old is overdue. A zero or negative
// MaxCredentialAge, or an unknown (zero) creation time, is never overdue.
func (p Policy) CredentialOverdue(now, created time.Time) bool {
	if p.MaxCredentialAge <= 0 || created.IsZero() {
		return false
	}
	return DecideRotation(now, created, p.MaxCredentialAge, p.WarnBefore).Replace
}

// CheckRotationPeriod applies MaxCredentialAge to a declared rotation period
// (rotate_after): a period longer than MaxCredentialAge is a violation, one
// equal to it is not. A zero or negative MaxCredentialAge bounds nothing.
// The caller attaches the violation to its rotate_after attribute.
func (p Policy) CheckRotationPeriod(d time.Duration) *Violation {
	limit := p.MaxCredentialAge
	if limit <= 0 || d <= limit {
		return nil
	}
	return &Violation{
		Summary: "Rotation period exceeds policy",
		Detail: fmt.Sprintf("rotate_after %s is longer than the provider's policy.max_credential_age of %s. Set rotate_after to %s or less.",
			FormatDuration(d), FormatDuration(limit), FormatDuration(limit)),
	}
}

// SortedUnique returns the scopes sorted with duplicates removed.
func SortedUnique(in []string) []string {
	seen := make(map[string]struct{}, len(in))
	out := make([]string, 0, len(in))
	for _, s := range in {
		if _, ok := seen[s]; ok {
			continue
		}
		seen[s] = struct{}{}
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// ScopeDiff returns what actual has beyond declared (widened) and what it
// lacks (narrowed).
func ScopeDiff(declared, actual []string) (extra, missing []string) {
	d := make(map[string]struct{}, len(declared))
	for _, s := range declared {
		d[s] = struct{}{}
	}
	a := make(map[string]struct{}, len(actual))
	for _, s := range actual {
		a[s] = struct{}{}
		if _, ok := d[s]; !ok {
			extra = append(extra, s)
		}
	}
	for _, s := range declared {
		if _, ok := a[s]; !ok {
			missing = append(missing, s)
		}
	}
	return SortedUnique(extra), SortedUnique(missing)
}

// SortedKeys returns a map's keys in order.
func SortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

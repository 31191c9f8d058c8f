package kubernetes

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/validation/path"
	"k8s.io/apimachinery/pkg/util/validation"
)

// Scope kinds.
const (
	ScopeClusterRole = "clusterrole"
	ScopeRole        = "role"
)

// Scope is one RBAC grant in the provider's grammar:
//
//	clusterrole:<name>               a ClusterRoleBinding to ClusterRole <name>
//	clusterrole:<name>@<namespace>   a RoleBinding in <namespace> to ClusterRole <name>
//	role:<name>                      a RoleBinding to Role <name> in the service account's namespace
//	role:<name>@<namespace>          a RoleBinding to Role <name> in another namespace
type Scope struct {
	Kind string
	Name string
	// Namespace of the RoleBinding; empty for a ClusterRoleBinding.
	Namespace string
}

// ScopeGrammar is the one-line description used in error messages.
const ScopeGrammar = `"clusterrole:<name>", "clusterrole:<name>@<namespace>", "role:<name>" or "role:<name>@<namespace>"`

// ParseScope parses a scope for a service account in namespace home.
func ParseScope(s, home string) (Scope, error) {
	kind, rest, ok := strings.Cut(s, ":")
	if !ok || (kind != ScopeClusterRole && kind != ScopeRole) {
		return Scope{}, fmt.Errorf("%q is not a scope: it must start with \"clusterrole:\" or \"role:\"; expected %s", s, ScopeGrammar)
	}
	name, ns := rest, ""
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		name, ns = rest[:i], rest[i+1:]
		if ns == "" {
			return Scope{}, fmt.Errorf("%q has an empty namespace after \"@\"; expected %s", s, ScopeGrammar)
		}
		if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
			return Scope{}, fmt.Errorf("%q names namespace %q, which is not a valid namespace name: %s", s, ns, strings.Join(errs, "; "))
		}
	}
	if name == "" {
		return Scope{}, fmt.Errorf("%q has an empty role name; expected %s", s, ScopeGrammar)
	}
	if strings.TrimSpace(name) != name || strings.ContainsAny(name, " \t\n") {
		return Scope{}, fmt.Errorf("%q has whitespace in the role name", s)
	}
	if errs := path.IsValidPathSegmentName(name); len(errs) > 0 {
		return Scope{}, fmt.Errorf("%q names role %q, which is not a valid role name: %s", s, name, strings.Join(errs, "; "))
	}
	sc := Scope{Kind: kind, Name: name, Namespace: ns}
	if kind == ScopeRole && ns == "" {
		if home == "" {
			return Scope{}, fmt.Errorf("%q names a Role without a namespace", s)
		}
		sc.Namespace = home
	}
	return sc, nil
}

// Canonical renders the scope for a service account in namespace home, the
// form effective scopes are reported in: a Role in the home namespace drops
// its "@namespace".
func (s Scope) Canonical(home string) string {
	switch {
	case s.Kind == ScopeClusterRole && s.Namespace == "":
		return "clusterrole:" + s.Name
	case s.Kind == ScopeRole && s.Namespace == home:
		return "role:" + s.Name
	default:
		return s.Kind + ":" + s.Name + "@" + s.Namespace
	}
}

// CanonicalScopes parses and canonicalises scopes, sorted and de-duplicated.
func CanonicalScopes(scopes []string, home string) ([]string, error) {
	out := make([]string, 0, len(scopes))
	for _, s := range scopes {
		sc, err := ParseScope(s, home)
		if err != nil {
			return nil, err
		}
		out = append(out, sc.Canonical(home))
	}
	return sortedUnique(out), nil
}

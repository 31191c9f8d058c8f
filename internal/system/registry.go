package system

import (
	"fmt"
	"strings"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// Registry is the set of registered systems, in registration order. A nil
// registry has no systems.
type Registry struct {
	systems []Descriptor
	byName  map[string]int
	byType  map[string]typeRef
}

type typeRef struct {
	system     int
	kind       int
	credential bool
}

// NewRegistry registers descriptors. It panics on an empty or duplicate
// system name or resource type: registration is code, and such a mistake is
// a bug to fail on at start.
func NewRegistry(ds ...Descriptor) *Registry {
	r := &Registry{byName: map[string]int{}, byType: map[string]typeRef{}}
	for i, d := range ds {
		if d.Name == "" {
			panic("system: a descriptor has no name")
		}
		if _, dup := r.byName[d.Name]; dup {
			panic(fmt.Sprintf("system: %q is registered twice", d.Name))
		}
		r.byName[d.Name] = i
		add := func(t string, ref typeRef) {
			if t == "" {
				return
			}
			if _, dup := r.byType[t]; dup {
				panic(fmt.Sprintf("system: resource type %q is registered twice", t))
			}
			r.byType[t] = ref
		}
		for k, kind := range d.Kinds {
			add(kind.ResourceType, typeRef{system: i, kind: k})
		}
		for k, c := range d.Credentials {
			add(c.ResourceType, typeRef{system: i, kind: k, credential: true})
		}
		r.systems = append(r.systems, d)
	}
	return r
}

// All returns the descriptors in registration order.
func (r *Registry) All() []Descriptor {
	if r == nil {
		return nil
	}
	return r.systems
}

// Get returns the system called name.
func (r *Registry) Get(name string) (Descriptor, bool) {
	if r == nil {
		return Descriptor{}, false
	}
	i, ok := r.byName[name]
	if !ok {
		return Descriptor{}, false
	}
	return r.systems[i], true
}

// Kind returns the kind of identity of a system. A system with free-form
// kinds (Kind.KindAttr) returns that Kind for any kind it has no other
// entry for.
func (r *Registry) Kind(system, kind string) (Kind, bool) {
	d, ok := r.Get(system)
	if !ok {
		return Kind{}, false
	}
	for _, k := range d.Kinds {
		if k.Kind == kind {
			return k, true
		}
	}
	for _, k := range d.Kinds {
		if k.KindAttr != "" {
			return k, true
		}
	}
	return Kind{}, false
}

// Credential returns a system's credential kind.
func (r *Registry) Credential(system, kind string) (CredentialKind, bool) {
	d, ok := r.Get(system)
	if !ok {
		return CredentialKind{}, false
	}
	for _, c := range d.Credentials {
		if c.Kind == kind {
			return c, true
		}
	}
	return CredentialKind{}, false
}

// IsCredential reports whether kind is a credential kind of any system.
func (r *Registry) IsCredential(kind string) bool {
	for _, d := range r.All() {
		for _, c := range d.Credentials {
			if c.Kind == kind {
				return true
			}
		}
	}
	return false
}

// ByResourceType finds the identity kind a resource type declares.
func (r *Registry) ByResourceType(t string) (string, Kind, bool) {
	if r == nil {
		return "", Kind{}, false
	}
	ref, ok := r.byType[t]
	if !ok || ref.credential {
		return "", Kind{}, false
	}
	d := r.systems[ref.system]
	return d.Name, d.Kinds[ref.kind], true
}

// CredentialByResourceType finds the credential kind a resource type
// declares.
func (r *Registry) CredentialByResourceType(t string) (string, CredentialKind, bool) {
	if r == nil {
		return "", CredentialKind{}, false
	}
	ref, ok := r.byType[t]
	if !ok || !ref.credential {
		return "", CredentialKind{}, false
	}
	d := r.systems[ref.system]
	return d.Name, d.Credentials[ref.kind], true
}

// KindLabel names an identity kind for people, whichever system has it.
func (r *Registry) KindLabel(kind string) string {
	for _, d := range r.All() {
		for _, k := range d.Kinds {
			if k.Kind == kind && k.Label != "" {
				return k.Label
			}
		}
	}
	return strings.ReplaceAll(kind, "_", " ")
}

// CredentialLabel names a credential kind for people.
func (r *Registry) CredentialLabel(kind string) string {
	for _, d := range r.All() {
		for _, c := range d.Credentials {
			if c.Kind == kind && c.Label != "" {
				return c.Label
			}
		}
	}
	return "credential"
}

// Exclusion returns why an undeclared identity is left out by default, or "".
func (r *Registry) Exclusion(id nhi.Identity) string {
	d, ok := r.Get(id.System)
	if !ok {
		return ""
	}
	for _, e := range d.Exclusions {
		if e.Match != nil && e.Match(id) {
			return e.Reason
		}
	}
	return ""
}

// PrivilegedScopes returns every system's default privileged scopes, in
// registration order.
func (r *Registry) PrivilegedScopes() []string {
	var out []string
	for _, d := range r.All() {
		out = append(out, d.PrivilegedScopes...)
	}
	return out
}

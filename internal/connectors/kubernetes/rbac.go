package kubernetes

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/util/retry"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

const (
	kindCRB = "ClusterRoleBinding"
	kindRB  = "RoleBinding"
	// listPageSize bounds one page of a LIST call.
	listPageSize = 500
)

// binding is a ClusterRoleBinding or RoleBinding reduced to what grants need.
type binding struct {
	kind      string
	namespace string
	name      string
	roleKind  string
	roleName  string
	subjects  []rbacv1.Subject
	// owner is the declaration ("namespace/name") a provider-created binding
	// belongs to; empty for bindings the provider did not create.
	owner string
	// rv is the resourceVersion the binding was read at; uid its UID.
	rv  string
	uid types.UID
}

func (b *binding) key() string { return b.kind + "/" + b.namespace + "/" + b.name }

func (b *binding) scope(home string) string {
	if b.kind == kindCRB {
		return Scope{Kind: ScopeClusterRole, Name: b.roleName}.Canonical(home)
	}
	kind := ScopeRole
	if b.roleKind == "ClusterRole" {
		kind = ScopeClusterRole
	}
	return Scope{Kind: kind, Name: b.roleName, Namespace: b.namespace}.Canonical(home)
}

func (b *binding) names(ref nhi.Ref) bool {
	for _, s := range b.subjects {
		if b.isSubject(s, ref) {
			return true
		}
	}
	return false
}

// subjectRef is the service account a subject of b names. A ServiceAccount
// subject of a RoleBinding without a namespace is in the RoleBinding's
// namespace (as the API server's authorizer reads it); ok is false for
// other kinds of subject.
func (b *binding) subjectRef(s rbacv1.Subject) (ref nhi.Ref, ok bool) {
	if s.Kind != rbacv1.ServiceAccountKind {
		return nhi.Ref{}, false
	}
	ns := s.Namespace
	if ns == "" && b.kind == kindRB {
		ns = b.namespace
	}
	return nhi.Ref{Location: ns, Name: s.Name}, true
}

// isSubject reports whether subject s of b names ref.
func (b *binding) isSubject(s rbacv1.Subject, ref nhi.Ref) bool {
	got, ok := b.subjectRef(s)
	return ok && got == ref
}

// subjectRefs is the service accounts b names, each once (a binding may name
// one twice, with and without its namespace).
func (b *binding) subjectRefs() []nhi.Ref {
	var out []nhi.Ref
	seen := map[nhi.Ref]bool{}
	for _, s := range b.subjects {
		if ref, ok := b.subjectRef(s); ok && !seen[ref] {
			seen[ref] = true
			out = append(out, ref)
		}
	}
	return out
}

func (b *binding) String() string {
	if b.kind == kindCRB {
		return "ClusterRoleBinding " + b.name
	}
	return "RoleBinding " + b.namespace + "/" + b.name
}

// bindingIndex holds every binding of the cluster, indexed by the service
// accounts they name and by the declarations that own them. It is shared by
// the identities of one Terraform command and written through by the
// provider's own binding writes, so every access holds mu and callers get
// copies.
type bindingIndex struct {
	mu        *sync.RWMutex
	byKey     map[string]*binding
	bySubject map[nhi.Ref][]*binding
	byOwner   map[string][]*binding
}

func newBindingIndex() bindingIndex {
	return bindingIndex{mu: &sync.RWMutex{}, byKey: map[string]*binding{}, bySubject: map[nhi.Ref][]*binding{}, byOwner: map[string][]*binding{}}
}

// add indexes b; mu must be held (or the index not yet shared).
func (ix bindingIndex) add(b *binding) {
	ix.byKey[b.key()] = b
	if b.owner != "" {
		ix.byOwner[b.owner] = append(ix.byOwner[b.owner], b)
	}
	for _, ref := range b.subjectRefs() {
		ix.bySubject[ref] = append(ix.bySubject[ref], b)
	}
}

// drop removes the binding with key k; mu must be held.
func (ix bindingIndex) drop(k string) {
	old, ok := ix.byKey[k]
	if !ok {
		return
	}
	delete(ix.byKey, k)
	without := func(in []*binding) []*binding {
		out := in[:0:0]
		for _, b := range in {
			if b != old {
				out = append(out, b)
			}
		}
		return out
	}
	if old.owner != "" {
		ix.byOwner[old.owner] = without(ix.byOwner[old.owner])
	}
	for _, ref := range old.subjectRefs() {
		ix.bySubject[ref] = without(ix.bySubject[ref])
	}
}

// put writes a binding the API server returned through, unless the index
// already holds a newer version of it.
func (ix bindingIndex) put(b *binding) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	if cur, ok := ix.byKey[b.key()]; ok && newerRV(cur.rv, b.rv) {
		return
	}
	ix.drop(b.key())
	ix.add(b)
}

// remove forgets a binding the provider deleted.
func (ix bindingIndex) remove(k string) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.drop(k)
}

// related returns copies of the bindings that name ref or belong to its
// declaration.
func (ix bindingIndex) related(ref nhi.Ref) []binding {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	seen := map[*binding]bool{}
	var out []binding
	for _, b := range append(append([]*binding{}, ix.bySubject[ref]...), ix.byOwner[ref.String()]...) {
		if !seen[b] {
			seen[b] = true
			cp := *b
			cp.subjects = append([]rbacv1.Subject(nil), b.subjects...)
			out = append(out, cp)
		}
	}
	return out
}

// grantsOf returns copies of the bindings that name ref.
func (ix bindingIndex) grantsOf(ref nhi.Ref) []binding {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	out := make([]binding, 0, len(ix.bySubject[ref]))
	for _, b := range ix.bySubject[ref] {
		out = append(out, *b)
	}
	return out
}

// effectiveScopes is every grant naming ref, canonical and sorted.
func (ix bindingIndex) effectiveScopes(ref nhi.Ref) []string {
	var out []string
	for _, b := range ix.grantsOf(ref) {
		out = append(out, b.scope(ref.Location))
	}
	return sortedUnique(out)
}

func (c *Client) listBindings(ctx context.Context) (bindingIndex, error) {
	return cached(ctx, c, "bindings", func() (bindingIndex, error) { return c.listBindingsNow(ctx) })
}

// toBinding reduces an API object.
func (c *Client) toBinding(kind, namespace string, meta metav1.ObjectMeta, ref rbacv1.RoleRef, subjects []rbacv1.Subject) *binding {
	b := &binding{kind: kind, namespace: namespace, name: meta.Name, roleKind: ref.Kind, roleName: ref.Name, subjects: subjects, rv: meta.ResourceVersion, uid: meta.UID}
	if meta.Labels[ManagedByLabel] == ManagedByValue {
		b.owner = meta.Annotations[c.markers.ServiceAccount()]
	}
	return b
}

func (c *Client) listBindingsNow(ctx context.Context) (bindingIndex, error) {
	ix := newBindingIndex()
	opts := metav1.ListOptions{Limit: listPageSize}
	for {
		l, err := c.cs.RbacV1().ClusterRoleBindings().List(ctx, opts)
		if err != nil {
			return ix, wrap(err, "listing ClusterRoleBindings")
		}
		for i := range l.Items {
			it := &l.Items[i]
			ix.add(c.toBinding(kindCRB, "", it.ObjectMeta, it.RoleRef, it.Subjects))
		}
		if opts.Continue = l.Continue; opts.Continue == "" {
			break
		}
	}
	opts = metav1.ListOptions{Limit: listPageSize}
	for {
		l, err := c.cs.RbacV1().RoleBindings("").List(ctx, opts)
		if err != nil {
			return ix, wrap(err, "listing RoleBindings")
		}
		for i := range l.Items {
			it := &l.Items[i]
			ix.add(c.toBinding(kindRB, it.Namespace, it.ObjectMeta, it.RoleRef, it.Subjects))
		}
		if opts.Continue = l.Continue; opts.Continue == "" {
			break
		}
	}
	return ix, nil
}

// savedBinding writes a binding the provider just wrote through into the
// snapshot; deletedBinding forgets one it deleted.
func (c *Client) savedBinding(b *binding) {
	if ix, ok := c.loadedIndex(); ok {
		ix.put(b)
	}
}

func (c *Client) deletedBinding(b *binding) {
	if ix, ok := c.loadedIndex(); ok {
		ix.remove(b.key())
	}
}

// BindingName is the deterministic name of the binding the provider creates
// for one scope of one service account.
func BindingName(ref nhi.Ref, sc Scope) string {
	name := strings.Join([]string{"nhi", ref.Location, ref.Name, sc.Kind, sc.Name}, ":")
	if len(name) <= 253 {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return name[:240] + "-" + hex.EncodeToString(sum[:])[:12]
}

// MissingRoles returns the scopes whose ClusterRole or Role does not exist.
//
// With snapshots, a role is looked up in the command's role snapshot (one
// cluster-wide list of ClusterRoles and Roles, which the capability checks
// share), so checking N identities costs a constant number of requests
// instead of a GET per scope per identity at plan, at the apply's re-plan
// and in Create. A role the snapshot does not hold is asked for with a GET:
// it may have been created after the snapshot was taken (by a resource of
// the same apply that the scope references), and "missing" fails the plan,
// so it is never decided from a stale list. A caller that may get roles but
// not list them gets the GETs.
func (c *Client) MissingRoles(ctx context.Context, home string, scopes []string) ([]string, error) {
	var roles *roleIndex
	if c.snap != nil && !c.rolesUnlistable.Load() {
		ix, err := cached(ctx, c, "roles", func() (roleIndex, error) { return c.listRoles(ctx) })
		switch {
		case err == nil:
			roles = &ix
		case errors.Is(err, ErrForbidden):
			c.rolesUnlistable.Store(true)
		case ctx.Err() != nil:
			return nil, wrap(err, "checking the roles of scopes")
		}
		// Any other failure of the list: ask role by role, as without
		// snapshots (each GET has its own retries).
	}
	var missing []string
	for _, s := range scopes {
		sc, err := ParseScope(s, home)
		if err != nil {
			return nil, err
		}
		if roles != nil && roles.has(sc) {
			continue
		}
		if sc.Kind == ScopeClusterRole {
			_, err = c.cs.RbacV1().ClusterRoles().Get(ctx, sc.Name, metav1.GetOptions{})
		} else {
			_, err = c.cs.RbacV1().Roles(sc.Namespace).Get(ctx, sc.Name, metav1.GetOptions{})
		}
		switch {
		case apierrors.IsNotFound(err):
			missing = append(missing, s)
		case err != nil:
			return nil, wrap(err, "checking the role of scope "+s)
		}
	}
	return missing, nil
}

// has reports whether the role a scope binds is in the index.
func (ix roleIndex) has(sc Scope) bool {
	if sc.Kind == ScopeClusterRole {
		_, ok := ix.cluster[sc.Name]
		return ok
	}
	_, ok := ix.ns[sc.Namespace+"/"+sc.Name]
	return ok
}

// reconcileGrants makes the grants naming ref exactly the desired scopes:
// bindings granting anything else lose ref as a subject (and are deleted when
// the provider created them or ref was their only subject), and a binding is
// created for every desired scope not yet granted.
//
// With snapshots it works from the command's binding snapshot, which holds
// every change made before the command started and every write of this
// provider since (see snapshot): a grant someone adds while the apply runs
// is removed by the next apply, as with any single list.
func (c *Client) reconcileGrants(ctx context.Context, ref nhi.Ref, desired []Scope) error {
	ix, err := c.listBindings(ctx)
	if err != nil {
		return err
	}
	want := map[string]Scope{}
	for _, sc := range desired {
		want[sc.Canonical(ref.Location)] = sc
	}
	granted := map[string]bool{}
	var errs []error
	for _, rb := range ix.related(ref) {
		b := &rb
		sc := b.scope(ref.Location)
		_, wanted := want[sc]
		owned := b.owner == ref.String()
		names := b.names(ref)
		switch {
		case wanted && names:
			granted[sc] = true
		case wanted && owned && b.name == BindingName(ref, want[sc]):
			if err := c.addSubject(ctx, b, ref); err != nil {
				errs = append(errs, err)
				continue
			}
			granted[sc] = true
		case owned:
			errs = append(errs, c.deleteBinding(ctx, b))
		case names:
			errs = append(errs, c.removeSubject(ctx, b, ref))
		}
	}
	keys := make([]string, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !granted[k] {
			errs = append(errs, c.createBinding(ctx, ref, want[k]))
		}
	}
	return errors.Join(errs...)
}

func (c *Client) bindingMeta(ref nhi.Ref, sc Scope, token string) metav1.ObjectMeta {
	return metav1.ObjectMeta{
		Name:        BindingName(ref, sc),
		Namespace:   sc.Namespace,
		Labels:      map[string]string{ManagedByLabel: ManagedByValue},
		Annotations: map[string]string{c.markers.ServiceAccount(): ref.String(), c.markers.CreateToken(): token},
	}
}

// createBinding creates the binding of one scope with a create token and
// settles a lost answer by reading it back by name (see idempotent.go).
func (c *Client) createBinding(ctx context.Context, ref nhi.Ref, sc Scope) error {
	subjects := []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: ref.Name, Namespace: ref.Location}}
	token := newCreateToken()
	meta := c.bindingMeta(ref, sc, token)
	ours := func(m metav1.ObjectMeta) bool { return m.Annotations[c.markers.CreateToken()] == token }
	var saved *binding
	var err error
	if sc.Kind == ScopeClusterRole && sc.Namespace == "" {
		meta.Namespace = ""
		crbs := c.cs.RbacV1().ClusterRoleBindings()
		want := &rbacv1.ClusterRoleBinding{
			ObjectMeta: meta,
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: sc.Name},
			Subjects:   subjects,
		}
		var res creation[*rbacv1.ClusterRoleBinding]
		res, err = createSafely(ctx,
			func(ctx context.Context) (*rbacv1.ClusterRoleBinding, error) {
				return crbs.Create(ctx, want.DeepCopy(), metav1.CreateOptions{})
			},
			func(ctx context.Context) (lookupResult[*rbacv1.ClusterRoleBinding], error) {
				got, err := crbs.Get(ctx, meta.Name, metav1.GetOptions{})
				if apierrors.IsNotFound(err) {
					return lookupResult[*rbacv1.ClusterRoleBinding]{}, nil
				}
				if err != nil {
					return lookupResult[*rbacv1.ClusterRoleBinding]{}, err
				}
				return lookupResult[*rbacv1.ClusterRoleBinding]{obj: got, exists: true, ours: ours(got.ObjectMeta)}, nil
			},
			func(ctx context.Context, got *rbacv1.ClusterRoleBinding) error {
				return c.deleteBinding(ctx, c.toBinding(kindCRB, "", got.ObjectMeta, got.RoleRef, got.Subjects))
			})
		if got := res.obj; got != nil {
			saved = c.toBinding(kindCRB, "", got.ObjectMeta, got.RoleRef, got.Subjects)
		}
	} else {
		roleKind := "Role"
		if sc.Kind == ScopeClusterRole {
			roleKind = "ClusterRole"
		}
		rbs := c.cs.RbacV1().RoleBindings(sc.Namespace)
		want := &rbacv1.RoleBinding{
			ObjectMeta: meta,
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: roleKind, Name: sc.Name},
			Subjects:   subjects,
		}
		var res creation[*rbacv1.RoleBinding]
		res, err = createSafely(ctx,
			func(ctx context.Context) (*rbacv1.RoleBinding, error) {
				return rbs.Create(ctx, want.DeepCopy(), metav1.CreateOptions{})
			},
			func(ctx context.Context) (lookupResult[*rbacv1.RoleBinding], error) {
				got, err := rbs.Get(ctx, meta.Name, metav1.GetOptions{})
				if apierrors.IsNotFound(err) {
					return lookupResult[*rbacv1.RoleBinding]{}, nil
				}
				if err != nil {
					return lookupResult[*rbacv1.RoleBinding]{}, err
				}
				return lookupResult[*rbacv1.RoleBinding]{obj: got, exists: true, ours: ours(got.ObjectMeta)}, nil
			},
			func(ctx context.Context, got *rbacv1.RoleBinding) error {
				return c.deleteBinding(ctx, c.toBinding(kindRB, got.Namespace, got.ObjectMeta, got.RoleRef, got.Subjects))
			})
		if got := res.obj; got != nil {
			saved = c.toBinding(kindRB, got.Namespace, got.ObjectMeta, got.RoleRef, got.Subjects)
		}
	}
	if saved != nil {
		// Created, or left behind by a cancelled create that could not
		// remove it: either way it exists, and the snapshot says so, so
		// the rollback of the service account finds and removes it.
		c.savedBinding(saved)
	}
	if errors.Is(err, errTaken) || apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("granting scope %q to %s: a binding named %q already exists and was not created by this declaration; rename or delete it", sc.Canonical(ref.Location), ref, BindingName(ref, sc))
	}
	return wrap(err, fmt.Sprintf("granting scope %q to service account %s", sc.Canonical(ref.Location), ref))
}

// deleteBinding deletes a binding the provider created. With the UID it was
// read at as a precondition the request is safe to repeat, so the retry
// layer retries it after a lost answer (the repeat answers 404, which is
// success). A 409 means the snapshot is older than the binding (somebody
// replaced it since): the one there now is read and deleted, as a delete by
// name does.
func (c *Client) deleteBinding(ctx context.Context, b *binding) error {
	del := func(uid types.UID) error {
		opts := metav1.DeleteOptions{}
		if uid != "" {
			opts.Preconditions = &metav1.Preconditions{UID: &uid}
		}
		if b.kind == kindCRB {
			return c.cs.RbacV1().ClusterRoleBindings().Delete(ctx, b.name, opts)
		}
		return c.cs.RbacV1().RoleBindings(b.namespace).Delete(ctx, b.name, opts)
	}
	err := del(b.uid)
	if apierrors.IsConflict(err) {
		var uid types.UID
		if b.kind == kindCRB {
			var cur *rbacv1.ClusterRoleBinding
			if cur, err = c.cs.RbacV1().ClusterRoleBindings().Get(ctx, b.name, metav1.GetOptions{}); err == nil {
				uid = cur.UID
			}
		} else {
			var cur *rbacv1.RoleBinding
			if cur, err = c.cs.RbacV1().RoleBindings(b.namespace).Get(ctx, b.name, metav1.GetOptions{}); err == nil {
				uid = cur.UID
			}
		}
		if err == nil {
			err = del(uid)
		}
	}
	if err == nil || apierrors.IsNotFound(err) {
		c.deletedBinding(b)
		return nil
	}
	return wrap(err, "deleting "+b.String())
}

// conflictBackoff bounds retries of subject edits on a shared binding: many
// identities applied in parallel may edit one binding at once. Jitter spreads
// the writers; 10 tries and a 2s cap bound the wait to well under a minute.
var conflictBackoff = wait.Backoff{Steps: 10, Duration: 10 * time.Millisecond, Factor: 2, Jitter: 1, Cap: 2 * time.Second}

// editSubjects rewrites a binding's subjects under optimistic concurrency,
// retrying on conflict with a fresh read. A binding left without subjects is
// deleted.
func (c *Client) editSubjects(ctx context.Context, b *binding, edit func([]rbacv1.Subject) []rbacv1.Subject) error {
	var saved *binding
	err := retry.RetryOnConflict(conflictBackoff, func() error {
		saved = nil
		if b.kind == kindCRB {
			cur, err := c.cs.RbacV1().ClusterRoleBindings().Get(ctx, b.name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			cur.Subjects = edit(cur.Subjects)
			if len(cur.Subjects) == 0 {
				return c.cs.RbacV1().ClusterRoleBindings().Delete(ctx, b.name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &cur.ResourceVersion}})
			}
			got, err := c.cs.RbacV1().ClusterRoleBindings().Update(ctx, cur, metav1.UpdateOptions{})
			if err == nil {
				saved = c.toBinding(kindCRB, "", got.ObjectMeta, got.RoleRef, got.Subjects)
			}
			return err
		}
		cur, err := c.cs.RbacV1().RoleBindings(b.namespace).Get(ctx, b.name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Subjects = edit(cur.Subjects)
		if len(cur.Subjects) == 0 {
			return c.cs.RbacV1().RoleBindings(b.namespace).Delete(ctx, b.name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{ResourceVersion: &cur.ResourceVersion}})
		}
		got, err := c.cs.RbacV1().RoleBindings(b.namespace).Update(ctx, cur, metav1.UpdateOptions{})
		if err == nil {
			saved = c.toBinding(kindRB, got.Namespace, got.ObjectMeta, got.RoleRef, got.Subjects)
		}
		return err
	})
	switch {
	case err == nil && saved != nil:
		c.savedBinding(saved)
	case err == nil || apierrors.IsNotFound(err):
		c.deletedBinding(b) // left without subjects, or gone already
		return nil
	}
	return wrap(err, "updating the subjects of "+b.String())
}

func (c *Client) removeSubject(ctx context.Context, b *binding, ref nhi.Ref) error {
	return c.editSubjects(ctx, b, func(in []rbacv1.Subject) []rbacv1.Subject {
		out := make([]rbacv1.Subject, 0, len(in))
		for _, s := range in {
			if !b.isSubject(s, ref) {
				out = append(out, s)
			}
		}
		return out
	})
}

func (c *Client) addSubject(ctx context.Context, b *binding, ref nhi.Ref) error {
	return c.editSubjects(ctx, b, func(in []rbacv1.Subject) []rbacv1.Subject {
		for _, s := range in {
			if b.isSubject(s, ref) {
				return in
			}
		}
		return append(in, rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: ref.Name, Namespace: ref.Location})
	})
}

func sortedUnique(in []string) []string { return nhi.SortedUnique(in) }

package kubernetes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"

	"github.com/nhi-ops/terraform-provider-nhi/internal/cleanup"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// ServiceAccountSpec is the desired state of a declared service account.
type ServiceAccountSpec struct {
	nhi.Spec
	AutomountToken bool
}

var (
	_ nhi.Inventory                                     = (*Client)(nil)
	_ nhi.Provisioner[ServiceAccountSpec, nhi.Identity] = (*Client)(nil)
)

// ServiceAccounts is the write side of service accounts: the client itself,
// as an nhi.Provisioner.
func (c *Client) ServiceAccounts() nhi.Provisioner[ServiceAccountSpec, nhi.Identity] { return c }

// legacyTokenNameAnnotation links a token Secret to its service account.
const legacyTokenNameAnnotation = corev1.ServiceAccountNameKey

// Get reads one service account with its effective scopes and credentials.
func (c *Client) Get(ctx context.Context, ref nhi.Ref) (nhi.Identity, error) {
	sa, err := c.serviceAccount(ctx, ref)
	if err != nil {
		return nhi.Identity{}, wrap(err, "reading service account "+ref.String())
	}
	ix, err := c.listBindings(ctx)
	if err != nil {
		return nhi.Identity{}, err
	}
	creds, err := c.listTokenSecrets(ctx, c.tokenScope(ref.Location))
	if err != nil {
		return nhi.Identity{}, err
	}
	return c.identity(sa, ix, creds), nil
}

// List returns one page of service accounts, with their risky capabilities
// (access.go; the roles are listed once per command). Options.Locations are
// namespaces; Declared filters on the managed-by label on the server.
func (c *Client) List(ctx context.Context, opts nhi.ListOptions) (nhi.Page, error) {
	ns := ""
	if len(opts.Locations) == 1 {
		ns = opts.Locations[0]
	}
	lo := metav1.ListOptions{Limit: int64(opts.PageSize), Continue: opts.PageToken}
	if lo.Limit <= 0 {
		lo.Limit = listPageSize
	}
	if opts.Declared != nil {
		op := selection.Equals
		if !*opts.Declared {
			op = selection.NotEquals
		}
		req, err := labels.NewRequirement(ManagedByLabel, op, []string{ManagedByValue})
		if err != nil {
			return nhi.Page{}, err
		}
		lo.LabelSelector = labels.NewSelector().Add(*req).String()
	}
	l, err := c.cs.CoreV1().ServiceAccounts(ns).List(ctx, lo)
	if err != nil {
		return nhi.Page{}, wrap(err, "listing service accounts")
	}
	page := nhi.Page{NextPageToken: l.Continue}
	if len(l.Items) == 0 {
		return page, nil
	}
	ix, err := c.listBindings(ctx)
	if err != nil {
		return nhi.Page{}, err
	}
	creds, err := c.listTokenSecrets(ctx, ns)
	if err != nil {
		return nhi.Page{}, err
	}
	// Capabilities need the roles. An identity that may list service
	// accounts but not roles still gets its inventory, with capabilities
	// marked unknown rather than reported as none.
	acc, err := c.resolver(ctx, ix)
	rolesHidden := errors.Is(err, ErrForbidden)
	if err != nil && !rolesHidden {
		return nhi.Page{}, err
	}
	keep := map[string]bool{}
	for _, l := range opts.Locations {
		keep[l] = true
	}
	for i := range l.Items {
		sa := &l.Items[i]
		if len(keep) > 0 && !keep[sa.Namespace] {
			continue
		}
		id := c.identity(sa, ix, creds)
		if rolesHidden {
			id.CapabilitiesUnknown = true
		} else {
			id.Capabilities = acc.capabilities(id.Ref)
		}
		if opts.Owner != "" && id.Governance.Owner != opts.Owner {
			continue
		}
		page.Identities = append(page.Identities, id)
	}
	return page, nil
}

// listTokenSecrets indexes legacy service-account token Secrets by the
// service account they belong to. An empty namespace means all namespaces.
func (c *Client) listTokenSecrets(ctx context.Context, namespace string) (map[nhi.Ref][]nhi.Credential, error) {
	return cached(ctx, c, "tokens/"+namespace, func() (map[nhi.Ref][]nhi.Credential, error) { return c.listTokenSecretsNow(ctx, namespace) })
}

func (c *Client) listTokenSecretsNow(ctx context.Context, namespace string) (map[nhi.Ref][]nhi.Credential, error) {
	out := map[nhi.Ref][]nhi.Credential{}
	lo := metav1.ListOptions{Limit: listPageSize, FieldSelector: "type=" + string(corev1.SecretTypeServiceAccountToken)}
	for {
		l, err := c.cs.CoreV1().Secrets(namespace).List(ctx, lo)
		if err != nil {
			return nil, wrap(err, "listing service account token Secrets")
		}
		for _, s := range l.Items {
			owner := s.Annotations[legacyTokenNameAnnotation]
			if owner == "" {
				continue
			}
			ref := nhi.Ref{Location: s.Namespace, Name: owner}
			cred := nhi.Credential{
				ID:        s.Namespace + "/" + s.Name,
				UID:       string(s.UID),
				Kind:      CredentialLegacyToken,
				CreatedAt: s.CreationTimestamp.UTC(),
				// Governed only with the full markers the token resource
				// writes; the managed-by label alone anyone can set.
				Declared:          c.governedToken(&s),
				MarkersIncomplete: !c.governedToken(&s) && c.writtenByProvider(&s),
			}
			if c.writtenByProvider(&s) {
				// The owner the token resource recorded on the Secret; an
				// owner annotation without the provider's label is not one.
				cred.Owner = strings.TrimSpace(s.Annotations[c.markers.Owner()])
			}
			out[ref] = append(out[ref], cred)
		}
		if lo.Continue = l.Continue; lo.Continue == "" {
			return out, nil
		}
	}
}

// identity converts a service account to the model.
func (c *Client) identity(sa *corev1.ServiceAccount, ix bindingIndex, creds map[nhi.Ref][]nhi.Credential) nhi.Identity {
	ref := nhi.Ref{Location: sa.Namespace, Name: sa.Name}
	m := c.markers
	a := sa.Annotations
	id := nhi.Identity{
		System:          SystemName,
		Kind:            KindServiceAccount,
		ID:              string(sa.UID),
		Ref:             ref,
		Declared:        sa.Labels[ManagedByLabel] == ManagedByValue,
		Disabled:        a[m.DisabledAt()] != "",
		EffectiveScopes: ix.effectiveScopes(ref),
		AutomountToken:  sa.AutomountServiceAccountToken,
		CreatedAt:       sa.CreationTimestamp.UTC(),
		Credentials:     creds[ref],
		Governance: nhi.Governance{
			Owner:    a[m.Owner()],
			Purpose:  a[m.Purpose()],
			OnExpiry: nhi.OnExpiry(a[m.OnExpiry()]),
		},
	}
	if t, err := nhi.ParseExpiry(a[m.ExpiresAt()]); err == nil {
		id.Governance.ExpiresAt = t
	}
	if raw := a[m.Scopes()]; raw != "" {
		var scopes []string
		if json.Unmarshal([]byte(raw), &scopes) == nil {
			id.Governance.Scopes = scopes
		}
	}
	for k, v := range sa.Labels {
		if m.IsReservedKey(k) {
			continue
		}
		if id.Labels == nil {
			id.Labels = map[string]string{}
		}
		id.Labels[k] = v
	}
	return id
}

// desiredScopes parses a spec's scopes.
func desiredScopes(spec ServiceAccountSpec) ([]Scope, error) {
	out := make([]Scope, 0, len(spec.Governance.Scopes))
	for _, s := range spec.Governance.Scopes {
		sc, err := ParseScope(s, spec.Ref.Location)
		if err != nil {
			return nil, err
		}
		out = append(out, sc)
	}
	return out, nil
}

func (c *Client) checkRoles(ctx context.Context, spec ServiceAccountSpec) error {
	missing, err := c.MissingRoles(ctx, spec.Ref.Location, spec.Governance.Scopes)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("the roles of scopes %q do not exist: %w", missing, nhi.ErrNotFound)
	}
	return nil
}

// apply writes the governance markers, labels and automount setting onto sa.
func (c *Client) apply(sa *corev1.ServiceAccount, spec ServiceAccountSpec, disabledAt string) {
	m := c.markers
	lbl := map[string]string{}
	for k, v := range spec.Labels {
		lbl[k] = v
	}
	lbl[ManagedByLabel] = ManagedByValue
	sa.Labels = lbl
	if sa.Annotations == nil {
		sa.Annotations = map[string]string{}
	}
	canon, err := CanonicalScopes(spec.Governance.Scopes, spec.Ref.Location)
	if err != nil {
		canon = nhi.SortedUnique(spec.Governance.Scopes)
	}
	scopes, _ := json.Marshal(canon)
	sa.Annotations[m.Owner()] = spec.Governance.Owner
	sa.Annotations[m.Purpose()] = spec.Governance.Purpose
	sa.Annotations[m.ExpiresAt()] = nhi.FormatTime(spec.Governance.ExpiresAt)
	sa.Annotations[m.Scopes()] = string(scopes)
	onExpiry := spec.Governance.OnExpiry
	if onExpiry == "" {
		onExpiry = nhi.OnExpiryDisable
	}
	sa.Annotations[m.OnExpiry()] = string(onExpiry)
	automount := spec.AutomountToken
	if disabledAt != "" {
		sa.Annotations[m.DisabledAt()] = disabledAt
		automount = false
	} else {
		delete(sa.Annotations, m.DisabledAt())
	}
	sa.AutomountServiceAccountToken = &automount
}

// Create creates the service account and its bindings and reads it back.
// When a later step fails (a binding, the read-back, or a cancelled apply),
// everything created so far is removed again with a cleanup context that
// survives the cancellation, so a failed create leaves nothing behind. When
// even the removal fails, the returned identity names the service account
// (ID and Ref set) together with the error, so the caller records it in
// state instead of orphaning it.
func (c *Client) Create(ctx context.Context, spec ServiceAccountSpec) (nhi.Identity, error) {
	desired, err := desiredScopes(spec)
	if err != nil {
		return nhi.Identity{}, err
	}
	if err := c.checkRoles(ctx, spec); err != nil {
		return nhi.Identity{}, err
	}
	created, err := c.createServiceAccount(ctx, spec)
	if err != nil {
		if created != nil {
			return c.identity(created, newBindingIndex(), nil), err
		}
		return nhi.Identity{}, err
	}
	c.savedServiceAccount(created)
	id, err := c.finishCreate(ctx, spec.Ref, desired)
	if err == nil {
		return id, nil
	}
	if rerr := cleanup.Do(ctx, func(ctx context.Context) error { return c.Delete(ctx, spec.Ref) }); rerr != nil {
		return c.identity(created, newBindingIndex(), nil), fmt.Errorf("%w; removing the service account again also failed (%v): it is kept in state, and the next apply replaces it", err, rerr)
	}
	return nhi.Identity{}, fmt.Errorf("%w; the service account and any bindings created for it were removed again", err)
}

// createServiceAccount creates the service account with a create token and
// settles a lost answer by reading it back (see idempotent.go). On an error
// it returns the account only when the account exists and could not be
// removed again.
func (c *Client) createServiceAccount(ctx context.Context, spec ServiceAccountSpec) (*corev1.ServiceAccount, error) {
	ref := spec.Ref
	token := newCreateToken()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: ref.Name, Namespace: ref.Location}}
	c.apply(sa, spec, "")
	sa.Annotations[c.markers.CreateToken()] = token
	sas := c.cs.CoreV1().ServiceAccounts(ref.Location)
	res, err := createSafely(ctx,
		func(ctx context.Context) (*corev1.ServiceAccount, error) {
			return sas.Create(ctx, sa.DeepCopy(), metav1.CreateOptions{})
		},
		func(ctx context.Context) (lookupResult[*corev1.ServiceAccount], error) {
			got, err := sas.Get(ctx, ref.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return lookupResult[*corev1.ServiceAccount]{}, nil
			}
			if err != nil {
				return lookupResult[*corev1.ServiceAccount]{}, err
			}
			return lookupResult[*corev1.ServiceAccount]{obj: got, exists: true, ours: got.Annotations[c.markers.CreateToken()] == token}, nil
		},
		func(ctx context.Context, got *corev1.ServiceAccount) error {
			return c.deleteServiceAccount(ctx, ref, got.UID)
		})
	switch {
	case err == nil:
		return res.obj, nil
	case errors.Is(err, errTaken) || apierrors.IsAlreadyExists(err):
		return nil, fmt.Errorf("service account %s already exists; import it with `terraform import` (ID %q) to adopt it", ref, ref.String())
	case res.left:
		return res.obj, fmt.Errorf("creating service account %s: %w: it is kept in state, and the next apply replaces it", ref, err)
	}
	return nil, wrap(err, "creating service account "+ref.String())
}

// finishCreate makes the grants of a just-created service account and reads
// it back.
func (c *Client) finishCreate(ctx context.Context, ref nhi.Ref, desired []Scope) (nhi.Identity, error) {
	if err := c.reconcileGrants(ctx, ref, desired); err != nil {
		return nhi.Identity{}, err
	}
	return c.Get(ctx, ref)
}

// Update writes governance, labels and automount, lifts a disable, and makes
// the grants exactly the declared scopes.
func (c *Client) Update(ctx context.Context, spec ServiceAccountSpec) (nhi.Identity, error) {
	desired, err := desiredScopes(spec)
	if err != nil {
		return nhi.Identity{}, err
	}
	if err := c.checkRoles(ctx, spec); err != nil {
		return nhi.Identity{}, err
	}
	return c.write(ctx, spec, desired, "")
}

// Disable keeps the service account but strips every grant and turns token
// automount off, recording when it was disabled. now is the evaluation time
// of the provider's clock (the same instant that decided the expiry), never
// the wall clock behind its back; a service account disabled before keeps
// its first disable time.
func (c *Client) Disable(ctx context.Context, spec ServiceAccountSpec, now time.Time) (nhi.Identity, error) {
	if now.IsZero() {
		return nhi.Identity{}, errors.New("disabling service account " + spec.Ref.String() + ": no evaluation time given")
	}
	return c.write(ctx, spec, nil, nhi.FormatTime(now))
}

func (c *Client) write(ctx context.Context, spec ServiceAccountSpec, desired []Scope, disabledAt string) (nhi.Identity, error) {
	// The first try edits the command's snapshot of the account (the
	// refresh read it already): the update carries its resourceVersion, so
	// if the account changed since, the API server answers 409 and the
	// retry edits a fresh read instead. A plan's update costs the PUT, not
	// a GET and a PUT.
	fromSnapshot := c.snap != nil
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		var sa *corev1.ServiceAccount
		var err error
		if fromSnapshot {
			fromSnapshot = false
			sa, err = c.serviceAccount(ctx, spec.Ref)
		}
		if sa == nil && (err == nil || apierrors.IsNotFound(err)) {
			// Not in the snapshot (made after it was taken): ask.
			sa, err = c.cs.CoreV1().ServiceAccounts(spec.Ref.Location).Get(ctx, spec.Ref.Name, metav1.GetOptions{})
		}
		if err != nil {
			return err
		}
		at := disabledAt
		if at != "" && sa.Annotations[c.markers.DisabledAt()] != "" {
			at = sa.Annotations[c.markers.DisabledAt()] // keep the first disable time
		}
		c.apply(sa, spec, at)
		updated, err := c.cs.CoreV1().ServiceAccounts(spec.Ref.Location).Update(ctx, sa, metav1.UpdateOptions{})
		if err == nil {
			c.savedServiceAccount(updated)
		}
		return err
	})
	if err != nil {
		return nhi.Identity{}, wrap(err, "updating service account "+spec.Ref.String())
	}
	if err := c.reconcileGrants(ctx, spec.Ref, desired); err != nil {
		return nhi.Identity{}, err
	}
	return c.Get(ctx, spec.Ref)
}

// Delete removes the bindings created for the service account, removes it
// from every other binding that names it (so a later account with the same
// name inherits nothing), and deletes it. A missing account is not an error.
func (c *Client) Delete(ctx context.Context, ref nhi.Ref) error {
	if err := c.reconcileGrants(ctx, ref, nil); err != nil {
		return err
	}
	uid, err := c.serviceAccountUID(ctx, ref)
	switch {
	case apierrors.IsNotFound(err):
		c.deletedServiceAccount(ref)
		return nil
	case err != nil:
		return wrap(err, "reading service account "+ref.String()+" to delete it")
	}
	err = c.deleteServiceAccount(ctx, ref, uid)
	if apierrors.IsConflict(err) {
		// The snapshot is older than the account: somebody replaced it
		// since. Delete the one there now, as a delete by name does.
		cur, gerr := c.cs.CoreV1().ServiceAccounts(ref.Location).Get(ctx, ref.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(gerr):
			err = nil
		case gerr != nil:
			err = gerr
		default:
			err = c.deleteServiceAccount(ctx, ref, cur.UID)
		}
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return wrap(err, "deleting service account "+ref.String())
	}
	c.deletedServiceAccount(ref)
	return nil
}

// serviceAccountUID is the UID of a service account: from the snapshot when
// one is loaded and holds it, else from a GET (never a cluster-wide list
// just for this).
func (c *Client) serviceAccountUID(ctx context.Context, ref nhi.Ref) (types.UID, error) {
	if c.snap != nil {
		if v, ok := c.snap.peek("serviceaccounts"); ok {
			x := v.(saIndex)
			x.mu.RLock()
			sa, found := x.byRf[ref]
			x.mu.RUnlock()
			if found {
				return sa.UID, nil
			}
			// Not in the snapshot: made after it, perhaps; ask.
		}
	}
	sa, err := c.cs.CoreV1().ServiceAccounts(ref.Location).Get(ctx, ref.Name, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	return sa.UID, nil
}

// deleteServiceAccount deletes the service account with this UID. The UID
// precondition makes the request safe to repeat, so the retry layer retries
// it after a lost answer (the repeat finds nothing: 404, which is success),
// and it never deletes an account that replaced this one (409 Conflict).
func (c *Client) deleteServiceAccount(ctx context.Context, ref nhi.Ref, uid types.UID) error {
	err := c.cs.CoreV1().ServiceAccounts(ref.Location).Delete(ctx, ref.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
	if err == nil || apierrors.IsNotFound(err) {
		c.deletedServiceAccount(ref)
		return nil
	}
	return err
}

// IsNotFound reports whether err means the object does not exist.
func IsNotFound(err error) bool { return errors.Is(err, nhi.ErrNotFound) }

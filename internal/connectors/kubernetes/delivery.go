package kubernetes

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// DeliveredCredential is a credential of another system (an AWS access key)
// handed to workloads through a Secret this provider manages (Opaque
// unless Type says otherwise). The Secret records which credential it
// holds, never in a label or annotation that carries the secret itself.
type DeliveredCredential struct {
	Ref nhi.Ref
	// CredentialID names the credential (an access key ID); not secret.
	CredentialID string
	// Data is the Secret's content; only set when writing.
	Data       map[string][]byte
	Governance nhi.Governance
	// Type is the Secret's type, such as kubernetes.io/ssh-auth for an SSH
	// key (Data must then hold the keys that type requires); empty means
	// Opaque. Kubernetes never changes a Secret's type, so writing a
	// provider-owned Secret of another type deletes it and creates it anew.
	Type corev1.SecretType
}

// secretType is d's Secret type, Opaque by default.
func (d DeliveredCredential) secretType() corev1.SecretType {
	if d.Type == "" {
		return corev1.SecretTypeOpaque
	}
	return d.Type
}

// CredentialID names the annotation recording which credential a delivery
// Secret holds.
func (m Markers) CredentialID() string { return m.Prefix + "/credential-id" }

// PutDeliveredCredential creates or replaces a delivery Secret. A Secret of
// that name that this provider does not manage is refused, so nothing a
// person made is overwritten.
//
// Both writes are safe to repeat. The create carries a create token and
// settles a lost answer by reading the Secret back (see idempotent.go). The
// replace is a PUT carrying the resourceVersion it read, so the retry layer
// resends it after a lost answer; a resend that meets the first one's work
// answers 409, and the Secret is read and written again (the same content
// again, which changes nothing a reader sees).
//
// A Secret's type cannot be changed, so a provider-owned Secret of another
// type (one an earlier version wrote Opaque) is deleted, on the condition
// that it is still the one read, and created again with the new type and
// content; readers see no Secret for that moment.
func (c *Client) PutDeliveredCredential(ctx context.Context, d DeliveredCredential) error {
	m := c.markers
	want := func() *corev1.Secret {
		ann := map[string]string{m.CredentialID(): d.CredentialID, m.Owner(): d.Governance.Owner, m.Purpose(): d.Governance.Purpose}
		return &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: d.Ref.Name, Namespace: d.Ref.Location, Labels: map[string]string{ManagedByLabel: ManagedByValue}, Annotations: ann},
			Type:       d.secretType(),
			Data:       d.Data,
		}
	}
	secrets := c.cs.CoreV1().Secrets(d.Ref.Location)
	return retry.RetryOnConflict(conflictBackoff, func() error {
		cur, err := secrets.Get(ctx, d.Ref.Name, metav1.GetOptions{})
		switch {
		case apierrors.IsNotFound(err):
			return c.createDelivered(ctx, want())
		case err != nil:
			return wrap(err, "reading Secret "+d.Ref.String())
		case cur.Labels[ManagedByLabel] != ManagedByValue || cur.Annotations[m.CredentialID()] == "":
			return fmt.Errorf("Secret %s exists and is not a credential Secret of this provider; choose another name, or delete it first", d.Ref)
		case cur.Type != d.secretType():
			uid, rv := cur.UID, cur.ResourceVersion
			err := secrets.Delete(ctx, d.Ref.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid, ResourceVersion: &rv}})
			if err != nil && !apierrors.IsNotFound(err) {
				if apierrors.IsConflict(err) {
					return err // changed meanwhile: read it again
				}
				return wrap(err, fmt.Sprintf("deleting Secret %s of type %s to write it as %s (a Secret's type cannot be changed)", d.Ref, cur.Type, d.secretType()))
			}
			if err := c.createDelivered(ctx, want()); err != nil {
				return fmt.Errorf("%w (Secret %s of type %s was deleted to be written as %s, since a Secret's type cannot be changed; the next write creates it)", err, d.Ref, cur.Type, d.secretType())
			}
			return nil
		}
		s := want()
		s.ResourceVersion = cur.ResourceVersion
		_, err = secrets.Update(ctx, s, metav1.UpdateOptions{})
		return wrap(err, "updating Secret "+d.Ref.String())
	})
}

// createDelivered creates a delivery Secret with a create token, adopting it
// when a lost answer turns out to have created it.
func (c *Client) createDelivered(ctx context.Context, s *corev1.Secret) error {
	ref := nhi.Ref{Location: s.Namespace, Name: s.Name}
	key, token := c.markers.CreateToken(), newCreateToken()
	s.Annotations[key] = token
	secrets := c.cs.CoreV1().Secrets(ref.Location)
	res, err := createSafely(ctx,
		func(ctx context.Context) (*corev1.Secret, error) {
			return secrets.Create(ctx, s.DeepCopy(), metav1.CreateOptions{})
		},
		func(ctx context.Context) (lookupResult[*corev1.Secret], error) {
			got, err := secrets.Get(ctx, ref.Name, metav1.GetOptions{})
			if apierrors.IsNotFound(err) {
				return lookupResult[*corev1.Secret]{}, nil
			}
			if err != nil {
				return lookupResult[*corev1.Secret]{}, err
			}
			return lookupResult[*corev1.Secret]{obj: got, exists: true, ours: got.Annotations[key] == token}, nil
		},
		func(ctx context.Context, got *corev1.Secret) error {
			uid := got.UID
			err := secrets.Delete(ctx, ref.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid}})
			if apierrors.IsNotFound(err) {
				return nil
			}
			return err
		})
	if res.left {
		return fmt.Errorf("creating Secret %s: %w; it is this provider's credential Secret, so the next write of it replaces it", ref, err)
	}
	if errors.Is(err, errTaken) {
		return fmt.Errorf("Secret %s was created by somebody else meanwhile; choose another name, or delete it first", ref)
	}
	return wrap(err, "creating Secret "+ref.String())
}

// DeliveredCredentialID returns which credential a delivery Secret holds,
// or an error wrapping nhi.ErrNotFound when the Secret does not exist.
func (c *Client) DeliveredCredentialID(ctx context.Context, ref nhi.Ref) (string, error) {
	s, err := c.cs.CoreV1().Secrets(ref.Location).Get(ctx, ref.Name, metav1.GetOptions{})
	if err != nil {
		return "", wrap(err, "reading Secret "+ref.String())
	}
	return s.Annotations[c.markers.CredentialID()], nil
}

// ReadDeliveredCredential returns what a delivery Secret records: the
// credential it holds, the governance (owner, purpose) of the resource that
// delivered it, and its type; never its Data. An error wrapping
// nhi.ErrNotFound means the Secret does not exist; a Secret this provider
// did not write comes back with an empty CredentialID.
func (c *Client) ReadDeliveredCredential(ctx context.Context, ref nhi.Ref) (DeliveredCredential, error) {
	s, err := c.cs.CoreV1().Secrets(ref.Location).Get(ctx, ref.Name, metav1.GetOptions{})
	if err != nil {
		return DeliveredCredential{}, wrap(err, "reading Secret "+ref.String())
	}
	m := c.markers
	d := DeliveredCredential{Ref: ref, Type: s.Type, Governance: nhi.Governance{Owner: s.Annotations[m.Owner()], Purpose: s.Annotations[m.Purpose()]}}
	if s.Labels[ManagedByLabel] == ManagedByValue {
		d.CredentialID = s.Annotations[m.CredentialID()]
	}
	return d, nil
}

// DeleteDeliveredCredential deletes a delivery Secret only while it still
// holds credentialID: after a create_before_destroy rotation the Secret
// holds the new key, and deleting the old key must not remove it.
func (c *Client) DeleteDeliveredCredential(ctx context.Context, ref nhi.Ref, credentialID string) error {
	s, err := c.cs.CoreV1().Secrets(ref.Location).Get(ctx, ref.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return wrap(err, "reading Secret "+ref.String())
	}
	if s.Annotations[c.markers.CredentialID()] != credentialID {
		return nil
	}
	uid := s.UID
	err = c.cs.CoreV1().Secrets(ref.Location).Delete(ctx, ref.Name, metav1.DeleteOptions{Preconditions: &metav1.Preconditions{UID: &uid, ResourceVersion: &s.ResourceVersion}})
	if apierrors.IsNotFound(err) || apierrors.IsConflict(err) {
		return nil // gone, or rewritten meanwhile by a newer credential
	}
	return wrap(err, "deleting Secret "+ref.String())
}

// CheckDeliveryTarget says, before any credential exists, whether a delivery
// Secret can be written at ref: its namespace must exist, and a Secret of
// that name must be absent or one of this provider's credential Secrets.
func (c *Client) CheckDeliveryTarget(ctx context.Context, ref nhi.Ref) error {
	return c.CheckDeliveryTargetFor(ctx, ref, nil)
}

// CheckDeliveryTargetFor is CheckDeliveryTarget for a resource that knows
// which credentials are its own: a provider-owned Secret holding a
// credential for which ours returns false belongs to another resource (two
// resources naming one Secret would overwrite each other on every apply),
// and is refused naming the credential it holds. A nil ours accepts any
// credential of this provider.
func (c *Client) CheckDeliveryTargetFor(ctx context.Context, ref nhi.Ref, ours func(credentialID string) bool) error {
	if err := c.namespaceExists(ctx, ref.Location); err != nil {
		if apierrors.IsNotFound(err) {
			return fmt.Errorf("namespace %q does not exist; create it first (and reference it so Terraform orders the two)", ref.Location)
		}
		return wrap(err, "reading namespace "+ref.Location)
	}
	s, err := c.cs.CoreV1().Secrets(ref.Location).Get(ctx, ref.Name, metav1.GetOptions{})
	switch {
	case apierrors.IsNotFound(err):
		return nil
	case err != nil:
		return wrap(err, "reading Secret "+ref.String())
	case s.Labels[ManagedByLabel] != ManagedByValue || s.Annotations[c.markers.CredentialID()] == "":
		return fmt.Errorf("Secret %s exists and was not created by this provider for a credential; choose another name, or delete it first", ref)
	case ours != nil && !ours(s.Annotations[c.markers.CredentialID()]):
		return fmt.Errorf("Secret %s holds credential %q of another resource of this provider; each credential needs a Secret of its own, so choose another name", ref, s.Annotations[c.markers.CredentialID()])
	}
	return nil
}

// namespaceExists returns nil when namespace ns exists. With snapshots the
// namespaces are listed once per command (names only), so checking the
// delivery targets of N credentials costs one list instead of N GETs; a
// namespace the list does not hold is asked for with a GET (it may have been
// made after the list, by a resource of the same apply), and a caller that
// may not list namespaces gets the GETs.
func (c *Client) namespaceExists(ctx context.Context, ns string) error {
	if c.snap != nil && !c.namespacesUnlistable.Load() {
		names, err := cached(ctx, c, "namespaces", func() (map[string]bool, error) {
			out := map[string]bool{}
			lo := metav1.ListOptions{Limit: listPageSize}
			for {
				l, err := c.cs.CoreV1().Namespaces().List(ctx, lo)
				if err != nil {
					return nil, err
				}
				for i := range l.Items {
					out[l.Items[i].Name] = true
				}
				if lo.Continue = l.Continue; lo.Continue == "" {
					return out, nil
				}
			}
		})
		switch {
		case err == nil && names[ns]:
			return nil
		case apierrors.IsForbidden(err) || apierrors.IsUnauthorized(err):
			c.namespacesUnlistable.Store(true)
		}
	}
	_, err := c.cs.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	return err
}

package kubernetes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"

	"github.com/nhi-ops/terraform-provider-nhi/internal/cleanup"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// MinTokenExpiration is the shortest token the TokenRequest API issues.
const MinTokenExpiration = 10 * time.Minute

// ErrNotDeclared is returned when a credential is asked for an identity that
// carries no managed marker.
var ErrNotDeclared = errors.New("not declared")

// BoundObject ties a requested token to the life of a Pod, Secret or Node.
type BoundObject struct {
	Kind string // Pod, Secret or Node
	Name string
	UID  string
}

// TokenRequest says what token to mint.
type TokenRequest struct {
	Audiences  []string
	Expiration time.Duration
	Bound      *BoundObject
}

// Token is a minted token. Value is secret: never log it.
type Token struct {
	Value     string
	ExpiresAt time.Time
}

// RequestToken mints a short-lived token through the TokenRequest API.
//
// A TokenRequest stores nothing, so it is sent again (bounded, as creates
// are; see idempotent.go) when its outcome is unknown: a token minted for a
// lost answer reached nobody, and expires on its own.
func (c *Client) RequestToken(ctx context.Context, ref nhi.Ref, req TokenRequest) (Token, error) {
	secs := int64(req.Expiration / time.Second)
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{Audiences: req.Audiences, ExpirationSeconds: &secs}}
	if b := req.Bound; b != nil {
		tr.Spec.BoundObjectRef = &authenticationv1.BoundObjectReference{Kind: b.Kind, APIVersion: "v1", Name: b.Name, UID: types.UID(b.UID)}
	}
	res, err := createSafely(ctx,
		func(ctx context.Context) (*authenticationv1.TokenRequest, error) {
			return c.cs.CoreV1().ServiceAccounts(ref.Location).CreateToken(ctx, ref.Name, tr.DeepCopy(), metav1.CreateOptions{})
		},
		func(context.Context) (lookupResult[*authenticationv1.TokenRequest], error) {
			return lookupResult[*authenticationv1.TokenRequest]{}, nil // nothing stored: ask again
		},
		func(context.Context, *authenticationv1.TokenRequest) error { return nil })
	out := res.obj
	if err != nil {
		// The API's message never contains the token; keep it.
		return Token{}, wrap(err, "requesting a token for service account "+ref.String())
	}
	return Token{Value: out.Status.Token, ExpiresAt: out.Status.ExpirationTimestamp.UTC()}, nil
}

// TokenSecretSpec is a governed long-lived token Secret.
type TokenSecretSpec struct {
	ServiceAccount nhi.Ref
	Governance     nhi.Governance
	// RotateAfter is the rotation period: the Secret records its creation
	// time plus RotateAfter as its rotation-due marker (RotationNever when
	// zero).
	RotateAfter time.Duration
}

// TokenSecret is a token Secret as found; it never carries the token.
type TokenSecret struct {
	Ref            nhi.Ref
	ServiceAccount string
	UID            string
	CreatedAt      time.Time
	// Declared is true only when the Secret carries every governance marker
	// the token resource writes (see governedToken).
	Declared bool
	// MarkersIncomplete: the Secret has the label, owner and purpose but no
	// valid rotation-due marker, as earlier versions wrote it (see
	// writtenByProvider).
	MarkersIncomplete bool
	Governance        nhi.Governance
	// RotationDueAt is the recorded rotation-due time; zero when the marker
	// is absent, unreadable or RotationNever.
	RotationDueAt time.Time
}

// governedToken reports whether a token Secret carries the provider's full
// governance markers, as nhi_kubernetes_service_account_token writes them:
// the managed-by label, an owner, a purpose and a rotation-due time. The
// label alone is something anyone can set, so it does not make a long-lived
// token governed.
func (c *Client) governedToken(s *corev1.Secret) bool {
	if !c.writtenByProvider(s) {
		return false
	}
	m := c.markers
	a := s.Annotations
	due := a[m.RotationDueAt()]
	if due == RotationNever {
		return true
	}
	_, err := time.Parse(time.RFC3339, due)
	return err == nil
}

// writtenByProvider reports whether a token Secret carries the managed-by
// label, an owner and a purpose: what nhi_kubernetes_service_account_token
// wrote before it wrote a rotation-due marker too. Such a Secret is not
// governed until its resource completes the markers, but it is not deleted
// as a legacy token: a workload may be reading it.
func (c *Client) writtenByProvider(s *corev1.Secret) bool {
	m := c.markers
	a := s.Annotations
	return s.Labels[ManagedByLabel] == ManagedByValue && strings.TrimSpace(a[m.Owner()]) != "" && strings.TrimSpace(a[m.Purpose()]) != ""
}

// rotationDue is the rotation-due marker of a token created at created.
func rotationDue(created time.Time, period time.Duration) string {
	due, ok := nhi.RotationDue(created, period)
	if !ok {
		return RotationNever
	}
	return nhi.FormatTime(due)
}

func (c *Client) tokenSecret(s *corev1.Secret) TokenSecret {
	m := c.markers
	t := TokenSecret{
		Ref: nhi.Ref{Location: s.Namespace, Name: s.Name}, ServiceAccount: s.Annotations[corev1.ServiceAccountNameKey],
		UID: string(s.UID), CreatedAt: s.CreationTimestamp.UTC(), Declared: c.governedToken(s),
		MarkersIncomplete: !c.governedToken(s) && c.writtenByProvider(s),
		Governance:        nhi.Governance{Owner: s.Annotations[m.Owner()], Purpose: s.Annotations[m.Purpose()]},
	}
	if e, err := nhi.ParseExpiry(s.Annotations[m.ExpiresAt()]); err == nil {
		t.Governance.ExpiresAt = e
	}
	if d, err := time.Parse(time.RFC3339, s.Annotations[m.RotationDueAt()]); err == nil {
		t.RotationDueAt = d.UTC()
	}
	return t
}

// tokenFillTimeout bounds the wait for the token controller.
const tokenFillTimeout = 60 * time.Second

// CreateTokenSecret creates a kubernetes.io/service-account-token Secret for
// a declared service account, records its rotation-due time, and waits
// (bounded) until the controller manager has filled in its token, so the
// credential is usable when this returns. The Secret's name is generated, so
// that a replacement can exist next to the Secret it replaces.
//
// A failure after the Secret was created deletes it again, with a cleanup
// context that survives cancellation of the apply. When even that fails, the
// returned TokenSecret names the Secret (Ref set) together with the error, so
// the caller records it instead of orphaning it.
func (c *Client) CreateTokenSecret(ctx context.Context, spec TokenSecretSpec) (TokenSecret, error) {
	sa, err := c.cs.CoreV1().ServiceAccounts(spec.ServiceAccount.Location).Get(ctx, spec.ServiceAccount.Name, metav1.GetOptions{})
	if err != nil {
		return TokenSecret{}, wrap(err, "reading service account "+spec.ServiceAccount.String())
	}
	if sa.Labels[ManagedByLabel] != ManagedByValue {
		return TokenSecret{}, fmt.Errorf("service account %s is %w: declare it with nhi_kubernetes_service_account first", spec.ServiceAccount, ErrNotDeclared)
	}
	defer c.tokensChanged()
	m := c.markers
	ann := map[string]string{
		corev1.ServiceAccountNameKey: spec.ServiceAccount.Name,
		m.Owner():                    spec.Governance.Owner,
		m.Purpose():                  spec.Governance.Purpose,
	}
	if !spec.Governance.ExpiresAt.IsZero() {
		ann[m.ExpiresAt()] = nhi.FormatTime(spec.Governance.ExpiresAt)
	}
	s, err := c.createTokenSecret(ctx, spec.ServiceAccount.Location, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: spec.ServiceAccount.Name + "-token-",
			Labels:       map[string]string{ManagedByLabel: ManagedByValue},
			Annotations:  ann,
		},
		Type: corev1.SecretTypeServiceAccountToken,
	})
	if err != nil {
		if s != nil {
			return c.tokenSecret(s), err
		}
		return TokenSecret{}, err
	}
	t, err := c.finishTokenSecret(ctx, s, spec.RotateAfter)
	if err == nil {
		return t, nil
	}
	ref := nhi.Ref{Location: s.Namespace, Name: s.Name}
	// Leave nothing half-made behind, even when the apply was cancelled.
	if derr := cleanup.Do(ctx, func(ctx context.Context) error { return c.DeleteTokenSecret(ctx, ref, string(s.UID)) }); derr != nil {
		return c.tokenSecret(s), fmt.Errorf("%w; deleting the half-made token Secret %s again also failed (%v): it is kept in state, and the next apply replaces it", err, ref, derr)
	}
	return TokenSecret{}, fmt.Errorf("%w; the token Secret %s was deleted again", err, ref)
}

// createTokenSecret creates a token Secret with a generated name and a create
// token as a label, and settles a lost answer, which also loses the name, by
// finding the Secret through the token's label (see idempotent.go). On an
// error it returns the Secret only when it exists and could not be removed
// again.
func (c *Client) createTokenSecret(ctx context.Context, namespace string, want *corev1.Secret) (*corev1.Secret, error) {
	key, token := c.markers.CreateToken(), newCreateToken()
	want.Labels[key] = token
	secrets := c.cs.CoreV1().Secrets(namespace)
	what := "creating a token Secret for service account " + namespace + "/" + want.Annotations[corev1.ServiceAccountNameKey]
	res, err := createSafely(ctx,
		func(ctx context.Context) (*corev1.Secret, error) {
			return secrets.Create(ctx, want.DeepCopy(), metav1.CreateOptions{})
		},
		func(ctx context.Context) (lookupResult[*corev1.Secret], error) {
			return c.findTokenSecret(ctx, namespace, key, token)
		},
		func(ctx context.Context, got *corev1.Secret) error {
			return c.DeleteTokenSecret(ctx, nhi.Ref{Location: got.Namespace, Name: got.Name}, string(got.UID))
		})
	switch {
	case err == nil:
		return res.obj, nil
	case res.left:
		return res.obj, fmt.Errorf("%s: %w: it is kept in state, and the next apply replaces it", what, err)
	}
	return nil, wrap(err, what)
}

// findTokenSecret finds the token Secret a create with this token made. A
// generated name never collides with an existing object, so a Secret found
// by the token is this create's work; should several be found (a create
// that took effect only after its read-back found nothing), the oldest is
// kept and the others are deleted, so that no second token is left behind.
func (c *Client) findTokenSecret(ctx context.Context, namespace, key, token string) (lookupResult[*corev1.Secret], error) {
	l, err := c.cs.CoreV1().Secrets(namespace).List(ctx, metav1.ListOptions{LabelSelector: key + "=" + token})
	if err != nil || len(l.Items) == 0 {
		return lookupResult[*corev1.Secret]{}, err
	}
	items := l.Items
	sort.Slice(items, func(i, j int) bool {
		a, b := items[i].CreationTimestamp, items[j].CreationTimestamp
		if !a.Equal(&b) {
			return a.Before(&b)
		}
		return items[i].Name < items[j].Name
	})
	var errs []error
	for _, extra := range items[1:] {
		errs = append(errs, c.DeleteTokenSecret(ctx, nhi.Ref{Location: extra.Namespace, Name: extra.Name}, string(extra.UID)))
	}
	if err := errors.Join(errs...); err != nil {
		return lookupResult[*corev1.Secret]{}, err
	}
	return lookupResult[*corev1.Secret]{obj: &items[0], exists: true, ours: true}, nil
}

// finishTokenSecret records the rotation-due marker on a just-created token
// Secret and waits for its token.
//
// The marker is written by a merge patch that carries the resourceVersion
// it was computed against, so the retry layer may resend it after a lost
// answer; a resend that meets the first one's work (or the token
// controller's) answers 409, and the Secret is read again and patched only
// if the marker is still missing.
func (c *Client) finishTokenSecret(ctx context.Context, s *corev1.Secret, rotateAfter time.Duration) (TokenSecret, error) {
	ref := nhi.Ref{Location: s.Namespace, Name: s.Name}
	key, due := c.markers.RotationDueAt(), rotationDue(s.CreationTimestamp.Time, rotateAfter)
	err := retry.RetryOnConflict(conflictBackoff, func() error {
		if s.Annotations[key] == due {
			return nil
		}
		patch, err := json.Marshal(map[string]any{"metadata": map[string]any{
			"resourceVersion": s.ResourceVersion,
			"annotations":     map[string]string{key: due},
		}})
		if err != nil {
			return err
		}
		got, err := c.cs.CoreV1().Secrets(ref.Location).Patch(ctx, ref.Name, types.MergePatchType, patch, metav1.PatchOptions{})
		if err == nil {
			s = got
			return nil
		}
		if apierrors.IsConflict(err) {
			cur, gerr := c.cs.CoreV1().Secrets(ref.Location).Get(ctx, ref.Name, metav1.GetOptions{})
			if gerr != nil {
				return gerr
			}
			s = cur
		}
		return err
	})
	if err != nil {
		return TokenSecret{}, wrap(err, "recording the rotation-due time of token Secret "+ref.String())
	}
	wctx, cancel := context.WithTimeout(ctx, tokenFillTimeout)
	defer cancel()
	for len(s.Data[corev1.ServiceAccountTokenKey]) == 0 {
		select {
		case <-wctx.Done():
			if err := ctx.Err(); err != nil {
				return TokenSecret{}, fmt.Errorf("waiting for the token of Secret %s: %w", ref, err)
			}
			return TokenSecret{}, fmt.Errorf("the token of Secret %s was not filled in within %s; is kube-controller-manager's token controller running?", ref, tokenFillTimeout)
		case <-time.After(250 * time.Millisecond):
		}
		if s, err = c.cs.CoreV1().Secrets(ref.Location).Get(ctx, ref.Name, metav1.GetOptions{}); err != nil {
			return TokenSecret{}, wrap(err, "reading token Secret "+ref.String())
		}
	}
	return c.tokenSecret(s), nil
}

// GetTokenSecret reads a token Secret's metadata (never its token).
func (c *Client) GetTokenSecret(ctx context.Context, ref nhi.Ref) (TokenSecret, error) {
	s, err := c.cs.CoreV1().Secrets(ref.Location).Get(ctx, ref.Name, metav1.GetOptions{})
	if err != nil {
		return TokenSecret{}, wrap(err, "reading token Secret "+ref.String())
	}
	if s.Type != corev1.SecretTypeServiceAccountToken {
		return TokenSecret{}, fmt.Errorf("Secret %s is of type %s, not a service account token", ref, s.Type)
	}
	return c.tokenSecret(s), nil
}

// ReadTokenValue returns the token of a token Secret. The value is secret.
func (c *Client) ReadTokenValue(ctx context.Context, ref nhi.Ref) (string, error) {
	s, err := c.cs.CoreV1().Secrets(ref.Location).Get(ctx, ref.Name, metav1.GetOptions{})
	if err != nil {
		return "", wrap(err, "reading token Secret "+ref.String())
	}
	if s.Type != corev1.SecretTypeServiceAccountToken {
		return "", fmt.Errorf("Secret %s is of type %s, not a service account token", ref, s.Type)
	}
	tok := string(s.Data[corev1.ServiceAccountTokenKey])
	if tok == "" {
		return "", fmt.Errorf("Secret %s has no token yet", ref)
	}
	return tok, nil
}

// DeleteTokenSecret deletes a token Secret; a missing one is not an error.
//
// With uid (the UID the caller knows the Secret by) the delete carries a UID
// precondition: it is safe to repeat, so the retry layer retries it after a
// lost answer (the repeat answers 404: done), and a Secret of the same name
// that replaced this one is left alone (409: the Secret this caller knew is
// gone). Without uid the delete is by name, and not retried after a lost
// answer.
func (c *Client) DeleteTokenSecret(ctx context.Context, ref nhi.Ref, uid string) error {
	defer c.tokensChanged()
	opts := metav1.DeleteOptions{}
	if uid != "" {
		u := types.UID(uid)
		opts.Preconditions = &metav1.Preconditions{UID: &u}
	}
	err := c.cs.CoreV1().Secrets(ref.Location).Delete(ctx, ref.Name, opts)
	if err != nil && !apierrors.IsNotFound(err) && !(uid != "" && apierrors.IsConflict(err)) {
		return wrap(err, "deleting token Secret "+ref.String())
	}
	return nil
}

// UpdateTokenSecretGovernance rewrites a token Secret's governance
// annotations (owner, purpose, expiry, and the rotation-due time from its
// creation time and rotateAfter) and marks it as declared.
func (c *Client) UpdateTokenSecretGovernance(ctx context.Context, ref nhi.Ref, g nhi.Governance, rotateAfter time.Duration) (TokenSecret, error) {
	defer c.tokensChanged()
	var out TokenSecret
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		s, err := c.cs.CoreV1().Secrets(ref.Location).Get(ctx, ref.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		m := c.markers
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		// Adopting an imported token Secret makes it declared.
		if s.Labels == nil {
			s.Labels = map[string]string{}
		}
		s.Labels[ManagedByLabel] = ManagedByValue
		s.Annotations[m.Owner()] = g.Owner
		s.Annotations[m.Purpose()] = g.Purpose
		s.Annotations[m.RotationDueAt()] = rotationDue(s.CreationTimestamp.Time, rotateAfter)
		if g.ExpiresAt.IsZero() {
			delete(s.Annotations, m.ExpiresAt())
		} else {
			s.Annotations[m.ExpiresAt()] = nhi.FormatTime(g.ExpiresAt)
		}
		s, err = c.cs.CoreV1().Secrets(ref.Location).Update(ctx, s, metav1.UpdateOptions{})
		if err == nil {
			out = c.tokenSecret(s)
		}
		return err
	})
	return out, wrap(err, "updating token Secret "+ref.String())
}

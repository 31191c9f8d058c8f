package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"

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
func (c *Client) RequestToken(ctx context.Context, ref nhi.Ref, req TokenRequest) (Token, error) {
	secs := int64(req.Expiration / time.Second)
	tr := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{Audiences: req.Audiences, ExpirationSeconds: &secs}}
	if b := req.Bound; b != nil {
		tr.Spec.BoundObjectRef = &authenticationv1.BoundObjectReference{Kind: b.Kind, APIVersion: "v1", Name: b.Name, UID: types.UID(b.UID)}
	}
	out, err := c.cs.CoreV1().ServiceAccounts(ref.Location).CreateToken(ctx, ref.Name, tr, metav1.CreateOptions{})
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
}

// TokenSecret is a token Secret as found; it never carries the token.
type TokenSecret struct {
	Ref            nhi.Ref
	ServiceAccount string
	UID            string
	CreatedAt      time.Time
	Declared       bool
	Governance     nhi.Governance
}

func (c *Client) tokenSecret(s *corev1.Secret) TokenSecret {
	m := c.markers
	t := TokenSecret{
		Ref: nhi.Ref{Location: s.Namespace, Name: s.Name}, ServiceAccount: s.Annotations[corev1.ServiceAccountNameKey],
		UID: string(s.UID), CreatedAt: s.CreationTimestamp.UTC(), Declared: s.Labels[ManagedByLabel] == ManagedByValue,
		Governance: nhi.Governance{Owner: s.Annotations[m.Owner()], Purpose: s.Annotations[m.Purpose()]},
	}
	if e, err := nhi.ParseExpiry(s.Annotations[m.ExpiresAt()]); err == nil {
		t.Governance.ExpiresAt = e
	}
	return t
}

// CreateTokenSecret creates a kubernetes.io/service-account-token Secret for
// a declared service account and waits (bounded) until the controller
// manager has filled in its token, so the credential is usable when this
// returns. The Secret's name is generated, so that a replacement can exist
// next to the Secret it replaces.
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
	s, err := c.cs.CoreV1().Secrets(spec.ServiceAccount.Location).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			GenerateName: spec.ServiceAccount.Name + "-token-",
			Labels:       map[string]string{ManagedByLabel: ManagedByValue},
			Annotations:  ann,
		},
		Type: corev1.SecretTypeServiceAccountToken,
	}, metav1.CreateOptions{})
	if err != nil {
		return TokenSecret{}, wrap(err, "creating a token Secret for service account "+spec.ServiceAccount.String())
	}
	ref := nhi.Ref{Location: s.Namespace, Name: s.Name}
	wctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for len(s.Data[corev1.ServiceAccountTokenKey]) == 0 {
		select {
		case <-wctx.Done():
			// Leave nothing half-made behind.
			dctx, dcancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer dcancel()
			_ = c.DeleteTokenSecret(dctx, ref)
			return TokenSecret{}, fmt.Errorf("the token of Secret %s was not filled in within 60s; is kube-controller-manager's token controller running? The Secret was deleted again", ref)
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
func (c *Client) DeleteTokenSecret(ctx context.Context, ref nhi.Ref) error {
	defer c.tokensChanged()
	err := c.cs.CoreV1().Secrets(ref.Location).Delete(ctx, ref.Name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return wrap(err, "deleting token Secret "+ref.String())
	}
	return nil
}

// UpdateTokenSecretGovernance rewrites a token Secret's governance
// annotations and marks it as declared.
func (c *Client) UpdateTokenSecretGovernance(ctx context.Context, ref nhi.Ref, g nhi.Governance) (TokenSecret, error) {
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

package kubernetes

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// A token Secret's credential carries the owner the token resource
// recorded on it (with the provider's label, owner and purpose, rotation
// due or not yet); an owner annotation on a Secret the provider did not
// write is nobody's record, so the credential has no owner.
func TestTokenCredentialOwner(t *testing.T) {
	label := map[string]string{ManagedByLabel: ManagedByValue}
	secret := func(name string, labels map[string]string, ann map[string]string) *corev1.Secret {
		a := map[string]string{legacyTokenNameAnnotation: "ci"}
		for k, v := range ann {
			a[k] = v
		}
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "team", Name: name, Labels: labels, Annotations: a},
			Type: corev1.SecretTypeServiceAccountToken}
	}
	c := NewFromClientset(fake.NewSimpleClientset(
		secret("governed", label, map[string]string{"nhi.dev/owner": " dave@example.com ", "nhi.dev/purpose": "ci", "nhi.dev/rotation-due-at": RotationNever}),
		secret("earlier", label, map[string]string{"nhi.dev/owner": "team:legacy", "nhi.dev/purpose": "ci"}),
		secret("no-label", nil, map[string]string{"nhi.dev/owner": "bob@example.com", "nhi.dev/purpose": "ci"}),
		secret("bare", nil, nil),
	), "")
	got, err := c.listTokenSecretsNow(context.Background(), "team")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"team/governed": "dave@example.com", "team/earlier": "team:legacy", "team/no-label": "", "team/bare": ""}
	creds := got[nhi.Ref{Location: "team", Name: "ci"}]
	if len(creds) != len(want) {
		t.Fatalf("credentials %+v, want %d", creds, len(want))
	}
	for _, cr := range creds {
		if w, ok := want[cr.ID]; !ok || cr.Owner != w {
			t.Errorf("%s: Owner %q, want %q", cr.ID, cr.Owner, w)
		}
	}
}

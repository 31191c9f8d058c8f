package kubernetes_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// A token Secret's credential carries the Secret's metadata.uid, through
// Get and through List, so a delete can be conditional on it and two
// Secrets of the same name can be told apart.
func TestIntegrationTokenSecret_credentialCarriesUID(t *testing.T) {
	ctx := context.Background()
	ns := acctest.Namespace(t)
	name := acctest.RandName("sa")
	c := acctest.Client(t)
	if _, err := c.Create(ctx, spec(ns, name)); err != nil {
		t.Fatal(err)
	}
	s, err := c.Clientset().CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "with-uid", Annotations: map[string]string{corev1.ServiceAccountNameKey: name}},
		Type:       corev1.SecretTypeServiceAccountToken,
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if s.UID == "" {
		t.Fatal("the API server returned the Secret without a uid")
	}
	check := func(how string, id nhi.Identity) {
		t.Helper()
		for _, cr := range id.Credentials {
			if cr.ID == ns+"/with-uid" {
				if cr.UID != string(s.UID) {
					t.Errorf("%s: credential %s has UID %q, want the Secret's %q", how, cr.ID, cr.UID, s.UID)
				}
				return
			}
		}
		t.Errorf("%s: no credential %s/with-uid in %+v", how, ns, id.Credentials)
	}
	id, err := c.Get(ctx, nhi.Ref{Location: ns, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	check("Get", id)
	page, err := c.List(ctx, nhi.ListOptions{Locations: []string{ns}})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, id := range page.Identities {
		if id.Ref.Name == name {
			found = true
			check("List", id)
		}
	}
	if !found {
		t.Errorf("List of %s did not return %s", ns, name)
	}
}

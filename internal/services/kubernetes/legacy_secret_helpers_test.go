package kubernetes_test

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
)

// createTokenSecret creates with cs, as someone outside the provider would, a
// service-account token Secret named secret in ns for the service account
// sa, with the given labels and annotations besides the service account's
// name (either may be nil).
func createTokenSecret(t *testing.T, cs kubernetes.Interface, ns, secret, sa string, labels, annotations map[string]string) {
	t.Helper()
	ann := map[string]string{corev1.ServiceAccountNameKey: sa}
	for k, v := range annotations {
		ann[k] = v
	}
	if _, err := cs.CoreV1().Secrets(ns).Create(context.Background(), &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: secret, Labels: labels, Annotations: ann},
		Type:       corev1.SecretTypeServiceAccountToken,
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// allowingLegacyTokens adds allow_legacy_tokens = true to a service account
// block such as declaredSA's (it ends in "}\n").
func allowingLegacyTokens(sa string) string {
	return sa[:len(sa)-2] + "  allow_legacy_tokens = true\n}\n"
}

package kubernetes

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// A token Secret is governed only with every marker the token resource
// writes; the managed-by label alone, which anyone can set, is not enough.
func TestGovernedToken(t *testing.T) {
	c := NewFromClientset(nil, "")
	label := map[string]string{ManagedByLabel: ManagedByValue}
	full := map[string]string{"nhi.dev/owner": "team:a", "nhi.dev/purpose": "ci", "nhi.dev/rotation-due-at": "2027-01-01T00:00:00Z"}
	without := func(k string) map[string]string {
		out := map[string]string{}
		for kk, v := range full {
			if kk != k {
				out[kk] = v
			}
		}
		return out
	}
	with := func(k, v string) map[string]string {
		out := without(k)
		out[k] = v
		return out
	}
	for _, tc := range []struct {
		name   string
		labels map[string]string
		ann    map[string]string
		want   bool
	}{
		{"full markers", label, full, true},
		{"no rotation period", label, with("nhi.dev/rotation-due-at", RotationNever), true},
		{"bare label", label, nil, false},
		{"markers without the label", nil, full, false},
		{"no owner", label, without("nhi.dev/owner"), false},
		{"blank owner", label, with("nhi.dev/owner", " "), false},
		{"no purpose", label, without("nhi.dev/purpose"), false},
		{"no rotation due", label, without("nhi.dev/rotation-due-at"), false},
		{"unreadable rotation due", label, with("nhi.dev/rotation-due-at", "soon"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Labels: tc.labels, Annotations: tc.ann}, Type: corev1.SecretTypeServiceAccountToken}
			if got := c.governedToken(s); got != tc.want {
				t.Fatalf("governedToken = %v, want %v", got, tc.want)
			}
			if got := c.tokenSecret(s).Declared; got != tc.want {
				t.Fatalf("tokenSecret().Declared = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRotationDue(t *testing.T) {
	created := time.Date(2026, 1, 1, 10, 0, 0, 0, time.FixedZone("x", 3600))
	if got := rotationDue(created, 30*24*time.Hour); got != "2026-01-31T09:00:00Z" {
		t.Fatalf("rotationDue = %q", got)
	}
	if got := rotationDue(created, 0); got != RotationNever {
		t.Fatalf("rotationDue with no period = %q", got)
	}
}

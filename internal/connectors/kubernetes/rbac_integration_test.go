package kubernetes_test

import (
	"context"
	"strings"
	"testing"

	authzv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// TestIntegrationRoleBindingSubjectWithoutNamespace: a ServiceAccount
// subject of a RoleBinding may leave its namespace out, and the API server
// then reads it as the RoleBinding's namespace. Such a grant is effective
// (the test checks with a SubjectAccessReview), so it must be in the
// account's effective scopes, and an update that does not declare it must
// remove the subject (keeping the other subjects) or the binding it was
// alone in.
func TestIntegrationRoleBindingSubjectWithoutNamespace(t *testing.T) {
	c := acctest.Client(t)
	cs := c.Clientset()
	ctx := context.Background()
	ns := acctest.Namespace(t)
	name := acctest.RandName("sa")
	ref := nhi.Ref{Location: ns, Name: name}
	implicit := rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Name: name} // no namespace

	if _, err := c.Create(ctx, spec(ns, name, "clusterrole:view")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), ref) })
	for _, rb := range []*rbacv1.RoleBinding{
		{
			ObjectMeta: metav1.ObjectMeta{Name: "implicit-shared"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"},
			Subjects:   []rbacv1.Subject{implicit, {Kind: rbacv1.UserKind, APIGroup: rbacv1.GroupName, Name: "bob"}},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: "implicit-alone"},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
			Subjects:   []rbacv1.Subject{implicit},
		},
	} {
		if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	canReadSecrets := func() bool {
		t.Helper()
		r, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authzv1.SubjectAccessReview{Spec: authzv1.SubjectAccessReviewSpec{
			User:               "system:serviceaccount:" + ns + ":" + name,
			Groups:             []string{"system:serviceaccounts", "system:serviceaccounts:" + ns, "system:authenticated"},
			ResourceAttributes: &authzv1.ResourceAttributes{Namespace: ns, Verb: "get", Resource: "secrets"},
		}}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return r.Status.Allowed
	}
	if !canReadSecrets() {
		t.Fatal("the API server must honour the RoleBinding's subject without a namespace (admin reads Secrets)")
	}

	id, err := c.Get(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	want := "clusterrole:admin@" + ns + ",clusterrole:edit@" + ns + ",clusterrole:view"
	if got := strings.Join(id.EffectiveScopes, ","); got != want {
		t.Fatalf("effective scopes = %s, want %s (the subjects without a namespace grant admin and edit)", got, want)
	}

	id, err = c.Update(ctx, spec(ns, name, "clusterrole:view"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(id.EffectiveScopes, ","); got != "clusterrole:view" {
		t.Fatalf("after update effective scopes = %s, want clusterrole:view", got)
	}
	rb, err := cs.RbacV1().RoleBindings(ns).Get(ctx, "implicit-shared", metav1.GetOptions{})
	if err != nil || len(rb.Subjects) != 1 || rb.Subjects[0].Name != "bob" {
		t.Fatalf("the shared RoleBinding must keep bob only: %+v, %v", rb, err)
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Get(ctx, "implicit-alone", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("a RoleBinding left without subjects must be deleted, Get = %v", err)
	}
	if canReadSecrets() {
		t.Fatal("after the update the account must no longer read Secrets")
	}
}

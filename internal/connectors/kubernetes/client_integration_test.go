package kubernetes_test

// These tests run against the project's real kube-apiserver (make test
// starts it); they fail, never skip, when it is absent.

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

func spec(ns, name string, scopes ...string) k8s.ServiceAccountSpec {
	return k8s.ServiceAccountSpec{Spec: nhi.Spec{
		Ref: nhi.Ref{Location: ns, Name: name},
		Governance: nhi.Governance{Owner: "team:platform", Purpose: "integration test", Scopes: scopes,
			ExpiresAt: time.Now().Add(90 * 24 * time.Hour)},
	}}
}

func TestIntegrationAuthenticationMethods(t *testing.T) {
	dir := filepath.Dir(acctest.Kubeconfig(t))
	ns := acctest.Namespace(t)
	for _, file := range []string{"kubeconfig", "kubeconfig-cert", "kubeconfig-exec"} {
		t.Run(file, func(t *testing.T) {
			cfg, err := k8s.Connection{ConfigPath: filepath.Join(dir, file)}.RESTConfig()
			if err != nil {
				t.Fatal(err)
			}
			c, err := k8s.New(cfg, k8s.DefaultPrefix)
			if err != nil {
				t.Fatal(err)
			}
			page, err := c.List(context.Background(), nhi.ListOptions{Locations: []string{ns}})
			if err != nil {
				t.Fatalf("listing with %s: %v", file, err)
			}
			// The controller manager creates the namespace's default account.
			deadline := time.Now().Add(30 * time.Second)
			for len(page.Identities) == 0 && time.Now().Before(deadline) {
				time.Sleep(200 * time.Millisecond)
				page, err = c.List(context.Background(), nhi.ListOptions{Locations: []string{ns}})
				if err != nil {
					t.Fatal(err)
				}
			}
			if len(page.Identities) != 1 || page.Identities[0].Ref.Name != "default" {
				t.Fatalf("listing %s with %s = %+v, want its default service account", ns, file, page.Identities)
			}
		})
	}

	t.Run("explicit host and token", func(t *testing.T) {
		cfg, _ := k8s.Connection{ConfigPath: filepath.Join(dir, "kubeconfig")}.RESTConfig()
		_, err := k8s.Connection{Host: cfg.Host, Token: "wrong-token", Insecure: true}.RESTConfig()
		if err != nil {
			t.Fatal(err)
		}
		rc, _ := k8s.Connection{Host: cfg.Host, Token: "wrong-token", Insecure: true}.RESTConfig()
		c, _ := k8s.New(rc, k8s.DefaultPrefix)
		_, err = c.Get(context.Background(), nhi.Ref{Location: ns, Name: "default"})
		if !errors.Is(err, k8s.ErrForbidden) {
			t.Fatalf("a refused token must surface as ErrForbidden, got %v", err)
		}
		if strings.Contains(err.Error(), "wrong-token") {
			t.Fatalf("the error leaks the token: %v", err)
		}
	})

	t.Run("unreadable kubeconfig", func(t *testing.T) {
		_, err := k8s.Connection{ConfigPath: filepath.Join(dir, "does-not-exist")}.RESTConfig()
		if err == nil || !strings.Contains(err.Error(), "cannot be read") {
			t.Fatalf("got %v", err)
		}
	})
}

func TestIntegrationCreateRollsBackOnFailedBinding(t *testing.T) {
	c := acctest.Client(t)
	cs := c.Clientset()
	ctx := context.Background()
	ns := acctest.Namespace(t)
	name := acctest.RandName("sa")
	s := spec(ns, name, "clusterrole:view@"+ns, "clusterrole:edit@"+ns)

	// A binding someone else made, squatting on the name the provider would
	// give the second scope's binding, makes that grant fail after the
	// service account and the first binding exist.
	sc, _ := k8s.ParseScope("clusterrole:edit@"+ns, ns)
	squat := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: k8s.BindingName(s.Ref, sc), Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{Kind: "User", Name: "someone"}},
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, squat, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	_, err := c.Create(ctx, s)
	if err == nil || !strings.Contains(err.Error(), "already exists and was not created by this declaration") || !strings.Contains(err.Error(), "were removed again") {
		t.Fatalf("Create error = %v", err)
	}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("the service account must be rolled back, Get = %v", err)
	}
	rbs, _ := cs.RbacV1().RoleBindings(ns).List(ctx, metav1.ListOptions{})
	if len(rbs.Items) != 1 || rbs.Items[0].Name != squat.Name {
		names := []string{}
		for _, rb := range rbs.Items {
			names = append(names, rb.Name)
		}
		t.Errorf("only the squatting binding may remain, found %v", names)
	}
}

func TestIntegrationCreateRefusesMissingRole(t *testing.T) {
	c := acctest.Client(t)
	ns := acctest.Namespace(t)
	_, err := c.Create(context.Background(), spec(ns, "sa", "role:does-not-exist"))
	if !errors.Is(err, nhi.ErrNotFound) || !strings.Contains(err.Error(), "role:does-not-exist") {
		t.Fatalf("Create = %v", err)
	}
	if _, err := c.Get(context.Background(), nhi.Ref{Location: ns, Name: "sa"}); !k8s.IsNotFound(err) {
		t.Fatalf("nothing may be created, Get = %v", err)
	}
}

func TestIntegrationGrantsEnforcedAndDeleteCleansUp(t *testing.T) {
	c := acctest.Client(t)
	cs := c.Clientset()
	ctx := context.Background()
	ns := acctest.Namespace(t)
	name := acctest.RandName("sa")
	ref := nhi.Ref{Location: ns, Name: name}
	subject := rbacv1.Subject{Kind: "ServiceAccount", Name: name, Namespace: ns}

	id, err := c.Create(ctx, spec(ns, name, "clusterrole:view"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(id.EffectiveScopes, ",") != "clusterrole:view" || !id.Declared {
		t.Fatalf("after create: %+v", id)
	}
	// Out-of-band grants: one shared with another subject, one alone.
	shared := acctest.RandName("shared")
	if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: shared},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "edit"},
		Subjects:   []rbacv1.Subject{subject, {Kind: "User", Name: "alice"}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cs.RbacV1().ClusterRoleBindings().Delete(context.Background(), shared, metav1.DeleteOptions{})
	})
	if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "alone"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "admin"},
		Subjects:   []rbacv1.Subject{subject},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	id, _ = c.Get(ctx, ref)
	if got := strings.Join(id.EffectiveScopes, ","); got != "clusterrole:admin@"+ns+",clusterrole:edit,clusterrole:view" {
		t.Fatalf("effective scopes must include undeclared grants, got %s", got)
	}

	id, err = c.Update(ctx, spec(ns, name, "clusterrole:view"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(id.EffectiveScopes, ","); got != "clusterrole:view" {
		t.Fatalf("after update effective scopes = %s", got)
	}
	crb, err := cs.RbacV1().ClusterRoleBindings().Get(ctx, shared, metav1.GetOptions{})
	if err != nil || len(crb.Subjects) != 1 || crb.Subjects[0].Name != "alice" {
		t.Fatalf("the shared binding must keep alice only: %+v, %v", crb, err)
	}
	if _, err := cs.RbacV1().RoleBindings(ns).Get(ctx, "alone", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("a foreign binding left without subjects must be deleted, Get = %v", err)
	}

	if err := c.Delete(ctx, ref); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.RbacV1().ClusterRoleBindings().Get(ctx, k8s.BindingName(ref, k8s.Scope{Kind: "clusterrole", Name: "view"}), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the provider's binding must be deleted with the account, Get = %v", err)
	}
	if err := c.Delete(ctx, ref); err != nil {
		t.Fatalf("deleting twice must not fail: %v", err)
	}
}

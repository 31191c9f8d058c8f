package kubernetes_test

// Creates that are safe to repeat, against the project's real kube-apiserver
// through the fault proxy: the proxy loses exactly the answer of a create
// (the server did the work) or fails it before forwarding, and the
// connector must end with exactly one object, the one it asked for, or,
// for somebody else's object, with the conflict it always reported. These
// tests fail, never skip, when the cluster is absent.

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/testenv/faultproxy"
)

// Paths of the creates.
func saPath(ns string) string     { return "/api/v1/namespaces/" + ns + "/serviceaccounts" }
func secretPath(ns string) string { return "/api/v1/namespaces/" + ns + "/secrets" }
func rbPath(ns string) string {
	return "/apis/rbac.authorization.k8s.io/v1/namespaces/" + ns + "/rolebindings"
}

const crbPath = "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings"

// once adds a rule giving the first matching request the fault.
func once(t *testing.T, p *faultproxy.Proxy, method, path string, f faultproxy.Fault) *faultproxy.Target {
	t.Helper()
	r, err := p.AddRule(faultproxy.Rule{Method: method, Path: path, Fault: f, Times: 1})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// grantsNaming lists, straight from the API server, the RoleBindings in ns
// and the ClusterRoleBindings that name the service account.
func grantsNaming(t *testing.T, ref nhi.Ref) (rbs, crbs []string) {
	t.Helper()
	cs := acctest.Clientset(t)
	ctx := context.Background()
	names := func(subjects []rbacv1.Subject) bool {
		for _, s := range subjects {
			if s.Kind == rbacv1.ServiceAccountKind && s.Name == ref.Name && s.Namespace == ref.Location {
				return true
			}
		}
		return false
	}
	rl, err := cs.RbacV1().RoleBindings(ref.Location).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range rl.Items {
		if names(b.Subjects) {
			rbs = append(rbs, b.Name)
		}
	}
	cl, err := cs.RbacV1().ClusterRoleBindings().List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range cl.Items {
		if names(b.Subjects) {
			crbs = append(crbs, b.Name)
		}
	}
	sort.Strings(rbs)
	sort.Strings(crbs)
	return rbs, crbs
}

// deleteAfter removes the service account and its grants (the
// ClusterRoleBinding outlives the namespace) when the test ends.
func deleteAfter(t *testing.T, ref nhi.Ref) {
	t.Cleanup(func() { _ = acctest.Client(t).Delete(context.Background(), ref) })
}

// TestIntegrationCreate_settlesUnknownOutcomes: the service account's create,
// its RoleBinding's and its ClusterRoleBinding's each meet the fault once.
// A lost answer (the server created it) is adopted; a 503 or a reset before
// forwarding (the server did not) is sent again. Either way Create returns
// the account as the server holds it, with exactly one account and one
// binding per scope.
func TestIntegrationCreate_settlesUnknownOutcomes(t *testing.T) {
	for _, fault := range []faultproxy.Fault{faultproxy.LostAnswer, faultproxy.Unavailable, faultproxy.Reset} {
		t.Run(string(fault), func(t *testing.T) {
			ctx := context.Background()
			ns := acctest.Namespace(t)
			p := acctest.KubeProxy(t, 1)
			c := acctest.ProxiedClient(t, p)
			ref := nhi.Ref{Location: ns, Name: "flaky-17"}
			deleteAfter(t, ref)
			rules := []*faultproxy.Target{
				once(t, p, "POST", saPath(ns), fault),
				once(t, p, "POST", rbPath(ns), fault),
				once(t, p, "POST", crbPath, fault),
			}
			id, err := c.Create(ctx, spec(ns, ref.Name, "clusterrole:view", "clusterrole:edit@"+ns))
			if err != nil {
				t.Fatalf("Create through a %s on each create: %v", fault, err)
			}
			for i, r := range rules {
				if r.Applied() != 1 {
					t.Fatalf("rule %d was applied %d times, want 1: the test proves nothing", i, r.Applied())
				}
			}
			if fault == faultproxy.LostAnswer {
				// The server did the work each time: 201, answer lost.
				n := 0
				for _, r := range p.Requests() {
					if r.Fault == faultproxy.LostAnswer && r.Status == http.StatusCreated {
						n++
					}
				}
				if n != 3 {
					t.Fatalf("%d creates lost a 201, want 3: %+v", n, p.Requests())
				}
			}
			sa, err := acctest.Clientset(t).CoreV1().ServiceAccounts(ns).Get(ctx, ref.Name, metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if id.ID != string(sa.UID) || id.Ref != ref || !id.Declared || id.Governance.Owner != "team:platform" {
				t.Fatalf("Create returned %+v, want the account the server holds (uid %s)", id, sa.UID)
			}
			if got := strings.Join(id.EffectiveScopes, ","); got != "clusterrole:edit@"+ns+",clusterrole:view" {
				t.Fatalf("effective scopes %s", got)
			}
			rbs, crbs := grantsNaming(t, ref)
			wantRB := k8s.BindingName(ref, k8s.Scope{Kind: "clusterrole", Name: "edit", Namespace: ns})
			wantCRB := k8s.BindingName(ref, k8s.Scope{Kind: "clusterrole", Name: "view"})
			if fmt.Sprint(rbs) != fmt.Sprint([]string{wantRB}) || fmt.Sprint(crbs) != fmt.Sprint([]string{wantCRB}) {
				t.Fatalf("bindings naming the account: RoleBindings %v, ClusterRoleBindings %v; want exactly [%s] and [%s]", rbs, crbs, wantRB, wantCRB)
			}
			// And the provider's view agrees with the server's.
			again, err := acctest.Client(t).Get(ctx, ref)
			if err != nil || fmt.Sprint(again.EffectiveScopes) != fmt.Sprint(id.EffectiveScopes) {
				t.Fatalf("read back directly: %+v, %v", again, err)
			}
		})
	}
}

// TestIntegrationCreate_foreignObjectStaysAConflict: a service account, or a
// binding, that exists without this create's token is somebody else's: the
// conflict is reported as before, whether the create's answer arrived
// (AlreadyExists) or was lost, and the object is left as it was.
func TestIntegrationCreate_foreignObjectStaysAConflict(t *testing.T) {
	for _, lose := range []bool{false, true} {
		t.Run(fmt.Sprintf("answer lost %v", lose), func(t *testing.T) {
			ctx := context.Background()
			ns := acctest.Namespace(t)
			cs := acctest.Clientset(t)
			p := acctest.KubeProxy(t, 2)
			c := acctest.ProxiedClient(t, p)

			// A service account someone made.
			if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "theirs"}}, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			var rule *faultproxy.Target
			if lose {
				rule = once(t, p, "POST", saPath(ns), faultproxy.LostAnswer)
			}
			_, err := c.Create(ctx, spec(ns, "theirs", "clusterrole:view@"+ns))
			want := fmt.Sprintf("service account %s/theirs already exists; import it with `terraform import` (ID %q) to adopt it", ns, ns+"/theirs")
			if err == nil || err.Error() != want {
				t.Fatalf("Create error = %v\nwant %s", err, want)
			}
			if rule != nil && rule.Applied() != 1 {
				t.Fatal("the create's answer was not lost: the test proves nothing")
			}
			sa, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, "theirs", metav1.GetOptions{})
			if err != nil || sa.Labels[k8s.ManagedByLabel] != "" || sa.Annotations[k8s.DefaultPrefix+"/owner"] != "" {
				t.Fatalf("somebody else's account must be left as it was: %+v, %v", sa, err)
			}

			// A binding someone made on the name the provider would use.
			ref := nhi.Ref{Location: ns, Name: "mine"}
			deleteAfter(t, ref)
			sc, _ := k8s.ParseScope("clusterrole:edit@"+ns, ns)
			squat := &rbacv1.RoleBinding{
				ObjectMeta: metav1.ObjectMeta{Name: k8s.BindingName(ref, sc), Namespace: ns},
				RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
				Subjects:   []rbacv1.Subject{{Kind: "User", Name: "someone"}},
			}
			if _, err := cs.RbacV1().RoleBindings(ns).Create(ctx, squat, metav1.CreateOptions{}); err != nil {
				t.Fatal(err)
			}
			if lose {
				rule = once(t, p, "POST", rbPath(ns), faultproxy.LostAnswer)
			}
			_, err = c.Create(ctx, spec(ns, ref.Name, "clusterrole:edit@"+ns))
			if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("a binding named %q already exists and was not created by this declaration", squat.Name)) ||
				!strings.Contains(err.Error(), "were removed again") {
				t.Fatalf("Create error = %v", err)
			}
			if rule != nil && rule.Applied() != 1 {
				t.Fatal("the binding create's answer was not lost: the test proves nothing")
			}
			if _, err := cs.CoreV1().ServiceAccounts(ns).Get(ctx, ref.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Fatalf("the account must be rolled back, Get = %v", err)
			}
			if got, err := cs.RbacV1().RoleBindings(ns).Get(ctx, squat.Name, metav1.GetOptions{}); err != nil || len(got.Subjects) != 1 || got.Subjects[0].Name != "someone" {
				t.Fatalf("the squatting binding must be left as it was: %+v, %v", got, err)
			}
		})
	}
}

// TestIntegrationCreateTokenSecret_settlesUnknownOutcomes: a token Secret has
// a generated name, so a lost answer loses the name too; the connector finds
// the Secret by its create token's label and adopts it. The rotation-due
// patch losing its answer is resent (it carries a resourceVersion). Exactly
// one token Secret exists afterwards.
func TestIntegrationCreateTokenSecret_settlesUnknownOutcomes(t *testing.T) {
	for _, fault := range []faultproxy.Fault{faultproxy.LostAnswer, faultproxy.Unavailable, faultproxy.Reset} {
		t.Run(string(fault), func(t *testing.T) {
			ctx := context.Background()
			ns := acctest.Namespace(t)
			name := acctest.RandName("sa")
			if _, err := acctest.Client(t).Create(ctx, spec(ns, name)); err != nil {
				t.Fatal(err)
			}
			p := acctest.KubeProxy(t, 3)
			c := acctest.ProxiedClient(t, p)
			create := once(t, p, "POST", secretPath(ns), fault)
			patch, err := p.AddRule(faultproxy.Rule{Method: "PATCH", PathPrefix: secretPath(ns) + "/", Fault: fault, Times: 1})
			if err != nil {
				t.Fatal(err)
			}
			got, err := c.CreateTokenSecret(ctx, tokenSpec(ns, name))
			if err != nil {
				t.Fatalf("CreateTokenSecret through a %s: %v", fault, err)
			}
			if create.Applied() != 1 || patch.Applied() != 1 {
				t.Fatalf("faults applied: create %d, patch %d; want 1 each", create.Applied(), patch.Applied())
			}
			left := tokenSecretsOf(t, ns, name)
			if len(left) != 1 || got.Ref != (nhi.Ref{Location: ns, Name: left[0]}) || !got.Declared || got.RotationDueAt.IsZero() {
				t.Fatalf("token Secrets of the account: %v; CreateTokenSecret returned %+v; want exactly the one returned, declared", left, got)
			}
			s, err := acctest.Clientset(t).CoreV1().Secrets(ns).Get(ctx, left[0], metav1.GetOptions{})
			if err != nil || string(s.UID) != got.UID || len(s.Data[corev1.ServiceAccountTokenKey]) == 0 {
				t.Fatalf("the Secret the server holds (%v) is not the one returned (%+v), or has no token", err, got)
			}
		})
	}
}

// TestIntegrationDeletes_retriedAfterLostAnswers: deletes carry a UID
// precondition, so the retry layer resends them after a lost answer (the
// resend answers 404: done). Without it the delete fails with "the server
// may have done the work".
func TestIntegrationDeletes_retriedAfterLostAnswers(t *testing.T) {
	ctx := context.Background()
	ns := acctest.Namespace(t)
	ref := nhi.Ref{Location: ns, Name: "doomed"}
	deleteAfter(t, ref)
	direct := acctest.Client(t)
	if _, err := direct.Create(ctx, spec(ns, ref.Name, "clusterrole:view", "clusterrole:edit@"+ns)); err != nil {
		t.Fatal(err)
	}
	tok, err := direct.CreateTokenSecret(ctx, tokenSpec(ns, ref.Name))
	if err != nil {
		t.Fatal(err)
	}
	p := acctest.KubeProxy(t, 4)
	c := acctest.ProxiedClient(t, p)
	rules := []*faultproxy.Target{
		once(t, p, "DELETE", secretPath(ns)+"/"+tok.Ref.Name, faultproxy.LostAnswer),
		once(t, p, "DELETE", saPath(ns)+"/"+ref.Name, faultproxy.LostAnswer),
		once(t, p, "DELETE", rbPath(ns)+"/"+k8s.BindingName(ref, k8s.Scope{Kind: "clusterrole", Name: "edit", Namespace: ns}), faultproxy.LostAnswer),
		once(t, p, "DELETE", crbPath+"/"+k8s.BindingName(ref, k8s.Scope{Kind: "clusterrole", Name: "view"}), faultproxy.LostAnswer),
	}
	if err := c.DeleteTokenSecret(ctx, tok.Ref, tok.UID); err != nil {
		t.Fatalf("deleting the token Secret by UID through a lost answer: %v", err)
	}
	if err := c.Delete(ctx, ref); err != nil {
		t.Fatalf("deleting the account through lost answers: %v", err)
	}
	for i, r := range rules {
		if r.Applied() != 1 {
			t.Fatalf("rule %d applied %d times, want 1", i, r.Applied())
		}
	}
	if _, err := acctest.Clientset(t).CoreV1().ServiceAccounts(ns).Get(ctx, ref.Name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the account must be gone, Get = %v", err)
	}
	if rbs, crbs := grantsNaming(t, ref); len(rbs)+len(crbs) != 0 {
		t.Fatalf("bindings left: %v %v", rbs, crbs)
	}
	if left := tokenSecretsOf(t, ns, ref.Name); len(left) != 0 {
		t.Fatalf("token Secrets left: %v", left)
	}
}

// TestIntegrationDeliveredCredential_lostAnswers: the delivery Secret's
// create is adopted after a lost answer, and its replace (a PUT with a
// resourceVersion, which the retry layer resends) survives a lost answer:
// the resend meets a 409 and the write is done again from a fresh read.
func TestIntegrationDeliveredCredential_lostAnswers(t *testing.T) {
	ctx := context.Background()
	ns := acctest.Namespace(t)
	p := acctest.KubeProxy(t, 5)
	c := acctest.ProxiedClient(t, p)
	ref := nhi.Ref{Location: ns, Name: "creds"}
	put := func(id string) {
		t.Helper()
		if err := c.PutDeliveredCredential(ctx, k8s.DeliveredCredential{Ref: ref, CredentialID: id,
			Data: map[string][]byte{"id": []byte(id)}, Governance: nhi.Governance{Owner: "team:a", Purpose: "p"}}); err != nil {
			t.Fatalf("delivering %s: %v", id, err)
		}
		got, err := acctest.Client(t).DeliveredCredentialID(ctx, ref)
		if err != nil || got != id {
			t.Fatalf("the Secret holds %q (%v), want %q", got, err, id)
		}
	}
	create := once(t, p, "POST", secretPath(ns), faultproxy.LostAnswer)
	put("AKIAFIRST")
	update := once(t, p, "PUT", secretPath(ns)+"/"+ref.Name, faultproxy.LostAnswer)
	put("AKIASECOND")
	if create.Applied() != 1 || update.Applied() != 1 {
		t.Fatalf("faults applied: create %d, update %d; want 1 each", create.Applied(), update.Applied())
	}
	if n := p.Count("PUT", secretPath(ns)+"/"+ref.Name); n != 3 {
		t.Errorf("%d PUTs, want 3: the lost one, its resend (409) and the write from a fresh read", n)
	}
}

// TestIntegrationRequestToken_sentAgain: a TokenRequest stores nothing, so
// after a lost answer or a 503 it is asked again, and a token arrives.
func TestIntegrationRequestToken_sentAgain(t *testing.T) {
	ctx := context.Background()
	ns := acctest.Namespace(t)
	name := acctest.RandName("sa")
	if _, err := acctest.Client(t).Create(ctx, spec(ns, name)); err != nil {
		t.Fatal(err)
	}
	p := acctest.KubeProxy(t, 6)
	c := acctest.ProxiedClient(t, p)
	path := saPath(ns) + "/" + name + "/token"
	lost := once(t, p, "POST", path, faultproxy.LostAnswer)
	failed := once(t, p, "POST", path, faultproxy.Unavailable)
	tok, err := c.RequestToken(ctx, nhi.Ref{Location: ns, Name: name}, k8s.TokenRequest{Expiration: k8s.MinTokenExpiration})
	if err != nil || tok.Value == "" || tok.ExpiresAt.IsZero() {
		t.Fatalf("RequestToken through a lost answer and a 503: %v (token empty: %v)", err, tok.Value == "")
	}
	if lost.Applied() != 1 || failed.Applied() != 1 || p.Count("POST", path) != 3 {
		t.Fatalf("faults applied: lost %d, 503 %d; %d requests, want 1, 1 and 3", lost.Applied(), failed.Applied(), p.Count("POST", path))
	}
}

package kubernetes_test

// Failures after a create, forced against the real API server: a faulty
// clientset passes every call through except the ones a test breaks.

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// faults says which calls fail. Each hook, when set, runs instead of the
// real call's result (the real call is not made).
type faults struct {
	secretPatch  func(ctx context.Context) error
	secretList   func(ctx context.Context) error
	secretDelete func(ctx context.Context) error
	saDelete     func(ctx context.Context) error
}

type faultyClientset struct {
	kubernetes.Interface
	f *faults
}

func (c faultyClientset) CoreV1() corev1client.CoreV1Interface {
	return faultyCore{CoreV1Interface: c.Interface.CoreV1(), f: c.f}
}

type faultyCore struct {
	corev1client.CoreV1Interface
	f *faults
}

func (c faultyCore) Secrets(ns string) corev1client.SecretInterface {
	return faultySecrets{SecretInterface: c.CoreV1Interface.Secrets(ns), f: c.f}
}

func (c faultyCore) ServiceAccounts(ns string) corev1client.ServiceAccountInterface {
	return faultySAs{ServiceAccountInterface: c.CoreV1Interface.ServiceAccounts(ns), f: c.f}
}

type faultySecrets struct {
	corev1client.SecretInterface
	f *faults
}

func (s faultySecrets) Patch(ctx context.Context, name string, pt types.PatchType, data []byte, o metav1.PatchOptions, sub ...string) (*corev1.Secret, error) {
	if s.f.secretPatch != nil {
		return nil, s.f.secretPatch(ctx)
	}
	return s.SecretInterface.Patch(ctx, name, pt, data, o, sub...)
}

func (s faultySecrets) List(ctx context.Context, o metav1.ListOptions) (*corev1.SecretList, error) {
	if s.f.secretList != nil {
		return nil, s.f.secretList(ctx)
	}
	return s.SecretInterface.List(ctx, o)
}

func (s faultySecrets) Delete(ctx context.Context, name string, o metav1.DeleteOptions) error {
	if s.f.secretDelete != nil {
		return s.f.secretDelete(ctx)
	}
	return s.SecretInterface.Delete(ctx, name, o)
}

type faultySAs struct {
	corev1client.ServiceAccountInterface
	f *faults
}

func (s faultySAs) Delete(ctx context.Context, name string, o metav1.DeleteOptions) error {
	if s.f.saDelete != nil {
		return s.f.saDelete(ctx)
	}
	return s.ServiceAccountInterface.Delete(ctx, name, o)
}

// cancelApply returns a context and a hook that cancels it, as an
// interrupted terraform apply does, and fails the call it replaces with the
// cancellation.
func cancelApply(t *testing.T) (context.Context, func(context.Context) error) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return ctx, func(context.Context) error {
		cancel()
		return ctx.Err()
	}
}

var errInjected = errors.New("injected failure")

func fail(context.Context) error { return errInjected }

// tokenSecretsOf lists the token Secrets that name a service account.
func tokenSecretsOf(t *testing.T, ns, sa string) []string {
	t.Helper()
	l, err := acctest.Clientset(t).CoreV1().Secrets(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, s := range l.Items {
		if s.Annotations[corev1.ServiceAccountNameKey] == sa {
			out = append(out, s.Name)
		}
	}
	return out
}

func tokenSpec(ns, sa string) k8s.TokenSecretSpec {
	return k8s.TokenSecretSpec{
		ServiceAccount: nhi.Ref{Location: ns, Name: sa},
		Governance:     nhi.Governance{Owner: "team:platform", Purpose: "integration test"},
		RotateAfter:    30 * 24 * time.Hour,
	}
}

// A cancelled apply after the token Secret was created (while its
// rotation-due time is recorded) still deletes the Secret: the cleanup has a
// context of its own.
func TestIntegrationCreateTokenSecret_cleanupSurvivesCancellation(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("sa")
	if _, err := acctest.Client(t).Create(context.Background(), spec(ns, name)); err != nil {
		t.Fatal(err)
	}
	ctx, cancelling := cancelApply(t)
	c := k8s.NewFromClientset(faultyClientset{Interface: acctest.Clientset(t), f: &faults{secretPatch: cancelling}}, "")
	_, err := c.CreateTokenSecret(ctx, tokenSpec(ns, name))
	if err == nil || !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "deleted again") {
		t.Fatalf("CreateTokenSecret error = %v, want the cancellation and that the Secret was deleted again", err)
	}
	if left := tokenSecretsOf(t, ns, name); len(left) != 0 {
		t.Fatalf("a cancelled create must leave no token Secret behind, found %v", left)
	}
}

// When the Secret cannot be deleted again either, it is returned with the
// error, so the resource records it in state instead of orphaning it.
func TestIntegrationCreateTokenSecret_returnsWhatCannotBeRemoved(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("sa")
	if _, err := acctest.Client(t).Create(context.Background(), spec(ns, name)); err != nil {
		t.Fatal(err)
	}
	c := k8s.NewFromClientset(faultyClientset{Interface: acctest.Clientset(t), f: &faults{secretPatch: fail, secretDelete: fail}}, "")
	got, err := c.CreateTokenSecret(context.Background(), tokenSpec(ns, name))
	if !errors.Is(err, errInjected) {
		t.Fatalf("CreateTokenSecret error = %v", err)
	}
	left := tokenSecretsOf(t, ns, name)
	if len(left) != 1 || got.Ref != (nhi.Ref{Location: ns, Name: left[0]}) || got.UID == "" {
		t.Fatalf("the Secret that could not be removed (%v) must be returned, got %+v", left, got)
	}
}

// A failed read-back after a successful create (here cancelled mid-way)
// removes the service account again instead of leaving it for the next
// apply to trip over with "already exists".
func TestIntegrationCreate_failedReadBackRemovesAccount(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("sa")
	ctx, cancelling := cancelApply(t)
	c := k8s.NewFromClientset(faultyClientset{Interface: acctest.Clientset(t), f: &faults{secretList: cancelling}}, "")
	id, err := c.Create(ctx, spec(ns, name, "clusterrole:view@"+ns))
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "removed again") || id.ID != "" {
		t.Fatalf("Create = %+v, %v; want the cancellation, and that the account was removed again", id, err)
	}
	if _, err := acctest.Clientset(t).CoreV1().ServiceAccounts(ns).Get(context.Background(), name, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the service account must be removed again, Get = %v", err)
	}
	rbs, err := acctest.Clientset(t).RbacV1().RoleBindings(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil || len(rbs.Items) != 0 {
		t.Fatalf("the binding made for it must be removed too: %v %v", rbs, err)
	}
	// The next apply creates it without "already exists".
	if _, err := acctest.Client(t).Create(context.Background(), spec(ns, name)); err != nil {
		t.Fatalf("creating again: %v", err)
	}
}

// When the account cannot be removed again either, Create returns it with
// the error, so the resource records it in state.
func TestIntegrationCreate_returnsWhatCannotBeRemoved(t *testing.T) {
	ns := acctest.Namespace(t)
	name := acctest.RandName("sa")
	c := k8s.NewFromClientset(faultyClientset{Interface: acctest.Clientset(t), f: &faults{secretList: fail, saDelete: fail}}, "")
	id, err := c.Create(context.Background(), spec(ns, name))
	if !errors.Is(err, errInjected) {
		t.Fatalf("Create error = %v", err)
	}
	sa, gerr := acctest.Clientset(t).CoreV1().ServiceAccounts(ns).Get(context.Background(), name, metav1.GetOptions{})
	if gerr != nil || id.ID != string(sa.UID) || id.Ref != (nhi.Ref{Location: ns, Name: name}) {
		t.Fatalf("the account that could not be removed (%v) must be returned, got %+v", gerr, id)
	}
}

// A token Secret that carries only the managed-by label, which anyone can
// set, is not governed: it is a legacy token of its account. Only the full
// markers the token resource writes make it declared.
func TestIntegrationTokenSecret_bareLabelIsNotDeclared(t *testing.T) {
	ctx := context.Background()
	ns := acctest.Namespace(t)
	name := acctest.RandName("sa")
	c := acctest.Client(t)
	if _, err := c.Create(ctx, spec(ns, name)); err != nil {
		t.Fatal(err)
	}
	mk := func(secret string, ann map[string]string) {
		t.Helper()
		a := map[string]string{corev1.ServiceAccountNameKey: name}
		for k, v := range ann {
			a[k] = v
		}
		if _, err := c.Clientset().CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: secret, Labels: map[string]string{k8s.ManagedByLabel: k8s.ManagedByValue}, Annotations: a},
			Type:       corev1.SecretTypeServiceAccountToken,
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	mk("bare-label", nil)
	mk("no-rotation-due", map[string]string{"nhi.dev/owner": "team:a", "nhi.dev/purpose": "ci"})
	governed, err := c.CreateTokenSecret(ctx, tokenSpec(ns, name))
	if err != nil {
		t.Fatal(err)
	}
	if !governed.Declared || governed.RotationDueAt.IsZero() {
		t.Fatalf("a token Secret made by CreateTokenSecret must be declared with its rotation due: %+v", governed)
	}

	id, err := c.Get(ctx, nhi.Ref{Location: ns, Name: name})
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]bool{}
	for _, cr := range id.Credentials {
		declared[cr.ID] = cr.Declared
	}
	want := map[string]bool{ns + "/bare-label": false, ns + "/no-rotation-due": false, governed.Ref.String(): true}
	for k, v := range want {
		if got, ok := declared[k]; !ok || got != v {
			t.Errorf("credential %s: Declared = %v (found %v), want %v", k, got, ok, v)
		}
	}
	for _, secret := range []string{"bare-label", "no-rotation-due"} {
		ts, err := c.GetTokenSecret(ctx, nhi.Ref{Location: ns, Name: secret})
		if err != nil || ts.Declared {
			t.Errorf("GetTokenSecret(%s) = %+v, %v; want not declared", secret, ts, err)
		}
	}
	// Adopting it through the token resource's update writes the markers.
	adopted, err := c.UpdateTokenSecretGovernance(ctx, nhi.Ref{Location: ns, Name: "bare-label"}, nhi.Governance{Owner: "team:a", Purpose: "ci"}, 30*24*time.Hour)
	if err != nil || !adopted.Declared || !adopted.RotationDueAt.Equal(adopted.CreatedAt.Add(30*24*time.Hour)) {
		t.Fatalf("adopted = %+v, %v; want declared, due 30 days after creation", adopted, err)
	}
}

// Disable stamps the instant it is given (the provider's evaluation time),
// and keeps the first one on a later disable.
func TestIntegrationDisable_stampsGivenTime(t *testing.T) {
	ctx := context.Background()
	ns := acctest.Namespace(t)
	name := acctest.RandName("sa")
	c := acctest.Client(t)
	s := spec(ns, name, "clusterrole:view")
	if _, err := c.Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2031, 3, 31, 12, 0, 0, 0, time.UTC)
	if _, err := c.Disable(ctx, s, at); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Disable(ctx, s, at.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	sa, err := c.Clientset().CoreV1().ServiceAccounts(ns).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := sa.Annotations["nhi.dev/disabled-at"]; got != "2031-03-31T12:00:00Z" {
		t.Fatalf("disabled-at = %q, want the given evaluation time 2031-03-31T12:00:00Z", got)
	}
	if _, err := c.Disable(ctx, s, time.Time{}); err == nil {
		t.Fatal("Disable without an evaluation time must fail")
	}
}

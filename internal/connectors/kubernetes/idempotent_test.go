package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestCreateTokenIsFreshAndALabelValue(t *testing.T) {
	seen := map[string]bool{}
	valid := regexp.MustCompile(`^[0-9a-f]{32}$`)
	for i := 0; i < 100; i++ {
		tok := newCreateToken()
		if !valid.MatchString(tok) || seen[tok] {
			t.Fatalf("token %q: not 32 hex characters, or repeated", tok)
		}
		seen[tok] = true
	}
	if k := (Markers{Prefix: "example.com"}).CreateToken(); k != "example.com/create-token" {
		t.Fatalf("CreateToken() = %q", k)
	}
}

// The create token is bookkeeping: it never reaches an identity's labels or
// governance, nor a token Secret as found, and users cannot set it.
func TestCreateTokenIsNoMarker(t *testing.T) {
	c := &Client{markers: Markers{Prefix: DefaultPrefix}}
	key := c.markers.CreateToken()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Name: "a", Namespace: "n",
		Labels:      map[string]string{ManagedByLabel: ManagedByValue, "team": "x", key: "0123"},
		Annotations: map[string]string{key: "0123", c.markers.Owner(): "team:x"},
	}}
	id := c.identity(sa, newBindingIndex(), nil)
	bare := sa.DeepCopy()
	delete(bare.Labels, key)
	delete(bare.Annotations, key)
	if want := c.identity(bare, newBindingIndex(), nil); fmt.Sprint(id) != fmt.Sprint(want) {
		t.Fatalf("the create token changes the identity:\n%+v\nwithout it:\n%+v", id, want)
	}
	if len(id.Labels) != 1 || id.Labels["team"] != "x" {
		t.Fatalf("labels = %v, want only the user's", id.Labels)
	}
	sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s", Namespace: "n", Labels: map[string]string{key: "0123"}}}
	bareSec := sec.DeepCopy()
	bareSec.Labels = nil
	if fmt.Sprint(c.tokenSecret(sec)) != fmt.Sprint(c.tokenSecret(bareSec)) || c.governedToken(sec) {
		t.Fatalf("the create token changes a token Secret as found: %+v", c.tokenSecret(sec))
	}
	if err := c.markers.ValidateLabel(key, "x"); err == nil {
		t.Fatalf("a user label %s must be refused", key)
	}
}

func TestOutcomeUnknown(t *testing.T) {
	gr := schema.GroupResource{Resource: "serviceaccounts"}
	for _, c := range []struct {
		name string
		err  error
		want bool
	}{
		{"lost answer", &RequestError{Method: "POST", Path: "/x", Attempts: 1, What: "connection reset"}, true},
		{"wrapped lost answer", fmt.Errorf("x: %w", &RequestError{What: "timed out"}), true},
		{"503", apierrors.NewGenericServerResponse(http.StatusServiceUnavailable, "POST", gr, "", "", 0, false), true},
		{"500", apierrors.NewInternalError(errors.New("etcd")), true},
		{"504", apierrors.NewTimeoutError("slow", 1), true},
		{"server timeout", apierrors.NewServerTimeout(gr, "create", 1), true},
		{"canceled on the first attempt", fmt.Errorf("Post: %w", context.Canceled), true},
		{"429", apierrors.NewTooManyRequests("slow down", 1), false},
		{"403", apierrors.NewForbidden(gr, "a", errors.New("no")), false},
		{"422", apierrors.NewInvalid(schema.GroupKind{Kind: "ServiceAccount"}, "a", nil), false},
		{"409 exists", apierrors.NewAlreadyExists(gr, "a"), false},
		{"501", apierrors.NewGenericServerResponse(http.StatusNotImplemented, "POST", gr, "", "", 0, false), false},
		{"other", errors.New("x509: certificate signed by unknown authority"), false},
	} {
		if got := outcomeUnknown(c.err); got != c.want {
			t.Errorf("%s: outcomeUnknown = %v, want %v", c.name, got, c.want)
		}
	}
}

// fakeCreate scripts createSafely's three functions.
type fakeCreate struct {
	errs    []error // the create's errors, one per send; nil is success
	found   []lookupResult[string]
	sends   int
	lookups int
	removed []string
}

func (f *fakeCreate) create(context.Context) (string, error) {
	f.sends++
	if f.sends <= len(f.errs) && f.errs[f.sends-1] != nil {
		return "", f.errs[f.sends-1]
	}
	return "created", nil
}

func (f *fakeCreate) lookup(context.Context) (lookupResult[string], error) {
	f.lookups++
	if f.lookups <= len(f.found) {
		return f.found[f.lookups-1], nil
	}
	return lookupResult[string]{}, nil
}

func (f *fakeCreate) remove(_ context.Context, s string) error {
	f.removed = append(f.removed, s)
	return nil
}

func noPause(t *testing.T) *[]time.Duration {
	var waits []time.Duration
	old := createPause
	createPause = func(ctx context.Context, d time.Duration) error {
		waits = append(waits, d)
		return ctx.Err()
	}
	t.Cleanup(func() { createPause = old })
	return &waits
}

func TestCreateSafely(t *testing.T) {
	lost := &RequestError{Method: "POST", Path: "/api/v1/namespaces/n/serviceaccounts", Attempts: 1, What: "connection reset",
		Why: "not retried: the request was sent, so the server may have done the work"}
	gr := schema.GroupResource{Resource: "serviceaccounts"}
	unavailable := apierrors.NewGenericServerResponse(http.StatusServiceUnavailable, "POST", gr, "", "", 0, false)
	exists := apierrors.NewAlreadyExists(gr, "a")
	ours := lookupResult[string]{obj: "found", exists: true, ours: true}
	theirs := lookupResult[string]{obj: "someone's", exists: true}
	for _, c := range []struct {
		name           string
		f              fakeCreate
		obj            string
		adopted        bool
		err            string
		sends, lookups int
	}{
		{name: "answered", f: fakeCreate{}, obj: "created", sends: 1},
		{name: "lost answer, made: adopted", f: fakeCreate{errs: []error{lost}, found: []lookupResult[string]{ours}}, obj: "found", adopted: true, sends: 1, lookups: 1},
		{name: "503, not made: sent again", f: fakeCreate{errs: []error{unavailable}}, obj: "created", sends: 2, lookups: 1},
		{name: "lost, not made, then exists with the token: adopted", f: fakeCreate{errs: []error{lost, exists}, found: []lookupResult[string]{{}, ours}}, obj: "found", adopted: true, sends: 2, lookups: 2},
		{name: "exists without the token: taken", f: fakeCreate{errs: []error{exists}, found: []lookupResult[string]{theirs}}, err: "exists and was not created by this request", sends: 1, lookups: 1},
		{name: "lost answer, somebody else's: taken", f: fakeCreate{errs: []error{lost}, found: []lookupResult[string]{theirs}}, err: "exists and was not created by this request", sends: 1, lookups: 1},
		{name: "forbidden: no read-back", f: fakeCreate{errs: []error{apierrors.NewForbidden(gr, "a", errors.New("no"))}}, err: "forbidden", sends: 1},
		{name: "never made: bounded", f: fakeCreate{errs: []error{lost, lost, lost, lost, lost, lost, lost, lost}}, err: "it was not created, after 6 tries", sends: 6, lookups: 6},
	} {
		t.Run(c.name, func(t *testing.T) {
			noPause(t)
			f := c.f
			res, err := createSafely(context.Background(), f.create, f.lookup, f.remove)
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("error = %v, want one containing %q", err, c.err)
				}
				if strings.Contains(c.err, "not created by this request") != errors.Is(err, errTaken) {
					t.Fatalf("errors.Is(err, errTaken) is wrong for %v", err)
				}
			} else if err != nil || res.obj != c.obj || res.adopted != c.adopted {
				t.Fatalf("got %+v, %v; want %q (adopted %v)", res, err, c.obj, c.adopted)
			}
			if f.sends != c.sends || f.lookups != c.lookups || len(f.removed) != 0 {
				t.Fatalf("sends %d, lookups %d, removed %v; want %d, %d, none", f.sends, f.lookups, f.removed, c.sends, c.lookups)
			}
		})
	}
}

// A create whose context ends with its outcome unknown removes what it made
// (found by its token) with a cleanup context.
func TestCreateSafely_abandonedRemovesItsWork(t *testing.T) {
	noPause(t)
	// creator's create is sent, and the apply is cancelled meanwhile.
	creator := func(f *fakeCreate, cancel context.CancelFunc) func(context.Context) (string, error) {
		return func(context.Context) (string, error) {
			f.sends++
			cancel()
			return "", &RequestError{Method: "POST", Path: "/x", Attempts: 1, What: "canceled", Why: "stopped: context canceled", Err: context.Canceled}
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &fakeCreate{found: []lookupResult[string]{{obj: "found", exists: true, ours: true}}}
	var sawCtxErr error
	remove := func(ctx context.Context, s string) error {
		sawCtxErr = ctx.Err()
		return f.remove(ctx, s)
	}
	res, err := createSafely(ctx, creator(f, cancel), f.lookup, remove)
	if !errors.Is(err, context.Canceled) || res.left || len(f.removed) != 1 || f.removed[0] != "found" || sawCtxErr != nil {
		t.Fatalf("got %+v, %v, removed %v (ctx %v); want the cancellation and the found object removed under a live context", res, err, f.removed, sawCtxErr)
	}
	// When the removal fails too, the object is returned with the error.
	f2 := &fakeCreate{found: []lookupResult[string]{{obj: "found", exists: true, ours: true}}}
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	res, err = createSafely(ctx2, creator(f2, cancel2), f2.lookup, func(context.Context, string) error { return errors.New("refused") })
	if !res.left || res.obj != "found" || err == nil || !strings.Contains(err.Error(), "removing it again failed (refused)") {
		t.Fatalf("got %+v, %v; want the object left, with the error", res, err)
	}
}

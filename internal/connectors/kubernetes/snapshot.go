package kubernetes

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// snapshot caches LIST results for the life of one Terraform command (one
// provider process), so that refreshing N identities costs about one list
// per namespace instead of N cluster-wide lists.
//
// Consistency rule: a snapshot is taken on first use, after the command
// started, so every change made before the plan or apply started is seen.
// Every write the provider makes to a service account or a binding is
// written through into the snapshot with the object the API server
// returned (a newer resourceVersion never loses to an older one), and token
// Secret writes discard the token snapshots, so the provider always sees its
// own writes. A change made by someone else while the command runs may or
// may not be seen, as with any single list; the next command sees it.
type snapshot struct {
	mu      sync.Mutex
	entries map[string]*snapEntry
}

type snapEntry struct {
	ready chan struct{} // closed once val and err are set
	val   any
	err   error
}

func (s *snapshot) get(ctx context.Context, key string, load func() (any, error)) (any, error) {
	for {
		s.mu.Lock()
		if s.entries == nil {
			s.entries = map[string]*snapEntry{}
		}
		e, ok := s.entries[key]
		if !ok {
			e = &snapEntry{ready: make(chan struct{})}
			s.entries[key] = e
		}
		s.mu.Unlock()
		if !ok {
			e.val, e.err = load()
			close(e.ready)
		} else {
			// Another request is loading it: wait, but no longer than
			// this request may.
			select {
			case <-e.ready:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		if e.err != nil {
			// Do not keep failures: the next caller retries.
			s.mu.Lock()
			if s.entries[key] == e {
				delete(s.entries, key)
			}
			s.mu.Unlock()
			// The loading request ended (cancelled, or out of time)
			// while this one goes on: load it with this one's own.
			if ok && ctx.Err() == nil && (errors.Is(e.err, context.Canceled) || errors.Is(e.err, context.DeadlineExceeded)) {
				continue
			}
		}
		return e.val, e.err
	}
}

// invalidate drops the snapshots whose key starts with prefix.
func (s *snapshot) invalidate(prefix string) {
	s.mu.Lock()
	for k := range s.entries {
		if strings.HasPrefix(k, prefix) {
			delete(s.entries, k)
		}
	}
	s.mu.Unlock()
}

// peek returns a snapshot, waiting for one being loaded, so that a write
// made meanwhile is written through after the load (never lost under it).
func (s *snapshot) peek(key string) (any, bool) {
	s.mu.Lock()
	e, ok := s.entries[key]
	s.mu.Unlock()
	if !ok {
		return nil, false
	}
	<-e.ready
	return e.val, e.err == nil
}

// EnableSnapshots makes reads share list snapshots (see snapshot). The
// provider enables it; the drift reporter, which lists once anyway, does not.
func (c *Client) EnableSnapshots() { c.snap = &snapshot{} }

// tokensChanged discards the token Secret snapshots after a token write.
func (c *Client) tokensChanged() {
	if c.snap != nil {
		c.snap.invalidate("tokens/")
	}
}

// loadedIndex returns the bindings snapshot when one is loaded, for
// writing the provider's own changes through.
func (c *Client) loadedIndex() (bindingIndex, bool) {
	if c.snap == nil {
		return bindingIndex{}, false
	}
	v, ok := c.snap.peek("bindings")
	if !ok {
		return bindingIndex{}, false
	}
	return v.(bindingIndex), true
}

// saIndex is the snapshot of every service account, by reference.
type saIndex struct {
	mu   *sync.RWMutex
	byRf map[nhi.Ref]*corev1.ServiceAccount
}

// put records a service account the API server returned, unless the
// snapshot already holds a newer version of it.
func (x saIndex) put(sa *corev1.ServiceAccount) {
	ref := nhi.Ref{Location: sa.Namespace, Name: sa.Name}
	x.mu.Lock()
	defer x.mu.Unlock()
	if cur, ok := x.byRf[ref]; ok && newerRV(cur.ResourceVersion, sa.ResourceVersion) {
		return
	}
	cp := sa.DeepCopy()
	cp.ManagedFields = nil
	x.byRf[ref] = cp
}

func (x saIndex) remove(ref nhi.Ref) {
	x.mu.Lock()
	delete(x.byRf, ref)
	x.mu.Unlock()
}

// newerRV reports whether resourceVersion a is newer than b. Kubernetes
// documents resource versions as opaque; etcd-backed servers use increasing
// integers, and anything else counts as "not newer", so the write wins.
func newerRV(a, b string) bool {
	x, err1 := strconv.ParseUint(a, 10, 64)
	y, err2 := strconv.ParseUint(b, 10, 64)
	return err1 == nil && err2 == nil && x > y
}

// savedServiceAccount writes a service account the provider just wrote
// through into the snapshot.
func (c *Client) savedServiceAccount(sa *corev1.ServiceAccount) {
	if c.snap == nil || sa == nil {
		return
	}
	if v, ok := c.snap.peek("serviceaccounts"); ok {
		v.(saIndex).put(sa)
	}
}

func (c *Client) deletedServiceAccount(ref nhi.Ref) {
	if c.snap == nil {
		return
	}
	if v, ok := c.snap.peek("serviceaccounts"); ok {
		v.(saIndex).remove(ref)
	}
}

// cached returns load's result, through the snapshot when enabled.
func cached[T any](ctx context.Context, c *Client, key string, load func() (T, error)) (T, error) {
	if c.snap == nil {
		return load()
	}
	v, err := c.snap.get(ctx, key, func() (any, error) { return load() })
	if err != nil {
		var zero T
		return zero, err
	}
	return v.(T), nil
}

// serviceAccount reads one service account: a GET without snapshots, a
// lookup in the cluster-wide list with them. Cluster-wide lists cost about
// one request per 500 objects however the identities are spread over
// namespaces.
func (c *Client) serviceAccount(ctx context.Context, ref nhi.Ref) (*corev1.ServiceAccount, error) {
	if c.snap == nil {
		return c.cs.CoreV1().ServiceAccounts(ref.Location).Get(ctx, ref.Name, metav1.GetOptions{})
	}
	ix, err := cached(ctx, c, "serviceaccounts", func() (saIndex, error) {
		out := saIndex{mu: &sync.RWMutex{}, byRf: map[nhi.Ref]*corev1.ServiceAccount{}}
		lo := metav1.ListOptions{Limit: listPageSize}
		for {
			l, err := c.cs.CoreV1().ServiceAccounts("").List(ctx, lo)
			if err != nil {
				return out, err
			}
			for i := range l.Items {
				// Managed fields are the server's bookkeeping, often the
				// largest part of the object: nothing reads them, and an
				// update without them leaves the server's as they are.
				l.Items[i].ManagedFields = nil
				out.byRf[nhi.Ref{Location: l.Items[i].Namespace, Name: l.Items[i].Name}] = &l.Items[i]
			}
			if lo.Continue = l.Continue; lo.Continue == "" {
				return out, nil
			}
		}
	})
	if err != nil {
		return nil, err
	}
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	sa, ok := ix.byRf[ref]
	if !ok {
		return nil, notFound("serviceaccounts", ref.Name)
	}
	return sa.DeepCopy(), nil
}

// tokenScope is the namespace to list token Secrets in for one identity:
// its own without snapshots, all of them (one shared list) with.
func (c *Client) tokenScope(ns string) string {
	if c.snap != nil {
		return ""
	}
	return ns
}

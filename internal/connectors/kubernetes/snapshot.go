package kubernetes

import (
	"context"
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
// Every write the provider makes discards all snapshots, so the provider
// always sees its own writes. A change made by someone else while the
// command runs may or may not be seen, as with any single list.
type snapshot struct {
	mu      sync.Mutex
	entries map[string]*snapEntry
}

type snapEntry struct {
	once sync.Once
	val  any
	err  error
}

func (s *snapshot) get(key string, load func() (any, error)) (any, error) {
	s.mu.Lock()
	if s.entries == nil {
		s.entries = map[string]*snapEntry{}
	}
	e, ok := s.entries[key]
	if !ok {
		e = &snapEntry{}
		s.entries[key] = e
	}
	s.mu.Unlock()
	e.once.Do(func() { e.val, e.err = load() })
	if e.err != nil {
		// Do not keep failures: the next caller retries.
		s.mu.Lock()
		if s.entries[key] == e {
			delete(s.entries, key)
		}
		s.mu.Unlock()
	}
	return e.val, e.err
}

func (s *snapshot) invalidate() {
	s.mu.Lock()
	s.entries = nil
	s.mu.Unlock()
}

// EnableSnapshots makes reads share list snapshots (see snapshot). The
// provider enables it; the drift reporter, which lists once anyway, does not.
func (c *Client) EnableSnapshots() { c.snap = &snapshot{} }

// mutated discards snapshots after a write.
func (c *Client) mutated() {
	if c.snap != nil {
		c.snap.invalidate()
	}
}

// cached returns load's result, through the snapshot when enabled.
func cached[T any](c *Client, key string, load func() (T, error)) (T, error) {
	if c.snap == nil {
		return load()
	}
	v, err := c.snap.get(key, func() (any, error) { return load() })
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
	byRef, err := cached(c, "serviceaccounts", func() (map[nhi.Ref]*corev1.ServiceAccount, error) {
		out := map[nhi.Ref]*corev1.ServiceAccount{}
		lo := metav1.ListOptions{Limit: listPageSize}
		for {
			l, err := c.cs.CoreV1().ServiceAccounts("").List(ctx, lo)
			if err != nil {
				return nil, err
			}
			for i := range l.Items {
				out[nhi.Ref{Location: l.Items[i].Namespace, Name: l.Items[i].Name}] = &l.Items[i]
			}
			if lo.Continue = l.Continue; lo.Continue == "" {
				return out, nil
			}
		}
	})
	if err != nil {
		return nil, err
	}
	sa, ok := byRef[ref]
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

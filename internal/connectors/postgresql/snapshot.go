package postgresql

import (
	"context"
	"sync"
)

// roleSnapshot holds every role with its grants, read once for the life of
// one Terraform command (one provider process), so that refreshing N
// declared roles costs the few queries of one full read (readAllGrantsFor:
// a constant number per database) instead of about a dozen per role.
//
// Consistency rule, as for the Kubernetes connector's list snapshots: the
// snapshot is taken on first use, after the command started, so every
// change made before the plan or apply started is seen. Every write the
// provider makes to a role is written through (Create, Update and Disable
// store the role as read back after the write; Delete and SetPassword drop
// it, so the next Get reads it alone). A change someone else makes while
// the command runs may or may not be seen, as with any single read; the
// next command sees it.
type roleSnapshot struct {
	mu      sync.Mutex
	loading chan struct{} // closed when a load ends; nil when none runs
	loaded  bool
	roles   map[string]Details
	// stale names roles written or dropped since the load: they are read
	// alone, and their absence from roles means nothing.
	stale map[string]bool
}

// snapshotRole returns the role from the command's snapshot, loading it on
// first use. A role missing from a complete snapshot does not exist.
func (c *Client) snapshotRole(ctx context.Context, name string) (Details, error) {
	s := &c.snap
	for {
		s.mu.Lock()
		if s.loaded {
			d, ok := s.roles[name]
			stale := s.stale[name]
			s.mu.Unlock()
			switch {
			case stale:
				return c.refreshRole(ctx, name)
			case !ok:
				return Details{}, roleNotFound(name)
			}
			return d, nil
		}
		if wait := s.loading; wait != nil {
			s.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return Details{}, ctx.Err()
			}
		}
		done := make(chan struct{})
		s.loading = done
		s.mu.Unlock()

		all, err := c.loadRoles(ctx)
		s.mu.Lock()
		s.loading = nil
		if err == nil {
			s.loaded, s.roles = true, all
		}
		s.mu.Unlock()
		close(done)
		if err != nil {
			// Failures are not kept: the next caller tries again.
			return Details{}, err
		}
	}
}

// loadRoles reads every role that is an identity with its grants.
func (c *Client) loadRoles(ctx context.Context) (map[string]Details, error) {
	rs, err := c.listRoles(ctx, "", 0)
	if err != nil {
		return nil, err
	}
	ds, err := c.withGrants(ctx, identities(rs))
	if err != nil {
		return nil, err
	}
	out := make(map[string]Details, len(ds))
	for _, d := range ds {
		out[d.Ref.Name] = d
	}
	return out, nil
}

// refreshRole reads one role alone and stores it in the snapshot.
func (c *Client) refreshRole(ctx context.Context, name string) (Details, error) {
	d, err := c.getRole(ctx, name)
	if err != nil {
		if IsNotFound(err) {
			c.forget(name)
		}
		return Details{}, err
	}
	c.remember(d)
	return d, nil
}

// remember writes a role as read back after a write into the snapshot.
func (c *Client) remember(d Details) {
	s := &c.snap
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded {
		return
	}
	s.roles[d.Ref.Name] = d
	delete(s.stale, d.Ref.Name)
}

// forget marks a role as changed: the next Get reads it alone.
func (c *Client) forget(name string) {
	s := &c.snap
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded {
		return
	}
	if s.stale == nil {
		s.stale = map[string]bool{}
	}
	delete(s.roles, name)
	s.stale[name] = true
}

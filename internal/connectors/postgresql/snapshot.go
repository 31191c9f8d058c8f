package postgresql

import (
	"context"
	"sync"
)

// roleSnapshot holds every role with its grants, read once for the life of
// one Terraform command (one provider process), so that refreshing N
// declared roles costs the few queries of one full read (readAllGrantsFor:
// a constant number per database) instead of a few per role. It also holds
// the full grant state behind it, from which an Update or Disable of a
// role the command has not written yet plans its grant changes without
// reading the role again, and the scopes CheckScopes has found (a scope
// found once is not looked up again).
//
// Consistency rule, as for the Kubernetes connector's list snapshots: the
// snapshot is taken on first use, after the command started, so every
// change made before the plan or apply started is seen. Every write the
// provider makes to a role is written through (Create, Update and Disable
// store the role as read back after the write; Delete and SetPassword drop
// it, so the next Get reads it alone). A write that ends while the load is
// still reading may or may not be in what the load read, so the role is
// marked stale when the load ends (pending) and read alone on next use. A
// change someone else makes while
// the command runs may or may not be seen, as with any single read; the
// next command sees it.
type roleSnapshot struct {
	mu      sync.Mutex
	loading chan struct{} // closed when a load ends; nil when none runs
	loaded  bool
	roles   map[string]Details
	// grants is the grant state the load read (every role, every
	// database), and rows the catalog rows of the roles as loaded; never
	// changed after the load (readers share them).
	grants *grantState
	rows   map[string]role
	// stale names roles written or dropped since the load: they are read
	// alone, and their absence from roles means nothing.
	stale map[string]bool
	// written names roles the provider wrote since the load: their entry
	// in grants is out of date.
	written map[string]bool
	// pending names roles written or dropped while a load was running:
	// the load may have read them before the write, so they become stale
	// (and written) when it ends.
	pending map[string]bool
	// found is the scopes (canonical) CheckScopes found; kept whether or
	// not the snapshot is loaded.
	found map[string]bool
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
			bad := s.rows[name].bad
			s.mu.Unlock()
			switch {
			case stale:
				return c.refreshRole(ctx, name)
			case bad != nil:
				return Details{}, bad // that role alone fails
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

		all, rows, st, err := c.loadRoles(ctx)
		s.finishLoad(all, rows, st, err)
		close(done)
		if err != nil {
			// Failures are not kept: the next caller tries again.
			return Details{}, err
		}
	}
}

// finishLoad stores what a load read (unless it failed) and marks the roles
// written during it stale.
func (s *roleSnapshot) finishLoad(all map[string]Details, rows map[string]role, st *grantState, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.loading = nil
	pending := s.pending
	s.pending = nil
	if err != nil {
		return
	}
	s.loaded, s.roles, s.rows, s.grants = true, all, rows, st
	for name := range pending {
		s.markStale(name)
	}
}

// markStale drops a role from a loaded snapshot: the next Get reads it
// alone.
func (s *roleSnapshot) markStale(name string) {
	if s.stale == nil {
		s.stale = map[string]bool{}
	}
	delete(s.roles, name)
	s.stale[name] = true
	s.wrote(name)
}

// duringLoad records a write while a load runs; it reports whether one
// runs (and the snapshot is not loaded).
func (s *roleSnapshot) duringLoad(name string) bool {
	if s.loaded || s.loading == nil {
		return false
	}
	if s.pending == nil {
		s.pending = map[string]bool{}
	}
	s.pending[name] = true
	return true
}

// loadRoles reads every role that is an identity with its grants, as
// withGrants (inventory.go) does, and keeps the grant state.
func (c *Client) loadRoles(ctx context.Context) (map[string]Details, map[string]role, *grantState, error) {
	rs, err := c.listRoles(ctx, "", 0)
	if err != nil {
		return nil, nil, nil, err
	}
	rs = identities(rs)
	declared := make(map[string][]string, len(rs))
	for _, r := range rs {
		if r.managed {
			declared[r.name] = r.gov.Scopes
		}
	}
	st, err := c.readState(ctx, "", nil)
	if err != nil {
		return nil, nil, nil, err
	}
	all := make(map[string][]string, len(st.byName))
	for name, r := range st.byName {
		all[name] = st.renderScopes(r, declared[name])
	}
	out := make(map[string]Details, len(rs))
	rows := make(map[string]role, len(rs))
	for _, r := range rs {
		if r.bad != nil {
			rows[r.name] = r // its Get returns r.bad; the others load
			continue
		}
		scopes, ok := all[r.name]
		if !ok {
			continue // dropped between the two reads
		}
		d := c.details(r, scopes)
		d.PrivilegedWhy = privilegedThrough(scopes, all)
		out[r.name] = d
		rows[r.name] = r
	}
	return out, rows, st, nil
}

// snapshotGrants is the snapshot's grant state and the role's row as
// loaded, when the snapshot is loaded and the provider has not written the
// role since: what an Update or Disable plans from instead of reading the
// role.
func (c *Client) snapshotGrants(name string) (*grantState, role, bool) {
	s := &c.snap
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rows[name]
	if !s.loaded || !ok || r.bad != nil || s.stale[name] || s.written[name] || s.grants == nil || s.grants.byName[name] == nil {
		return nil, role{}, false
	}
	return s.grants, r, true
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
	if s.duringLoad(d.Ref.Name) || !s.loaded {
		return
	}
	s.roles[d.Ref.Name] = d
	delete(s.stale, d.Ref.Name)
	s.wrote(d.Ref.Name)
}

// forget marks a role as changed: the next Get reads it alone, and a
// role:<name> scope is looked up again.
func (c *Client) forget(name string) {
	s := &c.snap
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.found, Scope{Kind: ScopeRole, Object: name}.String())
	if s.duringLoad(name) || !s.loaded {
		return
	}
	s.markStale(name)
}

func (s *roleSnapshot) wrote(name string) {
	if s.written == nil {
		s.written = map[string]bool{}
	}
	s.written[name] = true
}

// unchecked is the indexes of the scopes CheckScopes has not found yet.
func (c *Client) unchecked(scopes []Scope) []int {
	s := &c.snap
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []int
	for i, sc := range scopes {
		if !s.found[sc.String()] {
			out = append(out, i)
		}
	}
	return out
}

// checkedScopes records scopes CheckScopes found.
func (c *Client) checkedScopes(scopes []Scope) {
	s := &c.snap
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.found == nil {
		s.found = map[string]bool{}
	}
	for _, sc := range scopes {
		s.found[sc.String()] = true
	}
}

package postgresql

import (
	"testing"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// A write that ends while the snapshot is loading may be missing from what
// the load read: once the load ends the role is stale (read alone on next
// use) and its grant state is not planned from, whether the write stored
// the role (remember) or dropped it (forget).
func TestSnapshotWriteDuringLoad(t *testing.T) {
	for _, write := range []string{"remember", "forget"} {
		t.Run(write, func(t *testing.T) {
			c := &Client{}
			s := &c.snap
			s.loading = make(chan struct{}) // a load is reading
			after := Details{Identity: nhi.Identity{Ref: RoleRef("app")}, CanLogin: true}
			if write == "remember" {
				c.remember(after)
			} else {
				c.forget("app")
			}
			// The load read the role before the write.
			before := Details{Identity: nhi.Identity{Ref: RoleRef("app")}}
			st := newGrantState()
			st.byName["app"] = &grantRole{name: "app"}
			s.finishLoad(map[string]Details{"app": before, "other": {}}, map[string]role{"app": {name: "app"}, "other": {name: "other"}}, st, nil)
			if !s.loaded {
				t.Fatal("the load was not stored")
			}
			if !s.stale["app"] {
				t.Error("the role written during the load is not stale: the next Get returns the load's pre-write copy")
			}
			if _, ok := s.roles["app"]; ok {
				t.Error("the load's pre-write copy of the role is kept")
			}
			if _, _, ok := c.snapshotGrants("app"); ok {
				t.Error("the role's grants would be planned from the load's pre-write state")
			}
			if s.stale["other"] {
				t.Error("a role nobody wrote is stale")
			}
		})
	}
}

// A failed load keeps nothing, including the writes made during it (the
// next load reads them).
func TestSnapshotFailedLoadForgetsPending(t *testing.T) {
	c := &Client{}
	s := &c.snap
	s.loading = make(chan struct{})
	c.forget("app")
	s.finishLoad(nil, nil, nil, errTestLoad)
	if s.loaded || s.loading != nil || len(s.pending) != 0 {
		t.Fatalf("after a failed load: loaded %v, loading %v, pending %v", s.loaded, s.loading != nil, s.pending)
	}
}

var errTestLoad = &grantMissing{"load failed"}

package owners

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// fakeDir answers after delay; everyone whose name starts with "gone" left.
type fakeDir struct {
	delay time.Duration
	err   error
	skip  string // an owner left out of the answer

	mu      sync.Mutex
	lookups int
	asked   map[string]int
}

func (f *fakeDir) Name() string { return "fake://dir" }

func (f *fakeDir) Lookup(ctx context.Context, owners []string) (map[string]nhi.OwnerStatus, error) {
	f.mu.Lock()
	f.lookups++
	if f.asked == nil {
		f.asked = map[string]int{}
	}
	for _, o := range owners {
		f.asked[o]++
	}
	f.mu.Unlock()
	select {
	case <-time.After(f.delay):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if f.err != nil {
		return nil, f.err
	}
	out := map[string]nhi.OwnerStatus{}
	for _, o := range owners {
		if o == f.skip {
			continue
		}
		if len(o) >= 4 && o[:4] == "gone" {
			out[o] = nhi.OwnerStatus{Found: true, Kind: nhi.OwnerPerson, Reason: nhi.OwnerDisabled}
		} else {
			out[o] = nhi.ActiveOwner(nhi.OwnerPerson)
		}
	}
	return out, nil
}

// 500 identities planned in parallel, one owner each, read the directory
// in a few bulk lookups, each owner once.
func TestCache_coalescesParallelPlans(t *testing.T) {
	f := &fakeDir{delay: 20 * time.Millisecond}
	c := NewCache(f)
	var wg sync.WaitGroup
	errs := make(chan error, 500)
	for i := range 500 {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			o := fmt.Sprintf("owner-%d@example.com", i%200) // 200 distinct owners
			if i%7 == 0 {
				o = fmt.Sprintf("gone-%d@example.com", i)
			}
			got, err := c.Lookup(context.Background(), []string{o})
			switch {
			case err != nil:
				errs <- err
			case got[o].Active == (o[:4] == "gone"):
				errs <- fmt.Errorf("%s: %+v", o, got[o])
			}
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if f.lookups > 3 {
		t.Errorf("%d lookups of the directory for 500 parallel plans, want at most 3", f.lookups)
	}
	for o, n := range f.asked {
		if n != 1 {
			t.Errorf("%s asked %d times", o, n)
		}
	}
	if c.Lookups() != f.lookups {
		t.Errorf("Lookups() = %d, the directory saw %d", c.Lookups(), f.lookups)
	}
	before := f.lookups
	if _, err := c.Lookup(context.Background(), []string{"owner-1@example.com", "owner-2@example.com"}); err != nil || f.lookups != before {
		t.Errorf("known owners read the directory again: %v, %d lookups", err, f.lookups-before)
	}
}

// A directory that fails fails every waiting caller and every later call,
// without being asked again: never "everyone left".
func TestCache_failureIsStickyAndAnError(t *testing.T) {
	boom := errors.New("ldap://dir:389: connecting: connection refused")
	f := &fakeDir{delay: 10 * time.Millisecond, err: boom}
	c := NewCache(f)
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			got, err := c.Lookup(context.Background(), []string{fmt.Sprintf("o%d", i)})
			if !errors.Is(err, boom) || got != nil {
				t.Errorf("caller %d: %v, %v; want the directory's error and no statuses", i, got, err)
			}
		}(i)
	}
	wg.Wait()
	n := f.lookups
	if _, err := c.Lookup(context.Background(), []string{"later"}); !errors.Is(err, boom) || f.lookups != n {
		t.Errorf("later call: %v after %d more lookups; want the same error and none", err, f.lookups-n)
	}
}

// An answer that leaves an owner out is an error, not "not found".
func TestCache_missingAnswerIsAnError(t *testing.T) {
	c := NewCache(&fakeDir{skip: "b"})
	_, err := c.Lookup(context.Background(), []string{"a", "b"})
	if err == nil || err.Error() != `fake://dir gave no answer for owner "b"` {
		t.Errorf("err = %v", err)
	}
}

// A caller whose ctx ends stops waiting; the lookup goes on for others.
func TestCache_callerContext(t *testing.T) {
	f := &fakeDir{delay: 200 * time.Millisecond}
	c := NewCache(f)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := c.Lookup(context.Background(), []string{"a"})
		done <- err
	}()
	time.Sleep(5 * time.Millisecond)
	if _, err := c.Lookup(ctx, []string{"a"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("cancelled caller: %v", err)
	}
	if err := <-done; err != nil {
		t.Errorf("the other caller: %v", err)
	}
	if f.lookups != 1 {
		t.Errorf("%d lookups, want 1", f.lookups)
	}
}

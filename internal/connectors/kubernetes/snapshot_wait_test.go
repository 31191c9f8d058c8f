package kubernetes

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A request waiting for another's snapshot load stops waiting when its own
// context ends, and when the loading request ends (its context cancelled)
// the waiting one loads the snapshot itself instead of taking that error.
func TestSnapshotWaitersFollowTheirOwnContext(t *testing.T) {
	s := &snapshot{}
	release := make(chan struct{})
	loaderCtx, cancelLoader := context.WithCancel(context.Background())
	loaded := make(chan error, 1)
	go func() {
		_, err := s.get(loaderCtx, "k", func() (any, error) {
			select {
			case <-release:
				return "first", nil
			case <-loaderCtx.Done():
				return nil, loaderCtx.Err()
			}
		})
		loaded <- err
	}()
	for { // until the first load is under way
		s.mu.Lock()
		_, ok := s.entries["k"]
		s.mu.Unlock()
		if ok {
			break
		}
		time.Sleep(time.Millisecond)
	}

	// A waiter out of time returns at once, with its own error.
	short, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := s.get(short, "k", func() (any, error) { return "never", nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiter with an expired context: %v, want its deadline", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the waiter waited %v for a load its context had no time for", d)
	}

	// The loader's request is cancelled while another waits: that one
	// loads for itself.
	got := make(chan any, 1)
	go func() {
		v, err := s.get(context.Background(), "k", func() (any, error) { return "second", nil })
		if err != nil {
			got <- err
			return
		}
		got <- v
	}()
	time.Sleep(20 * time.Millisecond)
	cancelLoader()
	if err := <-loaded; !errors.Is(err, context.Canceled) {
		t.Fatalf("loader: %v, want its own cancellation", err)
	}
	select {
	case v := <-got:
		if v != "second" {
			t.Errorf("waiter got %v, want its own load (second)", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiter never returned")
	}
	close(release)
}

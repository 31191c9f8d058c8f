package cleanup

import (
	"context"
	"testing"
	"time"
)

type key struct{}

func TestContextSurvivesCancellationButIsBounded(t *testing.T) {
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "v"))
	cancel()
	var sawErr error
	var deadline time.Time
	var ok bool
	err := Do(parent, func(ctx context.Context) error {
		sawErr = ctx.Err()
		deadline, ok = ctx.Deadline()
		if ctx.Value(key{}) != "v" {
			t.Error("cleanup context lost the parent's values")
		}
		return nil
	})
	if err != nil || sawErr != nil {
		t.Fatalf("cleanup context was cancelled with its parent: %v %v", err, sawErr)
	}
	if !ok || time.Until(deadline) > Timeout || time.Until(deadline) < Timeout-5*time.Second {
		t.Fatalf("cleanup context deadline = %v (ok %v), want about %v from now", deadline, ok, Timeout)
	}
}

// Package cleanup gives rollback and compensation steps a context of their
// own: one that outlives the cancellation of the operation that failed (a
// cancelled apply must still delete the key it just created) but is bounded,
// so a cleanup against an unreachable server cannot hang a command forever.
package cleanup

import (
	"context"
	"time"
)

// Timeout bounds one cleanup.
const Timeout = 30 * time.Second

// Context returns a context that keeps ctx's values (loggers, trace IDs) but
// not its cancellation or deadline, and ends after Timeout.
func Context(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), Timeout)
}

// Do runs fn with a cleanup context derived from ctx.
func Do(ctx context.Context, fn func(context.Context) error) error {
	cctx, cancel := Context(ctx)
	defer cancel()
	return fn(cctx)
}

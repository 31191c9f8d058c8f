package postgresql

// Retries: one helper, used by every statement the connector sends.
//
// A statement may fail because the connection broke (a reset, a timeout, a
// server restart), because the server refused a connection for now (too
// many connections, starting up), or because a transaction lost a
// serialization or deadlock race. Those are transient: the statement is
// sent again, at most Connection.MaxAttempts times in all (default 4), with
// jittered exponential backoff from 100 ms, at most 2 s a wait, ending as
// soon as ctx does. Anything else (a syntax error, a missing object, a
// permission) is final and returned at once.
//
// Only what is safe to repeat goes through it, and the connector makes its
// writes so: reads; GRANT, REVOKE, ALTER ROLE and COMMENT, which leave the
// same result however often they run; DROP ... IF EXISTS; and CREATE ROLE,
// whose repeat meets "already exists" and is then settled by the create
// token in the role's comment (role.go). A transaction is repeated whole.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Retry bounds.
const (
	DefaultMaxAttempts = 4
	retryBaseDelay     = 100 * time.Millisecond
	retryMaxDelay      = 2 * time.Second
)

// transient reports whether err is worth another attempt: a broken or
// refused connection, SQLSTATE class 08 (connection exception), 40001
// (serialization failure), 40P01 (deadlock), 53300 (too many connections),
// 57P01/57P02 (the server is shutting down, the session ends) or 57P03
// (cannot connect now). A cancelled or expired ctx never is.
func transient(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "40001", "40P01", "53300", "57P01", "57P02", "57P03":
			return true
		}
		return strings.HasPrefix(pe.Code, "08")
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	return errors.As(err, &ce) || errors.As(err, &ne) || pgconn.SafeToRetry(err) || pgconn.Timeout(err) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, pgconn.ErrConnClosed) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.EPIPE)
}

// retry runs fn until it succeeds, fails for good, or has been tried
// c.conn.MaxAttempts times. doing says what fn does, for the error.
func (c *Client) retry(ctx context.Context, doing string, fn func(context.Context) error) error {
	attempts := c.conn.MaxAttempts
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	delay := retryBaseDelay
	var err error
	for i := 1; ; i++ {
		if err = fn(ctx); err == nil {
			return nil
		}
		if !transient(err) || ctx.Err() != nil {
			return wrap(err, doing)
		}
		if i >= attempts {
			return fmt.Errorf("%w (no success in %d attempts: PostgreSQL at %s or the network to it is failing; try again later)", wrap(err, doing), i, c.Address())
		}
		// Full jitter over the upper half: parallel clients spread out.
		wait := delay/2 + rand.N(delay/2+1)
		if serr := c.sleep(ctx, wait); serr != nil {
			return fmt.Errorf("%w (stopped retrying after %d attempts: %v)", wrap(err, doing), i, serr)
		}
		if delay *= 2; delay > retryMaxDelay {
			delay = retryMaxDelay
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// onDB runs fn with the pool of database db ("" is the maintenance
// database), retried as retry does. Reaching the database is part of the
// attempt.
func (c *Client) onDB(ctx context.Context, db, doing string, fn func(context.Context, *pgxpool.Pool) error) error {
	return c.retry(ctx, doing, func(ctx context.Context) error {
		p, err := c.pool(ctx, db)
		if err != nil {
			return err
		}
		return fn(ctx, p)
	})
}

// inTx runs fn in one transaction of database db, the whole transaction
// retried as retry does (fn must be safe to run again).
func (c *Client) inTx(ctx context.Context, db, doing string, fn func(context.Context, pgx.Tx) error) error {
	return c.onDB(ctx, db, doing, func(ctx context.Context, p *pgxpool.Pool) error {
		return pgx.BeginFunc(ctx, p, func(tx pgx.Tx) error { return fn(ctx, tx) })
	})
}

// exec runs statements in database db, in one transaction when there are
// several, retried. Every statement must be safe to repeat. Statements are
// never quoted in errors (one may carry a password verifier).
func (c *Client) exec(ctx context.Context, db, doing string, stmts ...string) error {
	if len(stmts) == 1 {
		return c.onDB(ctx, db, doing, func(ctx context.Context, p *pgxpool.Pool) error {
			_, err := p.Exec(ctx, stmts[0])
			return err
		})
	}
	return c.inTx(ctx, db, doing, func(ctx context.Context, tx pgx.Tx) error {
		for _, s := range stmts {
			if _, err := tx.Exec(ctx, s); err != nil {
				return err
			}
		}
		return nil
	})
}

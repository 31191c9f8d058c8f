package postgresql

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// These tests reach the project's PostgreSQL test server through libpq's
// environment (the pg.env of make test / make pg-up) and fail without it.
// They cannot use internal/acctest, which imports this package.

func internalClient(t *testing.T) *Client {
	t.Helper()
	if os.Getenv("NHI_TEST_POSTGRES") == "" {
		t.Fatal("NHI_TEST_POSTGRES is not set: PostgreSQL tests need the project's PostgreSQL test server. Run `make test`, or `make pg-up`, `. .nhi-dev/pg/pg.env` and `make testacc`.")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := New(ctx, Connection{}, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}

// madeRole makes a role as a create with token would (the create's
// transaction), as if its answer had been lost, and drops it when the
// test ends.
func madeRole(t *testing.T, c *Client, token string) string {
	t.Helper()
	name := "nhi_t_settle_" + newCreateToken()[:8]
	t.Cleanup(func() { _ = c.deleteRole(context.Background(), name) })
	g := governance{Governance: nhi.Governance{Owner: "o", Purpose: "p"}, CreateToken: token}
	if err := c.exec(context.Background(), "", "test", "CREATE ROLE "+ident(name)+" LOGIN",
		"COMMENT ON ROLE "+ident(name)+" IS "+literal(encodeGovernance(c.prefix, g))); err != nil {
		t.Fatal(err)
	}
	return name
}

func exists(t *testing.T, c *Client, name string) bool {
	t.Helper()
	var n int
	err := c.onDB(context.Background(), "", "test", func(ctx context.Context, p *pgxpool.Pool) error {
		return p.QueryRow(ctx, "SELECT count(*) FROM pg_roles WHERE rolname = $1", name).Scan(&n)
	})
	if err != nil {
		t.Fatal(err)
	}
	return n == 1
}

// A repeat of the create, or a create whose answer was lost, that meets
// "already exists" finds its own token: the role is ours.
func TestIntegrationSettleCreateOwnToken(t *testing.T) {
	c := internalClient(t)
	token := newCreateToken()
	name := madeRole(t, c, token)
	exists := fmt.Errorf("creating PostgreSQL role %s: %w", name, ErrAlreadyExists)
	if err := c.settleCreate(context.Background(), name, token, exists); err != nil {
		t.Fatalf("own token: %v", err)
	}
	if err := c.settleCreate(context.Background(), name, newCreateToken(), exists); !errors.Is(err, ErrAlreadyExists) || !strings.Contains(err.Error(), "Import it") {
		t.Fatalf("another create's token: %v", err)
	}
	lost := fmt.Errorf("creating PostgreSQL role %s: %w", name, errors.New("unexpected EOF"))
	if err := c.settleCreate(context.Background(), name, newCreateToken(), lost); !errors.Is(err, ErrAlreadyExists) || !strings.Contains(err.Error(), "carries no token of this create") {
		t.Fatalf("a lost answer and someone else's role: %v", err)
	}
	if err := c.settleCreate(context.Background(), name+"_none", token, lost); err == nil || !strings.Contains(err.Error(), "no role was made") {
		t.Fatalf("a lost answer and no role: %v", err)
	}
}

// A create cancelled while it may have run drops the role it made (under
// internal/cleanup, although ctx is over), and leaves someone else's alone.
func TestIntegrationSettleCreateCancelled(t *testing.T) {
	c := internalClient(t)
	token := newCreateToken()
	mine := madeRole(t, c, token)
	other := madeRole(t, c, newCreateToken())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cancelled := fmt.Errorf("creating PostgreSQL role: %w", context.Canceled)
	if err := c.settleCreate(ctx, mine, token, cancelled); err == nil || !strings.Contains(err.Error(), "dropped again") {
		t.Fatalf("cancelled create: %v", err)
	}
	if exists(t, c, mine) {
		t.Fatal("the cancelled create's role was left behind")
	}
	if err := c.settleCreate(ctx, other, token, cancelled); err == nil || !strings.Contains(err.Error(), "no role was made") {
		t.Fatalf("cancelled create, someone else's role: %v", err)
	}
	if !exists(t, c, other) {
		t.Fatal("someone else's role was dropped")
	}
}

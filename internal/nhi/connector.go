package nhi

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrNotFound is returned (wrapped) by connectors when an identity or an
// object it depends on does not exist.
var ErrNotFound = errors.New("not found")

// ListOptions filters an inventory listing.
type ListOptions struct {
	// Locations limits the listing to these locations; empty means all.
	Locations []string
	// Declared, when set, keeps only declared (true) or undeclared (false)
	// identities.
	Declared *bool
	// Owner, when set, keeps only identities with this owner.
	Owner string
	// PageSize bounds one page; zero lets the connector choose.
	PageSize int
	// PageToken continues a previous listing.
	PageToken string
}

// Page is one page of an inventory listing.
type Page struct {
	Identities    []Identity
	NextPageToken string
}

// Inventory is the read side every connector offers.
type Inventory interface {
	// System names the system ("kubernetes").
	System() string
	// List returns one page of identities.
	List(ctx context.Context, opts ListOptions) (Page, error)
	// Get returns one identity, or an error wrapping ErrNotFound.
	Get(ctx context.Context, ref Ref) (Identity, error)
}

// Provisioner is the write side of one kind of identity, where a system
// allows it. S is the system-specific desired state (it embeds Spec); F is
// what the system returns for an identity it found or wrote (an Identity,
// or a system type that carries one).
type Provisioner[S, F any] interface {
	// Get reads the identity, or returns an error wrapping ErrNotFound.
	Get(ctx context.Context, ref Ref) (F, error)
	// Create creates the identity as spec declares it.
	Create(ctx context.Context, spec S) (F, error)
	// Update makes an existing identity what spec declares, lifting a
	// disable.
	Update(ctx context.Context, spec S) (F, error)
	// Disable removes every grant and turns credentials off, keeping the
	// identity; at is the provider's evaluation time, stamped on the
	// identity (one disabled before may keep its first disable time).
	Disable(ctx context.Context, spec S, at time.Time) (F, error)
	// Delete removes the identity and its grants; a missing identity is not
	// an error.
	Delete(ctx context.Context, ref Ref) error
}

// Spec is the system-agnostic part of a desired identity.
type Spec struct {
	Ref        Ref
	Governance Governance
	Labels     map[string]string
}

// ListAll drains every page of an inventory listing. A connector that
// hands back a page token it already gave (or the one the listing started
// from) would make this loop forever; that is an error naming the token.
func ListAll(ctx context.Context, inv Inventory, opts ListOptions) ([]Identity, error) {
	var out []Identity
	used := map[string]bool{opts.PageToken: true}
	for {
		page, err := inv.List(ctx, opts)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Identities...)
		if page.NextPageToken == "" {
			return out, nil
		}
		if used[page.NextPageToken] {
			return nil, fmt.Errorf("listing %s identities: the connector returned page token %q again after %d pages; the listing would never end", inv.System(), page.NextPageToken, len(used))
		}
		used[page.NextPageToken] = true
		opts.PageToken = page.NextPageToken
	}
}

// Scanner is implemented by connectors that take a whole inventory in one
// pass with the details the drift rules need (workload usage, wildcard
// grants). Locations limits the scan; empty means everything.
type Scanner interface {
	Inventory
	Scan(ctx context.Context, locations []string) ([]Identity, error)
}

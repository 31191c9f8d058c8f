// Package owners builds the owner directory (nhi.OwnerDirectory) the
// provider and the drift reporter share: an owners file
// (internal/owners/file) or an LDAP directory (internal/owners/ldap),
// behind a cache that reads the directory at most once per owner in one
// command.
package owners

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// BatchTimeout bounds one lookup of the directory made for the cache's
// callers, whatever their own contexts allow (the directory's own
// timeouts bound each request within it).
const BatchTimeout = 2 * time.Minute

// Cache is a directory read at most once per owner for the life of the
// value (one provider process serves one Terraform command; one drift run).
//
// Concurrent callers share lookups: owners asked for while a lookup is in
// flight are collected into the next one, so the plans of many identities
// that Terraform runs in parallel make a few bulk lookups, not one each.
//
// A failed lookup fails every caller waiting for it, and every later call:
// within one command a directory that could not answer is not asked again
// per identity (which would multiply its timeouts), and never becomes
// "everyone left".
type Cache struct {
	dir nhi.OwnerDirectory

	mu      sync.Mutex
	known   map[string]nhi.OwnerStatus
	pending map[string]*batch // owner: the batch that will answer it
	next    *batch            // collecting owners while another runs
	running bool
	err     error
	lookups int
}

type batch struct {
	owners []string
	done   chan struct{}
	err    error
}

var _ nhi.OwnerDirectory = (*Cache)(nil)

// NewCache wraps dir.
func NewCache(dir nhi.OwnerDirectory) *Cache {
	return &Cache{dir: dir, known: map[string]nhi.OwnerStatus{}, pending: map[string]*batch{}}
}

// Name is the directory's name.
func (c *Cache) Name() string { return c.dir.Name() }

// Lookups is how many lookups the cache made of the directory.
func (c *Cache) Lookups() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lookups
}

// Lookup implements nhi.OwnerDirectory. It returns when every owner is
// answered, the directory failed, or ctx ends; the directory's lookup
// itself is not cancelled by one caller's ctx, since others may wait for
// it.
func (c *Cache) Lookup(ctx context.Context, owners []string) (map[string]nhi.OwnerStatus, error) {
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, err
	}
	waits := map[*batch]bool{}
	for _, o := range owners {
		if _, ok := c.known[o]; ok {
			continue
		}
		if b, ok := c.pending[o]; ok {
			waits[b] = true
			continue
		}
		if c.next == nil {
			c.next = &batch{done: make(chan struct{})}
		}
		c.next.owners = append(c.next.owners, o)
		c.pending[o] = c.next
		waits[c.next] = true
	}
	if c.next != nil && !c.running {
		c.running = true
		go c.run(context.WithoutCancel(ctx))
	}
	c.mu.Unlock()

	for b := range waits {
		select {
		case <-b.done:
			if b.err != nil {
				return nil, b.err
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]nhi.OwnerStatus, len(owners))
	for _, o := range owners {
		out[o] = c.known[o]
	}
	return out, nil
}

// run answers batches until none is waiting.
func (c *Cache) run(ctx context.Context) {
	for {
		c.mu.Lock()
		b := c.next
		c.next = nil
		if b == nil {
			c.running = false
			c.mu.Unlock()
			return
		}
		err := c.err
		if err == nil {
			c.lookups++
		}
		c.mu.Unlock()

		var res map[string]nhi.OwnerStatus
		if err == nil {
			lctx, cancel := context.WithTimeout(ctx, BatchTimeout)
			res, err = c.dir.Lookup(lctx, b.owners)
			if err != nil && lctx.Err() != nil && ctx.Err() == nil {
				err = errors.Join(err, errors.New("the lookup took longer than "+BatchTimeout.String()))
			}
			cancel()
		}

		if err == nil {
			// A directory that leaves an owner out has not answered for
			// it; that is not "not found".
			for _, o := range b.owners {
				if _, ok := res[o]; !ok {
					err = fmt.Errorf("%s gave no answer for owner %q", c.dir.Name(), o)
					break
				}
			}
		}
		c.mu.Lock()
		for _, o := range b.owners {
			delete(c.pending, o)
			if err == nil {
				c.known[o] = res[o]
			}
		}
		if err != nil && c.err == nil {
			c.err = err
		}
		b.err = err
		close(b.done)
		c.mu.Unlock()
	}
}

package nhi

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// pagedInventory serves pages by token; next maps a token to the one after.
type pagedInventory struct {
	next  map[string]string
	calls int
}

func (p *pagedInventory) System() string { return "test" }

func (p *pagedInventory) Get(context.Context, Ref) (Identity, error) { return Identity{}, ErrNotFound }

func (p *pagedInventory) List(_ context.Context, o ListOptions) (Page, error) {
	p.calls++
	if p.calls > 100 {
		return Page{}, errors.New("listed more than 100 pages")
	}
	return Page{Identities: []Identity{{Ref: Ref{Name: "after-" + o.PageToken}}}, NextPageToken: p.next[o.PageToken]}, nil
}

func TestListAllDrainsPages(t *testing.T) {
	inv := &pagedInventory{next: map[string]string{"": "a", "a": "b"}}
	ids, err := ListAll(context.Background(), inv, ListOptions{})
	if err != nil || len(ids) != 3 || ids[2].Ref.Name != "after-b" {
		t.Fatalf("ListAll = %v, %v; want three identities", ids, err)
	}
}

// A connector that hands back a token it already gave must not make
// ListAll loop forever.
func TestListAllRepeatingPageToken(t *testing.T) {
	for name, next := range map[string]map[string]string{
		"same token again": {"": "tok-1", "tok-1": "tok-1"},
		"cycle":            {"": "tok-1", "tok-1": "tok-2", "tok-2": "tok-1"},
		"first token":      {"": "tok-1", "tok-1": "tok-2", "tok-2": "tok-3", "tok-3": "tok-1"},
	} {
		t.Run(name, func(t *testing.T) {
			inv := &pagedInventory{next: next}
			ids, err := ListAll(context.Background(), inv, ListOptions{})
			if err == nil || !strings.Contains(err.Error(), `"tok-1"`) || !strings.Contains(err.Error(), "test") || ids != nil {
				t.Fatalf("ListAll = %d identities, %v; want an error naming the repeated token \"tok-1\" and the system", len(ids), err)
			}
			if inv.calls > 10 {
				t.Errorf("ListAll listed %d pages before it stopped", inv.calls)
			}
		})
	}
}

// Package file is the owners file directory: one person or team per line,
// "#" starts a comment, blank lines are ignored. Everyone listed is an
// active owner; everyone else is not found. A file that lists no one is
// an error, never "everyone left".
package file

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// Directory is an owners file, read once.
type Directory struct {
	path   string
	owners map[string]bool
}

var _ nhi.OwnerDirectory = (*Directory)(nil)

// Load reads an owners file.
func Load(path string) (*Directory, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("owners file: %w", err)
	}
	return Parse(path, b)
}

// Parse reads an owners file's contents; name is its path, for messages.
func Parse(name string, b []byte) (*Directory, error) {
	d := &Directory{path: name, owners: map[string]bool{}}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := sc.Text()
		if i := strings.Index(line, "#"); i >= 0 {
			line = line[:i]
		}
		if line = strings.TrimSpace(line); line != "" {
			d.owners[line] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("owners file %s: %w", name, err)
	}
	if len(d.owners) == 0 {
		// An empty file (truncated, or only comments) would judge every
		// owner "not found": it is unreadable as a directory instead.
		return nil, fmt.Errorf("owners file %s lists no owner (it is empty, or holds only comments and blank lines), "+
			"which would make every owner \"not found\": list the active people and teams, one per line", name)
	}
	return d, nil
}

// Name is the file's path.
func (d *Directory) Name() string { return d.path }

// Has reports whether the file lists owner.
func (d *Directory) Has(owner string) bool { return d.owners[owner] }

// Owners lists the file's owners, sorted.
func (d *Directory) Owners() []string {
	out := make([]string, 0, len(d.owners))
	for k := range d.owners {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Lookup implements nhi.OwnerDirectory: a listed owner is active, any other
// is not found. An owner written "team:<name>" is a team; the file says
// nothing about the kind of others.
func (d *Directory) Lookup(_ context.Context, owners []string) (map[string]nhi.OwnerStatus, error) {
	out := make(map[string]nhi.OwnerStatus, len(owners))
	for _, o := range owners {
		var kind nhi.OwnerKind
		if _, team := nhi.TeamName(o); team {
			kind = nhi.OwnerTeam
		}
		if d.owners[o] {
			out[o] = nhi.ActiveOwner(kind)
		} else {
			out[o] = nhi.UnknownOwner(kind)
		}
	}
	return out, nil
}

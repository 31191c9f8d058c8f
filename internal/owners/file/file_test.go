package file

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

func TestLookup(t *testing.T) {
	p := filepath.Join(t.TempDir(), "owners.txt")
	if err := os.WriteFile(p, []byte("# people and teams\nteam:payments\n  alice@example.com # on-call\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name() != p || strings.Join(d.Owners(), ",") != "alice@example.com,team:payments" || !d.Has("team:payments") || d.Has("# people and teams") {
		t.Errorf("parsed %v", d.Owners())
	}
	got, err := d.Lookup(context.Background(), []string{"alice@example.com", "team:payments", "bob@example.com", "team:gone"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]nhi.OwnerStatus{
		"alice@example.com": nhi.ActiveOwner(""), "team:payments": nhi.ActiveOwner(nhi.OwnerTeam),
		"bob@example.com": nhi.UnknownOwner(""), "team:gone": nhi.UnknownOwner(nhi.OwnerTeam),
	}
	for o, w := range want {
		if got[o] != w {
			t.Errorf("%s: %+v, want %+v", o, got[o], w)
		}
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing")); err == nil || !strings.HasPrefix(err.Error(), "owners file: open ") {
		t.Errorf("missing file: %v", err)
	}
	// A file that lists no one is an error (the directory is unreadable),
	// not a directory where every owner is "not found".
	for name, content := range map[string]string{"empty": "", "comments only": "# owners\n\n   # none yet\n"} {
		p := filepath.Join(t.TempDir(), "owners.txt")
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		want := "owners file " + p + ` lists no owner (it is empty, or holds only comments and blank lines), which would make every owner "not found": list the active people and teams, one per line`
		if d, err := Load(p); err == nil || err.Error() != want {
			t.Errorf("%s: %v, %v; want the error %s", name, d, err, want)
		}
	}
}

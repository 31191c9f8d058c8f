package aws

import (
	"os"
	"strings"
	"testing"
)

// The drift rules guide lists the catalog by hand; keep it in step with
// Capabilities: every ID, with its severities.
func TestCapabilityCatalogIsDocumented(t *testing.T) {
	b, err := os.ReadFile("../../../templates/guides/drift-rules.md.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		if id, _, ok := strings.Cut(strings.TrimPrefix(line, "| `"), "` |"); ok && strings.HasPrefix(line, "| `") {
			rows[id] = line
		}
	}
	for _, d := range Capabilities {
		named := d.Named
		if named == "" {
			named = "none"
		}
		row, ok := rows[d.ID]
		if !ok {
			t.Errorf("%s is not in the guide's AWS catalog table", d.ID)
			continue
		}
		if !strings.HasSuffix(row, " | "+d.Account+" | "+named+" |") {
			t.Errorf("%s: the guide's row %q does not end with its severities | %s | %s |", d.ID, row, d.Account, named)
		}
	}
}

package drift

import (
	"os"
	"strings"
	"testing"
)

// The rule catalog page is written by hand; keep it in step with Catalog.
func TestCatalogIsDocumented(t *testing.T) {
	b, err := os.ReadFile("../../templates/guides/drift-rules.md.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	for _, r := range Catalog {
		row := "| [" + r.ID + "](#" + strings.ToLower(r.ID) + ") | " + r.Name + " | "
		if !strings.Contains(doc, row) || !strings.Contains(doc, `<a id="`+strings.ToLower(r.ID)+`"></a>`) {
			t.Errorf("%s is not in the catalog table with its name and anchor", r.ID)
		}
		if !strings.Contains(doc, row+string(r.Severity)) || !strings.Contains(doc, r.OWASP+" |") {
			t.Errorf("%s: the table does not give severity %s and %s", r.ID, r.Severity, r.OWASP)
		}
		if !strings.Contains(doc, strings.ToUpper(string(r.Severity))+"  "+r.ID) && r.ID != RuleUndeclared && r.ID != RuleScopeDrift {
			t.Errorf("%s has no example finding", r.ID)
		}
	}
}

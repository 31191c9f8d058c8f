package report

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

// Adoption is one undeclared identity to write import blocks for.
type Adoption struct {
	Source   string
	Identity nhi.Identity
}

var nonName = regexp.MustCompile(`[^a-zA-Z0-9_-]+`)

// resourceName turns "team-a/runner" into "team-a__runner", a valid
// Terraform name.
func resourceName(id string) string {
	n := nonName.ReplaceAllString(strings.ReplaceAll(id, "/", "__"), "_")
	if n == "" || !(n[0] == '_' || n[0] >= 'a' && n[0] <= 'z' || n[0] >= 'A' && n[0] <= 'Z') {
		n = "id_" + n
	}
	return n
}

// Imports writes an import block and a resource block for each identity,
// with what was discovered filled in (the system's identifying attributes,
// scopes, labels, and what keeps adopting from changing anything, such as
// token automount and legacy token Secrets) and placeholders for owner,
// purpose and expiry. Identities of a kind no resource type declares are
// left out.
func Imports(w io.Writer, systems *system.Registry, adoptions []Adoption) error {
	sort.SliceStable(adoptions, func(i, j int) bool {
		a, b := adoptions[i], adoptions[j]
		if ra, rb := a.Identity.Ref.String(), b.Identity.Ref.String(); ra != rb {
			return ra < rb
		}
		return a.Source < b.Source
	})
	// firstSource remembers which source an identity's system and
	// reference were first written for: the same reference in a second
	// source (another cluster, another account) is another identity, which
	// the default provider configuration cannot import.
	firstSource := map[string]string{}
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	used := map[string]bool{}
	n := 0
	for _, a := range adoptions {
		id := a.Identity
		k, ok := systems.Kind(id.System, id.Kind)
		if !ok || k.ResourceType == "" {
			continue
		}
		typ := k.ResourceType
		name := resourceName(id.Ref.String())
		for base, i := name, 2; used[name]; i++ {
			name = fmt.Sprintf("%s_%d", base, i)
		}
		used[name] = true
		if n > 0 {
			body.AppendNewline()
		}
		n++
		body.AppendUnstructuredTokens(system.Comment(fmt.Sprintf("Undeclared %s %s found in source %q. Fill in every %s value before applying.",
			systems.KindLabel(id.Kind), id.Ref, a.Source, nhi.Placeholder)))
		key := id.System + "\x00" + id.Ref.String()
		if first, seen := firstSource[key]; seen && first != a.Source {
			body.AppendUnstructuredTokens(system.Comments(
				fmt.Sprintf("Source %q has a %s %s too, and both blocks have the same import ID: give this", first, systems.KindLabel(id.Kind), id.Ref),
				fmt.Sprintf("resource and its import `provider = nhi.<alias>`, an aliased provider configured for source %q,", a.Source),
				"or it imports the other one.",
			))
		} else if !seen {
			firstSource[key] = a.Source
		}
		imp := body.AppendNewBlock("import", nil).Body()
		imp.SetAttributeTraversal("to", hcl.Traversal{hcl.TraverseRoot{Name: typ}, hcl.TraverseAttr{Name: name}})
		imp.SetAttributeValue("id", cty.StringVal(id.Ref.String()))
		body.AppendNewline()

		res := body.AppendNewBlock("resource", []string{typ, name}).Body()
		d, _ := systems.Get(id.System)
		system.WriteAdoption(res, d, k, id)
	}
	if n == 0 {
		body.AppendUnstructuredTokens(system.Comment("No undeclared identities to adopt."))
	}
	_, err := w.Write(hclwrite.Format(f.Bytes()))
	return err
}

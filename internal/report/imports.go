package report

import (
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/zclconf/go-cty/cty"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// Adoption is one undeclared identity to write import blocks for.
type Adoption struct {
	Source   string
	Identity nhi.Identity
}

var resourceTypes = map[string]string{
	nhi.SystemKubernetes + "/" + nhi.KindServiceAccount: "nhi_kubernetes_service_account",
	nhi.SystemAWS + "/" + nhi.KindIAMUser:               "nhi_aws_iam_user",
	nhi.SystemAWS + "/" + nhi.KindIAMRole:               "nhi_aws_iam_role",
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
// with what was discovered filled in (namespace, name, scopes, labels,
// token automount) and placeholders for owner, purpose and expiry. Adopting
// as generated changes no workload: service accounts keep token automount
// and their legacy token Secrets (allow_legacy_tokens = true, with a comment
// naming the Secrets that false would delete).
func Imports(w io.Writer, adoptions []Adoption) error {
	sort.Slice(adoptions, func(i, j int) bool { return adoptions[i].Identity.Ref.String() < adoptions[j].Identity.Ref.String() })
	f := hclwrite.NewEmptyFile()
	body := f.Body()
	used := map[string]bool{}
	n := 0
	for _, a := range adoptions {
		id := a.Identity
		typ, ok := resourceTypes[id.System+"/"+id.Kind]
		if !ok {
			continue
		}
		name := resourceName(id.Ref.String())
		for base, i := name, 2; used[name]; i++ {
			name = fmt.Sprintf("%s_%d", base, i)
		}
		used[name] = true
		if n > 0 {
			body.AppendNewline()
		}
		n++
		body.AppendUnstructuredTokens(comment(fmt.Sprintf("Undeclared %s %s found in source %q. Fill in every %s value before applying.",
			kindLabel(id.Kind), id.Ref, a.Source, nhi.Placeholder)))
		imp := body.AppendNewBlock("import", nil).Body()
		imp.SetAttributeTraversal("to", hcl.Traversal{hcl.TraverseRoot{Name: typ}, hcl.TraverseAttr{Name: name}})
		imp.SetAttributeValue("id", cty.StringVal(id.Ref.String()))
		body.AppendNewline()

		res := body.AppendNewBlock("resource", []string{typ, name}).Body()
		if id.System == nhi.SystemKubernetes {
			res.SetAttributeValue("namespace", cty.StringVal(id.Ref.Location))
		}
		res.SetAttributeValue("name", cty.StringVal(id.Ref.Name))
		if id.System == nhi.SystemAWS && id.Path != "" && id.Path != "/" {
			res.SetAttributeValue("path", cty.StringVal(id.Path))
		}
		res.SetAttributeValue("owner", cty.StringVal(nhi.Placeholder+": the person or team responsible"))
		res.SetAttributeValue("purpose", cty.StringVal(nhi.Placeholder+": why this identity exists"))
		res.SetAttributeValue("expires_at", cty.StringVal(nhi.Placeholder+": YYYY-MM-DD"))
		scopes := make([]cty.Value, 0, len(id.EffectiveScopes))
		for _, s := range id.EffectiveScopes {
			scopes = append(scopes, cty.StringVal(s))
		}
		if len(scopes) == 0 {
			res.SetAttributeValue("scopes", cty.ListValEmpty(cty.String))
		} else {
			res.AppendUnstructuredTokens(comment("Its current grants. Remove what it does not need: the apply revokes it."))
			res.SetAttributeValue("scopes", cty.ListVal(scopes))
		}
		labels := "labels"
		switch id.System {
		case nhi.SystemKubernetes:
			// Keep token automount as it is, so that adopting changes no workload.
			res.SetAttributeValue("automount_token", cty.BoolVal(id.AutomountToken == nil || *id.AutomountToken))
			// And keep its legacy token Secrets, which the provider deletes
			// by default: the comment names what false would delete.
			res.AppendUnstructuredTokens(legacyTokensComment(id))
			res.SetAttributeValue("allow_legacy_tokens", cty.True)
		case nhi.SystemAWS:
			labels = "tags"
			if len(id.InlinePolicies) > 0 {
				docs := map[string]cty.Value{}
				for k, v := range id.InlinePolicies {
					docs[k] = cty.StringVal(v)
				}
				res.SetAttributeValue("inline_policies", cty.MapVal(docs))
			}
			if id.TrustPolicy != "" {
				res.SetAttributeValue("trust_policy", cty.StringVal(id.TrustPolicy))
			}
		}
		if len(id.Labels) > 0 {
			m := map[string]cty.Value{}
			for k, v := range id.Labels {
				m[k] = cty.StringVal(v)
			}
			res.SetAttributeValue(labels, cty.MapVal(m))
		}
	}
	if n == 0 {
		body.AppendUnstructuredTokens(comment("No undeclared identities to adopt."))
	}
	_, err := w.Write(hclwrite.Format(f.Bytes()))
	return err
}

// legacyTokensComment explains the allow_legacy_tokens = true written for
// every adopted service account. It is true for every one, not only those
// with legacy token Secrets at the scan: a Secret created between the scan
// and the apply would otherwise be deleted by the apply that only meant to
// adopt. The comment names the Secrets that false would delete (names only,
// never their values).
func legacyTokensComment(id nhi.Identity) hclwrite.Tokens {
	var names []string
	for _, c := range id.Credentials {
		if c.Kind == nhi.CredentialLegacyToken && !c.Declared {
			names = append(names, c.ID)
		}
	}
	names = nhi.SortedUnique(names)
	if len(names) == 0 {
		return comments(
			"Kept true so that adopting deletes nothing: no legacy token Secret referenced it when this was",
			"generated, and one created since is kept too. Setting it to false makes the apply delete every",
			"token Secret of this account that no nhi_kubernetes_service_account_token declares.",
		)
	}
	lines := []string{
		"Kept true so that adopting deletes nothing. Setting it to false makes the apply delete these",
		"legacy token Secrets, and breaks whatever still reads them:",
	}
	for _, n := range names {
		lines = append(lines, "  "+n)
	}
	return comments(lines...)
}

func kindLabel(kind string) string {
	switch kind {
	case nhi.KindIAMUser:
		return "IAM user"
	case nhi.KindIAMRole:
		return "IAM role"
	}
	return strings.ReplaceAll(kind, "_", " ")
}

func comment(s string) hclwrite.Tokens {
	return hclwrite.Tokens{{Type: hclsyntax.TokenComment, Bytes: []byte("# " + s + "\n")}}
}

func comments(lines ...string) hclwrite.Tokens {
	var t hclwrite.Tokens
	for _, l := range lines {
		t = append(t, comment(l)...)
	}
	return t
}

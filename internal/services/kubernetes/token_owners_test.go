package kubernetes_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	"github.com/nhi-ops/terraform-provider-nhi/internal/owners/ownertest"
)

// warningRecorder keeps the warnings of the provider's plans, which the
// testing framework does not expose.
type warningRecorder struct {
	mu       sync.Mutex
	warnings []string
}

type recordingServer struct {
	tfprotov6.ProviderServer
	rec *warningRecorder
}

func (s recordingServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	resp, err := s.ProviderServer.PlanResourceChange(ctx, req)
	if resp != nil {
		s.rec.mu.Lock()
		defer s.rec.mu.Unlock()
		for _, d := range resp.Diagnostics {
			if d.Severity == tfprotov6.DiagnosticSeverityWarning {
				attr := ""
				if d.Attribute != nil {
					attr = d.Attribute.String()
				}
				s.rec.warnings = append(s.rec.warnings, req.TypeName+" "+attr+": "+d.Summary+": "+d.Detail)
			}
		}
	}
	return resp, err
}

func (r *warningRecorder) factories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"nhi": func() (tfprotov6.ProviderServer, error) {
			s, err := acctest.ProviderFactories["nhi"]()
			return recordingServer{s, r}, err
		},
	}
}

// distinct returns the distinct warnings recorded since the last call, and
// forgets them.
func (r *warningRecorder) distinct() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, w := range r.warnings {
		if !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	r.warnings = nil
	return out
}

// A token's owner is checked against the provider's owners directory like
// an identity's: a new token for a departed owner is refused on owner; an
// applied token whose owner then leaves (ldapmodify) warns on every plan
// and changes nothing, fails with owner_must_exist = "error", and the
// reviewed owner change applies in place.
func TestAccServiceAccountToken_ownerDirectory(t *testing.T) {
	srv := ownertest.LDAP(t)
	ns := acctest.Namespace(t)
	name := acctest.RandName("owned")
	uid := ownertest.RandName("ci-dev")
	mail := srv.AddPerson(t, uid, "carol")
	rec := &warningRecorder{}
	base := acctest.ProviderBlock(t, srv.OwnersBlock(nil))
	strict := acctest.ProviderBlock(t, srv.OwnersBlock(nil)+"  policy {\n    owner_must_exist = \"error\"\n  }\n")
	tok := func(owner string) string {
		return declaredSA(ns, name, acctest.Date(acctest.Days(90))) + fmt.Sprintf(`
resource "nhi_kubernetes_service_account_token" "ci" {
  namespace       = nhi_kubernetes_service_account.test.namespace
  service_account = nhi_kubernetes_service_account.test.name
  owner           = %q
  purpose         = "external CI system"
  rotate_after    = "30d"
}
`, owner)
	}
	subject := "the token of service account " + ns + "/" + name
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: rec.factories(),
		Steps: []resource.TestStep{
			{
				Config:   base + tok("bob@example.com"),
				PlanOnly: true,
				ExpectError: wrapped(`(?s)Owner is disabled in the owners directory.*"bob@example.com" is disabled in the owners directory ` +
					srv.URL + `, so ` + subject + ` would have no responsible owner. Set owner to a current person or team.`),
			},
			{
				PreConfig: func() { rec.distinct() },
				Config:    base + tok(mail),
				Check: func(*terraform.State) error {
					if w := rec.distinct(); len(w) != 0 {
						return fmt.Errorf("warnings while the owner is active: %q", w)
					}
					return nil
				},
			},
			{
				PreConfig: func() { srv.Depart(t, uid) },
				Config:    base + tok(mail),
				PlanOnly:  true, // and the plan is empty: nothing is replaced or destroyed
			},
			{
				PreConfig: func() {
					want := fmt.Sprintf(`nhi_kubernetes_service_account_token AttributeName("owner"): Owner is disabled in the owners directory: this identity has no responsible owner: `+
						`%q is disabled in the owners directory %s: %s has no responsible owner. Nothing is disabled or removed because of this; `+
						`set owner to a current person or team (suggested: "carol@example.com", the manager the directory names) in a reviewed change. `+
						`This warning repeats on every plan; policy.owner_must_exist = "error" makes it fail the plan.`, mail, srv.URL, subject)
					if w := rec.distinct(); len(w) != 1 || w[0] != want {
						t.Errorf("warnings after the owner left:\n got %q\nwant %q", w, want)
					}
				},
				Config:   strict + tok(mail),
				PlanOnly: true,
				ExpectError: wrapped(`(?s)Owner is disabled in the owners directory: this identity has no responsible owner.*` + mail +
					`.*policy.owner_must_exist is "error", so plans fail until owner is changed.`),
			},
			{
				Config: strict + tok("carol@example.com"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(tokenAddr, plancheck.ResourceActionUpdate),
				}},
			},
		},
	})
}

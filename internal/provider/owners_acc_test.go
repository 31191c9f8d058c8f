package provider_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	"github.com/nhi-ops/terraform-provider-nhi/internal/owners/ownertest"
	"github.com/nhi-ops/terraform-provider-nhi/internal/provider"
)

// planDiags records the diagnostics the provider returns from its plans,
// so a test can assert a warning the Terraform CLI shows (the testing
// framework only exposes errors).
type planDiags struct {
	mu    sync.Mutex
	diags []*tfprotov6.Diagnostic
}

type recordingServer struct {
	tfprotov6.ProviderServer
	rec *planDiags
}

func (s recordingServer) PlanResourceChange(ctx context.Context, req *tfprotov6.PlanResourceChangeRequest) (*tfprotov6.PlanResourceChangeResponse, error) {
	resp, err := s.ProviderServer.PlanResourceChange(ctx, req)
	if resp != nil {
		s.rec.mu.Lock()
		s.rec.diags = append(s.rec.diags, resp.Diagnostics...)
		s.rec.mu.Unlock()
	}
	return resp, err
}

func (r *planDiags) factories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"nhi": func() (tfprotov6.ProviderServer, error) {
			s, err := providerserver.NewProtocol6WithError(provider.New("test")())()
			return recordingServer{s, r}, err
		},
	}
}

func (r *planDiags) reset() {
	r.mu.Lock()
	r.diags = nil
	r.mu.Unlock()
}

// warnings are the distinct warnings recorded, as "attribute: summary:
// detail".
func (r *planDiags) warnings() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for _, d := range r.diags {
		if d.Severity != tfprotov6.DiagnosticSeverityWarning {
			continue
		}
		attr := ""
		if d.Attribute != nil {
			attr = d.Attribute.String()
		}
		s := attr + ": " + d.Summary + ": " + d.Detail
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// loose matches the parts in order as the Terraform CLI prints them,
// wrapped at any space.
func loose(parts ...string) *regexp.Regexp {
	q := make([]string, len(parts))
	for i, p := range parts {
		q[i] = strings.ReplaceAll(regexp.QuoteMeta(p), " ", `\s+`)
	}
	return regexp.MustCompile(`(?s)` + strings.Join(q, ".*"))
}

func ownedSA(ns, name, owner string) string {
	return fmt.Sprintf(`
resource "nhi_kubernetes_service_account" "test" {
  namespace  = %[1]q
  name       = %[2]q
  owner      = %[3]q
  purpose    = "runs the nightly sync"
  scopes     = ["clusterrole:view@%[1]s"]
  expires_at = %[4]q
}
`, ns, name, owner, acctest.Date(acctest.Days(90)))
}

// A plan that declares an identity for a departed owner, a team whose
// members all left (nested or not), or someone the directory does not
// have, fails on owner, naming the directory, why, and the suggested
// successor.
func TestAccOwners_newIdentityForDepartedOwnerRefused(t *testing.T) {
	srv := ownertest.LDAP(t)
	ns := acctest.Namespace(t)
	for owner, want := range map[string]*regexp.Regexp{
		"bob@example.com": loose("Owner is disabled in the owners directory",
			`"bob@example.com" is disabled in the owners directory `+srv.URL+", so service account "+ns+"/sync would have no responsible owner. Set owner to a current person or team."),
		"dave@example.com": loose(`"dave@example.com" is disabled in the owners directory`, `(suggested: "carol@example.com", the manager the directory names)`),
		"team:legacy":      loose("Owner team has no active member", `"team:legacy" is a team with no active member in the owners directory `+srv.URL),
		"team:ghosts":      loose("Owner team has no active member", `"team:ghosts" is a team with no active member`),
		"zed@example.com":  loose("Owner not found in the owners directory", `"zed@example.com" is not in the owners directory`),
	} {
		t.Run(owner, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				PreCheck:                 func() { acctest.PreCheck(t) },
				ProtoV6ProviderFactories: acctest.ProviderFactories,
				Steps: []resource.TestStep{{
					Config:      acctest.ProviderBlock(t, srv.OwnersBlock(nil)) + ownedSA(ns, "sync", owner),
					PlanOnly:    true,
					ExpectError: want,
				}},
			})
		})
	}
}

// An applied identity whose owner is then disabled in the directory
// (ldapmodify) warns on owner on the next plan, which changes nothing;
// with owner_must_exist = "error" the plan fails until the owner changes;
// the reviewed owner change then applies in place.
func TestAccOwners_ownerLeavesAfterApply(t *testing.T) {
	srv := ownertest.LDAP(t)
	ns := acctest.Namespace(t)
	uid := ownertest.RandName("dev")
	mail := srv.AddPerson(t, uid, "carol")
	rec := &planDiags{}
	base := acctest.ProviderBlock(t, srv.OwnersBlock(nil))
	strict := acctest.ProviderBlock(t, srv.OwnersBlock(nil)+"  policy {\n    owner_must_exist = \"error\"\n  }\n")
	addr := "nhi_kubernetes_service_account.test"
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: rec.factories(),
		Steps: []resource.TestStep{
			{
				Config: base + ownedSA(ns, "sync", mail),
				Check: func(*terraform.State) error {
					if w := rec.warnings(); len(w) != 0 {
						return fmt.Errorf("warnings while the owner is active: %v", w)
					}
					return nil
				},
			},
			{
				PreConfig: func() { rec.reset(); srv.Depart(t, uid) },
				Config:    base + ownedSA(ns, "sync", mail),
				PlanOnly:  true, // and the plan is empty: nothing is disabled or destroyed
			},
			{
				PreConfig: func() {
					want := fmt.Sprintf(`AttributeName("owner"): Owner is disabled in the owners directory: this identity has no responsible owner: %q is disabled in the owners directory %s: service account %s/sync has no responsible owner. `+
						`Nothing is disabled or removed because of this; set owner to a current person or team (suggested: "carol@example.com", the manager the directory names) in a reviewed change. `+
						`This warning repeats on every plan; policy.owner_must_exist = "error" makes it fail the plan.`, mail, srv.URL, ns)
					if w := rec.warnings(); len(w) != 1 || w[0] != want {
						t.Errorf("warnings after the owner left:\n got %q\nwant %q", w, want)
					}
				},
				Config:   strict + ownedSA(ns, "sync", mail),
				PlanOnly: true,
				ExpectError: loose("Owner is disabled in the owners directory: this identity has no responsible owner", mail,
					`policy.owner_must_exist is "error", so plans fail until owner is changed.`),
			},
			{
				Config: strict + ownedSA(ns, "sync", "carol@example.com"),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
			},
		},
	})
}

// A team owner counts as gone once its only member leaves.
func TestAccOwners_teamWithOnlyDepartedMembers(t *testing.T) {
	srv := ownertest.LDAP(t)
	ns := acctest.Namespace(t)
	uid := ownertest.RandName("member")
	team := ownertest.RandName("sync-team")
	srv.AddPerson(t, uid, "")
	srv.AddGroup(t, team, srv.PersonDN(uid))
	strict := acctest.ProviderBlock(t, srv.OwnersBlock(nil)+"  policy {\n    owner_must_exist = \"error\"\n  }\n")
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{Config: strict + ownedSA(ns, "team-owned", "team:"+team)},
			{
				PreConfig:   func() { srv.Depart(t, uid) },
				Config:      strict + ownedSA(ns, "team-owned", "team:"+team),
				PlanOnly:    true,
				ExpectError: loose("Owner team has no active member: this identity has no responsible owner", `"team:`+team+`" is a team with no active member`),
			},
			{Config: strict + ownedSA(ns, "team-owned", "team:payments")},
		},
	})
}

// A directory that cannot be reached, or refuses the bind, fails the plan
// with an error naming the owners block, never "the owner left"; the
// password is not in it. owner_must_exist = "off" plans without it.
func TestAccOwners_directoryUnavailable(t *testing.T) {
	srv := ownertest.LDAP(t)
	ns := acctest.Namespace(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "ldap://" + l.Addr().String()
	l.Close()
	for name, c := range map[string]struct {
		mod   map[string]string
		extra string
		want  *regexp.Regexp
	}{
		"unreachable": {map[string]string{"url": fmt.Sprintf("%q", closed)}, "",
			loose("Owners directory could not be read", "The owner of service account "+ns+"/sync could not be checked against the directory of the provider's owners block ("+closed+"): "+closed+": connecting:",
				"connection refused", "Check the owners block")},
		"bind refused": {map[string]string{"bind_password": `"not-the-password"`}, "",
			loose("Owners directory could not be read", "bind as "+srv.BindDN+" refused (check bind_dn and bind_password)")},
		"off": {map[string]string{"url": fmt.Sprintf("%q", closed)}, "  policy {\n    owner_must_exist = \"off\"\n  }\n", nil},
	} {
		t.Run(name, func(t *testing.T) {
			step := resource.TestStep{
				Config:             acctest.ProviderBlock(t, srv.OwnersBlock(c.mod)+c.extra) + ownedSA(ns, "sync", "alice@example.com"),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
			}
			step.ExpectError = c.want
			resource.ParallelTest(t, resource.TestCase{
				PreCheck:                 func() { acctest.PreCheck(t) },
				ProtoV6ProviderFactories: acctest.ProviderFactories,
				ErrorCheck: func(err error) error {
					if err != nil && strings.Contains(err.Error(), "not-the-password") {
						return fmt.Errorf("the bind password is in the error: %v", err)
					}
					return err
				},
				Steps: []resource.TestStep{step},
			})
		})
	}
}

// bind_password comes from NHI_OWNERS_LDAP_BIND_PASSWORD when the block
// leaves it out; an owners block known only during apply waits for it
// instead of skipping the check for good: the apply refuses a departed
// owner.
func TestAccOwners_passwordFromEnvironmentAndUnknownBlock(t *testing.T) {
	srv := ownertest.LDAP(t)
	ns := acctest.Namespace(t)
	t.Setenv("NHI_OWNERS_LDAP_BIND_PASSWORD", srv.BindPassword)
	fromEnv := acctest.ProviderBlock(t, srv.OwnersBlock(map[string]string{"bind_password": ""}))
	unknown := `
resource "terraform_data" "dn" {
  input = "` + srv.BindDN + `"
}
` + acctest.ProviderBlock(t, srv.OwnersBlock(map[string]string{"bind_password": "", "bind_dn": "terraform_data.dn.output"}))
	resource.Test(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config:      fromEnv + ownedSA(ns, "env", "bob@example.com"),
				PlanOnly:    true,
				ExpectError: loose(`"bob@example.com" is disabled in the owners directory`),
			},
			{
				Config:      unknown + ownedSA(ns, "unknown", "bob@example.com"),
				ExpectError: loose(`"bob@example.com" is disabled in the owners directory`),
			},
			{Config: unknown + ownedSA(ns, "unknown", "alice@example.com")},
		},
	})
}

// Configuration mistakes in the owners block are errors on the attribute
// that says what is wrong; an owners file works as a directory too.
func TestAccOwners_configuration(t *testing.T) {
	srv := ownertest.LDAP(t)
	ns := acctest.Namespace(t)
	owners := t.TempDir() + "/owners.txt"
	if err := os.WriteFile(owners, []byte("team:platform # the platform team\nalice@example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := t.TempDir() + "/empty-owners.txt"
	if err := os.WriteFile(empty, []byte("# nobody yet\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		extra string
		owner string
		want  *regexp.Regexp
	}{
		"bad filter": {srv.OwnersBlock(map[string]string{"disabled_filter": `"employeeType=departed"`}), "alice@example.com",
			loose("Invalid owners.ldap.disabled_filter", `owners.ldap.disabled_filter "employeeType=departed" is not an LDAP filter`)},
		"no base_dn": {srv.OwnersBlock(map[string]string{"base_dn": ""}), "alice@example.com", loose("Invalid owners.ldap.base_dn", "owners.ldap.base_dn is required")},
		"start_tls on ldaps": {srv.OwnersBlock(map[string]string{"url": fmt.Sprintf("%q", srv.TLSURL), "start_tls": "true"}), "alice@example.com",
			loose("Invalid owners.ldap.start_tls", "applies to ldap:// URLs")},
		"both": {strings.Replace(srv.OwnersBlock(nil), "    ldap {", fmt.Sprintf("    file = %q\n    ldap {", owners), 1), "alice@example.com", loose("Two owner directories")},
		"must exist without owners": {"  policy {\n    owner_must_exist = \"error\"\n  }\n", "alice@example.com",
			loose("No owner directory to check owners against", `policy.owner_must_exist = "error" needs an owners block`)},
		"bad must exist": {srv.OwnersBlock(nil) + "  policy {\n    owner_must_exist = \"sometimes\"\n  }\n", "alice@example.com", loose(`"sometimes"`)},
		"file, unknown owner": {fmt.Sprintf("  owners {\n    file = %q\n  }\n", owners), "bob@example.com",
			loose("Owner not found in the owners directory", `"bob@example.com" is not in the owners directory `+owners)},
		"file, listed owner": {fmt.Sprintf("  owners {\n    file = %q\n  }\n", owners), "team:platform", nil},
		"ldaps with ca":      {srv.OwnersBlock(map[string]string{"url": fmt.Sprintf("%q", srv.TLSURL), "start_tls": ""}), "alice@example.com", nil},
		"plaintext bind": {srv.OwnersBlock(map[string]string{"start_tls": ""}), "alice@example.com",
			loose("Invalid owners.ldap.start_tls", "owners.ldap.start_tls is not set, so binding as bind_dn over "+srv.URL+" would send bind_password across the network in clear text: use an ldaps:// URL, or set start_tls = true")},
		"credentials in url": {srv.OwnersBlock(map[string]string{"url": `"ldaps://cn=x:url-secret-pw@127.0.0.1:1"`}), "alice@example.com",
			loose("Invalid owners.ldap.url", `owners.ldap.url holds credentials (the part before "@"), which are not read from it and not repeated here: set the DN in bind_dn and the password in bind_password`)},
		"empty owners file": {fmt.Sprintf("  owners {\n    file = %q\n  }\n", empty), "alice@example.com",
			loose("Owner directory unavailable", "owners file "+empty+" lists no owner")},
	} {
		t.Run(name, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				PreCheck:                 func() { acctest.PreCheck(t) },
				ProtoV6ProviderFactories: acctest.ProviderFactories,
				ErrorCheck: func(err error) error {
					if err != nil && strings.Contains(err.Error(), "url-secret-pw") {
						return fmt.Errorf("the URL's password is in the error: %v", err)
					}
					return err
				},
				Steps: []resource.TestStep{{
					Config:             acctest.ProviderBlock(t, c.extra) + ownedSA(ns, "cfg", c.owner),
					PlanOnly:           true,
					ExpectNonEmptyPlan: true,
					ExpectError:        c.want,
				}},
			})
		})
	}
}

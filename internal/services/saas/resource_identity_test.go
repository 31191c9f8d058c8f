package saas_test

import (
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// nhi_identity makes no API calls: these acceptance tests need Terraform
// only, no test server.

const addr = "nhi_identity.test"

// identity is the arguments of one nhi_identity block.
type identity struct {
	system, kind, name, owner, purpose, expires, onExpiry string
	scopes                                                []string
}

func (a identity) hcl() string {
	q := make([]string, len(a.scopes))
	for i, s := range a.scopes {
		q[i] = fmt.Sprintf("%q", s)
	}
	def := func(v, d string) string {
		if v == "" {
			return d
		}
		return v
	}
	onExpiry := ""
	if a.onExpiry != "" {
		onExpiry = fmt.Sprintf("on_expiry  = %q", a.onExpiry)
	}
	return fmt.Sprintf(`
resource "nhi_identity" "test" {
  system     = %q
  kind       = %q
  name       = %q
  owner      = %q
  purpose    = %q
  scopes     = [%s]
  expires_at = %q
  %s
}
`, def(a.system, "salesforce"), def(a.kind, "integration_user"), def(a.name, "billing-sync"), def(a.owner, "team:billing"),
		def(a.purpose, "syncs closed-won opportunities to the billing system"), strings.Join(q, ", "), a.expires, onExpiry)
}

func config(providerExtra string, a identity) string {
	return fmt.Sprintf("provider \"nhi\" {\n%s\n}\n", providerExtra) + a.hcl()
}

func at(days int) string {
	return fmt.Sprintf("evaluation_time = %q", acctest.Date(acctest.Days(days)))
}

func stateValue(attr string, v knownvalue.Check) statecheck.StateCheck {
	return statecheck.ExpectKnownValue(addr, tfjsonpath.New(attr), v)
}

func planValue(attr string, v knownvalue.Check) plancheck.PlanCheck {
	return plancheck.ExpectKnownValue(addr, tfjsonpath.New(attr), v)
}

func scopeSet(scopes ...string) knownvalue.Check {
	c := make([]knownvalue.Check, len(scopes))
	for i, s := range scopes {
		c[i] = knownvalue.StringExact(s)
	}
	return knownvalue.SetExact(c)
}

func wrapped(s string) *regexp.Regexp { return regexp.MustCompile(strings.ReplaceAll(s, " ", `\s+`)) }

// Created as declared, changed in place, imported by system/name.
func TestAccIdentity_basic(t *testing.T) {
	a := identity{expires: acctest.Date(acctest.Days(90)), scopes: []string{"api", "Billing Admin", "api"}}
	changed := a
	changed.purpose, changed.kind, changed.scopes = "syncs invoices", "api_user", []string{"api"}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{
				Config: config("", a),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionCreate),
					planValue("id", knownvalue.StringExact("salesforce/billing-sync")),
					planValue("status", knownvalue.StringExact("active")),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					stateValue("id", knownvalue.StringExact("salesforce/billing-sync")),
					stateValue("status", knownvalue.StringExact("active")),
					stateValue("on_expiry", knownvalue.StringExact("warn")),
					stateValue("scopes", scopeSet("Billing Admin", "api")),
					stateValue("kind", knownvalue.StringExact("integration_user")),
				},
			},
			{
				// purpose, kind and scopes change in place: nothing in the
				// system depends on them.
				Config: config("", changed),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				}},
				ConfigStateChecks: []statecheck.StateCheck{
					stateValue("purpose", knownvalue.StringExact("syncs invoices")),
					stateValue("scopes", scopeSet("api")),
				},
			},
			{
				// An import knows only system/name: the governance is the
				// configuration's, which the next plan records in place.
				ResourceName: addr, ImportState: true, ImportStateId: "salesforce/billing-sync", ImportStateVerify: true,
				ImportStateVerifyIgnore: []string{"kind", "owner", "purpose", "scopes", "expires_at", "on_expiry"},
			},
		},
	})
}

// An import block adopts an existing identity: the plan imports it and
// records its governance in place.
func TestAccIdentity_importBlock(t *testing.T) {
	a := identity{name: "report-bot", kind: "bot", system: "slack", expires: acctest.Date(acctest.Days(60)), scopes: []string{"chat:write"}}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{{
			Config: config("", a) + "\nimport {\n  to = nhi_identity.test\n  id = \"slack/report-bot\"\n}\n",
			ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
				plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
				planValue("owner", knownvalue.StringExact("team:billing")),
			}},
			ConfigStateChecks: []statecheck.StateCheck{
				stateValue("id", knownvalue.StringExact("slack/report-bot")),
				stateValue("scopes", scopeSet("chat:write")),
			},
		}},
	})
}

// A bad import ID says what the ID is made of.
func TestAccIdentity_importBadID(t *testing.T) {
	a := identity{expires: acctest.Date(acctest.Days(90))}
	for id, want := range map[string]string{
		"billing-sync":             `(?s)Invalid import ID.*The import ID "billing-sync" is not of the form system/name. It must be the system's name, a slash and the identity's name in it.*terraform import nhi_identity.billing_sync salesforce/billing-sync`,
		"Sales Force/billing-sync": `(?s)Invalid import ID.*Its system part "Sales Force" is not a system name`,
		"salesforce/":              `(?s)Invalid import ID.*not of the form system/name`,
	} {
		t.Run(id, func(t *testing.T) {
			resource.ParallelTest(t, resource.TestCase{
				ProtoV6ProviderFactories: acctest.ProviderFactories,
				Steps: []resource.TestStep{{
					Config: config("", a), ResourceName: addr, ImportState: true, ImportStateId: id,
					ExpectError: wrapped(want),
				}},
			})
		})
	}
}

// system and name replace the declaration; they are its identity.
func TestAccIdentity_systemAndNameReplace(t *testing.T) {
	a := identity{expires: acctest.Date(acctest.Days(90))}
	renamed := a
	renamed.name = "billing-sync-v2"
	moved := renamed
	moved.system = "salesforce-sandbox"
	replace := func(id string) resource.ConfigPlanChecks {
		return resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
			plancheck.ExpectResourceAction(addr, plancheck.ResourceActionDestroyBeforeCreate),
			planValue("id", knownvalue.StringExact(id)),
		}}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config("", a)},
			{Config: config("", renamed), ConfigPlanChecks: replace("salesforce/billing-sync-v2")},
			{Config: config("", moved), ConfigPlanChecks: replace("salesforce-sandbox/billing-sync-v2")},
		},
	})
}

// Within warn_before of its expiry the plan warns and the status says so;
// nothing changes.
func TestAccIdentity_expiryWarning(t *testing.T) {
	a := identity{expires: acctest.Date(acctest.Days(60)), scopes: []string{"api"}}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config("", a), ConfigStateChecks: []statecheck.StateCheck{stateValue("status", knownvalue.StringExact("active"))}},
			{
				// 50 days on, 10 days before expiry: inside the default 30-day window.
				Config: config(at(50), a),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{stateValue("status", knownvalue.StringExact("expiring"))},
			},
			{
				// A shorter window from policy: 10 days out is not yet expiring.
				Config:            config(at(50)+"\npolicy {\n  warn_before = \"7d\"\n}", a),
				ConfigStateChecks: []statecheck.StateCheck{stateValue("status", knownvalue.StringExact("active"))},
			},
		},
	})
}

// With on_expiry = "block" an expired declaration fails every plan until
// it is renewed (or removed), and says that nothing disables it but a
// person in its system.
func TestAccIdentity_blockAfterExpiry(t *testing.T) {
	a := identity{expires: acctest.Date(acctest.Days(40)), onExpiry: "block", scopes: []string{"api"}}
	renewed := a
	renewed.expires = acctest.Date(acctest.Days(120))
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config("", a)},
			{
				Config: config(at(45), a),
				ExpectError: wrapped(`(?s)Error: The salesforce integration user billing-sync has expired.*with nhi_identity.test,.*expires_at = .*` +
					`salesforce integration user billing-sync expired at .* \(5 days ago\) and on_expiry is "block", so this plan cannot proceed. ` +
					`To go on, either extend expires_at in a reviewed change if it is still needed, or remove it from salesforce by hand and then remove the resource. ` +
					`The provider cannot disable it: it has no connector to salesforce.`),
			},
			{
				// A reviewed renewal unblocks it.
				Config: config(at(45), renewed),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate),
					planValue("status", knownvalue.StringExact("active")),
				}},
			},
		},
	})
}

// With on_expiry = "warn" an expired declaration only warns: the plan
// changes nothing and the status is expired.
func TestAccIdentity_warnAfterExpiry(t *testing.T) {
	a := identity{expires: acctest.Date(acctest.Days(40)), scopes: []string{"api"}}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		Steps: []resource.TestStep{
			{Config: config("", a)},
			{
				Config: config(at(45), a),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionNoop),
				}},
				ConfigStateChecks: []statecheck.StateCheck{stateValue("status", knownvalue.StringExact("expired"))},
			},
		},
	})
}

// Every mistake is a plan-time error at the attribute that is wrong,
// saying what is expected; policy applies as to every other identity.
func TestAccIdentity_policyAndBadInput(t *testing.T) {
	ok := identity{expires: acctest.Date(acctest.Days(90)), scopes: []string{"api"}}
	with := func(f func(*identity)) identity { c := ok; f(&c); return c }
	policy := `policy {
  owner_pattern    = "team:[a-z-]+"
  forbidden_scopes = ["*Admin*", "modify_all_data"]
  max_lifetime     = "180d"
}`
	// at names the attribute Terraform shows the error at.
	at := func(attr, msg string) string {
		summary, detail, _ := strings.Cut(msg, ".*")
		return `(?s)Error: ` + summary + `\s+with nhi_identity.test,.*in resource "nhi_identity" "test":\s+\d+:\s+` + attr + `\s+=.*` + detail
	}
	owners := t.TempDir() + "/owners.txt"
	if err := os.WriteFile(owners, []byte("team:billing\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	directory := fmt.Sprintf("owners {\n  file = %q\n}", owners)
	cases := []struct {
		name, policy string
		a            identity
		want         string
	}{
		{"owner not in the directory", directory, with(func(a *identity) { a.owner = "team:growth" }),
			at("owner", `Owner not found in the owners directory.*"team:growth" is not in the owners directory `+regexp.QuoteMeta(owners))},
		{"owner pattern", policy, with(func(a *identity) { a.owner = "bob" }), at("owner", `Owner does not match the owner policy.*owner "bob" does not match`)},
		{"forbidden scope", policy, with(func(a *identity) { a.scopes = []string{"api", "System Admin"} }), at("scopes", `Forbidden scope.*"System Admin" is forbidden by the provider's policy.forbidden_scopes \(it matches "\*Admin\*"\)`)},
		{"max lifetime", policy, with(func(a *identity) { a.expires = acctest.Date(acctest.Days(200)) }), at("expires_at", `Lifetime exceeds policy.*policy.max_lifetime of 180d`)},
		{"default max lifetime", "", with(func(a *identity) { a.expires = acctest.Date(acctest.Days(400)) }), at("expires_at", `Lifetime exceeds policy.*policy.max_lifetime of 365d`)},
		{"expiry in the past", "", with(func(a *identity) { a.expires = "2020-01-01" }), at("expires_at", `Expiry is in the past.*expires_at 2020-01-01T00:00:00Z is already past`)},
		{"on_expiry disable", "", with(func(a *identity) { a.onExpiry = "disable" }), at("on_expiry",
			`on_expiry "disable" needs a connector.*on_expiry is "disable", but the provider has no connector to salesforce: nhi_identity makes no API calls, so nothing could remove the identity's access when it expires. Use "block"`)},
		{"on_expiry unknown", "", with(func(a *identity) { a.onExpiry = "delete" }), at("on_expiry", `Invalid value.*on_expiry is "delete"; expected "warn" or "block".`)},
		{"empty scope", "", with(func(a *identity) { a.scopes = []string{"api", ""} }), at("scopes", `Invalid scope.*scopes contains an empty scope`)},
		{"scope with spaces", "", with(func(a *identity) { a.scopes = []string{" api"} }), at("scopes", `Invalid scope.*" api" has leading or trailing whitespace`)},
		{"bad system", "", with(func(a *identity) { a.system = "Sales Force" }), at("system", `Invalid system.*system "Sales Force" is not a system name: use a short lowercase name`)},
		{"bad kind", "", with(func(a *identity) { a.kind = "API Key" }), at("kind", `Invalid kind.*kind "API Key" is not a kind: use lowercase letters`)},
		{"placeholder kind", "", with(func(a *identity) { a.kind = "FILL-IN: bot" }), at("kind", `Invalid kind.*is still the placeholder "FILL-IN: bot" written by`)},
		{"blank name", "", with(func(a *identity) { a.name = " " }), at("name", `Invalid name.*name is empty`)},
		{"blank owner", "", with(func(a *identity) { a.owner = " " }), at("owner", `Missing owner.*owner is empty`)},
	}
	steps := make([]resource.TestStep, 0, len(cases)+1)
	for _, c := range cases {
		steps = append(steps, resource.TestStep{Config: config(c.policy, c.a), PlanOnly: true, ExpectError: wrapped(c.want)})
	}
	// A listed owner plans.
	steps = append(steps, resource.TestStep{Config: config(directory, ok), PlanOnly: true, ExpectNonEmptyPlan: true})
	resource.ParallelTest(t, resource.TestCase{ProtoV6ProviderFactories: acctest.ProviderFactories, Steps: steps})
}

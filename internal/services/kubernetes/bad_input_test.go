package kubernetes_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
)

// Every mistake a user can make in a declaration is a plan-time error that
// names the attribute and says what is expected; nothing is created.
func TestAccServiceAccount_badInput(t *testing.T) {
	ns := acctest.Namespace(t)
	ok := sa{ns: ns, name: "checked", expires: acctest.Date(acctest.Days(90)), scopes: []string{"clusterrole:view"}}
	with := func(f func(*sa)) sa { c := ok; f(&c); return c }
	policy := `policy {
  owner_pattern    = "team:[a-z-]+"
  forbidden_scopes = ["clusterrole:cluster-admin", "clusterrole:*@kube-system"]
  max_lifetime     = "180d"
}`
	cases := []struct {
		name   string
		policy string
		a      sa
		want   string
	}{
		{"blank owner", "", with(func(a *sa) { a.owner = "   " }), `(?s)Missing owner.*owner is empty: set it to the person or team responsible`},
		{"blank purpose", "", with(func(a *sa) { a.purpose = " " }), `(?s)Missing purpose.*purpose is empty`},
		{"unparseable date", "", with(func(a *sa) { a.expires = "next year" }), `(?s)Invalid expiry.*expires_at "next year" is not a valid timestamp`},
		{"impossible date", "", with(func(a *sa) { a.expires = "2027-02-30" }), `(?s)Invalid expiry.*expires_at "2027-02-30" is not a valid date: day out of range`},
		{"expiry in the past", "", with(func(a *sa) { a.expires = "2020-01-01" }), `(?s)Expiry is in the past.*expires_at 2020-01-01T00:00:00Z is already past`},
		{"lifetime over the default 365d", "", with(func(a *sa) { a.expires = acctest.Date(acctest.Days(400)) }), `(?s)Lifetime exceeds policy.*policy.max_lifetime of 365d`},
		{"lifetime over a configured max", policy, with(func(a *sa) { a.expires = acctest.Date(acctest.Days(200)) }), `(?s)Lifetime exceeds policy.*policy.max_lifetime of 180d`},
		{"malformed scope", "", with(func(a *sa) { a.scopes = []string{"admin"} }), `(?s)Invalid scope.*must start with "clusterrole:" or "role:"`},
		{"scope with empty namespace", "", with(func(a *sa) { a.scopes = []string{"clusterrole:view@"} }), `(?s)Invalid scope.*empty namespace`},
		{"role that does not exist", "", with(func(a *sa) { a.scopes = []string{"role:ghost", "clusterrole:no-such-role"} }), `(?s)role does not exist.*"role:ghost"`},
		{"forbidden scope", policy, with(func(a *sa) { a.scopes = []string{"clusterrole:cluster-admin"} }), `(?s)Forbidden scope.*"clusterrole:cluster-admin" is forbidden by the provider's\s+policy.forbidden_scopes`},
		{"forbidden scope by glob", policy, with(func(a *sa) { a.scopes = []string{"clusterrole:view@kube-system"} }), `(?s)Forbidden scope.*matches\s+"clusterrole:\*@kube-system"`},
		{"owner pattern mismatch", policy, with(func(a *sa) { a.owner = "bob" }), `(?s)Owner does not match the owner policy.*owner "bob" does not match`},
		{"namespace Kubernetes rejects", "", with(func(a *sa) { a.ns = "Team_A" }), `(?s)Invalid namespace.*namespace.*RFC 1123`},
		{"name Kubernetes rejects", "", with(func(a *sa) { a.name = "-deployer" }), `(?s)Invalid name.*name.*RFC 1123`},
		{"reserved label", "", with(func(a *sa) { a.extra = `labels = { "nhi.dev/owner" = "x" }` }), `(?s)Invalid label.*reserved`},
		{"bad on_expiry", "", with(func(a *sa) { a.onExpiry = "delete" }), `(?s)on_expiry is "delete"; expected one of "disable", "block", "warn"`},
		{"bad policy duration", `policy {
  max_lifetime = "1 year"
}`, ok, `(?s)Invalid duration.*policy.max_lifetime`},
		{"bad owner pattern", `policy {
  owner_pattern = "team:("
}`, ok, `(?s)Invalid regular expression.*policy.owner_pattern`},
		{"bad evaluation_time", `evaluation_time = "soon"`, ok, `(?s)Invalid expiry.*evaluation_time "soon"`},
	}
	steps := make([]resource.TestStep, 0, len(cases))
	for _, c := range cases {
		steps = append(steps, resource.TestStep{
			Config:      config(t, c.policy, c.a),
			PlanOnly:    true,
			ExpectError: regexp.MustCompile(strings.ReplaceAll(c.want, " ", `\s+`)),
		})
	}
	resource.ParallelTest(t, resource.TestCase{
		PreCheck:                 func() { acctest.PreCheck(t) },
		ProtoV6ProviderFactories: acctest.ProviderFactories,
		CheckDestroy: func(*terraform.State) error {
			l, err := acctest.Clientset(t).CoreV1().ServiceAccounts(ns).List(context.Background(), metav1.ListOptions{})
			if err != nil {
				return err
			}
			for _, s := range l.Items {
				if s.Name != "default" {
					return fmt.Errorf("a rejected plan created service account %s", s.Name)
				}
			}
			return noProviderBindings(t, ns, "checked")
		},
		Steps: steps,
	})
}

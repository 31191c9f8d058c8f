package driftcmd_test

import (
	"context"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	k8s "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/kubernetes"
	"github.com/nhi-ops/terraform-provider-nhi/internal/driftcmd"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/owners/ownertest"
)

// NHI006 applies to the owner recorded on a governed token Secret: once
// the token's owner is disabled in the directory (ldapmodify), the next
// run reports the token, with why and the suggested successor, while its
// service account's owner is still active. A token owned by its service
// account's departed owner is reported once, on the service account.
func TestDriftOwnersLDAP_tokenOwnerDeparted(t *testing.T) {
	srv := ownertest.LDAP(t)
	t.Setenv("NHI_OWNERS_LDAP_BIND_PASSWORD", srv.BindPassword)
	uid := ownertest.RandName("token-dev")
	mail := srv.AddPerson(t, uid, "carol")
	ns, config := ownersScenario(t, map[string]string{"runner": "team:platform", "bobs": "bob@example.com"}, ldapBlock(srv, srv.URL))
	c := acctest.Client(t)
	must := fatalOnError(t)
	token := func(sa, owner string) string {
		t.Helper()
		tok, err := c.CreateTokenSecret(context.Background(), k8s.TokenSecretSpec{ServiceAccount: nhi.Ref{Location: ns, Name: sa},
			Governance: nhi.Governance{Owner: owner, Purpose: "external CI"}, RotateAfter: 30 * 24 * time.Hour})
		must(err)
		return tok.Ref.String()
	}
	leaver := token("runner", mail)
	token("runner", "alice@example.com")
	token("bobs", "bob@example.com")

	dir := srv.URL
	nhi006 := func() []string {
		t.Helper()
		r := run(t, "--config", config, "--format", "json", "--fail-on", "none")
		if r.code != driftcmd.ExitClean {
			t.Fatalf("exit %d\nstderr: %s", r.code, r.stderr)
		}
		var got []string
		for _, f := range parseJSON(t, r.stdout).Findings {
			if f.RuleID == "NHI006" {
				got = append(got, f.Severity+" "+f.Identity.ID+": "+f.Message)
			}
		}
		sort.Strings(got)
		return got
	}
	want := []string{
		`high ` + ns + `/bobs: service account ` + ns + `/bobs is owned by "bob@example.com", who is disabled in the owners directory ` + dir,
	}
	if got := nhi006(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("NHI006 findings differ.\ngot:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}

	srv.Depart(t, uid)
	want = append(want, `high `+ns+`/runner: legacy token Secret `+leaver+` of service account `+ns+`/runner is owned by "`+mail+
		`", who is disabled in the owners directory `+dir+`; suggested new owner: "carol@example.com" (their manager)`)
	sort.Strings(want)
	if got := nhi006(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("after the departure, NHI006 findings differ.\ngot:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

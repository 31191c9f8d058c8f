package driftcmd_test

// The drift command against the real cluster and the LDAP test directory
// (make test starts both): NHI006 says why an owner is gone and names the
// successor; a directory that cannot be read makes the run incomplete.

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
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

// ownersScenario is a namespace of declared service accounts with the
// given owners, and a drift configuration for it whose owners block is
// ldapBlock.
func ownersScenario(t *testing.T, owners map[string]string, ldapBlock string) (ns, config string) {
	t.Helper()
	c := acctest.Client(t)
	ns = acctest.Namespace(t)
	must := fatalOnError(t)
	for name, owner := range owners {
		_, err := c.Create(context.Background(), k8s.ServiceAccountSpec{Spec: nhi.Spec{
			Ref:        nhi.Ref{Location: ns, Name: name},
			Governance: nhi.Governance{Owner: owner, Purpose: "owner scenario", ExpiresAt: time.Now().Add(day(200))},
		}})
		must(err)
	}
	config = filepath.Join(t.TempDir(), "nhi-drift.hcl")
	must(os.WriteFile(config, []byte(fmt.Sprintf(`
source "kubernetes" "owners" {
  kubeconfig = %q
  namespaces = [%q]
}

owners {
%s
}
`, acctest.Kubeconfig(t), ns, ldapBlock)), 0o600))
	return ns, config
}

// ldapBlock is the reporter's ldap block for the seeded directory at url,
// StartTLS verified against the test CA (a password bind needs TLS).
func ldapBlock(srv ownertest.Server, url string) string {
	return fmt.Sprintf(`  ldap {
    url               = %q
    start_tls         = true
    ca_certificate    = %q
    bind_dn           = %q
    base_dn           = "ou=people,%s"
    group_base_dn     = "ou=groups,%[4]s"
    user_attributes   = ["mail", "uid"]
    user_filter       = "(objectClass=inetOrgPerson)"
    disabled_filter   = "(employeeType=departed)"
    manager_attribute = "manager"
  }`, url, srv.CACert, srv.BindDN, srv.BaseDN)
}

// The owners of the seeded directory, one service account each: NHI006 for
// every gone one, with why and the suggested successor, asserted exactly;
// a person disabled with ldapmodify counts from the next run.
func TestDriftOwnersLDAP_reasonsAndSuccessors(t *testing.T) {
	srv := ownertest.LDAP(t)
	t.Setenv("NHI_OWNERS_LDAP_BIND_PASSWORD", srv.BindPassword)
	uid := ownertest.RandName("leaver")
	mail := srv.AddPerson(t, uid, "carol")
	ns, config := ownersScenario(t, map[string]string{
		"alice": "alice@example.com", "bob": "bob@example.com", "dave": "dave@example.com", "erin": "erin@example.com",
		"legacy": "team:legacy", "platform": "team:platform", "ghosts": "team:ghosts", "payments": "payments",
		"zed": "zed@example.com", "leaver": mail,
	}, ldapBlock(srv, srv.URL))
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
				got = append(got, f.Severity+" "+f.Message)
			}
		}
		sort.Strings(got)
		return got
	}
	want := []string{
		`high service account ` + ns + `/bob is owned by "bob@example.com", who is disabled in the owners directory ` + dir,
		`high service account ` + ns + `/dave is owned by "dave@example.com", who is disabled in the owners directory ` + dir + `; suggested new owner: "carol@example.com" (their manager)`,
		`high service account ` + ns + `/erin is owned by "erin@example.com", who is disabled in the owners directory ` + dir + `; suggested new owner: "carol@example.com" (their manager)`,
		`high service account ` + ns + `/ghosts is owned by "team:ghosts", which is a team with no active member in the owners directory ` + dir,
		`high service account ` + ns + `/legacy is owned by "team:legacy", which is a team with no active member in the owners directory ` + dir,
		`high service account ` + ns + `/zed is owned by "zed@example.com", who is not in the owners directory ` + dir,
	}
	if got := nhi006(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("NHI006 findings differ.\ngot:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}

	srv.Depart(t, uid)
	want = append(want, `high service account `+ns+`/leaver is owned by "`+mail+`", who is disabled in the owners directory `+dir+`; suggested new owner: "carol@example.com" (their manager)`)
	sort.Strings(want)
	if got := nhi006(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("after the departure, NHI006 findings differ.\ngot:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// A directory that cannot be reached or refuses the bind makes the run
// incomplete (exit 3) with the report still written, and no owner is
// judged by it: no NHI006 at all here.
func TestDriftOwnersLDAP_directoryDownIsIncomplete(t *testing.T) {
	srv := ownertest.LDAP(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "ldap://" + l.Addr().String()
	l.Close()
	for name, c := range map[string]struct{ url, password, want string }{
		"unreachable":  {closed, srv.BindPassword, "Incomplete: the owners directory " + closed + " could not be read, so no owner was checked against it (NHI006): " + closed + ": connecting: dial tcp"},
		"bind refused": {srv.URL, "not-the-password", "Incomplete: the owners directory " + srv.URL + " could not be read, so no owner was checked against it (NHI006): " + srv.URL + ": bind as " + srv.BindDN + " refused (check bind_dn and bind_password)"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("NHI_OWNERS_LDAP_BIND_PASSWORD", c.password)
			_, config := ownersScenario(t, map[string]string{"bob": "bob@example.com", "zed": "zed@example.com"}, ldapBlock(srv, c.url))
			r := run(t, "--config", config, "--format", "json", "--fail-on", "none")
			if r.code != driftcmd.ExitIncomplete {
				t.Fatalf("exit %d, want %d (incomplete)\nstderr: %s", r.code, driftcmd.ExitIncomplete, r.stderr)
			}
			if !strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, "not-the-password") {
				t.Errorf("stderr %q, want it to contain %q and no password", r.stderr, c.want)
			}
			rep := parseJSON(t, r.stdout)
			if rep.Complete {
				t.Error("the report says complete")
			}
			for _, f := range rep.Findings {
				if f.RuleID == "NHI006" {
					t.Errorf("NHI006 from a directory that could not be read: %s", f.Message)
				}
			}
		})
	}
}

// The ldap block's mistakes are configuration errors with file:line:col;
// a password in the file is refused; a bind DN without the password in
// the environment is a configuration error, not a run.
func TestDriftOwnersLDAP_configuration(t *testing.T) {
	srv := ownertest.LDAP(t)
	t.Setenv("NHI_OWNERS_LDAP_BIND_PASSWORD", "")
	for name, c := range map[string]struct{ block, want string }{
		"password in file": {strings.Replace(ldapBlock(srv, srv.URL), "    bind_dn", "    bind_password = \"secret\"\n    bind_dn", 1),
			"Error: Password in the drift configuration; bind_password is not read from the drift configuration, which is often committed: remove it and set the NHI_OWNERS_LDAP_BIND_PASSWORD environment variable."},
		"bad filter": {strings.Replace(ldapBlock(srv, srv.URL), `"(employeeType=departed)"`, `"employeeType=departed"`, 1),
			`Error: Invalid ldap.disabled_filter; disabled_filter "employeeType=departed" is not an LDAP filter`},
		"no password": {ldapBlock(srv, srv.URL), "Error: owners.ldap binds as " + srv.BindDN + ": set the NHI_OWNERS_LDAP_BIND_PASSWORD environment variable to its password"},
		"both":        {"  file = \"owners.txt\"\n" + ldapBlock(srv, srv.URL), "Error: Two owner directories; The owners block takes one directory"},
		// A password bind over plain ldap:// would send it in clear text.
		"plaintext bind": {strings.Replace(ldapBlock(srv, srv.URL), "    start_tls         = true\n", "", 1),
			"Error: Invalid ldap.start_tls; start_tls is not set, so binding as bind_dn over " + srv.URL + " would send bind_password across the network in clear text: use an ldaps:// URL, or set start_tls = true"},
		// Credentials in the URL are refused and not repeated.
		"credentials in url": {ldapBlock(srv, "ldap://cn=x:s3cretpw@127.0.0.1:1"),
			`Error: Invalid ldap.url; url holds credentials (the part before "@"), which are not read from it and not repeated here: set the DN in bind_dn and the password in bind_password`},
		"neither": {"", "Error: No owner directory; The owners block needs a directory"},
	} {
		t.Run(name, func(t *testing.T) {
			config := filepath.Join(t.TempDir(), "nhi-drift.hcl")
			if err := os.WriteFile(config, []byte("source \"kubernetes\" \"k\" {\n  kubeconfig = \"x\"\n}\nowners {\n"+c.block+"\n}\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			r := run(t, "--config", config)
			if r.code != driftcmd.ExitConfig || !strings.Contains(r.stderr, c.want) || strings.Contains(r.stderr, "secret\"") || strings.Contains(r.stderr, "s3cretpw") {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, driftcmd.ExitConfig, c.want)
			}
		})
	}
}

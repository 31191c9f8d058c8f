package ldap_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/owners"
	"github.com/nhi-ops/terraform-provider-nhi/internal/owners/ldap"
	"github.com/nhi-ops/terraform-provider-nhi/internal/owners/ownertest"
)

func newDir(t *testing.T, c ldap.Config) *ldap.Directory {
	t.Helper()
	d, err := ldap.New(c)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func lookup(t *testing.T, d nhi.OwnerDirectory, owners ...string) map[string]nhi.OwnerStatus {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	got, err := d.Lookup(ctx, owners)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func render(s nhi.OwnerStatus) string {
	out := fmt.Sprintf("found=%v active=%v kind=%s", s.Found, s.Active, s.Kind)
	if s.Reason != "" {
		out += " reason=" + s.Reason
	}
	if s.Successor != "" {
		out += " successor=" + s.Successor
	}
	return out
}

// The seeded directory answers every kind of owner exactly: people by any
// user attribute (case-insensitive), departed people with their nearest
// active manager, teams by "team:<name>" or a bare name, nested groups,
// groupOfUniqueNames, and values that look like filters stay values.
func TestIntegrationLDAPLookup_seed(t *testing.T) {
	srv := ownertest.LDAP(t)
	d := newDir(t, srv.Config())
	want := map[string]string{
		"alice@example.com": "found=true active=true kind=person",
		"ALICE@Example.com": "found=true active=true kind=person",
		"alice":             "found=true active=true kind=person",
		"bob@example.com":   "found=true active=false kind=person reason=disabled",
		"dave@example.com":  "found=true active=false kind=person reason=disabled successor=carol@example.com",
		// erin's manager frank left too; his manager carol is the successor.
		"erin@example.com":   "found=true active=false kind=person reason=disabled successor=carol@example.com",
		"nobody@example.com": "found=false active=false kind= reason=not found",
		"team:payments":      "found=true active=true kind=team",
		"payments":           "found=true active=true kind=team",
		"team:legacy":        "found=true active=false kind=team reason=team with no active member",
		"team:platform":      "found=true active=true kind=team",
		"team:ghosts":        "found=true active=false kind=team reason=team with no active member",
		"team:data":          "found=true active=true kind=team",
		"team:nope":          "found=false active=false kind=team reason=not found",
		"team:":              "found=false active=false kind= reason=not found",
		"*":                  "found=false active=false kind= reason=not found",
		"alice)(uid=*":       "found=false active=false kind= reason=not found",
		"team:*":             "found=false active=false kind=team reason=not found",
	}
	var asked []string
	for o := range want {
		asked = append(asked, o)
	}
	got := lookup(t, d, asked...)
	for o, w := range want {
		if g := render(got[o]); g != w {
			t.Errorf("%q: %s, want %s", o, g, w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("answered %d owners, asked %d", len(got), len(want))
	}
	// Bulk: people (2), groups (1), nested members (3 per level, 2 levels
	// at most here), managers (2 per level, 2 levels).
	if n := d.Searches(); n > 12 {
		t.Errorf("%d searches for %d owners, want at most 12", n, len(want))
	}
}

// Many owners cost searches per chunk of 50, not per owner; through the
// cache a second ask costs none.
func TestIntegrationLDAPLookup_bulk(t *testing.T) {
	srv := ownertest.LDAP(t)
	d := newDir(t, srv.Config())
	c := owners.NewCache(d)
	var asked []string
	for i := range 120 {
		asked = append(asked, fmt.Sprintf("nobody-%d@example.com", i))
	}
	asked = append(asked, "alice@example.com", "dave@example.com")
	got := lookup(t, c, asked...)
	if !got["alice@example.com"].Active || got["dave@example.com"].Successor != "carol@example.com" || got["nobody-7@example.com"].Reason != nhi.OwnerNotFound {
		t.Errorf("got %+v %+v %+v", got["alice@example.com"], got["dave@example.com"], got["nobody-7@example.com"])
	}
	// people: 3 chunks x 2; groups for the 120 not found: 3; dave's
	// manager: 2.
	if n := d.Searches(); n > 11 {
		t.Errorf("%d searches for %d owners, want at most 11", n, len(asked))
	}
	before := d.Searches()
	lookup(t, c, asked...)
	if d.Searches() != before || c.Lookups() != 1 {
		t.Errorf("a second lookup through the cache searched again: %d searches, %d lookups", d.Searches()-before, c.Lookups())
	}
}

// ldaps:// and StartTLS verify the server against ca_certificate; without
// the CA the lookup fails (an error, not "everyone left").
func TestIntegrationLDAPLookup_tls(t *testing.T) {
	srv := ownertest.LDAP(t)
	for name, mod := range map[string]func(*ldap.Config){
		"ldaps":    func(c *ldap.Config) { c.URL = srv.TLSURL; c.StartTLS = false; c.CACertificate = srv.CA(t) },
		"starttls": func(c *ldap.Config) { c.StartTLS = true; c.CACertificate = srv.CA(t) },
	} {
		t.Run(name, func(t *testing.T) {
			c := srv.Config()
			mod(&c)
			if got := lookup(t, newDir(t, c), "alice@example.com"); !got["alice@example.com"].Active {
				t.Errorf("alice: %+v", got["alice@example.com"])
			}
			c.CACertificate = ""
			_, err := newDir(t, c).Lookup(context.Background(), []string{"alice@example.com"})
			if err == nil || !strings.Contains(err.Error(), "certificate") {
				t.Errorf("without the CA: %v, want a certificate error", err)
			}
		})
	}
}

// A directory that cannot answer is an error that says what failed, and
// never holds the password.
func TestIntegrationLDAPLookup_failures(t *testing.T) {
	srv := ownertest.LDAP(t)
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedAddr := closed.Addr().String()
	closed.Close()
	// A server that accepts and never answers.
	silent, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer silent.Close()
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	for name, c := range map[string]struct {
		mod  func(*ldap.Config)
		want string
	}{
		"wrong password": {func(c *ldap.Config) { c.BindPassword = "not-the-password" },
			"bind as " + srv.BindDN + " refused (check bind_dn and bind_password): LDAP Result Code 49 \"Invalid Credentials\""},
		"unreachable": {func(c *ldap.Config) { c.URL = "ldap://" + closedAddr }, "ldap://" + closedAddr + ": connecting: dial tcp " + closedAddr + ": connect: connection refused"},
		"timeout":     {func(c *ldap.Config) { c.URL = "ldap://" + silent.Addr().String(); c.Timeout = 500 * time.Millisecond }, "StartTLS: LDAP Result Code 200 \"Network Error\": ldap: connection timed out"},
		"no base":     {func(c *ldap.Config) { c.BaseDN = "ou=nowhere," + srv.BaseDN }, "searching people: base_dn \"ou=nowhere," + srv.BaseDN + "\" does not exist, or the bind account may not read it"},
		"bad filter value": {func(c *ldap.Config) {
			c.UserFilter = "(objectClass=inetOrgPerson)"
			c.UserAttributes = []string{"nosuchattribute"}
		},
			""},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := srv.Config()
			c.mod(&cfg)
			start := time.Now()
			got, err := newDir(t, cfg).Lookup(context.Background(), []string{"alice@example.com", "team:payments"})
			if c.want == "" {
				// An attribute the schema lacks matches nothing: alice is
				// not found that way, which is the configuration's answer.
				if err != nil || got["alice@example.com"].Found {
					t.Errorf("got %+v, %v", got, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("no error; got %+v", got)
			}
			var le *ldap.Error
			if !errors.As(err, &le) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q (%T), want it to contain %q", err, err, c.want)
			}
			if strings.Contains(err.Error(), cfg.BindPassword) {
				t.Error("the error holds the bind password")
			}
			if time.Since(start) > 10*time.Second {
				t.Errorf("took %s", time.Since(start))
			}
		})
	}

	// ctx ends a lookup in flight.
	cfg := srv.Config()
	cfg.URL = "ldap://" + silent.Addr().String()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = newDir(t, cfg).Lookup(ctx, []string{"alice@example.com"})
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("cancelled lookup: %v after %s, want context.DeadlineExceeded promptly", err, time.Since(start))
	}
}

// A person disabled with ldapmodify is disabled on the next lookup; their
// team then has no active member.
func TestIntegrationLDAPLookup_departure(t *testing.T) {
	srv := ownertest.LDAP(t)
	uid := ownertest.RandName("leaver")
	team := ownertest.RandName("team")
	mail := srv.AddPerson(t, uid, "carol")
	srv.AddGroup(t, team, srv.PersonDN(uid))
	if got := lookup(t, newDir(t, srv.Config()), mail, "team:"+team); !got[mail].Active || !got["team:"+team].Active {
		t.Fatalf("before: %+v", got)
	}
	srv.Depart(t, uid)
	got := lookup(t, newDir(t, srv.Config()), mail, "team:"+team)
	if g := render(got[mail]); g != "found=true active=false kind=person reason=disabled successor=carol@example.com" {
		t.Errorf("after: %s", g)
	}
	if g := render(got["team:"+team]); g != "found=true active=false kind=team reason=team with no active member" {
		t.Errorf("team after: %s", g)
	}
}

// A password bind over plain ldap:// is refused before anything is sent;
// an anonymous bind there is allowed.
func TestIntegrationLDAPLookup_plaintextBindRefused(t *testing.T) {
	srv := ownertest.LDAP(t)
	c := srv.Config()
	c.StartTLS, c.CACertificate = false, ""
	_, err := ldap.New(c)
	if err == nil || err.Error() != "start_tls: is not set, so binding as bind_dn over "+srv.URL+" would send bind_password across the network in clear text: "+
		"use an ldaps:// URL, or set start_tls = true (the directory must offer StartTLS)" {
		t.Errorf("plain ldap:// with a password: %v", err)
	}
	c.BindDN, c.BindPassword = "", ""
	if _, err := ldap.New(c); err != nil {
		t.Errorf("anonymous over plain ldap://: %v", err)
	}
}

// A directory that shows no person under base_dn with user_filter (a
// base_dn with no people, a user_filter that selects nothing, a bind
// account the ACLs hide people from) is an error saying so, never "every
// owner not found"; the check is one search, made once per directory.
func TestIntegrationLDAPLookup_nobodyVisible(t *testing.T) {
	srv := ownertest.LDAP(t)
	for name, c := range map[string]struct {
		mod  func(*ldap.Config)
		want string
	}{
		"base without people": {func(c *ldap.Config) { c.BaseDN = "ou=services," + srv.BaseDN },
			`searching people: the bind account ` + srv.BindDN + ` sees no person under base_dn "ou=services,` + srv.BaseDN + `" matching user_filter "(objectClass=inetOrgPerson)", so no owner can be judged: ` +
				`check base_dn, user_filter and the account's read access (an empty directory is treated as unreadable, never as every owner having left)`},
		"filter selects nobody": {func(c *ldap.Config) { c.UserFilter = "(&(objectCategory=person)(objectClass=user))" },
			`searching people: the bind account ` + srv.BindDN + ` sees no person under base_dn "ou=people,` + srv.BaseDN + `" matching user_filter "(&(objectCategory=person)(objectClass=user))"`},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := srv.Config()
			c.mod(&cfg)
			got, err := newDir(t, cfg).Lookup(context.Background(), []string{"alice@example.com", "team:payments"})
			var le *ldap.Error
			if !errors.As(err, &le) || !strings.HasPrefix(err.Error(), srv.URL+": "+c.want) {
				t.Errorf("got %+v, %v\nwant the error %s: %s", got, err, srv.URL, c.want)
			}
		})
	}
	d := newDir(t, srv.Config())
	lookup(t, d, "alice@example.com")
	first := d.Searches()
	lookup(t, d, "bob@example.com")
	if n := d.Searches() - first; n != 2 {
		t.Errorf("the second lookup made %d searches, want 2 (people, who left): people are checked visible once", n)
	}
}

package testenv

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// TestStartLDAP starts a real slapd the way make test does, checks what the
// owner directory tests rely on (the seed, the bind account, ACLs that keep
// passwords and anonymous users out, StartTLS and ldaps:// with the CA,
// writes by the admin, ldap.env), and stops it from the state file as
// ldap-down does in another process.
func TestStartLDAP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	dir := t.TempDir()
	l, err := StartLDAP(ctx, LDAPOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = l.Stop()
		}
	})
	if os.Geteuid() == 0 && l.OSUser != ldapOSUser {
		t.Errorf("running as root, slapd must run as %s; state says %q", ldapOSUser, l.OSUser)
	}

	dial := func(url string) *ldap.Conn {
		t.Helper()
		ca, _ := os.ReadFile(l.CAFile)
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			t.Fatalf("%s holds no certificate", l.CAFile)
		}
		c, err := ldap.DialURL(url, ldap.DialWithTLSConfig(&tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}))
		if err != nil {
			t.Fatal(err)
		}
		c.SetTimeout(5 * time.Second)
		t.Cleanup(func() { c.Close() })
		return c
	}
	search := func(c *ldap.Conn, filter string, attrs ...string) []*ldap.Entry {
		t.Helper()
		res, err := c.Search(ldap.NewSearchRequest(LDAPBaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false, filter, attrs, nil))
		if err != nil {
			t.Fatalf("search %s: %v", filter, err)
		}
		return res.Entries
	}

	// Anonymous users see nothing.
	anon := dial(l.URL())
	res, err := anon.Search(ldap.NewSearchRequest(LDAPBaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false, "(objectClass=*)", nil, nil))
	if err == nil && len(res.Entries) > 0 || err != nil && !ldap.IsErrorWithCode(err, ldap.LDAPResultNoSuchObject) {
		t.Errorf("anonymous search: %v (%v), want no entries", res, err)
	}

	reader := dial(l.URL())
	if err := reader.StartTLS(&tls.Config{RootCAs: certPool(t, l.CAFile), ServerName: "127.0.0.1"}); err != nil {
		t.Fatalf("StartTLS: %v", err)
	}
	if err := reader.Bind(LDAPBindDN, l.BindPassword); err != nil {
		t.Fatal(err)
	}
	var people []string
	for _, e := range search(reader, "(&(objectClass=inetOrgPerson)(!(employeeType=departed)))", "mail") {
		people = append(people, e.GetAttributeValue("mail"))
	}
	sort.Strings(people)
	if got := strings.Join(people, ","); got != "alice@example.com,carol@example.com" {
		t.Errorf("active people = %s, want alice@example.com,carol@example.com", got)
	}
	if got := search(reader, "(cn=nhi-reader)", "userPassword"); len(got) != 1 || len(got[0].GetAttributeValues("userPassword")) != 0 {
		t.Errorf("the bind account reads passwords: %+v", got)
	}
	if got := search(reader, "(cn=platform)", "member"); len(got) != 1 || got[0].GetAttributeValue("member") != "cn=sre,ou=groups,dc=example,dc=com" {
		t.Errorf("nested group platform: %+v", got)
	}
	if got := search(reader, "(cn=data)", "uniqueMember"); len(got) != 1 || got[0].GetAttributeValue("uniqueMember") != "uid=carol,ou=people,dc=example,dc=com" {
		t.Errorf("groupOfUniqueNames data: %+v", got)
	}
	if err := reader.Modify(&ldap.ModifyRequest{DN: "uid=alice,ou=people,dc=example,dc=com", Changes: []ldap.Change{{Operation: ldap.ReplaceAttribute, Modification: ldap.PartialAttribute{Type: "employeeType", Vals: []string{"departed"}}}}}); err == nil {
		t.Error("the bind account could write")
	}
	if err := dial(l.URL()).Bind(LDAPBindDN, "wrong"); !ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
		t.Errorf("wrong password: %v, want invalid credentials", err)
	}

	tlsConn := dial(l.TLSURL())
	if err := tlsConn.Bind(LDAPAdminDN, l.AdminPassword); err != nil {
		t.Fatalf("admin bind over ldaps: %v", err)
	}
	if err := tlsConn.Modify(&ldap.ModifyRequest{DN: "uid=carol,ou=people,dc=example,dc=com", Changes: []ldap.Change{{Operation: ldap.ReplaceAttribute, Modification: ldap.PartialAttribute{Type: "description", Vals: []string{"checked"}}}}}); err != nil {
		t.Errorf("admin modify: %v", err)
	}

	env, err := os.ReadFile(filepath.Join(dir, LDAPEnvFile))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"export NHI_TEST_LDAP_URL='" + l.URL() + "'", "export NHI_TEST_LDAPS_URL='" + l.TLSURL() + "'",
		"export NHI_TEST_LDAP_BIND_DN='" + LDAPBindDN + "'", "export NHI_TEST_LDAP_BIND_PASSWORD='" + l.BindPassword + "'",
		"export NHI_TEST_LDAP_BASE_DN='" + LDAPBaseDN + "'", "export NHI_TEST_LDAP_ADMIN_PASSWORD='" + l.AdminPassword + "'",
		"export NHI_TEST_LDAP_CA_FILE='" + l.CAFile + "'", "export NHI_TEST_LDAP='1'"} {
		if !strings.Contains(string(env), want+"\n") {
			t.Errorf("ldap.env lacks %q", strings.NewReplacer(l.BindPassword, "<password>", l.AdminPassword, "<password>").Replace(want))
		}
	}
	state, _ := os.ReadFile(filepath.Join(dir, ldapStateFile))
	if strings.Contains(string(state), l.BindPassword) || strings.Contains(string(state), l.AdminPassword) {
		t.Error("the state file holds a password")
	}

	pid := l.Pids[0]
	if err := StopLDAPDir(dir); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if syscall.Kill(pid, 0) == nil {
		t.Errorf("slapd pid %d still runs after StopLDAPDir", pid)
	}
	for _, f := range []string{LDAPEnvFile, ldapStateFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("%s left behind", f)
		}
	}
}

func certPool(t *testing.T, file string) *x509.CertPool {
	t.Helper()
	ca, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(ca)
	return pool
}

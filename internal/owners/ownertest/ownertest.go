// Package ownertest holds what the owner directory's tests share: the LDAP
// test directory that make test starts (testenv.StartLDAP) as ldap.env
// describes it, and changes to it made with OpenLDAP's ldapmodify, as an
// administrator would make them.
package ownertest

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/owners/ldap"
)

// EnvLDAP is set (to 1) by ldap.env.
const EnvLDAP = "NHI_TEST_LDAP"

// Server is the LDAP test directory.
type Server struct {
	URL, TLSURL string
	CAFile      string
	// CACert is the PEM in CAFile.
	CACert        string
	BaseDN        string
	BindDN        string
	BindPassword  string
	AdminDN       string
	AdminPassword string
}

// LDAP returns the LDAP test directory, failing the test (never skipping
// it) when there is none.
func LDAP(t testing.TB) Server {
	t.Helper()
	if os.Getenv(EnvLDAP) == "" {
		t.Fatalf("%s is not set: owner directory tests need the project's LDAP test directory. Run `make test`, or `make ldap-up`, `. .nhi-dev/ldap/ldap.env` and `make testacc`.", EnvLDAP)
	}
	s := Server{
		URL: os.Getenv("NHI_TEST_LDAP_URL"), TLSURL: os.Getenv("NHI_TEST_LDAPS_URL"), CAFile: os.Getenv("NHI_TEST_LDAP_CA_FILE"),
		BaseDN: os.Getenv("NHI_TEST_LDAP_BASE_DN"), BindDN: os.Getenv("NHI_TEST_LDAP_BIND_DN"), BindPassword: os.Getenv("NHI_TEST_LDAP_BIND_PASSWORD"),
		AdminDN: os.Getenv("NHI_TEST_LDAP_ADMIN_DN"), AdminPassword: os.Getenv("NHI_TEST_LDAP_ADMIN_PASSWORD"),
	}
	for k, v := range map[string]string{"NHI_TEST_LDAP_URL": s.URL, "NHI_TEST_LDAPS_URL": s.TLSURL, "NHI_TEST_LDAP_CA_FILE": s.CAFile,
		"NHI_TEST_LDAP_BASE_DN": s.BaseDN, "NHI_TEST_LDAP_BIND_DN": s.BindDN, "NHI_TEST_LDAP_BIND_PASSWORD": s.BindPassword,
		"NHI_TEST_LDAP_ADMIN_DN": s.AdminDN, "NHI_TEST_LDAP_ADMIN_PASSWORD": s.AdminPassword} {
		if v == "" {
			t.Fatalf("%s is set but %s is empty: source the ldap.env of the LDAP test directory (`. .nhi-dev/ldap/ldap.env` after `make ldap-up`).", EnvLDAP, k)
		}
	}
	ca, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatalf("the LDAP test directory's CA (NHI_TEST_LDAP_CA_FILE): %v", err)
	}
	s.CACert = string(ca)
	return s
}

// CA is the PEM of the CA that signed the directory's certificate.
func (s Server) CA(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Config is the owner directory configuration of the seeded directory, as
// an OpenLDAP deployment would write it: StartTLS on the ldap:// URL
// (verified against the test CA; a password bind needs TLS), people under
// ou=people found by mail or uid, departed people marked by employeeType,
// groups under ou=groups, managers in manager.
func (s Server) Config() ldap.Config {
	return ldap.Config{
		URL: s.URL, StartTLS: true, CACertificate: s.CACert, BindDN: s.BindDN, BindPassword: s.BindPassword,
		BaseDN: "ou=people," + s.BaseDN, GroupBaseDN: "ou=groups," + s.BaseDN,
		UserAttributes: []string{"mail", "uid"}, UserFilter: "(objectClass=inetOrgPerson)",
		DisabledFilter: ldap.OpenLDAPDepartedFilter, ManagerAttribute: "manager",
	}
}

// RandName is prefix and a random suffix, for entries one test owns.
func RandName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

// Modify applies LDIF with ldapmodify as the directory's administrator
// (the password through a file, never on the command line).
func (s Server) Modify(t testing.TB, ldif string) {
	t.Helper()
	if err := s.TryModify(ldif); err != nil {
		t.Fatal(err)
	}
}

// TryModify is Modify returning the error.
func (s Server) TryModify(ldif string) error {
	dir, err := os.MkdirTemp("", "ownertest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	pw := filepath.Join(dir, "pw")
	if err := os.WriteFile(pw, []byte(s.AdminPassword), 0o600); err != nil {
		return err
	}
	// -ZZ: StartTLS, required, verified against the test CA.
	cmd := exec.Command("ldapmodify", "-x", "-ZZ", "-H", s.URL, "-D", s.AdminDN, "-y", pw, "-o", "nettimeout=10")
	cmd.Env = append(os.Environ(), "LDAPTLS_CACERT="+s.CAFile, "LDAPTLS_REQCERT=demand")
	cmd.Stdin = strings.NewReader(ldif)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("ldapmodify (scripts/ldap-install.sh installs it): %w", err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("ldapmodify: %v: %s\nLDIF:\n%s", err, strings.TrimSpace(out.String()), ldif)
		}
		return nil
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		return fmt.Errorf("ldapmodify did not finish in 30s: %s", out.String())
	}
}

// PersonDN is the DN of the person with uid.
func (s Server) PersonDN(uid string) string { return "uid=" + uid + ",ou=people," + s.BaseDN }

// GroupDN is the DN of the group cn.
func (s Server) GroupDN(cn string) string { return "cn=" + cn + ",ou=groups," + s.BaseDN }

// AddPerson adds an active person uid (mail uid@example.com), removed when
// the test ends, and returns the mail. manager, when set, is a uid.
func (s Server) AddPerson(t testing.TB, uid, manager string) string {
	t.Helper()
	ldif := fmt.Sprintf("dn: %s\nchangetype: add\nobjectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: Test\nmail: %s@example.com\nemployeeType: staff\n", s.PersonDN(uid), uid, uid, uid)
	if manager != "" {
		ldif += "manager: " + s.PersonDN(manager) + "\n"
	}
	s.Modify(t, ldif)
	t.Cleanup(func() { _ = s.TryModify(fmt.Sprintf("dn: %s\nchangetype: delete\n", s.PersonDN(uid))) })
	return uid + "@example.com"
}

// Depart marks the person uid departed (employeeType: departed), as HR's
// provisioning does when someone leaves.
func (s Server) Depart(t testing.TB, uid string) {
	t.Helper()
	s.Modify(t, fmt.Sprintf("dn: %s\nchangetype: modify\nreplace: employeeType\nemployeeType: departed\n", s.PersonDN(uid)))
}

// AddGroup adds a groupOfNames cn with the given member DNs, removed when
// the test ends.
func (s Server) AddGroup(t testing.TB, cn string, memberDNs ...string) {
	t.Helper()
	ldif := fmt.Sprintf("dn: %s\nchangetype: add\nobjectClass: groupOfNames\ncn: %s\n", s.GroupDN(cn), cn)
	for _, m := range memberDNs {
		ldif += "member: " + m + "\n"
	}
	s.Modify(t, ldif)
	t.Cleanup(func() { _ = s.TryModify(fmt.Sprintf("dn: %s\nchangetype: delete\n", s.GroupDN(cn))) })
}

// OwnersBlock renders the provider's owners block for the seeded
// directory, with StartTLS verified against the test CA (the bind
// password included: only tests put one in HCL);
// mod changes the ldap block's attributes, such as
// map[string]string{"url": `"ldap://127.0.0.1:1"`}. A value "" removes the
// attribute.
func (s Server) OwnersBlock(mod map[string]string) string {
	attrs := map[string]string{
		"url":               fmt.Sprintf("%q", s.URL),
		"start_tls":         "true",
		"ca_certificate":    fmt.Sprintf("file(%q)", s.CAFile),
		"bind_dn":           fmt.Sprintf("%q", s.BindDN),
		"bind_password":     fmt.Sprintf("%q", s.BindPassword),
		"base_dn":           fmt.Sprintf("%q", "ou=people,"+s.BaseDN),
		"group_base_dn":     fmt.Sprintf("%q", "ou=groups,"+s.BaseDN),
		"user_attributes":   `["mail", "uid"]`,
		"user_filter":       `"(objectClass=inetOrgPerson)"`,
		"disabled_filter":   `"(employeeType=departed)"`,
		"manager_attribute": `"manager"`,
	}
	for k, v := range mod {
		attrs[k] = v
	}
	var b strings.Builder
	b.WriteString("  owners {\n    ldap {\n")
	for _, k := range []string{"url", "start_tls", "ca_certificate", "bind_dn", "bind_password", "base_dn", "group_base_dn", "user_attributes",
		"user_filter", "disabled_filter", "group_filter", "group_name_attribute", "manager_attribute"} {
		if v := attrs[k]; v != "" {
			fmt.Fprintf(&b, "      %s = %s\n", k, v)
		}
	}
	b.WriteString("    }\n  }\n")
	return b.String()
}

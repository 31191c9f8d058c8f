package ldap

import (
	"strings"
	"testing"

	goldap "github.com/go-ldap/ldap/v3"
)

func TestValidate(t *testing.T) {
	ok := Config{URL: "ldaps://ldap.example.com", BindDN: "cn=r,dc=example,dc=com", BindPassword: "pw", BaseDN: "dc=example,dc=com",
		DisabledFilter: ActiveDirectoryDisabledFilter, UserAttributes: []string{"mail", "userPrincipalName"}}
	if p := ok.Validate(); len(p) != 0 {
		t.Fatalf("valid configuration: %v", p)
	}
	for name, c := range map[string]Config{
		"starttls":        {URL: "ldap://ldap.example.com", StartTLS: true, BindDN: "cn=r,dc=example,dc=com", BindPassword: "pw", BaseDN: "dc=example,dc=com"},
		"anonymous plain": {URL: "ldap://ldap.example.com", BaseDN: "dc=example,dc=com"},
	} {
		if p := c.Validate(); len(p) != 0 {
			t.Errorf("%s: %v", name, p)
		}
	}
	for name, tc := range map[string]struct {
		mod  func(*Config)
		want string
	}{
		"no url":      {func(c *Config) { c.URL = "" }, "url: is required"},
		"http url":    {func(c *Config) { c.URL = "https://ldap.example.com" }, `url: "https://ldap.example.com" is not an ldap://host[:port] or ldaps://host[:port] URL`},
		"url with dn": {func(c *Config) { c.URL = "ldaps://h/dc=example,dc=com" }, "url: \"ldaps://h/dc=example,dc=com\" carries a DN or search"},
		// The search and extensions may name a bind password: not repeated.
		"url with extensions": {func(c *Config) { c.URL = "ldaps://h/??sub??X-BINDPW=pw" }, `url: "ldaps://h/?..." carries a DN or search`},
		// Credentials before "@" are refused and never repeated, parsable
		// or not.
		"url with userinfo": {func(c *Config) { c.URL = "ldaps://cn=r:pw@ldap.example.com" },
			`url: holds credentials (the part before "@"), which are not read from it and not repeated here: set the DN in bind_dn and the password in bind_password (or the NHI_OWNERS_LDAP_BIND_PASSWORD environment variable)`},
		"url with bad userinfo": {func(c *Config) { c.URL = "ldap://cn=r,dc=example:p/w@ldap.example.com:389" }, `url: holds credentials (the part before "@")`},
		"url without host":      {func(c *Config) { c.URL = "ldap:///?pw" }, `url: "ldap:///?..." is not an ldap://host[:port] or ldaps://host[:port] URL`},
		// A password bind over plain ldap:// is refused: ldaps:// or
		// StartTLS.
		"plaintext bind": {func(c *Config) { c.URL = "ldap://ldap.example.com" },
			"start_tls: is not set, so binding as bind_dn over ldap://ldap.example.com would send bind_password across the network in clear text: use an ldaps:// URL, or set start_tls = true (the directory must offer StartTLS)"},
		"plaintext bind, password only": {func(c *Config) { c.URL = "ldap://ldap.example.com"; c.StartTLS = true; c.BindDN = "" }, "bind_dn: is empty while bind_password is set"},
		"start_tls + ldaps":             {func(c *Config) { c.StartTLS = true }, "start_tls: applies to ldap:// URLs"},
		"no base":                       {func(c *Config) { c.BaseDN = "" }, "base_dn: is required"},
		"bad base":                      {func(c *Config) { c.BaseDN = "example.com" }, `base_dn: "example.com" is not a distinguished name`},
		"dn, no password":               {func(c *Config) { c.BindPassword = "" }, "bind_password: is empty while bind_dn is set: set it, or the NHI_OWNERS_LDAP_BIND_PASSWORD environment variable"},
		"password, no dn":               {func(c *Config) { c.BindDN = "" }, "bind_dn: is empty while bind_password is set"},
		"bad filter":                    {func(c *Config) { c.DisabledFilter = "employeeType=departed" }, `disabled_filter: "employeeType=departed" is not an LDAP filter (RFC 4515, in parentheses, such as "(employeeType=departed)")`},
		"bad user filter":               {func(c *Config) { c.UserFilter = "(objectClass=person" }, `user_filter: "(objectClass=person" is not an LDAP filter`},
		"bad attribute":                 {func(c *Config) { c.UserAttributes = []string{"mail", "(uid)"} }, `user_attributes: "(uid)" is not an attribute name`},
		"bad manager":                   {func(c *Config) { c.ManagerAttribute = "manager=" }, `manager_attribute: "manager=" is not an attribute name`},
		"bad ca":                        {func(c *Config) { c.CACertificate = "not pem" }, "ca_certificate: holds no PEM certificate"},
	} {
		t.Run(name, func(t *testing.T) {
			c := ok
			tc.mod(&c)
			p := c.Validate()
			if len(p) != 1 || !strings.HasPrefix(p[0].Error(), tc.want) {
				t.Errorf("problems %v, want one starting %q", p, tc.want)
			}
			if strings.Contains(Problems(p), "pw") || strings.Contains(Problems(p), "cn=r") {
				t.Error("a problem holds the password")
			}
		})
	}
}

// Problems joins problems for the test.
func Problems(p []Problem) string {
	var s []string
	for _, x := range p {
		s = append(s, x.Error())
	}
	return strings.Join(s, "; ")
}

func TestName(t *testing.T) {
	for url, want := range map[string]string{
		"ldap://ldap.example.com":         "ldap://ldap.example.com:389",
		"ldaps://ldap.example.com":        "ldaps://ldap.example.com:636",
		"ldaps://ldap.example.com:3269":   "ldaps://ldap.example.com:3269",
		"ldap://127.0.0.1:3389/":          "ldap://127.0.0.1:3389",
		"ldap://[::1]":                    "ldap://[::1]:389",
		"ldap://cn=r:pw@ldap.example.com": "ldap://ldap.example.com:389",
		"ldap://cn=r:p/w@x":               "(the url, not repeated: it holds credentials)",
	} {
		if got := (Config{URL: url}).Name(); got != want {
			t.Errorf("Name(%s) = %s, want %s", url, got, want)
		}
	}
}

// Owners are values in filters, never filters: RFC 4515 escapes for *, (,
// ), \ and NUL, so "*" cannot match everyone and "a)(uid=*" cannot widen
// the search.
func TestFiltersEscapeOwners(t *testing.T) {
	got := personTerms([]string{"mail", "uid"}, []string{"alice@example.com", "*", "a)(uid=*", `back\slash`, "nul\x00"})
	want := `(|(mail=alice@example.com)(uid=alice@example.com)(mail=\2a)(uid=\2a)(mail=a\29\28uid=\2a)(uid=a\29\28uid=\2a)(mail=back\5cslash)(uid=back\5cslash)(mail=nul\00)(uid=nul\00)`
	if got != want+")" {
		t.Errorf("personTerms:\n got %s\nwant %s)", got, want)
	}
	if _, err := goldap.CompileFilter(and(DefaultUserFilter, got)); err != nil {
		t.Errorf("the filter does not compile: %v", err)
	}
	if got := personTerms([]string{"cn"}, []string{"payments"}); got != "(cn=payments)" {
		t.Errorf("one term: %s", got)
	}
	if got := and(DefaultUserFilter, OpenLDAPDepartedFilter, "(mail=a)"); got != "(&(objectClass=person)(employeeType=departed)(mail=a))" {
		t.Errorf("and: %s", got)
	}
	for dn, want := range map[string]string{
		"uid=alice,ou=people,dc=example,dc=com":        "(uid=alice)",
		`CN=Smith\, Alice,OU=Staff,DC=corp,DC=example`: `(CN=Smith, Alice)`,
		"cn=a*b+uid=x,dc=example":                      `(&(cn=a\2ab)(uid=x))`,
		`cn=paren\29\28cn=\2a,dc=example`:              `(cn=paren\29\28cn=\2a)`,
	} {
		parsed, err := goldap.ParseDN(dn)
		if err != nil {
			t.Fatal(err)
		}
		if got := rdnTerm(parsed.RDNs[0]); got != want {
			t.Errorf("rdnTerm(%s) = %s, want %s", dn, got, want)
		}
	}
}

func TestDNKeyAndMembers(t *testing.T) {
	if dnKey("UID=Alice, OU=People,DC=Example,DC=com") != dnKey("uid=alice,ou=people,dc=example,dc=com") {
		t.Error("two spellings of one DN differ")
	}
	if dnKey("cn=a+uid=b,dc=x") != dnKey("uid=b+cn=a,dc=x") {
		t.Error("multi-valued RDNs in another order differ")
	}
	if dnKey("uid=alice,ou=people,dc=example,dc=com") == dnKey("uid=alice,ou=other,dc=example,dc=com") {
		t.Error("two DNs share a key")
	}
	e := goldap.NewEntry("cn=g,dc=x", map[string][]string{
		"member":       {"uid=a,dc=x"},
		"uniqueMember": {"uid=b,dc=x#'0101'B", "uid=c,dc=x"},
	})
	if got := strings.Join(members(e), ";"); got != "uid=a,dc=x;uid=b,dc=x;uid=c,dc=x" {
		t.Errorf("members = %s", got)
	}
}

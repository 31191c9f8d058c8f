// Package ldap is the LDAP owner directory (OpenLDAP, Active Directory,
// FreeIPA) through github.com/go-ldap/ldap/v3: a person is an entry found
// by any of the user attributes, active unless it matches the disabled
// filter; a team is a group, active when it has an active member, nested
// groups resolved; a departed person's manager is the suggested successor.
package ldap

import (
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
	"time"

	goldap "github.com/go-ldap/ldap/v3"
)

// Defaults of the optional settings.
var (
	DefaultUserAttributes = []string{"mail", "uid"}
)

const (
	DefaultUserFilter         = "(objectClass=person)"
	DefaultGroupFilter        = "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group))"
	DefaultGroupNameAttribute = "cn"
	// DefaultTimeout bounds each request (dial, StartTLS, bind, each
	// page of a search).
	DefaultTimeout = 15 * time.Second
	// EnvBindPassword is where bind_password comes from when the
	// configuration leaves it out.
	EnvBindPassword = "NHI_OWNERS_LDAP_BIND_PASSWORD"
)

// Example disabled filters.
const (
	// OpenLDAPDepartedFilter: people marked departed by HR's
	// provisioning.
	OpenLDAPDepartedFilter = "(employeeType=departed)"
	// ActiveDirectoryDisabledFilter: userAccountControl has
	// ACCOUNTDISABLE (0x2) set, by the bitwise-AND matching rule.
	ActiveDirectoryDisabledFilter = "(userAccountControl:1.2.840.113556.1.4.803:=2)"
)

// Config is one LDAP directory. Field names follow the provider's and the
// reporter's ldap block.
type Config struct {
	// URL is ldap://host[:389] or ldaps://host[:636].
	URL string
	// StartTLS upgrades an ldap:// connection before binding. An ldap://
	// URL without it is refused when the directory is bound with a
	// password (BindDN), which would cross the network in clear text;
	// only an anonymous bind may use plain ldap://.
	StartTLS bool
	// CACertificate is PEM of the CAs to trust for ldaps:// and StartTLS;
	// empty: the system's trust store.
	CACertificate string
	// BindDN and BindPassword authenticate; both empty: anonymous.
	BindDN       string
	BindPassword string
	// BaseDN is where people are searched (subtree).
	BaseDN string
	// UserAttributes find a person: an owner matches an entry when any of
	// them has the owner as a value (case-insensitive). The first one
	// with a value names a successor. Default mail, uid.
	UserAttributes []string
	// UserFilter selects people. Default (objectClass=person).
	UserFilter string
	// DisabledFilter selects people who left, among UserFilter's. Empty:
	// every person found is active.
	DisabledFilter string
	// GroupBaseDN is where groups are searched. Default BaseDN.
	GroupBaseDN string
	// GroupFilter selects groups. Default groupOfNames,
	// groupOfUniqueNames and Active Directory's group.
	GroupFilter string
	// GroupNameAttribute holds a group's name. Default cn.
	GroupNameAttribute string
	// ManagerAttribute holds a person's manager as a DN (manager in
	// inetOrgPerson and Active Directory). Empty: no successor is named.
	ManagerAttribute string
	// Timeout bounds each request. Default DefaultTimeout.
	Timeout time.Duration
}

// Problem is one invalid setting.
type Problem struct {
	// Attribute is the setting's name in the ldap block.
	Attribute string
	Detail    string
}

func (p Problem) Error() string { return p.Attribute + ": " + p.Detail }

// withDefaults fills the optional settings.
func (c Config) withDefaults() Config {
	if len(c.UserAttributes) == 0 {
		c.UserAttributes = DefaultUserAttributes
	}
	if c.UserFilter == "" {
		c.UserFilter = DefaultUserFilter
	}
	if c.GroupBaseDN == "" {
		c.GroupBaseDN = c.BaseDN
	}
	if c.GroupFilter == "" {
		c.GroupFilter = DefaultGroupFilter
	}
	if c.GroupNameAttribute == "" {
		c.GroupNameAttribute = DefaultGroupNameAttribute
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	return c
}

// Validate returns every invalid setting, without contacting the
// directory. The password is never part of a problem.
func (c Config) Validate() []Problem {
	var out []Problem
	bad := func(attr, format string, a ...any) { out = append(out, Problem{attr, fmt.Sprintf(format, a...)}) }
	shown := shownURL(c.URL)
	switch u, err := url.Parse(c.URL); {
	case c.URL == "":
		bad("url", "is required: the directory's ldaps://host or ldap://host URL")
	case strings.Contains(c.URL, "@"):
		// Whatever precedes "@" may be a password (ldap://cn=x:pw@host):
		// the URL is not repeated.
		bad("url", "holds credentials (the part before \"@\"), which are not read from it and not repeated here: "+
			"set the DN in bind_dn and the password in bind_password (or the %s environment variable), and keep url to scheme, host and port, such as ldaps://ldap.example.com", EnvBindPassword)
	case err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "":
		bad("url", "%q is not an ldap://host[:port] or ldaps://host[:port] URL", shown)
	default:
		if u.Scheme == "ldaps" && c.StartTLS {
			bad("start_tls", "applies to ldap:// URLs; %s is TLS from the start, so remove start_tls", shown)
		}
		if u.Scheme == "ldap" && !c.StartTLS && (c.BindDN != "" || c.BindPassword != "") {
			bad("start_tls", "is not set, so binding as bind_dn over %s would send bind_password across the network in clear text: "+
				"use an ldaps:// URL, or set start_tls = true (the directory must offer StartTLS)", shown)
		}
		if u.Path != "" && u.Path != "/" || u.RawQuery != "" || u.Fragment != "" {
			bad("url", "%q carries a DN or search; set base_dn and the filters instead, and keep url to scheme, host and port", shown)
		}
		if p := u.Port(); p != "" {
			if _, err := net.LookupPort("tcp", p); err != nil {
				bad("url", "%q has an invalid port", shown)
			}
		}
	}
	if c.CACertificate != "" && !x509.NewCertPool().AppendCertsFromPEM([]byte(c.CACertificate)) {
		bad("ca_certificate", "holds no PEM certificate")
	}
	if c.BindDN != "" && c.BindPassword == "" {
		bad("bind_password", "is empty while bind_dn is set: set it, or the %s environment variable", EnvBindPassword)
	}
	if c.BindDN == "" && c.BindPassword != "" {
		bad("bind_dn", "is empty while bind_password is set: set the DN to bind as")
	}
	for attr, dn := range map[string]string{"bind_dn": c.BindDN, "base_dn": c.BaseDN, "group_base_dn": c.GroupBaseDN} {
		if dn == "" {
			continue
		}
		if _, err := goldap.ParseDN(dn); err != nil {
			bad(attr, "%q is not a distinguished name: %v", dn, err)
		}
	}
	if c.BaseDN == "" {
		bad("base_dn", "is required: the DN people are searched under, such as \"ou=people,dc=example,dc=com\"")
	}
	for attr, f := range map[string]string{"user_filter": c.UserFilter, "disabled_filter": c.DisabledFilter, "group_filter": c.GroupFilter} {
		if f == "" {
			continue
		}
		if _, err := goldap.CompileFilter(f); err != nil {
			bad(attr, "%q is not an LDAP filter (RFC 4515, in parentheses, such as %q): %v", f, OpenLDAPDepartedFilter, errors.Unwrap(err))
		}
	}
	for _, a := range c.UserAttributes {
		if !validAttr(a) {
			bad("user_attributes", "%q is not an attribute name", a)
		}
	}
	for attr, a := range map[string]string{"group_name_attribute": c.GroupNameAttribute, "manager_attribute": c.ManagerAttribute} {
		if a != "" && !validAttr(a) {
			bad(attr, "%q is not an attribute name", a)
		}
	}
	sortProblems(out)
	return out
}

// shownURL is the URL as problems repeat it: without its search and
// extensions (the part from "?", which may carry a bind name or password
// extension), and nothing at all when it holds "@" (credentials before
// the host).
func shownURL(raw string) string {
	if strings.Contains(raw, "@") {
		return "(the url, not repeated: it holds credentials)"
	}
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		return raw[:i] + "?..."
	}
	return raw
}

// validAttr accepts an attribute description: a name or an OID, with
// options (";lang-en").
func validAttr(a string) bool {
	if a == "" {
		return false
	}
	for i, r := range a {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case r >= '0' && r <= '9', r == '-' && i > 0, r == '.', r == ';':
		default:
			return false
		}
	}
	return true
}

func sortProblems(p []Problem) {
	sort.SliceStable(p, func(i, j int) bool { return p[i].Attribute < p[j].Attribute })
}

// Name is the directory as messages name it: scheme://host:port, with the
// default port when the URL has none.
func (c Config) Name() string {
	u, err := url.Parse(c.URL)
	if err != nil || u.Host == "" {
		return shownURL(c.URL)
	}
	host, port := u.Hostname(), u.Port()
	if port == "" {
		port = goldap.DefaultLdapPort
		if u.Scheme == "ldaps" {
			port = goldap.DefaultLdapsPort
		}
	}
	return u.Scheme + "://" + net.JoinHostPort(host, port)
}

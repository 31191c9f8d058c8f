package postgresql

import (
	"fmt"
	"strings"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// Scope kinds.
const (
	ScopeRole      = "role"
	ScopeAttribute = "attribute"
	ScopeDatabase  = "database"
	ScopeSchema    = "schema"
	ScopeTable     = "table"
	ScopeSequence  = "sequence"
	ScopeFunction  = "function"
)

// Wildcard is the object part of a table, sequence or function scope that
// means every object of that kind in the schema (see Scope).
const Wildcard = "*"

// PrivilegeOwner is the privilege of database:OWNER@<db>, which effective
// scopes report for a role that owns a database and a declaration cannot
// hold.
const PrivilegeOwner = "OWNER"

// scopeNameMax is PostgreSQL's identifier limit (NAMEDATALEN - 1 bytes): a
// longer name is truncated by the server, so it never matches the catalog.
const scopeNameMax = 63

// ScopeGrammar is the one-line description of the grammar used in error
// messages.
const ScopeGrammar = "role:<group role>, attribute:<SUPERUSER|CREATEDB|CREATEROLE|REPLICATION|BYPASSRLS>, " +
	"database:<CONNECT|CREATE|TEMPORARY>@<db>, schema:<USAGE|CREATE>@<db>.<schema>, " +
	"table:<SELECT|INSERT|UPDATE|DELETE|TRUNCATE|REFERENCES|TRIGGER>@<db>.<schema>.<table or *>, " +
	"sequence:<USAGE|SELECT|UPDATE>@<db>.<schema>.<sequence or *> or function:EXECUTE@<db>.<schema>.<function or *>"

// scopePrivileges lists the privileges each kind accepts, in the order messages
// list them. attribute: lists the role attributes.
var scopePrivileges = map[string][]string{
	ScopeAttribute: {"SUPERUSER", "CREATEDB", "CREATEROLE", "REPLICATION", "BYPASSRLS"},
	ScopeDatabase:  {"CONNECT", "CREATE", "TEMPORARY"},
	ScopeSchema:    {"USAGE", "CREATE"},
	ScopeTable:     {"SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"},
	ScopeSequence:  {"USAGE", "SELECT", "UPDATE"},
	ScopeFunction:  {"EXECUTE"},
}

// scopeForms is the expected form of each kind, for messages.
var scopeForms = map[string]string{
	ScopeRole:      "role:<group role>",
	ScopeAttribute: "attribute:<ATTR>",
	ScopeDatabase:  "database:<PRIV>@<db>",
	ScopeSchema:    "schema:<PRIV>@<db>.<schema>",
	ScopeTable:     "table:<PRIV>@<db>.<schema>.<table or *>",
	ScopeSequence:  "sequence:<PRIV>@<db>.<schema>.<sequence or *>",
	ScopeFunction:  "function:EXECUTE@<db>.<schema>.<function or *>",
}

var scopeKinds = []string{ScopeRole, ScopeAttribute, ScopeDatabase, ScopeSchema, ScopeTable, ScopeSequence, ScopeFunction}

// Scope is one privilege of a role in the provider's grammar (ScopeGrammar).
// Names are written as the catalog has them: case-sensitive and unquoted.
//
//	role:<group role>                           membership of a group role (predefined roles included); WITH ADMIN is not a scope
//	attribute:<ATTR>                            SUPERUSER, CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS
//	database:<PRIV>@<db>                        CONNECT, CREATE, TEMPORARY (TEMP is accepted)
//	schema:<PRIV>@<db>.<schema>                 USAGE, CREATE
//	table:<PRIV>@<db>.<schema>.<table|*>        tables, views, materialized views, foreign and partitioned tables
//	sequence:<PRIV>@<db>.<schema>.<seq|*>       USAGE, SELECT, UPDATE
//	function:EXECUTE@<db>.<schema>.<name|*>     every routine of that name: every overload of functions,
//	                                            procedures, aggregates and window functions
//
// database:OWNER@<db> appears only in effective scopes (the role owns the
// database); ParseScope refuses it. Column privileges, grant options and
// ALTER DEFAULT PRIVILEGES are not scopes, grants to PUBLIC never count,
// and owning a schema, table, sequence or function is not reported (an
// owner's implicit privileges are not grants).
//
// The object "*" is every object of that kind in the schema as it is when
// the grants are applied (GRANT ... ON ALL TABLES IN SCHEMA). Reading back,
// a privilege held on every object of a schema is reported as "*" unless
// the declaration names objects of that schema one by one (see
// renderScopes); CanonicalScopes drops a named object that a "*" of the
// same privilege and schema covers.
type Scope struct {
	// Kind is one of the Scope* constants.
	Kind string
	// Privilege is the privilege or, for attribute:, the attribute; empty
	// for role:.
	Privilege string
	// Database is empty for role: and attribute:.
	Database string
	// Schema is set for schema:, table:, sequence: and function:.
	Schema string
	// Object is the group role of role:, or the table, sequence or
	// function (or Wildcard).
	Object string
}

// String renders the canonical form.
func (s Scope) String() string {
	switch s.Kind {
	case ScopeRole:
		return s.Kind + ":" + s.Object
	case ScopeAttribute:
		return s.Kind + ":" + s.Privilege
	case ScopeDatabase:
		return s.Kind + ":" + s.Privilege + "@" + s.Database
	case ScopeSchema:
		return s.Kind + ":" + s.Privilege + "@" + s.Database + "." + s.Schema
	default:
		return s.Kind + ":" + s.Privilege + "@" + s.Database + "." + s.Schema + "." + s.Object
	}
}

// group is the scope with its object removed: scopes of one group differ
// only in the object they name.
func (s Scope) group() Scope { s.Object = ""; return s }

// isObjectKind reports whether the kind names objects inside a schema.
func isObjectKind(kind string) bool {
	return kind == ScopeTable || kind == ScopeSequence || kind == ScopeFunction
}

// ParseScope parses one declared scope (see Scope and ScopeGrammar). The
// error quotes the scope, says what is wrong and what is expected, and
// starts lower-case so callers can prefix it.
func ParseScope(s string) (Scope, error) {
	if s == "" {
		return Scope{}, fmt.Errorf("an empty string is not a scope; expected %s", ScopeGrammar)
	}
	if strings.TrimSpace(s) != s {
		return Scope{}, fmt.Errorf("%q has leading or trailing whitespace; write the scope without it", s)
	}
	if strings.ContainsRune(s, 0) {
		return Scope{}, fmt.Errorf("%q contains a NUL character, which no PostgreSQL name can hold", s)
	}
	kind, rest, ok := strings.Cut(s, ":")
	if !ok {
		return Scope{}, fmt.Errorf("%q is not a scope: it has no kind before \":\"; expected %s", s, ScopeGrammar)
	}
	if _, known := scopeForms[kind]; !known {
		hint := ""
		if _, lower := scopeForms[strings.ToLower(kind)]; lower {
			hint = fmt.Sprintf(" (kinds are lower-case: %q)", strings.ToLower(kind))
		}
		return Scope{}, fmt.Errorf("%q has unknown kind %q%s; use one of %s: %s", s, kind, hint, strings.Join(scopeKinds, ", "), ScopeGrammar)
	}
	switch kind {
	case ScopeRole:
		if err := checkScopeName(s, "group role", rest, false, scopeForms[kind]); err != nil {
			return Scope{}, err
		}
		return Scope{Kind: kind, Object: rest}, nil
	case ScopeAttribute:
		if strings.Contains(rest, "@") {
			return Scope{}, fmt.Errorf("%q: an attribute applies to the whole server and takes no \"@\"; expected %s", s, scopeForms[kind])
		}
		attr, err := parsePrivilege(s, kind, rest)
		if err != nil {
			return Scope{}, err
		}
		return Scope{Kind: kind, Privilege: attr}, nil
	}

	privText, target, ok := strings.Cut(rest, "@")
	if !ok {
		return Scope{}, fmt.Errorf("%q has no \"@\" after the privilege; expected %s", s, scopeForms[kind])
	}
	if kind == ScopeDatabase && strings.EqualFold(privText, PrivilegeOwner) {
		return Scope{}, fmt.Errorf("%q cannot be declared: owning a database gives every privilege on it and is only reported, never granted; "+
			"declare the privileges the role needs instead (database:CONNECT@%s, database:CREATE@%s, database:TEMPORARY@%s), "+
			"and if the role owns the database, give it another owner (ALTER DATABASE ... OWNER TO ...)", s, target, target, target)
	}
	priv, err := parsePrivilege(s, kind, privText)
	if err != nil {
		return Scope{}, err
	}
	want := map[string]int{ScopeDatabase: 1, ScopeSchema: 2}[kind]
	if want == 0 {
		want = 3
	}
	parts := strings.Split(target, ".")
	if kind == ScopeDatabase {
		parts = []string{target}
	}
	if len(parts) != want {
		return Scope{}, fmt.Errorf("%q names %d dot-separated part(s) after \"@\", expected %d; expected %s (a name that contains \".\" cannot be written in a scope)",
			s, len(parts), want, scopeForms[kind])
	}
	what := []string{"database", "schema", map[string]string{ScopeTable: "table", ScopeSequence: "sequence", ScopeFunction: "function"}[kind]}
	for i, p := range parts {
		last := i == len(parts)-1 && isObjectKind(kind)
		if err := checkScopeName(s, what[i], p, last, scopeForms[kind]); err != nil {
			return Scope{}, err
		}
	}
	sc := Scope{Kind: kind, Privilege: priv, Database: parts[0]}
	if len(parts) > 1 {
		sc.Schema = parts[1]
	}
	if len(parts) > 2 {
		sc.Object = parts[2]
	}
	return sc, nil
}

// parsePrivilege checks and upper-cases the privilege (or attribute) of a kind.
func parsePrivilege(s, kind, p string) (string, error) {
	up := strings.ToUpper(p)
	if kind == ScopeDatabase && up == "TEMP" {
		up = "TEMPORARY"
	}
	for _, q := range scopePrivileges[kind] {
		if q == up {
			return up, nil
		}
	}
	what := kind + " privilege"
	if kind == ScopeAttribute {
		what = "role attribute"
	}
	if p == "" {
		return "", fmt.Errorf("%q has no %s; use one of %s", s, what, strings.Join(scopePrivileges[kind], ", "))
	}
	hint := ""
	switch {
	case kind == ScopeAttribute && (up == "LOGIN" || up == "NOLOGIN"):
		hint = " (LOGIN is not a scope: the resource manages it, and a disabled role is NOLOGIN)"
	case kind == ScopeAttribute && strings.HasPrefix(up, "NO"):
		hint = " (to withhold an attribute, leave it out)"
	case up == "ALL" || up == "ALL PRIVILEGES":
		hint = " (ALL is not accepted: name each privilege as its own scope)"
	}
	return "", fmt.Errorf("%q has unknown %s %q%s; use one of %s", s, what, p, hint, strings.Join(scopePrivileges[kind], ", "))
}

// checkScopeName checks one name of a scope; wildcard allows "*".
func checkScopeName(s, what, n string, wildcard bool, form string) error {
	switch {
	case n == "":
		return fmt.Errorf("%q has an empty %s name; expected %s", s, what, form)
	case n == Wildcard && !wildcard:
		return fmt.Errorf("%q uses \"*\" as the %s name; \"*\" is only accepted for the object of table:, sequence: and function: scopes", s, what)
	case len(n) > scopeNameMax:
		return fmt.Errorf("%q names %s %q, which is longer than PostgreSQL's %d-byte limit for names", s, what, n, scopeNameMax)
	case what != "group role" && strings.Contains(n, "@"):
		return fmt.Errorf("%q names %s %q, which contains \"@\"; a name with \"@\" cannot be written in a scope", s, what, n)
	}
	return nil
}

// CanonicalScopes parses and canonicalizes declared scopes, sorted and
// de-duplicated. A named table, sequence or function is dropped when a "*"
// of the same kind, privilege, database and schema is declared too: "*"
// covers it.
func CanonicalScopes(in []string) ([]string, error) {
	parsed := make([]Scope, 0, len(in))
	star := map[Scope]bool{}
	for _, s := range in {
		sc, err := ParseScope(s)
		if err != nil {
			return nil, err
		}
		parsed = append(parsed, sc)
		if isObjectKind(sc.Kind) && sc.Object == Wildcard {
			star[sc.group()] = true
		}
	}
	out := make([]string, 0, len(parsed))
	for _, sc := range parsed {
		if isObjectKind(sc.Kind) && sc.Object != Wildcard && star[sc.group()] {
			continue
		}
		out = append(out, sc.String())
	}
	return nhi.SortedUnique(out), nil
}

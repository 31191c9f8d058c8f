package postgresql

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"unicode"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

func TestParseScopeValid(t *testing.T) {
	for _, tc := range []struct {
		in        string
		want      Scope
		canonical string
	}{
		{"role:app_readers", Scope{Kind: ScopeRole, Object: "app_readers"}, ""},
		{"role:pg_read_all_data", Scope{Kind: ScopeRole, Object: "pg_read_all_data"}, ""},
		{"role:Team.Ops@eu", Scope{Kind: ScopeRole, Object: "Team.Ops@eu"}, ""}, // no separators in role:
		{"attribute:CREATEDB", Scope{Kind: ScopeAttribute, Privilege: "CREATEDB"}, ""},
		{"attribute:bypassrls", Scope{Kind: ScopeAttribute, Privilege: "BYPASSRLS"}, "attribute:BYPASSRLS"},
		{"attribute:SUPERUSER", Scope{Kind: ScopeAttribute, Privilege: "SUPERUSER"}, ""},
		{"attribute:CreateRole", Scope{Kind: ScopeAttribute, Privilege: "CREATEROLE"}, "attribute:CREATEROLE"},
		{"attribute:REPLICATION", Scope{Kind: ScopeAttribute, Privilege: "REPLICATION"}, ""},
		{"database:CONNECT@app", Scope{Kind: ScopeDatabase, Privilege: "CONNECT", Database: "app"}, ""},
		{"database:create@app", Scope{Kind: ScopeDatabase, Privilege: "CREATE", Database: "app"}, "database:CREATE@app"},
		{"database:TEMP@app", Scope{Kind: ScopeDatabase, Privilege: "TEMPORARY", Database: "app"}, "database:TEMPORARY@app"},
		{"database:temporary@app", Scope{Kind: ScopeDatabase, Privilege: "TEMPORARY", Database: "app"}, "database:TEMPORARY@app"},
		{"database:CONNECT@my.db", Scope{Kind: ScopeDatabase, Privilege: "CONNECT", Database: "my.db"}, ""}, // "." is no separator here
		{"schema:USAGE@app.public", Scope{Kind: ScopeSchema, Privilege: "USAGE", Database: "app", Schema: "public"}, ""},
		{"schema:create@Analytics.Raw Data", Scope{Kind: ScopeSchema, Privilege: "CREATE", Database: "Analytics", Schema: "Raw Data"}, "schema:CREATE@Analytics.Raw Data"},
		{"table:SELECT@app.public.orders", Scope{Kind: ScopeTable, Privilege: "SELECT", Database: "app", Schema: "public", Object: "orders"}, ""},
		{"table:select@app.public.*", Scope{Kind: ScopeTable, Privilege: "SELECT", Database: "app", Schema: "public", Object: "*"}, "table:SELECT@app.public.*"},
		{"table:INSERT@app.public.Orders", Scope{Kind: ScopeTable, Privilege: "INSERT", Database: "app", Schema: "public", Object: "Orders"}, ""},
		{"table:UPDATE@app.s.t", Scope{Kind: ScopeTable, Privilege: "UPDATE", Database: "app", Schema: "s", Object: "t"}, ""},
		{"table:DELETE@app.s.t", Scope{Kind: ScopeTable, Privilege: "DELETE", Database: "app", Schema: "s", Object: "t"}, ""},
		{"table:TRUNCATE@app.s.t", Scope{Kind: ScopeTable, Privilege: "TRUNCATE", Database: "app", Schema: "s", Object: "t"}, ""},
		{"table:REFERENCES@app.s.t", Scope{Kind: ScopeTable, Privilege: "REFERENCES", Database: "app", Schema: "s", Object: "t"}, ""},
		{"table:trigger@app.s.t", Scope{Kind: ScopeTable, Privilege: "TRIGGER", Database: "app", Schema: "s", Object: "t"}, "table:TRIGGER@app.s.t"},
		{"table:SELECT@app.s.t\"q", Scope{Kind: ScopeTable, Privilege: "SELECT", Database: "app", Schema: "s", Object: "t\"q"}, ""},
		{"sequence:USAGE@app.public.orders_id_seq", Scope{Kind: ScopeSequence, Privilege: "USAGE", Database: "app", Schema: "public", Object: "orders_id_seq"}, ""},
		{"sequence:select@app.public.*", Scope{Kind: ScopeSequence, Privilege: "SELECT", Database: "app", Schema: "public", Object: "*"}, "sequence:SELECT@app.public.*"},
		{"sequence:UPDATE@app.public.s", Scope{Kind: ScopeSequence, Privilege: "UPDATE", Database: "app", Schema: "public", Object: "s"}, ""},
		{"function:EXECUTE@app.public.refresh", Scope{Kind: ScopeFunction, Privilege: "EXECUTE", Database: "app", Schema: "public", Object: "refresh"}, ""},
		{"function:execute@app.public.*", Scope{Kind: ScopeFunction, Privilege: "EXECUTE", Database: "app", Schema: "public", Object: "*"}, "function:EXECUTE@app.public.*"},
		{"table:SELECT@" + strings.Repeat("d", 63) + ".s.t", Scope{Kind: ScopeTable, Privilege: "SELECT", Database: strings.Repeat("d", 63), Schema: "s", Object: "t"}, ""},
	} {
		got, err := ParseScope(tc.in)
		if err != nil {
			t.Errorf("ParseScope(%q): %v", tc.in, err)
			continue
		}
		if got != tc.want {
			t.Errorf("ParseScope(%q) = %+v, want %+v", tc.in, got, tc.want)
		}
		canonical := tc.canonical
		if canonical == "" {
			canonical = tc.in
		}
		if got.String() != canonical {
			t.Errorf("ParseScope(%q).String() = %q, want %q", tc.in, got.String(), canonical)
		}
		again, err := ParseScope(got.String())
		if err != nil || again != got {
			t.Errorf("canonical %q does not parse back to the same scope: %+v, %v", got.String(), again, err)
		}
	}
}

func TestParseScopeErrors(t *testing.T) {
	long := strings.Repeat("x", 64)
	for _, tc := range []struct {
		in   string
		want []string // substrings of the message
	}{
		{"", []string{"empty string is not a scope", "expected role:<group role>"}},
		{" role:a", []string{`" role:a"`, "leading or trailing whitespace"}},
		{"role:a ", []string{"leading or trailing whitespace"}},
		{"role:a\x00b", []string{"NUL"}},
		{"app_readers", []string{`"app_readers" is not a scope`, `no kind before ":"`, "expected role:<group role>"}},
		{"grant:SELECT@app", []string{`unknown kind "grant"`, "use one of role, attribute, database, schema, table, sequence, function"}},
		{"TABLE:SELECT@app.public.t", []string{`unknown kind "TABLE"`, `kinds are lower-case: "table"`}},
		{"role:", []string{"empty group role name", "expected role:<group role>"}},
		{"role:*", []string{`uses "*" as the group role name`}},
		{"role:" + long, []string{"longer than PostgreSQL's 63-byte limit"}},
		{"attribute:", []string{"has no role attribute", "use one of SUPERUSER, CREATEDB, CREATEROLE, REPLICATION, BYPASSRLS"}},
		{"attribute:CREATEUSER", []string{`unknown role attribute "CREATEUSER"`, "use one of SUPERUSER, CREATEDB"}},
		{"attribute:LOGIN", []string{`unknown role attribute "LOGIN"`, "LOGIN is not a scope"}},
		{"attribute:NOCREATEDB", []string{"to withhold an attribute, leave it out"}},
		{"attribute:CREATEDB@app", []string{`takes no "@"`, "expected attribute:<ATTR>"}},
		{"database:CONNECT", []string{`no "@" after the privilege`, "expected database:<PRIV>@<db>"}},
		{"database:@app", []string{"has no database privilege", "use one of CONNECT, CREATE, TEMPORARY"}},
		{"database:USAGE@app", []string{`unknown database privilege "USAGE"`, "use one of CONNECT, CREATE, TEMPORARY"}},
		{"database:ALL@app", []string{"ALL is not accepted"}},
		{"database:CONNECT@", []string{"empty database name", "expected database:<PRIV>@<db>"}},
		{"database:CONNECT@*", []string{`uses "*" as the database name`}},
		{"database:CONNECT@a@b", []string{`names database "a@b", which contains "@"`}},
		{"database:OWNER@app", []string{"cannot be declared", "database:CONNECT@app", "ALTER DATABASE ... OWNER TO"}},
		{"database:owner@app", []string{"cannot be declared"}},
		{"schema:USAGE@app", []string{"names 1 dot-separated part(s)", "expected 2", "expected schema:<PRIV>@<db>.<schema>", `a name that contains "." cannot be written`}},
		{"schema:USAGE@app.a.b", []string{"names 3 dot-separated part(s)", "expected 2"}},
		{"schema:SELECT@app.public", []string{`unknown schema privilege "SELECT"`, "use one of USAGE, CREATE"}},
		{"schema:USAGE@app.", []string{"empty schema name"}},
		{"schema:USAGE@.public", []string{"empty database name"}},
		{"schema:USAGE@app.*", []string{`uses "*" as the schema name`, `only accepted for the object of table:, sequence: and function:`}},
		{"table:SELEKT@app.public.t", []string{`"table:SELEKT@app.public.t"`, `unknown table privilege "SELEKT"`, "use one of SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER"}},
		{"table:USAGE@app.public.t", []string{`unknown table privilege "USAGE"`}},
		{"table:SELECT@app.public", []string{"names 2 dot-separated part(s)", "expected 3", "expected table:<PRIV>@<db>.<schema>.<table or *>"}},
		{"table:SELECT@app.public.my.table", []string{"names 4 dot-separated part(s)", `a name that contains "." cannot be written`}},
		{"table:SELECT@app.public.", []string{"empty table name"}},
		{"table:SELECT@app.*.t", []string{`uses "*" as the schema name`}},
		{"table:SELECT@*.public.t", []string{`uses "*" as the database name`}},
		{"table:SELECT@app.public." + long, []string{`names table "` + long + `", which is longer than PostgreSQL's 63-byte limit`}},
		{"table:SELECT", []string{`no "@" after the privilege`, "expected table:<PRIV>@<db>.<schema>.<table or *>"}},
		{"sequence:INSERT@app.public.s", []string{`unknown sequence privilege "INSERT"`, "use one of USAGE, SELECT, UPDATE"}},
		{"sequence:USAGE@app.public", []string{"expected sequence:<PRIV>@<db>.<schema>.<sequence or *>"}},
		{"function:SELECT@app.public.f", []string{`unknown function privilege "SELECT"`, "use one of EXECUTE"}},
		{"function:EXECUTE@app.public.f(integer)", nil}, // parses: "(" is a legal name character
		{"function:EXECUTE@app.public", []string{"expected function:EXECUTE@<db>.<schema>.<function or *>"}},
	} {
		_, err := ParseScope(tc.in)
		if tc.want == nil {
			if err != nil {
				t.Errorf("ParseScope(%q): %v", tc.in, err)
			}
			continue
		}
		if err == nil {
			t.Errorf("ParseScope(%q) succeeded, want an error with %q", tc.in, tc.want)
			continue
		}
		msg := err.Error()
		for _, w := range tc.want {
			if !strings.Contains(msg, w) {
				t.Errorf("ParseScope(%q) = %q, want it to contain %q", tc.in, msg, w)
			}
		}
		if r := []rune(msg)[0]; unicode.IsUpper(r) {
			t.Errorf("ParseScope(%q) = %q: the message must start lower-case (callers prefix it)", tc.in, msg)
		}
		if tc.in != "" && !strings.Contains(msg, strings.TrimSpace(strings.ReplaceAll(tc.in, "\x00", ""))[:1]) {
			t.Errorf("ParseScope(%q) = %q does not quote the scope", tc.in, msg)
		}
	}
}

func TestParseScopeErrorQuotesTheScope(t *testing.T) {
	for _, in := range []string{"table:SELEKT@app.public.t", "database:CONNECT", "schema:USAGE@app", "attribute:FOO", "nope", "role:", "database:OWNER@app"} {
		_, err := ParseScope(in)
		if err == nil || !strings.Contains(err.Error(), `"`+in+`"`) {
			t.Errorf("ParseScope(%q) = %v, want the scope quoted", in, err)
		}
	}
}

func TestScopeGrammarNamesEveryKind(t *testing.T) {
	for _, k := range scopeKinds {
		if !strings.Contains(ScopeGrammar, k+":") {
			t.Errorf("ScopeGrammar does not describe %s:", k)
		}
	}
	if strings.Contains(ScopeGrammar, "\n") {
		t.Error("ScopeGrammar must be one line")
	}
}

func TestCanonicalScopes(t *testing.T) {
	got, err := CanonicalScopes([]string{
		"table:select@app.public.orders",
		"database:TEMP@app",
		"role:readers",
		"table:SELECT@app.public.orders", // duplicate once canonical
		"attribute:createdb",
		"table:SELECT@app.public.*", // covers orders
		"table:INSERT@app.public.orders",
		"table:SELECT@app.other.orders", // another schema: kept
		"sequence:USAGE@app.public.*",
		"sequence:USAGE@app.public.s", // covered
		"sequence:SELECT@app.public.s",
		"function:EXECUTE@app.public.f",
		"function:EXECUTE@analytics.public.*",
		"database:TEMPORARY@app",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"attribute:CREATEDB",
		"database:TEMPORARY@app",
		"function:EXECUTE@analytics.public.*",
		"function:EXECUTE@app.public.f",
		"role:readers",
		"sequence:SELECT@app.public.s",
		"sequence:USAGE@app.public.*",
		"table:INSERT@app.public.orders",
		"table:SELECT@app.other.orders",
		"table:SELECT@app.public.*",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("CanonicalScopes =\n%q\nwant\n%q", got, want)
	}
	if _, err := CanonicalScopes([]string{"role:a", "table:SELEKT@app.public.t"}); err == nil || !strings.Contains(err.Error(), "SELEKT") {
		t.Fatalf("a bad scope must fail CanonicalScopes with its message, got %v", err)
	}
	if got, err := CanonicalScopes(nil); err != nil || len(got) != 0 {
		t.Fatalf("CanonicalScopes(nil) = %v, %v", got, err)
	}
}

// stateFixture is a catalog of database app: schema public with tables a
// and b, sequence s, function f with two overloads; schema empty with
// nothing; and role r (oid 100).
func stateFixture() (*grantState, *grantRole) {
	st := newGrantState()
	st.dbs = []string{"app"}
	st.schemas[[2]string{"app", "public"}] = true
	st.schemas[[2]string{"app", "empty"}] = true
	st.addObject(ScopeTable, "app", "public", "a", nil)
	st.addObject(ScopeTable, "app", "public", "b", nil)
	st.addObject(ScopeSequence, "app", "public", "s", nil)
	st.addObject(ScopeFunction, "app", "public", "f", &grantRoutine{oid: 1, args: "integer"})
	st.addObject(ScopeFunction, "app", "public", "f", &grantRoutine{oid: 2, args: "text"})
	r := &grantRole{oid: 100, name: "r", privs: map[Scope][]grantEntry{}}
	st.roles[100], st.byName["r"] = r, r
	return st, r
}

func tbl(priv, obj string) Scope {
	return Scope{Kind: ScopeTable, Privilege: priv, Database: "app", Schema: "public", Object: obj}
}

func TestRenderStarRule(t *testing.T) {
	st, r := stateFixture()
	r.privs[tbl("SELECT", "a")] = []grantEntry{{}}
	r.privs[tbl("SELECT", "b")] = []grantEntry{{}}
	r.privs[tbl("INSERT", "a")] = []grantEntry{{}}

	check := func(name string, declared, want []string) {
		t.Helper()
		if got := st.renderScopes(r, declared); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: renderScopes(%q) =\n%q\nwant\n%q", name, declared, got, want)
		}
	}
	// Undeclared: by name, never "*" (which widens to tables made later).
	check("undeclared", nil, []string{"table:INSERT@app.public.a", "table:SELECT@app.public.a", "table:SELECT@app.public.b"})
	// Declared "*": reads back as "*".
	check("declared *", []string{"table:SELECT@app.public.*", "table:INSERT@app.public.a"},
		[]string{"table:INSERT@app.public.a", "table:SELECT@app.public.*"})
	// Declared as the full list: reads back as that list.
	check("declared list", []string{"table:SELECT@app.public.a", "table:SELECT@app.public.b"},
		[]string{"table:INSERT@app.public.a", "table:SELECT@app.public.a", "table:SELECT@app.public.b"})
	// Declared "*" for INSERT but only a is held: nothing reported for the
	// group, so "*" shows as missing and a is not an extra.
	got := st.renderScopes(r, []string{"table:INSERT@app.public.*", "table:SELECT@app.public.*"})
	if extra, missing := nhi.ScopeDiff([]string{"table:INSERT@app.public.*", "table:SELECT@app.public.*"}, got); len(extra) != 0 || !reflect.DeepEqual(missing, []string{"table:INSERT@app.public.*"}) {
		t.Errorf("declared * partly held: got %q (extra %q, missing %q), want only table:INSERT@app.public.* missing", got, extra, missing)
	}
	// Declared "*" on an empty schema holds (vacuously); undeclared it is
	// never reported.
	check("empty schema declared", []string{"table:SELECT@app.empty.*", "table:SELECT@app.public.*", "table:INSERT@app.public.a"},
		[]string{"table:INSERT@app.public.a", "table:SELECT@app.empty.*", "table:SELECT@app.public.*"})
	// ... but not on a schema that does not exist.
	check("missing schema declared", []string{"table:SELECT@app.gone.*", "table:SELECT@app.public.*", "table:INSERT@app.public.a"},
		[]string{"table:INSERT@app.public.a", "table:SELECT@app.public.*"})
	// Declared by name, a partly held list stays named.
	check("declared list, one held", []string{"table:INSERT@app.public.a", "table:INSERT@app.public.b"},
		[]string{"table:INSERT@app.public.a", "table:SELECT@app.public.a", "table:SELECT@app.public.b"})
}

func TestRenderFunctionsOverloads(t *testing.T) {
	st, r := stateFixture()
	fn := Scope{Kind: ScopeFunction, Privilege: "EXECUTE", Database: "app", Schema: "public", Object: "f"}
	r.privs[fn] = []grantEntry{{overload: 1}}
	if got, want := st.renderScopes(r, []string{"function:EXECUTE@app.public.f"}), []string{"function:EXECUTE@app.public.f(integer)"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("one overload of two: %q, want %q", got, want)
	}
	r.privs[fn] = []grantEntry{{overload: 1}, {overload: 2}}
	if got, want := st.renderScopes(r, []string{"function:EXECUTE@app.public.f"}), []string{"function:EXECUTE@app.public.f"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("every overload: %q, want %q", got, want)
	}
	if got, want := st.renderScopes(r, nil), []string{"function:EXECUTE@app.public.f"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("every routine of the schema, undeclared: %q, want %q", got, want)
	}
}

func TestRenderRoleLevel(t *testing.T) {
	st, r := stateFixture()
	r.attrs = []string{"CREATEDB"}
	r.groups = []string{"readers", "pg_read_all_data"}
	r.owns = []string{"app"}
	r.privs[Scope{Kind: ScopeDatabase, Privilege: "CONNECT", Database: "app"}] = []grantEntry{{}}
	r.privs[Scope{Kind: ScopeSchema, Privilege: "USAGE", Database: "app", Schema: "public"}] = []grantEntry{{}}
	want := []string{"attribute:CREATEDB", "database:CONNECT@app", "database:OWNER@app", "role:pg_read_all_data", "role:readers", "schema:USAGE@app.public"}
	if got := st.renderScopes(r, nil); !reflect.DeepEqual(got, want) {
		t.Fatalf("renderScopes = %q, want %q", got, want)
	}
}

func mustScopes(t *testing.T, in ...string) []Scope {
	t.Helper()
	c, err := CanonicalScopes(in)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]Scope, len(c))
	for i, s := range c {
		out[i], _ = ParseScope(s)
	}
	return out
}

func sqlOf(stmts []grantStmt) []string {
	var out []string
	for _, s := range stmts {
		line := s.db + ": " + s.sql
		if s.asRo != "" {
			line += " [as " + s.asRo + "]"
		}
		out = append(out, line)
	}
	return out
}

func TestPlanStatements(t *testing.T) {
	st, r := stateFixture()
	r.name = `we"ird`
	r.attrs = []string{"SUPERUSER"}
	r.groups = []string{"old"}
	r.privs[Scope{Kind: ScopeDatabase, Privilege: "CREATE", Database: "app"}] = []grantEntry{{}}
	r.privs[Scope{Kind: ScopeSchema, Privilege: "CREATE", Database: "app", Schema: "public"}] = []grantEntry{{grantor: "delegate"}}
	r.privs[tbl("SELECT", "a")] = []grantEntry{{}}
	r.privs[tbl("DELETE", "a")] = []grantEntry{{}, {grantor: "delegate"}}
	r.privs[Scope{Kind: ScopeFunction, Privilege: "EXECUTE", Database: "app", Schema: "public", Object: "f"}] = []grantEntry{{overload: 2}}
	stmts, err := st.plan(r, mustScopes(t,
		"attribute:CREATEDB", "role:new", "database:CONNECT@app", "schema:USAGE@app.public",
		"table:SELECT@app.public.*", "sequence:USAGE@app.public.s", "function:EXECUTE@app.public.f"))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`: ALTER ROLE "we""ird" WITH NOSUPERUSER CREATEDB`,
		`: REVOKE "old" FROM "we""ird"`,
		`: GRANT "new" TO "we""ird"`,
		`: REVOKE CREATE ON DATABASE "app" FROM "we""ird"`,
		`app: REVOKE CREATE ON SCHEMA "public" FROM "we""ird" [as delegate]`,
		`: GRANT CONNECT ON DATABASE "app" TO "we""ird"`,
		`app: GRANT USAGE ON SCHEMA "public" TO "we""ird"`,
		`app: GRANT EXECUTE ON ROUTINE "public"."f"(integer) TO "we""ird"`,
		`app: GRANT USAGE ON SEQUENCE "public"."s" TO "we""ird"`,
		`app: REVOKE DELETE ON TABLE "public"."a" FROM "we""ird"`,
		`app: REVOKE DELETE ON TABLE "public"."a" FROM "we""ird" [as delegate]`,
		`app: GRANT SELECT ON ALL TABLES IN SCHEMA "public" TO "we""ird"`,
	}
	if got := sqlOf(stmts); !reflect.DeepEqual(got, want) {
		t.Fatalf("plan =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// Converged: nothing to do.
	st, r = stateFixture()
	r.privs[tbl("SELECT", "a")] = []grantEntry{{}}
	r.privs[tbl("SELECT", "b")] = []grantEntry{{}}
	for _, decl := range [][]string{{"table:SELECT@app.public.*"}, {"table:SELECT@app.public.a", "table:SELECT@app.public.b"}} {
		if stmts, err := st.plan(r, mustScopes(t, decl...)); err != nil || len(stmts) != 0 {
			t.Fatalf("converged %q: plan = %q, %v; want nothing", decl, sqlOf(stmts), err)
		}
	}
	// "*" to one table: revoke the other.
	stmts, err = st.plan(r, mustScopes(t, "table:SELECT@app.public.a"))
	if err != nil || !reflect.DeepEqual(sqlOf(stmts), []string{`app: REVOKE SELECT ON TABLE "public"."b" FROM "r"`}) {
		t.Fatalf("narrowing: %q, %v", sqlOf(stmts), err)
	}
	// Nothing: revoke everything.
	stmts, err = st.plan(r, nil)
	if err != nil || !reflect.DeepEqual(sqlOf(stmts), []string{`app: REVOKE SELECT ON TABLE "public"."a", "public"."b" FROM "r"`}) {
		t.Fatalf("revoke all: %q, %v", sqlOf(stmts), err)
	}
	// A declared object that does not exist refuses the whole plan.
	if _, err := st.plan(r, mustScopes(t, "table:SELECT@app.public.nope", "schema:USAGE@app.gone")); err == nil || !errors.Is(err, nhi.ErrNotFound) ||
		!strings.Contains(err.Error(), "table:SELECT@app.public.nope") || !strings.Contains(err.Error(), "schema:USAGE@app.gone") {
		t.Fatalf("missing objects: %v", err)
	}
}

package postgresql

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
)

// A reading of one role reads only the databases, and in them only the
// relations and routines of the schemas, where pg_shdepend says it holds
// grants or its scopes name: it reads exactly what a reading of every role
// says of it. The cases the narrowing could miss: a grant in a schema, and
// a database, that no scope names; a grant held only as grantor; "*"
// declared on an empty schema of a database where the role holds nothing
// (reported as held: every one of no tables); a function held on one
// overload of two, in a schema named by nothing else.
func TestIntegrationOneRoleReadFiltered(t *testing.T) {
	c, a, ctx := gtClient(t), gtSuper(t), gtCtx(t)
	sApp := a.schema("app", gtObjects...)
	sOther := a.schema("app", gtObjects...)
	sAn := a.schema("analytics", gtObjects...)
	sEmpty := a.schema("analytics")
	r := a.role("h11_filter", "LOGIN")
	other := a.role("h11_filter_other", "LOGIN")
	decl := []string{"table:SELECT@analytics." + sEmpty + ".*", "function:EXECUTE@app." + sApp + ".f", "database:CONNECT@app"}
	if err := c.reconcileGrants(ctx, r, decl); err != nil {
		t.Fatal(err)
	}
	a.exec("app", "GRANT SELECT ON "+grantIdent(sOther, "t1")+" TO "+grantIdent(r)+" WITH GRANT OPTION", "GRANT USAGE ON SCHEMA "+grantIdent(sOther)+" TO "+grantIdent(r))
	// r grants to another role: an ACL entry with r as grantor only.
	a.exec("app", "SET ROLE "+grantIdent(r), "GRANT SELECT ON "+grantIdent(sOther, "t1")+" TO "+grantIdent(other), "RESET ROLE")
	t.Cleanup(func() {
		a.exec("app", "SET ROLE "+grantIdent(r), "REVOKE SELECT ON "+grantIdent(sOther, "t1")+" FROM "+grantIdent(other), "RESET ROLE")
	})
	a.exec("analytics", "GRANT USAGE ON SCHEMA "+grantIdent(sAn)+" TO "+grantIdent(r))
	a.exec("analytics", "GRANT EXECUTE ON FUNCTION "+grantIdent(sAn, "f")+"(integer) TO "+grantIdent(r))

	want := []string{
		"database:CONNECT@app",
		"function:EXECUTE@analytics." + sAn + ".f(integer)",
		"function:EXECUTE@app." + sApp + ".f",
		"schema:USAGE@analytics." + sAn,
		"schema:USAGE@app." + sOther,
		"table:SELECT@analytics." + sEmpty + ".*",
		"table:SELECT@app." + sOther + ".t1",
	}
	one, err := c.readGrantsFor(ctx, r, decl)
	if err != nil {
		t.Fatal(err)
	}
	gtSame(t, "one role, against its declaration", one, want)
	allFor, err := c.readAllGrantsFor(ctx, map[string][]string{r: decl})
	if err != nil {
		t.Fatal(err)
	}
	gtSame(t, "every role, against its declaration", allFor[r], one)
	for _, name := range []string{r, other} {
		one, err := c.readGrants(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		all, err := c.readAllGrants(ctx)
		if err != nil {
			t.Fatal(err)
		}
		gtSame(t, "undeclared "+name, one, all[name])
	}

	// A role whose grants are all on the server reads no database.
	st, err := c.readState(ctx, other, nil)
	if err != nil {
		t.Fatal(err)
	}
	gtSame(t, "databases read for "+other, st.read, []string{"app"})
	st, err = c.readState(ctx, a.role("h11_filter_none", "LOGIN"), nil)
	if err != nil {
		t.Fatal(err)
	}
	gtSame(t, "databases read for a role holding nothing", st.read, nil)
}

// A Create plans its grants without reading the role (it holds nothing),
// "*" included, as GRANT ... ON ALL; naming a function, whose overloads are
// granted one by one, it reads the catalog first. Either way the role reads
// back exactly as declared.
func TestIntegrationCreatePlansFromEmpty(t *testing.T) {
	c, a, ctx := gtClient(t), gtSuper(t), gtCtx(t)
	s := a.schema("app", gtObjects...)
	group := a.role("h11_group", "NOLOGIN")
	for i, scopes := range [][]string{
		{"role:" + group, "attribute:CREATEDB", "database:CONNECT@app", "schema:USAGE@app." + s, "table:SELECT@app." + s + ".*", "sequence:USAGE@app." + s + ".q", "table:INSERT@app." + s + ".t1"},
		{"function:EXECUTE@app." + s + ".f", "function:EXECUTE@app." + s + ".*", "database:TEMPORARY@analytics"},
	} {
		name := fmt.Sprintf("h11_fresh%d_%s", i, gtRand())
		t.Cleanup(func() { _ = c.deleteRole(context.Background(), name) })
		d, err := c.Roles().Create(ctx, RoleSpec{Spec: nhi.Spec{Ref: RoleRef(name), Governance: nhi.Governance{
			Owner: "o", Purpose: "p", Scopes: scopes, ExpiresAt: time.Now().Add(time.Hour).Truncate(time.Second).UTC(), OnExpiry: nhi.OnExpiryDisable,
		}}})
		if err != nil {
			t.Fatal(err)
		}
		gtSame(t, name+" as created", d.EffectiveScopes, gtCanon(t, scopes))
		got, err := c.readGrantsFor(ctx, name, scopes)
		if err != nil {
			t.Fatal(err)
		}
		gtSame(t, name+" read again", got, gtCanon(t, scopes))
	}
}

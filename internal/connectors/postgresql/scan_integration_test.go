package postgresql_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	pg "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/postgresql"
	"github.com/nhi-ops/terraform-provider-nhi/internal/nhi"
	"github.com/nhi-ops/terraform-provider-nhi/internal/system"
)

func byName(ids []nhi.Identity) map[string]nhi.Identity {
	m := map[string]nhi.Identity{}
	for _, id := range ids {
		m[id.Ref.Name] = id
	}
	return m
}

func TestIntegrationScan(t *testing.T) {
	c := client(t)
	ctx := ctx(t)
	// Someone's login role, made by hand, used by two applications.
	undeclared := roleName(t, "nhi_t_scan_u")
	acctest.PostgresExec(t, "", "CREATE ROLE "+undeclared+" LOGIN PASSWORD 'hand-made-pw' IN ROLE pg_read_all_data")
	acctest.PostgresExec(t, "app", "GRANT CONNECT, TEMPORARY ON DATABASE app TO "+undeclared)
	login(t, undeclared, "hand-made-pw", "billing-worker")
	login(t, undeclared, "hand-made-pw", "billing-worker")
	login(t, undeclared, "hand-made-pw", "psql")
	// A group role: not an identity.
	group := roleName(t, "nhi_t_scan_g")
	acctest.PostgresExec(t, "", "CREATE ROLE "+group+" NOLOGIN")
	// A declared role, disabled: NOLOGIN, still an identity.
	declared := roleName(t, "nhi_t_scan_d")
	s := spec(declared, "database:CONNECT@app")
	if _, err := c.Roles().Create(ctx, s); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Roles().Disable(ctx, s, s.Governance.ExpiresAt); err != nil {
		t.Fatal(err)
	}
	// A role without a password (certificate or peer authentication).
	nopw := roleName(t, "nhi_t_scan_n")
	acctest.PostgresExec(t, "", "CREATE ROLE "+nopw+" LOGIN VALID UNTIL '2020-01-01'")

	ids, err := c.Scan(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := byName(ids)
	if _, ok := got[group]; ok {
		t.Error("a group role was listed")
	}
	for name := range got {
		if strings.HasPrefix(name, "pg_") {
			t.Errorf("predefined role %s was listed", name)
		}
	}

	u, ok := got[undeclared]
	if !ok {
		t.Fatalf("undeclared login role %s not found", undeclared)
	}
	if u.Declared || u.System != pg.SystemName || u.Kind != pg.KindRole || u.Ref != pg.RoleRef(undeclared) {
		t.Fatalf("undeclared: %+v", u)
	}
	if want := []string{"database:CONNECT@app", "database:TEMPORARY@app", "role:pg_read_all_data"}; !slices.Equal(u.EffectiveScopes, want) {
		t.Fatalf("effective scopes %v, want %v", u.EffectiveScopes, want)
	}
	if want := []string{"application billing-worker from 127.0.0.1", "application psql from 127.0.0.1"}; !u.UsageKnown || !slices.Equal(u.UsedBy, want) {
		t.Fatalf("used by %v (known %v), want %v", u.UsedBy, u.UsageKnown, want)
	}
	if len(u.Credentials) != 1 || u.Credentials[0].Declared || u.Credentials[0].ExpiresAt != nil || u.Credentials[0].Inactive {
		t.Fatalf("credentials %+v", u.Credentials)
	}

	d, ok := got[declared]
	if !ok || !d.Declared || !d.Disabled || len(d.EffectiveScopes) != 0 || d.UsageKnown || d.Governance.Owner != "team:payments" {
		t.Fatalf("disabled declared role: found %v %+v", ok, d)
	}
	if len(d.Credentials) != 0 {
		t.Fatalf("a role created without a password has credentials %+v", d.Credentials)
	}
	n, ok := got[nopw]
	if !ok || len(n.Credentials) != 0 {
		t.Fatalf("role without a password: found %v, credentials %+v", ok, n.Credentials)
	}

	// Exclusions: the bootstrap superuser is listed, and excluded by
	// default; the predefined-role exclusion matches pg_* names.
	reg := system.NewRegistry(pg.Descriptor())
	boot := acctest.PostgresValue(t, "", "SELECT rolname FROM pg_roles WHERE oid = 10")
	if b, ok := got[boot]; !ok || b.ID != pg.BootstrapSuperuserOID || reg.Exclusion(b) != pg.ReasonBootstrapSuperuser {
		t.Fatalf("bootstrap superuser %s: found %v, exclusion %q", boot, ok, reg.Exclusion(b))
	}
	if r := reg.Exclusion(nhi.Identity{System: pg.SystemName, Kind: pg.KindRole, ID: "4200", Ref: pg.RoleRef("pg_monitor")}); r != pg.ReasonPredefinedRole {
		t.Fatalf("pg_monitor exclusion %q", r)
	}
	if r := reg.Exclusion(u); r != "" {
		t.Fatalf("an ordinary undeclared role is excluded: %q", r)
	}
}

// A scan's statements do not grow with the number of roles: counted in
// pg_stat_statements for a scanning role of the test's own, a scan of 3
// more roles runs exactly as many statements as the scan before.
func TestIntegrationScanQueriesConstant(t *testing.T) {
	ctx := ctx(t)
	c, scanner := ownClient(t, "nhi_t_scanner")
	count := func() int { return statements(t, scanner) }
	scan := func() int {
		before := count()
		if _, err := c.Scan(ctx, nil); err != nil {
			t.Fatal(err)
		}
		return count() - before
	}
	scan() // warm up: pools, the pg_authid check
	first := scan()
	prefix := acctest.PostgresRandName("nhi_t_many")
	for i := 0; i < 3; i++ {
		name := acctest.PostgresRole(t, fmt.Sprintf("%s_%d", prefix, i))
		acctest.PostgresExec(t, "", "CREATE ROLE "+name+" LOGIN")
		acctest.PostgresExec(t, "app", "GRANT CONNECT ON DATABASE app TO "+name)
	}
	if second := scan(); first == 0 || second != first {
		t.Fatalf("a scan ran %d statements, and %d with 3 more roles; want the same, non-zero", first, second)
	}
}

func TestIntegrationListPages(t *testing.T) {
	c := client(t)
	ctx := ctx(t)
	prefix := acctest.PostgresRandName("nhi_t_page")
	var names []string
	for _, n := range []string{"a", "b", "c"} {
		name := acctest.PostgresRole(t, prefix+"_"+n)
		acctest.PostgresExec(t, "", "CREATE ROLE "+name+" LOGIN")
		names = append(names, name)
	}
	// Page by page: every role once, in name order.
	var all []string
	opts := nhi.ListOptions{PageSize: 2}
	pages := 0
	for {
		page, err := c.List(ctx, opts)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page.Identities) > 2 {
			t.Fatalf("page of %d, want at most 2", len(page.Identities))
		}
		for _, id := range page.Identities {
			all = append(all, id.Ref.Name)
		}
		if page.NextPageToken == "" {
			break
		}
		opts.PageToken = page.NextPageToken
	}
	if pages < 2 || !slices.IsSorted(all) {
		t.Fatalf("%d pages, names %v", pages, all)
	}
	for _, n := range names {
		if !slices.Contains(all, n) {
			t.Fatalf("%s missing from the listing", n)
		}
	}
	// Left to the connector: one page.
	if page, err := c.List(ctx, nhi.ListOptions{}); err != nil || page.NextPageToken != "" || byName(page.Identities)[names[2]].Ref.Name != names[2] {
		t.Fatalf("default listing: next %q, err %v", page.NextPageToken, err)
	}
	// Filters.
	f := false
	undeclared, err := nhi.ListAll(ctx, c, nhi.ListOptions{Declared: &f})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(names, byName(undeclared)[names[0]].Ref.Name) {
		t.Fatal("the undeclared filter dropped an undeclared role")
	}
	if page, err := c.List(ctx, nhi.ListOptions{Locations: []string{"namespace-x"}}); err != nil || len(page.Identities) != 0 {
		t.Fatalf("another location: %v %v", page, err)
	}
	if _, err := c.Get(ctx, nhi.Ref{Location: "role", Name: prefix + "_missing"}); !pg.IsNotFound(err) {
		t.Fatalf("get of a missing role: %v", err)
	}
}

func TestIntegrationGetGroupRoleIsNoIdentity(t *testing.T) {
	c := client(t)
	group := roleName(t, "nhi_t_group")
	acctest.PostgresExec(t, "", "CREATE ROLE "+group+" NOLOGIN")
	if _, err := c.Get(ctx(t), pg.RoleRef(group)); !pg.IsNotFound(err) || !strings.Contains(err.Error(), "group role") {
		t.Fatalf("get of a group role: %v", err)
	}
}

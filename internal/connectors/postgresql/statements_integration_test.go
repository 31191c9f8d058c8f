package postgresql_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/nhi-ops/terraform-provider-nhi/internal/acctest"
	pg "github.com/nhi-ops/terraform-provider-nhi/internal/connectors/postgresql"
)

// One Create with two scopes in two databases costs its writes and a small,
// fixed number of reads, counted by pg_stat_statements for a connecting
// role of the test's own (a fresh client, as a Terraform command starts
// with), so the number cannot silently grow back (it was 57 reads: the
// scopes checked twice, the role's grants read three times).
//
// The reads this create needs, with D = 2 the databases its scopes name
// (schema scopes only):
//   - 1: may the provider's role read pg_authid (once per client);
//   - CheckScopes: 1 on the maintenance database (the databases named) and
//     1 in each of the D (the schemas named);
//   - the verifying read, which is the read-back: 4 on the maintenance
//     database in one round trip (the role's row, its memberships, the
//     database ACLs, what pg_shdepend says it holds grants on) and 1 in
//     each of the D (the schemas with their ACLs; no relation or routine
//     is held or named), none in the third database.
//
// So 6 + 2*D = 10 reads, the bound. Writes are bounded apart: the create's
// transaction (BEGIN, CREATE ROLE, COMMENT, COMMIT), the create token's
// removal (COMMENT: there are no cluster-wide grants to join it) and, per
// database, the advisory lock and the GRANT, in one query (an implicit
// transaction): 5 + 2*D = 9 (13 before: each database's BEGIN and COMMIT).
func TestIntegrationCreateStatementsBounded(t *testing.T) {
	ctx := ctx(t)
	counter := roleName(t, "nhi_t_counter")
	pw, _ := pg.GeneratePassword()
	acctest.PostgresExec(t, "", "CREATE ROLE "+counter+" SUPERUSER LOGIN PASSWORD '"+pw+"'")
	schema := acctest.PostgresRandName("s_count")
	for _, db := range []string{"app", "analytics"} {
		acctest.PostgresObject(t, db, "CREATE SCHEMA "+schema+"; CREATE TABLE "+schema+".t (id int)", "DROP SCHEMA IF EXISTS "+schema+" CASCADE")
	}
	conn := connection(t, "")
	conn.Username, conn.Password = counter, pw
	c := connect(t, conn)
	name := roleName(t, "nhi_t_counted")
	scopes := []string{"schema:USAGE@analytics." + schema, "schema:USAGE@app." + schema}

	before := statementsByQuery(t, counter)
	d, err := c.Roles().Create(ctx, spec(name, scopes...))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(d.EffectiveScopes, ",") != strings.Join(scopes, ",") {
		t.Fatalf("effective scopes %v, want %v", d.EffectiveScopes, scopes)
	}
	after := statementsByQuery(t, counter)
	write := regexp.MustCompile(`(?i)^\s*(BEGIN|COMMIT|CREATE ROLE|COMMENT ON ROLE|GRANT|REVOKE|ALTER ROLE|SELECT pg_catalog\.pg_advisory_xact_lock)`)
	var reads, writes int
	var list []string
	for q, n := range after {
		n -= before[q]
		if n <= 0 {
			continue
		}
		if write.MatchString(q) {
			writes += n
		} else {
			reads += n
		}
		list = append(list, fmt.Sprintf("%d  %.110s", n, strings.Join(strings.Fields(q), " ")))
	}
	const dbs = 2
	if maxReads, maxWrites := 6+2*dbs, 5+2*dbs; reads > maxReads || writes > maxWrites {
		t.Errorf("one Create with %d scopes in %d databases ran %d reads (at most %d) and %d writes (at most %d):\n%s",
			len(scopes), dbs, reads, maxReads, writes, maxWrites, strings.Join(list, "\n"))
	}
	t.Logf("%d reads, %d writes", reads, writes)
}

// statementsByQuery is pg_stat_statements' calls of role, by query text.
func statementsByQuery(t *testing.T, role string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, row := range acctest.PostgresQuery(t, "", "SELECT query, calls::text FROM pg_stat_statements WHERE userid = (SELECT oid FROM pg_roles WHERE rolname = $1)", role) {
		var n int
		if _, err := fmt.Sscan(row[1], &n); err != nil {
			t.Fatal(err)
		}
		out[row[0]] += n
	}
	return out
}

#!/usr/bin/env bash
# make bench-postgres: PostgreSQL at fleet scale, against a private server
# of its own (nhi-dev-cluster pg-up, stopped at exit), so that nobody else's
# statements are counted.
#
# For each N (NHI_BENCH_PG_SIZES, default "100 500") it applies N declared
# nhi_postgresql_role (half with database:CONNECT@app, half with that and
# schema:USAGE@app.public, an expiry, no password), then runs a plan with
# nothing to change, then Terraform's floor (N terraform_data with the same
# inputs, a no-change plan). Then, for each drift size (NHI_BENCH_PG_DRIFT,
# default "10000"), it seeds that many undeclared login roles with one SQL
# script and times `terraform-provider-nhi drift --format json` against a
# raw psql read of the same catalog rows.
#
# Statements are pg_stat_statements' calls for the provider's own role
# (nhi_bench, a superuser created for the benchmark; the harness's postgres
# role does the seeding and the counting), reset before each command. Peak
# RSS is the provider process's, from GNU time.
#
# Writes its own section of BENCHMARKS.md, between <!-- postgres --> and
# <!-- /postgres -->; the hand-written reading between <!-- postgres notes -->
# and <!-- /postgres --> is kept. The section sits after bench.sh's
# <!-- notes --> marker, which bench.sh keeps as it is, so each script's
# output survives the other.
#   NHI_BENCH_PG_SIZES="100 500" NHI_BENCH_PG_DRIFT="10000" scripts/bench-postgres.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
SIZES="${NHI_BENCH_PG_SIZES-100 500}"
DRIFT_SIZES="${NHI_BENCH_PG_DRIFT-10000}"

command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

go build -o bin/terraform-provider-nhi .
go build -o bin/nhi-dev-cluster ./internal/testenv/cmd/nhi-dev-cluster
PGBIN="$(scripts/postgres-install.sh)"
DIR="$root/.nhi-dev/bench-pg"
bin/nhi-dev-cluster pg-down -dir "$DIR/server" >/dev/null 2>&1 || true
rm -rf "$DIR" && mkdir -p "$DIR/plugin"
trap 'bin/nhi-dev-cluster pg-down -dir "$DIR/server"' EXIT
bin/nhi-dev-cluster pg-up -dir "$DIR/server" -bin "$PGBIN"

# The harness's superuser (postgres) seeds and counts; the provider connects
# as nhi_bench, so pg_stat_statements' rows for nhi_bench are the provider's.
# shellcheck disable=SC1091
. "$DIR/server/pg.env"
admin() { "$PGBIN/psql" -X -q -At -v ON_ERROR_STOP=1 "$@"; }
BENCH_USER=nhi_bench
BENCH_PW="$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
admin -d postgres -c "CREATE ROLE $BENCH_USER LOGIN SUPERUSER PASSWORD '$BENCH_PW'"
reset_stmts() { admin -d postgres -c "SELECT pg_stat_statements_reset()" >/dev/null; }
# Statements the provider ran since the reset, and how many
# pg_stat_statements entries were evicted meanwhile (0: the count is exact).
stmts() { admin -d postgres -c "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE userid = '$BENCH_USER'::regrole"; }
evicted() { admin -d postgres -c "SELECT dealloc FROM pg_stat_statements_info"; }
# The provider's statements, most frequent first, for reading the numbers.
top_stmts() {
  admin -d postgres -F $'\t' -c "SELECT calls, regexp_replace(left(query, 150), '\s+', ' ', 'g') FROM pg_stat_statements
    WHERE userid = '$BENCH_USER'::regrole ORDER BY calls DESC, query" > "$1"
}
secs() { awk "BEGIN { print $(date +%s.%N) - $1 }"; }

# The provider runs under GNU time, so its peak RSS is recorded.
cat > "$DIR/plugin/terraform-provider-nhi" <<SH
#!/bin/sh
exec /usr/bin/time -f "%M" -a -o "\$NHI_BENCH_RSS" "$root/bin/terraform-provider-nhi" "\$@"
SH
chmod +x "$DIR/plugin/terraform-provider-nhi"
cat > "$DIR/dev.tfrc" <<TFRC
provider_installation {
  dev_overrides {
    "nhi-ops/nhi" = "$DIR/plugin"
  }
  direct {}
}
TFRC
export TF_CLI_CONFIG_FILE="$DIR/dev.tfrc" TF_IN_AUTOMATION=1
# The password reaches the provider block through a sensitive variable.
export TF_VAR_pg_password="$BENCH_PW"
expires=$(date -u -d '+180 days' +%F)

section="$DIR/section.md"
{
  echo "<!-- postgres -->"
  echo "## PostgreSQL"
  echo
  echo "Produced by \`make bench-postgres\` (\`scripts/bench-postgres.sh\`, \`NHI_BENCH_PG_SIZES=\"$SIZES\"\`,"
  echo "\`NHI_BENCH_PG_DRIFT=\"$DRIFT_SIZES\"\`) on $(date -u +%F) against a private PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}')"
  echo "(\`nhi-dev-cluster pg-up\`: fsync off, pg_stat_statements preloaded), on a machine with $(nproc) cores and"
  echo "$(free -g | awk '/Mem:/ {print $2}') GiB of memory, Terraform $(terraform version | head -n1 | awk '{print $2}'), default parallelism (10)."
  echo
  echo "N declared \`nhi_postgresql_role\`, half with \`database:CONNECT@app\` and half with that and"
  echo "\`schema:USAGE@app.public\`, each with \`expires_at\` and no password. The sizes run in order against one"
  echo "server, so each starts with the previous sizes' roles in place. The provider connects as \`$BENCH_USER\`, a"
  echo "superuser created for the benchmark; *statements* are \`sum(calls)\` of \`pg_stat_statements\` for that role,"
  echo "reset before each command (BEGIN/COMMIT and other utility statements count; *evicted* is"
  echo "\`pg_stat_statements_info.dealloc\`, 0 when the count is exact). Peak RSS is the provider process's, from GNU time."
  echo "The Terraform floor is a no-change plan of N \`terraform_data\` with the same inputs, in the same run."
  echo "Absolute times on these shared 2-core machines are noisy; compare within one run."
  echo
  echo "| N | no-change plan (s) | Terraform floor (s) | plan statements | provider peak RSS (MB) | apply (s) | apply statements | statements per identity | evicted | apply errors |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
} > "$section"

for n in $SIZES; do
  work="$DIR/n$n"
  mkdir -p "$work/floor"
  # Terraform's range() stops at 1024 values: build N as A x B.
  if (( n <= 1000 )); then a=1; b=$n; else b=1000; a=$(( (n + 999) / 1000 )); fi
  locals="locals {
  idx = [for p in setproduct(range($a), range($b)) : p[0] * $b + p[1] if p[0] * $b + p[1] < $n]
  ids = { for i in local.idx : format(\"bench_n${n}_%05d\", i) => { two = i % 2 == 0 } }
}"
  cat > "$work/main.tf" <<TF
terraform {
  required_providers {
    nhi = { source = "nhi-ops/nhi" }
  }
}
variable "pg_password" {
  type      = string
  sensitive = true
}
provider "nhi" {
  postgresql {
    host     = "$PGHOST"
    port     = $PGPORT
    username = "$BENCH_USER"
    password = var.pg_password
    database = "postgres"
    sslmode  = "disable"
  }
}
$locals
resource "nhi_postgresql_role" "r" {
  for_each   = local.ids
  name       = each.key
  owner      = "team:bench"
  purpose    = "benchmark"
  scopes     = each.value.two ? ["database:CONNECT@app", "schema:USAGE@app.public"] : ["database:CONNECT@app"]
  expires_at = "$expires"
}
TF
  echo "bench-postgres: N=$n apply" >&2
  export NHI_BENCH_RSS="$work/rss-apply.txt"
  reset_stmts; start=$(date +%s.%N)
  (cd "$work" && terraform apply -auto-approve -input=false -no-color > apply.log 2>&1) || { echo "apply of $n failed; see $work/apply.log" >&2; exit 1; }
  apply_s=$(secs "$start"); apply_st=$(stmts); apply_ev=$(evicted)
  top_stmts "$work/stmts-apply.tsv"
  errors=$(grep -c -E '^Error' "$work/apply.log" || true)

  echo "bench-postgres: N=$n plan" >&2
  export NHI_BENCH_RSS="$work/rss-plan.txt"
  : > "$NHI_BENCH_RSS"
  reset_stmts; start=$(date +%s.%N)
  set +e
  (cd "$work" && terraform plan -detailed-exitcode -input=false -no-color > plan.log 2>&1); code=$?
  set -e
  plan_s=$(secs "$start"); plan_st=$(stmts); plan_ev=$(evicted)
  top_stmts "$work/stmts-plan.tsv"
  [[ $code -eq 0 ]] || { echo "the plan of $n was not empty (exit $code); see $work/plan.log" >&2; exit 1; }
  rss_kb=$(sort -n "$NHI_BENCH_RSS" | tail -n1)

  echo "bench-postgres: N=$n Terraform floor" >&2
  cat > "$work/floor/main.tf" <<TF
$locals
resource "terraform_data" "r" {
  for_each = local.ids
  input = {
    name = each.key, owner = "team:bench", purpose = "benchmark", expires_at = "$expires"
    scopes = each.value.two ? ["database:CONNECT@app", "schema:USAGE@app.public"] : ["database:CONNECT@app"]
  }
}
TF
  (cd "$work/floor" && terraform apply -auto-approve -input=false -no-color > apply.log 2>&1) || { echo "floor apply of $n failed; see $work/floor/apply.log" >&2; exit 1; }
  start=$(date +%s.%N)
  (cd "$work/floor" && terraform plan -input=false -no-color > plan.log 2>&1)
  floor_s=$(secs "$start")
  echo "| $n | $(printf %.1f "$plan_s") | $(printf %.1f "$floor_s") | $plan_st | $(( rss_kb / 1024 )) | $(printf %.1f "$apply_s") | $apply_st | $(awk "BEGIN { printf \"%.1f\", $apply_st / $n }") | $(( plan_ev + apply_ev )) | $errors |" >> "$section"
done

if [[ -n "$DRIFT_SIZES" ]]; then
  # 100 tables in app.public for the seeded roles' grants (about 100
  # grantees on each table's ACL at 10,000 roles).
  admin -d app -c "DO \$\$ BEGIN FOR t IN 0..99 LOOP EXECUTE format('CREATE TABLE public.%I (id int)', 'bench_t' || lpad(t::text, 2, '0')); END LOOP; END \$\$"
  {
    echo
    echo "### Drift scan"
    echo
    echo "For each size, one SQL script (a \`DO\` block over \`generate_series\`, as the harness's superuser) creates that"
    echo "many undeclared LOGIN roles, each with \`SELECT\` on one of 100 tables in \`app.public\`, every tenth with a"
    echo "password, half of those with a \`VALID UNTIL\` in the past and half with none. Then, back to back, the raw floor"
    echo "and \`terraform-provider-nhi drift --format json --fail-on none\` on a \`source \"postgresql\"\` block, both as"
    echo "\`$BENCH_USER\` (the password from \`PGPASSWORD\`), over the whole server (which still holds the declared roles"
    echo "above). The floor is \`psql\` once per database that allows connections (postgres, app, analytics), reading"
    echo "the catalog rows the scan reads, raw, without interpreting them: in postgres, \`pg_authid\` (name, login,"
    echo "\`VALID UNTIL\`, password set, attributes, \`shobj_description\` comment), \`pg_auth_members\`, \`pg_database\`"
    echo "ACLs and \`pg_stat_activity\`; in each database, the ACLs of \`pg_namespace\`, \`pg_class\` and \`pg_proc\` outside"
    echo "the system schemas."
    echo
    echo "| seeded | seeding (s) | login roles on the server | psql floor (s) | drift scan (s) | ratio | drift peak RSS (MB) | drift statements | floor statements | findings | evicted |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
  } >> "$section"
  cat > "$DIR/drift.hcl" <<HCL
source "postgresql" "bench" {
  host     = "$PGHOST"
  port     = $PGPORT
  username = "$BENCH_USER"
  database = "postgres"
  sslmode  = "disable"
}
HCL
  floor_sql_main="SELECT r.oid, r.rolname, r.rolcanlogin, r.rolvaliduntil, pg_catalog.shobj_description(r.oid, 'pg_authid'), r.rolpassword IS NOT NULL,
      r.rolsuper, r.rolcreatedb, r.rolcreaterole, r.rolreplication, r.rolbypassrls FROM pg_catalog.pg_authid r"
  floor_sql_members="SELECT m.member, m.roleid FROM pg_catalog.pg_auth_members m"
  floor_sql_dbs="SELECT d.datname, d.datdba, d.datallowconn, d.datistemplate, d.datacl FROM pg_catalog.pg_database d"
  floor_sql_sessions="SELECT a.usesysid, a.application_name, a.client_addr, a.client_port FROM pg_catalog.pg_stat_activity a WHERE a.usesysid IS NOT NULL"
  sys="n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'"
  floor_sql_ns="SELECT n.nspname, n.nspowner, n.nspacl FROM pg_catalog.pg_namespace n WHERE $sys"
  floor_sql_class="SELECT n.nspname, c.relname, c.relkind, c.relowner, c.relacl FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
      WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S') AND $sys"
  floor_sql_proc="SELECT n.nspname, p.proname, p.oid, pg_catalog.pg_get_function_identity_arguments(p.oid), p.proowner, p.proacl
      FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace WHERE $sys"
  floor() {
    local db
    for db in postgres app analytics; do
      local extra=()
      [[ $db == postgres ]] && extra=(-c "$floor_sql_main" -c "$floor_sql_members" -c "$floor_sql_dbs" -c "$floor_sql_sessions")
      PGUSER=$BENCH_USER PGPASSWORD=$BENCH_PW "$PGBIN/psql" -X -At -v ON_ERROR_STOP=1 -d "$db" "${extra[@]}" \
        -c "$floor_sql_ns" -c "$floor_sql_class" -c "$floor_sql_proc"
    done
  }
  for n in $DRIFT_SIZES; do
    echo "bench-postgres: drift N=$n seed" >&2
    start=$(date +%s.%N)
    admin -d app <<SQL
DO \$\$
DECLARE
  i int;
  r text;
BEGIN
  FOR i IN SELECT generate_series(0, $n - 1) LOOP
    r := format('drift%s_%s', $n, lpad(i::text, 5, '0'));
    EXECUTE format('CREATE ROLE %I LOGIN', r);
    IF i % 10 = 0 THEN EXECUTE format('ALTER ROLE %I PASSWORD %L', r, md5(random()::text)); END IF;
    IF i % 20 = 0 THEN EXECUTE format('ALTER ROLE %I VALID UNTIL %L', r, '2024-01-01'); END IF;
    EXECUTE format('GRANT SELECT ON public.%I TO %I', 'bench_t' || lpad((i % 100)::text, 2, '0'), r);
  END LOOP;
END
\$\$;
SQL
    seed_s=$(secs "$start")
    logins=$(admin -d postgres -c "SELECT count(*) FROM pg_roles WHERE rolcanlogin")

    echo "bench-postgres: drift N=$n psql floor" >&2
    reset_stmts; start=$(date +%s.%N)
    floor > "$DIR/floor-$n.txt"
    floor_s=$(secs "$start"); floor_st=$(stmts)

    echo "bench-postgres: drift N=$n scan" >&2
    reset_stmts; start=$(date +%s.%N)
    PGPASSWORD=$BENCH_PW /usr/bin/time -f "%M" -o "$DIR/drift-rss-$n.txt" \
      bin/terraform-provider-nhi drift --config "$DIR/drift.hcl" --format json --fail-on none > "$DIR/drift-$n.json"
    drift_s=$(secs "$start"); drift_st=$(stmts); drift_ev=$(evicted)
    top_stmts "$DIR/stmts-drift-$n.tsv"
    rss_kb=$(tail -n1 "$DIR/drift-rss-$n.txt")
    findings=$(jq -r '"\(.summary.total) (" + ([.summary.by_rule | to_entries[] | "\(.key) \(.value)"] | join(", ")) + ")"' "$DIR/drift-$n.json")
    ratio=$(awk "BEGIN { printf \"%.2f\", $drift_s / $floor_s }")
    echo "| $n | $(printf %.1f "$seed_s") | $logins | $(printf %.2f "$floor_s") | $(printf %.2f "$drift_s") | $ratio | $(( rss_kb / 1024 )) | $drift_st | $floor_st | $findings | $drift_ev |" >> "$section"
  done
fi
echo >> "$section"

# Merge: replace the generated part of the section, keep its notes.
notes="<!-- postgres notes -->
<!-- /postgres -->"
if [[ -f BENCHMARKS.md ]] && grep -q '^<!-- postgres notes -->$' BENCHMARKS.md; then
  notes=$(sed -n '/^<!-- postgres notes -->$/,/^<!-- \/postgres -->$/p' BENCHMARKS.md)
fi
printf '%s\n' "$notes" >> "$section"
if [[ -f BENCHMARKS.md ]] && grep -q '^<!-- postgres -->$' BENCHMARKS.md; then
  awk -v f="$section" '
    /^<!-- postgres -->$/ { while ((getline l < f) > 0) print l; skip = 1; next }
    skip && /^<!-- \/postgres -->$/ { skip = 0; next }
    !skip { print }
  ' BENCHMARKS.md > "$DIR/BENCHMARKS.md"
  cat "$DIR/BENCHMARKS.md" > BENCHMARKS.md
else
  { [[ -f BENCHMARKS.md ]] && echo; cat "$section"; } >> BENCHMARKS.md
fi
sed -n '/^<!-- postgres -->$/,/^<!-- \/postgres -->$/p' BENCHMARKS.md

#!/usr/bin/env bash
# make test: builds the test cluster's binaries and Terraform (cached), starts
# the cluster, the IAM test server, the PostgreSQL test server and the LDAP
# test directory, runs every test with the acceptance tests enabled, and
# stops them all whatever happens. A skipped test fails the run: nothing may
# be silently left out.
#
# Terraform versions: the whole suite runs on the Terraform that
# scripts/terraform-build.sh builds from the module proxy (NHI_TERRAFORM_VERSION,
# default v1.15.0: list resources and actions need >= 1.14); then a
# compatibility subset (provider configuration, the service account's
# lifecycle, the inventory data sources) runs again on the oldest supported
# Terraform, the machine's `terraform` on PATH (1.11), or NHI_TERRAFORM_MIN.
set -euo pipefail
cd "$(dirname "$0")/.."

TF_MIN="${NHI_TERRAFORM_MIN:-$(command -v terraform || true)}"
if [[ -z "$TF_MIN" || ! -x "$TF_MIN" ]]; then
  echo "make test: the oldest supported terraform CLI (1.11) is needed for the compatibility tests and is not on PATH (or set NHI_TERRAFORM_MIN)" >&2
  exit 1
fi

TF_BUILT="$(scripts/terraform-build.sh)"
BIN="$(scripts/testenv-build.sh)"
PGBIN="$(scripts/postgres-install.sh)"
SLAPD="$(scripts/ldap-install.sh)"
VERSITYGW="$(scripts/versitygw-build.sh)"
export NHI_VERSITYGW="$VERSITYGW"

# Microsoft's SARIF validator, pinned in tools/sarif (npm skips its
# postinstall chmod, so do it here).
(cd tools/sarif && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
chmod u+x tools/sarif/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool
export NHI_SARIF_MULTITOOL="$PWD/tools/sarif/node_modules/.bin/sarif-multitool"
DIR="$PWD/.nhi-dev/test"
mkdir -p "$DIR" bin
go build -o bin/nhi-dev-cluster ./internal/testenv/cmd/nhi-dev-cluster

bin/nhi-dev-cluster down -dir "$DIR" >/dev/null 2>&1 || true
bin/nhi-dev-cluster iam-down -dir "$DIR" >/dev/null 2>&1 || true
bin/nhi-dev-cluster pg-down -dir "$DIR/pg" >/dev/null 2>&1 || true
bin/nhi-dev-cluster ldap-down -dir "$DIR/ldap" >/dev/null 2>&1 || true
trap 'bin/nhi-dev-cluster down -dir "$DIR"; bin/nhi-dev-cluster iam-down -dir "$DIR"; bin/nhi-dev-cluster pg-down -dir "$DIR/pg"; bin/nhi-dev-cluster ldap-down -dir "$DIR/ldap"' EXIT
bin/nhi-dev-cluster up -dir "$DIR" -bin "$BIN"
# The IAM test server: versitygw behind the managed-policy fake. aws.env
# exports the standard AWS variables (endpoint, region, root credentials).
bin/nhi-dev-cluster iam-up -dir "$DIR" -versitygw "$VERSITYGW"
set -a
# shellcheck disable=SC1091
. "$DIR/aws.env"
set +a
# The PostgreSQL test server: initdb into $DIR/pg as an unprivileged user,
# scram-sha-256 on a random 127.0.0.1 port, databases app and analytics.
# pg.env exports the libpq variables (PGHOST ... PGSSLMODE) and
# NHI_TEST_POSTGRES=1.
bin/nhi-dev-cluster pg-up -dir "$DIR/pg" -bin "$PGBIN"
set -a
# shellcheck disable=SC1091
. "$DIR/pg/pg.env"
set +a
# The LDAP test directory (the owner directory): slapd with its own
# slapd.conf in $DIR/ldap on random 127.0.0.1 ports, seeded with people and
# groups. ldap.env exports NHI_TEST_LDAP_URL, NHI_TEST_LDAPS_URL,
# NHI_TEST_LDAP_CA_FILE, the base, bind and admin DNs and passwords, and
# NHI_TEST_LDAP=1.
bin/nhi-dev-cluster ldap-up -dir "$DIR/ldap" -slapd "$SLAPD"
set -a
# shellcheck disable=SC1091
. "$DIR/ldap/ldap.env"
set +a

export NHI_TEST_KUBECONFIG="$DIR/kubeconfig" TF_ACC=1
# Terraform warns on every run when no CLI configuration exists.
export TF_CLI_CONFIG_FILE="${TF_CLI_CONFIG_FILE:-$DIR/empty.tfrc}"
touch "$TF_CLI_CONFIG_FILE"

# tf_version prints a Terraform binary's version (read whole: no SIGPIPE).
tf_version() { "$1" version -json | sed -n 's/.*"terraform_version": *"\([^"]*\)".*/\1/p'; }

log="$DIR/go-test.log"
status=0
echo "make test: the whole suite on Terraform $(tf_version "$TF_BUILT") ($TF_BUILT)"
TF_ACC_TERRAFORM_PATH="$TF_BUILT" go test ./... -count=1 -v -timeout "${GO_TEST_TIMEOUT:-40m}" 2>&1 | tee "$log" || status=$?
if [[ $status -ne 0 ]]; then
  echo "make test: FAILED (logs of the cluster are in $DIR/logs)" >&2
  exit "$status"
fi

# The compatibility subset on the oldest supported Terraform: NHI_COMPAT_TESTS
# is "^(A|B|...)", each alternative a test name prefix, or a whole name when
# it ends in $.
compat_log="$DIR/go-test-compat.log"
compat_tests="${NHI_COMPAT_TESTS:-^(TestAccProvider_|TestAccServiceAccount_basic$|TestAccIdentities_|TestAccUndeclared_|TestAccDataSources_)}"
echo "make test: the compatibility subset on Terraform $(tf_version "$TF_MIN") ($TF_MIN)"
TF_ACC_TERRAFORM_PATH="$TF_MIN" go test ./internal/provider/ ./internal/services/kubernetes/ ./internal/services/inventory/ \
  -run "$compat_tests" \
  -count=1 -v -timeout "${GO_TEST_TIMEOUT:-40m}" 2>&1 | tee "$compat_log" || status=$?
if [[ $status -ne 0 ]]; then
  echo "make test: FAILED on $TF_MIN, the oldest supported Terraform (logs of the cluster are in $DIR/logs)" >&2
  exit "$status"
fi
if grep -E -- '--- SKIP' "$log" "$compat_log"; then
  echo "make test: the tests above were skipped; every test must run here" >&2
  exit 1
fi
passed=$(grep -c -E -- '^\s*--- PASS' "$log" || true)
compat=$(grep -c -E -- '^\s*--- PASS' "$compat_log" || true)
# Every alternative must have passed at least one top-level test: a renamed
# test makes its package print "no tests to run", which go test passes.
not_run=()
alternatives="${compat_tests#^}"
alternatives="${alternatives#(}"
alternatives="${alternatives%)}"
IFS='|' read -r -a compat_names <<<"$alternatives"
for name in "${compat_names[@]}"; do
  if [[ "$name" == *'$' ]]; then pattern="^--- PASS: ${name%\$} \\("; else pattern="^--- PASS: $name"; fi
  grep -q -E -- "$pattern" "$compat_log" || not_run+=("$name")
done
if [[ $compat -eq 0 || ${#not_run[@]} -gt 0 ]]; then
  echo "make test: the compatibility subset ran no test matching ${not_run[*]:-$compat_tests}; check NHI_COMPAT_TESTS and the test names" >&2
  exit 1
fi
echo "make test: $passed tests passed on $TF_BUILT and $compat on $TF_MIN, none skipped"

#!/usr/bin/env bash
# make bench: performance at fleet scale, against the project's own real
# cluster. For each N it applies N declared service accounts (spread over 10
# namespaces, one or two scopes each), then runs a plan with nothing to
# change, and records wall time, API requests counted by kube-apiserver's own
# /metrics (apiserver_request_total for the kinds the provider touches,
# WATCH excluded), and the provider's peak RSS. Writes BENCHMARKS.md.
#   NHI_BENCH_SIZES="100 500 2000" scripts/bench.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
SIZES="${NHI_BENCH_SIZES-100 500 2000}"
DRIFT_SIZES="${NHI_BENCH_DRIFT-1000 10000}"
NAMESPACES=10

command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

go build -o bin/terraform-provider-nhi .
go build -o bin/nhi-dev-cluster ./internal/testenv/cmd/nhi-dev-cluster
BIN="$(NHI_WITH_KUBECTL=1 scripts/testenv-build.sh)"
DIR="$root/.nhi-dev/bench"
rm -rf "$DIR" && mkdir -p "$DIR/plugin"
bin/nhi-dev-cluster down -dir "$DIR" >/dev/null 2>&1 || true
trap 'bin/nhi-dev-cluster down -dir "$DIR"' EXIT
bin/nhi-dev-cluster up -dir "$DIR" -bin "$BIN"
bin/nhi-dev-cluster create-ns -dir "$DIR" -name bench -count "$NAMESPACES"

KC="$DIR/kubeconfig"
HOST=$(awk '/server:/ {print $2; exit}' "$KC")
TOKEN=$(awk '/token:/ {print $2; exit}' "$KC")
CA="$DIR/pki/ca.crt"
# LIST and GET of everything the drift scan reads (the controller manager's
# own writes do not count).
reads() {
  curl -s --cacert "$CA" -H "Authorization: Bearer $TOKEN" "$HOST/metrics" |
    awk '/^apiserver_request_total\{/ && /verb="(LIST|GET)"/ && /resource="(serviceaccounts|secrets|rolebindings|clusterrolebindings|roles|clusterroles|pods|deployments|statefulsets|daemonsets|jobs|cronjobs)"/ { s += $NF } END { printf "%d\n", s }'
}
requests() {
  curl -s --cacert "$CA" -H "Authorization: Bearer $TOKEN" "$HOST/metrics" |
    awk '/^apiserver_request_total\{/ && /resource="(serviceaccounts|secrets|rolebindings|clusterrolebindings|roles|clusterroles)"/ && !/verb="WATCH"/ { s += $NF } END { printf "%d\n", s }'
}

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
expires=$(date -u -d '+180 days' +%F)

# Keep the hand-written reading of the numbers (after the notes marker).
notes=""
[[ -f BENCHMARKS.md ]] && notes=$(sed -n '/^<!-- notes -->$/,$p' BENCHMARKS.md)
{
  echo "# Benchmarks"
  echo
  echo "Produced by \`make bench\` (\`scripts/bench.sh\`, sizes \`$SIZES\`) on $(date -u +%F) against the project's own"
  echo "kube-apiserver $(basename "$BIN" | cut -d- -f2), on a machine with $(nproc) cores and $(free -g | awk '/Mem:/ {print $2}') GiB of memory,"
  echo "Terraform $(terraform version | head -n1 | awk '{print $2}'), default parallelism (10)."
  echo
  echo "N declared service accounts over $NAMESPACES namespaces, half with one scope and half with two. The sizes run"
  echo "in order against one cluster, so each starts with the previous sizes' objects in place."
  echo "Requests are kube-apiserver's own count (\`apiserver_request_total\`, kinds the provider touches, WATCH"
  echo "excluded) before and after each command. Peak RSS is the provider process's, from GNU time."
  echo "Absolute times on these shared 2-core machines are noisy; compare within one run."
  echo
  echo "The Terraform floor is a no-change plan of N \`terraform_data\` resources with the same inputs, in the same run:"
  echo "Terraform's own cost for N resources, with no provider process and no API server."
  echo
  echo "| N | no-change plan (s) | Terraform floor (s) | plan requests | target N/50+20 | provider peak RSS (MB) | apply (s) | apply requests | requests per identity | apply errors |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
} > BENCHMARKS.md
for n in $SIZES; do
  work="$DIR/n$n"
  mkdir -p "$work"
  # Terraform's range() stops at 1024 values: build N as A x B.
  if (( n <= 1000 )); then a=1; b=$n; else b=1000; a=$(( (n + 999) / 1000 )); fi
  cat > "$work/main.tf" <<TF
terraform {
  required_providers {
    nhi = { source = "nhi-ops/nhi" }
  }
}
provider "nhi" {
  kubernetes { config_path = "$KC" }
}
locals {
  idx = [for p in setproduct(range($a), range($b)) : p[0] * $b + p[1] if p[0] * $b + p[1] < $n]
  ids = { for i in local.idx : format("n$n-%05d", i) => { ns = "bench-\${i % $NAMESPACES}", two = i % 2 == 0 } }
}
resource "nhi_kubernetes_service_account" "s" {
  for_each   = local.ids
  namespace  = each.value.ns
  name       = each.key
  owner      = "team:bench"
  purpose    = "benchmark"
  scopes     = each.value.two ? ["clusterrole:view@\${each.value.ns}", "clusterrole:edit@\${each.value.ns}"] : ["clusterrole:view@\${each.value.ns}"]
  expires_at = "$expires"
}
TF
  echo "bench: N=$n apply" >&2
  export NHI_BENCH_RSS="$work/rss-apply.txt"
  before=$(requests); start=$(date +%s.%N)
  (cd "$work" && terraform apply -auto-approve -input=false -no-color > apply.log 2>&1) || { echo "apply of $n failed; see $work/apply.log" >&2; exit 1; }
  apply_s=$(awk "BEGIN { print $(date +%s.%N) - $start }"); apply_req=$(( $(requests) - before ))
  errors=$(grep -c -E '^Error' "$work/apply.log" || true)

  echo "bench: N=$n plan" >&2
  export NHI_BENCH_RSS="$work/rss-plan.txt"
  : > "$NHI_BENCH_RSS"
  before=$(requests); start=$(date +%s.%N)
  set +e
  (cd "$work" && terraform plan -detailed-exitcode -input=false -no-color > plan.log 2>&1); code=$?
  set -e
  plan_s=$(awk "BEGIN { print $(date +%s.%N) - $start }"); plan_req=$(( $(requests) - before ))
  [[ $code -eq 0 ]] || { echo "the plan of $n was not empty (exit $code); see $work/plan.log" >&2; exit 1; }
  rss_kb=$(sort -n "$NHI_BENCH_RSS" | tail -n1)
  budget=$(( n / 50 + 20 ))

  echo "bench: N=$n Terraform floor" >&2
  mkdir -p "$work/floor"
  cat > "$work/floor/main.tf" <<TF
locals {
  idx = [for p in setproduct(range($a), range($b)) : p[0] * $b + p[1] if p[0] * $b + p[1] < $n]
  ids = { for i in local.idx : format("n$n-%05d", i) => { ns = "bench-\${i % $NAMESPACES}", two = i % 2 == 0 } }
}
resource "terraform_data" "s" {
  for_each = local.ids
  input = {
    namespace = each.value.ns, name = each.key, owner = "team:bench", purpose = "benchmark", expires_at = "$expires"
    scopes    = each.value.two ? ["clusterrole:view@\${each.value.ns}", "clusterrole:edit@\${each.value.ns}"] : ["clusterrole:view@\${each.value.ns}"]
  }
}
TF
  (cd "$work/floor" && terraform apply -auto-approve -input=false -no-color > apply.log 2>&1) || { echo "floor apply of $n failed; see $work/floor/apply.log" >&2; exit 1; }
  start=$(date +%s.%N)
  (cd "$work/floor" && terraform plan -input=false -no-color > plan.log 2>&1)
  floor_s=$(awk "BEGIN { print $(date +%s.%N) - $start }")
  echo "| $n | $(printf %.1f "$plan_s") | $(printf %.1f "$floor_s") | $plan_req | $budget | $(( rss_kb / 1024 )) | $(printf %.1f "$apply_s") | $apply_req | $(awk "BEGIN { printf \"%.1f\", $apply_req / $n }") | $errors |" >> BENCHMARKS.md
done

if [[ -n "$DRIFT_SIZES" ]]; then
  {
    echo
    echo "## Drift scan"
    echo
    echo "For each size, \`nhi-dev-cluster seed\` creates that many undeclared service accounts (32 concurrent workers) with a"
    echo "RoleBinding each, a legacy token Secret for every tenth, a Deployment for every other one and a CronJob for every"
    echo "twentieth, in namespaces of 100. Then, back to back in the same run, the raw floor"
    echo "\`kubectl get serviceaccounts,rolebindings,clusterrolebindings,secrets,deployments,cronjobs -A -o json\` and"
    echo "\`terraform-provider-nhi drift --format json\` over the whole cluster (which still holds the objects above)."
    echo "Requests are LIST and GET counted by kube-apiserver. Target: drift within 1.5x the floor, peak RSS at most 150 MB."
    echo
    echo "| seeded | seeding (s) | service accounts in cluster | kubectl floor (s) | drift scan (s) | ratio | drift peak RSS (MB) | drift requests | kubectl requests |"
    echo "|---|---|---|---|---|---|---|---|---|"
  } >> BENCHMARKS.md
  printf 'source "kubernetes" "bench" {\n  kubeconfig = "%s"\n}\n' "$KC" > "$DIR/drift.hcl"
  for n in $DRIFT_SIZES; do
    echo "bench: drift N=$n seed" >&2
    start=$(date +%s.%N)
    bin/nhi-dev-cluster seed -dir "$DIR" -name "drift$n" -count "$n"
    seed_s=$(awk "BEGIN { print $(date +%s.%N) - $start }")
    sas=$("$BIN/kubectl" --kubeconfig "$KC" get serviceaccounts -A --no-headers | wc -l)
    echo "bench: drift N=$n kubectl floor" >&2
    before=$(reads); start=$(date +%s.%N)
    "$BIN/kubectl" --kubeconfig "$KC" get serviceaccounts,rolebindings,clusterrolebindings,secrets,deployments,cronjobs -A -o json > /dev/null
    kubectl_s=$(awk "BEGIN { print $(date +%s.%N) - $start }"); kubectl_req=$(( $(reads) - before ))
    echo "bench: drift N=$n scan" >&2
    before=$(reads); start=$(date +%s.%N)
    /usr/bin/time -f "%M" -o "$DIR/drift-rss.txt" bin/terraform-provider-nhi drift --config "$DIR/drift.hcl" --format json --fail-on none > "$DIR/drift-$n.json"
    drift_s=$(awk "BEGIN { print $(date +%s.%N) - $start }"); drift_req=$(( $(reads) - before ))
    rss_kb=$(tail -n1 "$DIR/drift-rss.txt")
    ratio=$(awk "BEGIN { printf \"%.2f\", $drift_s / $kubectl_s }")
    echo "| $n | $(printf %.1f "$seed_s") | $sas | $(printf %.2f "$kubectl_s") | $(printf %.2f "$drift_s") | $ratio | $(( rss_kb / 1024 )) | $drift_req | $kubectl_req |" >> BENCHMARKS.md
  done
fi
[[ -n "$notes" ]] && printf '\n%s\n' "$notes" >> BENCHMARKS.md
cat BENCHMARKS.md

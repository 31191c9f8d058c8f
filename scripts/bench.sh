#!/usr/bin/env bash
# make bench: performance at fleet scale, against the project's own real
# cluster. For each N and each Terraform parallelism it applies N declared
# service accounts (spread over 10 namespaces, one or two scopes each), then
# runs a plan with nothing to change and the same plan with -refresh=false,
# and the same N `terraform_data` resources (apply and plan: Terraform's own
# floor). It records wall time, API requests counted by kube-apiserver's own
# /metrics (apiserver_request_total for the kinds the provider touches,
# WATCH excluded), and the provider's peak RSS. Writes BENCHMARKS.md.
#   NHI_BENCH_SIZES="100 500 2000" NHI_BENCH_PARALLELISM="10 50" scripts/bench.sh
# Side by side with terraform-provider-kubernetes (optional; built from
# source by scripts/bench-peer.sh, cached, never committed), managing the
# same N service accounts and their bindings on the same cluster:
#   NHI_BENCH_PEER_SRC=<source or git dir> (or NHI_BENCH_PEER_VERSION=<module version>,
#   or NHI_BENCH_PEER=<dir holding the built binary>), NHI_BENCH_PEER_SIZES="500"
# NHI_BENCH_DRIFT="" skips the drift scan and keeps its previous table.
# NHI_BENCH_OUT=<file> writes the tables there instead of BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
SIZES="${NHI_BENCH_SIZES-100 500 2000}"
PARALLELISM="${NHI_BENCH_PARALLELISM-10 50}"
DRIFT_SIZES="${NHI_BENCH_DRIFT-1000 10000}"
PEER_SIZES="${NHI_BENCH_PEER_SIZES-500}"
OUT="${NHI_BENCH_OUT:-BENCHMARKS.md}"
NAMESPACES=10

command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }

PEER="${NHI_BENCH_PEER:-}"
if [[ -z "$PEER" && ( -n "${NHI_BENCH_PEER_SRC:-}" || -n "${NHI_BENCH_PEER_VERSION:-}" ) ]]; then
  PEER="$(scripts/bench-peer.sh)"
fi
[[ -z "$PEER" || -x "$PEER/terraform-provider-kubernetes" ]] || { echo "bench: no terraform-provider-kubernetes in $PEER" >&2; exit 1; }
go build -o bin/terraform-provider-nhi .
go build -o bin/nhi-dev-cluster ./internal/testenv/cmd/nhi-dev-cluster
BIN="$(NHI_WITH_KUBECTL=1 scripts/testenv-build.sh)"
DIR="$root/.nhi-dev/bench"
rm -rf "$DIR" && mkdir -p "$DIR/plugin" "$DIR/peer-plugin"
bin/nhi-dev-cluster down -dir "$DIR" >/dev/null 2>&1 || true
trap 'bin/nhi-dev-cluster down -dir "$DIR"' EXIT
bin/nhi-dev-cluster up -dir "$DIR" -bin "$BIN"
bin/nhi-dev-cluster create-ns -dir "$DIR" -name bench -count "$NAMESPACES"

KC="$DIR/kubeconfig"
HOST=$(awk '/server:/ {print $2; exit}' "$KC")
TOKEN=$(awk '/token:/ {print $2; exit}' "$KC")
CA="$DIR/pki/ca.crt"
metrics() { curl -s --cacert "$CA" -H "Authorization: Bearer $TOKEN" "$HOST/metrics"; }
# LIST and GET of everything the drift scan reads (the controller manager's
# own writes do not count).
reads() {
  metrics | awk '/^apiserver_request_total\{/ && /verb="(LIST|GET)"/ && /resource="(serviceaccounts|secrets|rolebindings|clusterrolebindings|roles|clusterroles|pods|deployments|statefulsets|daemonsets|jobs|cronjobs)"/ { s += $NF } END { printf "%d\n", s }'
}
requests() {
  metrics | awk '/^apiserver_request_total\{/ && /resource="(serviceaccounts|secrets|rolebindings|clusterrolebindings|roles|clusterroles|namespaces)"/ && !/verb="WATCH"/ { s += $NF } END { printf "%d\n", s }'
}
# The same count by verb, resource and code, for the request logs.
request_log() {
  metrics | awk '/^apiserver_request_total\{/ && /resource="(serviceaccounts|secrets|rolebindings|clusterrolebindings|roles|clusterroles|namespaces)"/ && !/verb="WATCH"/ {
    match($0, /verb="[A-Z]+"/); v = substr($0, RSTART + 6, RLENGTH - 7)
    match($0, /resource="[a-z]+"/); r = substr($0, RSTART + 10, RLENGTH - 11)
    match($0, /code="[0-9]+"/); c = substr($0, RSTART + 6, RLENGTH - 7)
    s[v " " r " " c] += $NF } END { for (k in s) print k, s[k] }' | sort
}
log_diff() { # before after: the requests in between, by verb, resource and code
  join -a2 -e0 -o 0,1.2,2.2 <(sed 's/ /|/; s/ /|/' "$1" | sort) <(sed 's/ /|/; s/ /|/' "$2" | sort) |
    awk '{ d = $3 - $2; if (d > 0) { gsub(/\|/, " ", $1); print $1, d } }'
}

# Each provider runs under GNU time, so its peak RSS is recorded.
for p in nhi kubernetes; do
  if [[ $p == nhi ]]; then exe="$root/bin/terraform-provider-nhi"; d="$DIR/plugin"; else exe="$PEER/terraform-provider-kubernetes"; d="$DIR/peer-plugin"; fi
  cat > "$d/terraform-provider-$p" <<SH
#!/bin/sh
exec /usr/bin/time -f "%M" -a -o "\$NHI_BENCH_RSS" "$exe" "\$@"
SH
  chmod +x "$d/terraform-provider-$p"
done
cat > "$DIR/dev.tfrc" <<TFRC
provider_installation {
  dev_overrides {
    "nhi-ops/nhi" = "$DIR/plugin"
    "hashicorp/kubernetes" = "$DIR/peer-plugin"
  }
  direct {}
}
TFRC
export TF_CLI_CONFIG_FILE="$DIR/dev.tfrc" TF_IN_AUTOMATION=1
expires=$(date -u -d '+180 days' +%F)
export NHI_BENCH_RSS="$DIR/rss-none.txt"

# timed <dir> <name> <parallelism> terraform-args...: runs one command and
# sets secs, cpu, reqs, rss_mb, errs, code; the request log goes to <dir>/<name>.requests.
timed() {
  local dir=$1 name=$2 par=$3; shift 3
  export NHI_BENCH_RSS="$dir/rss-$name.txt"
  : > "$NHI_BENCH_RSS"
  request_log > "$dir/$name.m0"
  local before start
  before=$(requests); start=$(date +%s.%N)
  set +e
  (cd "$dir" && /usr/bin/time -f "%U %S" -o "$name.cpu" terraform "$@" -parallelism="$par" -input=false -no-color > "$name.log" 2>&1); code=$?
  set -e
  secs=$(awk "BEGIN { print $(date +%s.%N) - $start }"); reqs=$(( $(requests) - before ))
  # CPU seconds of Terraform and the providers it started (GNU time counts
  # the children it waited for): unlike wall time, not inflated by the
  # other work of a shared machine.
  cpu=$(tail -n1 "$dir/$name.cpu" | awk '{ print $1 + $2 }')
  request_log > "$dir/$name.m1"
  log_diff "$dir/$name.m0" "$dir/$name.m1" > "$dir/$name.requests"
  rm -f "$dir/$name.m0" "$dir/$name.m1"
  errs=$(grep -c -E '^Error' "$dir/$name.log" || true)
  local top
  top=$(sort -n "$NHI_BENCH_RSS" | tail -n1)
  rss_mb=$(( ${top:-0} / 1024 ))
}
s1() { printf %.1f "$1"; }
# wcpu <wall> <cpu>: "wall (CPU)"; rwcpu <wall> <cpu> <wall> <cpu>: both ratios.
wcpu() { printf '%.1f (%.1f)' "$1" "$2"; }
rwcpu() { awk "BEGIN { printf \"%.2f (%.2f)\", $1 / $3, $2 / $4 }"; }
ratio() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }

# locals_for <n> <prefix>: N identities, half with one scope, half with two.
locals_for() {
  local n=$1 prefix=$2 a b
  # Terraform's range() stops at 1024 values: build N as A x B.
  if (( n <= 1000 )); then a=1; b=$n; else b=1000; a=$(( (n + 999) / 1000 )); fi
  cat <<TF
locals {
  idx = [for p in setproduct(range($a), range($b)) : p[0] * $b + p[1] if p[0] * $b + p[1] < $n]
  ids = { for i in local.idx : format("$prefix-%05d", i) => { ns = "bench-\${i % $NAMESPACES}", two = i % 2 == 0 } }
}
TF
}

# Keep the hand-written reading of the numbers (after the notes marker), and
# the drift table when the drift scan is skipped.
notes=""
old_drift=""
if [[ -f BENCHMARKS.md ]]; then
  notes=$(sed -n '/^<!-- notes -->$/,$p' BENCHMARKS.md)
  old_drift=$(sed -n '/^## Drift scan$/,/^<!-- notes -->$/p' BENCHMARKS.md | sed '$d')
fi
{
  echo "# Benchmarks"
  echo
  echo "Produced by \`make bench\` (\`scripts/bench.sh\`, sizes \`$SIZES\`, parallelism \`$PARALLELISM\`) on $(date -u +%F) against the project's own"
  echo "kube-apiserver $(basename "$BIN" | cut -d- -f2), on a machine with $(nproc) cores and $(free -g | awk '/Mem:/ {print $2}') GiB of memory"
  echo "(shared with other work: load average $(cut -d' ' -f1-3 /proc/loadavg) when the run started), Terraform $(terraform version | head -n1 | awk '{print $2}')."
  echo
  echo "N declared service accounts over $NAMESPACES namespaces, half with one scope and half with two. The sizes and"
  echo "parallelisms run in order against one cluster, so each starts with the previous ones' objects in place."
  echo "Requests are kube-apiserver's own count (\`apiserver_request_total\`, kinds the provider touches, WATCH"
  echo "excluded) before and after each command. Peak RSS is the provider process's, from GNU time."
  echo "Absolute times on these shared 2-core machines are noisy; compare within one run."
  echo
  echo "The Terraform floors are N \`terraform_data\` resources with the same inputs, in the same run: Terraform's own"
  echo "cost for N resources with no provider process and no API server (*floor apply* from an empty state at the same"
  echo "parallelism; *floor plan* a no-change plan). *-refresh=false* is the same no-change plan without refresh: the"
  echo "provider's plan-time work with no reads. Times are wall seconds with, in parentheses, the CPU seconds of Terraform"
  echo "and its providers together (GNU time's user + system of the command and its children), which other work on a"
  echo "shared machine does not inflate; ratios are given for both."
  echo
  echo "| N | parallelism | apply (s) | floor apply (s) | apply / floor | apply requests | requests per identity | apply errors | no-change plan (s) | -refresh=false (s) | plan / -refresh=false | floor plan (s) | plan requests | target N/50+20 | provider peak RSS (MB) |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} > "$OUT"

# Our own results, for the side-by-side table: key "N/parallelism".
declare -A ours_apply ours_plan ours_norefresh ours_apply_req ours_plan_req ours_rss floor_apply floor_plan
for par in $PARALLELISM; do
  for n in $SIZES; do
    work="$DIR/n$n-p$par"
    mkdir -p "$work"
    {
      cat <<TF
terraform {
  required_providers {
    nhi = { source = "nhi-ops/nhi" }
  }
}
provider "nhi" {
  kubernetes { config_path = "$KC" }
}
TF
      locals_for "$n" "n$n-p$par"
      cat <<TF
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
    } > "$work/main.tf"
    echo "bench: N=$n parallelism $par apply" >&2
    timed "$work" apply "$par" apply -auto-approve
    [[ $code -eq 0 ]] || { echo "apply of $n failed; see $work/apply.log" >&2; exit 1; }
    apply_s=$secs apply_c=$cpu apply_req=$reqs apply_errs=$errs apply_rss=$rss_mb

    echo "bench: N=$n parallelism $par plan" >&2
    timed "$work" plan "$par" plan -detailed-exitcode
    [[ $code -eq 0 ]] || { echo "the plan of $n was not empty (exit $code); see $work/plan.log" >&2; exit 1; }
    plan_s=$secs plan_c=$cpu plan_req=$reqs plan_rss=$rss_mb

    echo "bench: N=$n parallelism $par plan -refresh=false" >&2
    timed "$work" norefresh "$par" plan -refresh=false -detailed-exitcode
    [[ $code -eq 0 ]] || { echo "the -refresh=false plan of $n was not empty (exit $code); see $work/norefresh.log" >&2; exit 1; }
    norefresh_s=$secs norefresh_c=$cpu
    rss=$(( apply_rss > plan_rss ? apply_rss : plan_rss ))
    budget=$(( n / 50 + 20 ))

    echo "bench: N=$n parallelism $par Terraform floor" >&2
    mkdir -p "$work/floor"
    {
      locals_for "$n" "n$n-p$par"
      cat <<TF
resource "terraform_data" "s" {
  for_each = local.ids
  input = {
    namespace = each.value.ns, name = each.key, owner = "team:bench", purpose = "benchmark", expires_at = "$expires"
    scopes    = each.value.two ? ["clusterrole:view@\${each.value.ns}", "clusterrole:edit@\${each.value.ns}"] : ["clusterrole:view@\${each.value.ns}"]
  }
}
TF
    } > "$work/floor/main.tf"
    timed "$work/floor" apply "$par" apply -auto-approve
    [[ $code -eq 0 ]] || { echo "floor apply of $n failed; see $work/floor/apply.log" >&2; exit 1; }
    fapply_s=$secs fapply_c=$cpu
    timed "$work/floor" plan "$par" plan
    fplan_s=$secs fplan_c=$cpu
    k="$n/$par"
    ours_apply[$k]="$apply_s $apply_c" ours_plan[$k]="$plan_s $plan_c" ours_norefresh[$k]="$norefresh_s $norefresh_c" ours_apply_req[$k]=$apply_req ours_plan_req[$k]=$plan_req ours_rss[$k]=$rss
    floor_apply[$k]="$fapply_s $fapply_c" floor_plan[$k]="$fplan_s $fplan_c"
    echo "| $n | $par | $(wcpu "$apply_s" "$apply_c") | $(wcpu "$fapply_s" "$fapply_c") | $(rwcpu "$apply_s" "$apply_c" "$fapply_s" "$fapply_c") | $apply_req | $(awk "BEGIN { printf \"%.1f\", $apply_req / $n }") | $apply_errs | $(wcpu "$plan_s" "$plan_c") | $(wcpu "$norefresh_s" "$norefresh_c") | $(rwcpu "$plan_s" "$plan_c" "$norefresh_s" "$norefresh_c") | $(wcpu "$fplan_s" "$fplan_c") | $plan_req | $budget | $rss |" >> "$OUT"
  done
done

if [[ -n "$PEER" ]]; then
  peer_version=$(basename "$PEER" | sed 's/^terraform-provider-kubernetes-//')
  {
    echo
    echo "### Side by side with terraform-provider-kubernetes"
    echo
    echo "terraform-provider-kubernetes $peer_version, built from source by \`scripts/bench-peer.sh\` (not committed), managing"
    echo "the same N service accounts (\`kubernetes_service_account_v1\`, with the same annotations) and their bindings"
    echo "(\`kubernetes_role_binding_v1\`, one per scope: 1.5 N) on the same cluster, in the same run as the table above;"
    echo "the nhi rows and the floor are that table's. The peer has no plan-time role checks, expiry or drift fields."
    echo
    echo "| N | parallelism | provider | resources | apply (s) | no-change plan (s) | -refresh=false (s) | plan / -refresh=false | apply requests | plan requests | provider peak RSS (MB) |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|"
  } >> "$OUT"
  for par in $PARALLELISM; do
    for n in $PEER_SIZES; do
      work="$DIR/peer-n$n-p$par"
      mkdir -p "$work"
      {
        cat <<TF
terraform {
  required_providers {
    kubernetes = { source = "hashicorp/kubernetes" }
  }
}
provider "kubernetes" {
  config_path = "$KC"
}
TF
        locals_for "$n" "k$n-p$par"
        cat <<TF
locals {
  grants = merge([for k, v in local.ids : { for r in (v.two ? ["view", "edit"] : ["view"]) : "\${k}:\${r}" => { sa = k, ns = v.ns, role = r } }]...)
}
resource "kubernetes_service_account_v1" "s" {
  for_each = local.ids
  metadata {
    name      = each.key
    namespace = each.value.ns
    labels    = { "app.kubernetes.io/managed-by" = "terraform" }
    annotations = {
      "nhi.dev/owner" = "team:bench", "nhi.dev/purpose" = "benchmark", "nhi.dev/expires-at" = "$expires"
      "nhi.dev/scopes" = jsonencode(each.value.two ? ["clusterrole:edit@\${each.value.ns}", "clusterrole:view@\${each.value.ns}"] : ["clusterrole:view@\${each.value.ns}"])
    }
  }
  automount_service_account_token = false
}
resource "kubernetes_role_binding_v1" "b" {
  for_each = local.grants
  metadata {
    name      = "nhi:\${each.value.ns}:\${each.value.sa}:clusterrole:\${each.value.role}"
    namespace = each.value.ns
  }
  role_ref {
    api_group = "rbac.authorization.k8s.io"
    kind      = "ClusterRole"
    name      = each.value.role
  }
  subject {
    kind      = "ServiceAccount"
    name      = kubernetes_service_account_v1.s[each.value.sa].metadata[0].name
    namespace = each.value.ns
  }
}
TF
      } > "$work/main.tf"
      echo "bench: peer N=$n parallelism $par apply" >&2
      timed "$work" apply "$par" apply -auto-approve
      [[ $code -eq 0 ]] || { echo "peer apply of $n failed; see $work/apply.log" >&2; exit 1; }
      p_apply_s=$secs p_apply_c=$cpu p_apply_req=$reqs p_rss=$rss_mb
      resources=$(grep -o 'Resources: [0-9]* added' "$work/apply.log" | awk '{print $2}')
      echo "bench: peer N=$n parallelism $par plan" >&2
      timed "$work" plan "$par" plan -detailed-exitcode
      [[ $code -eq 0 ]] || { echo "the peer's plan of $n was not empty (exit $code); see $work/plan.log" >&2; exit 1; }
      p_plan_s=$secs p_plan_c=$cpu p_plan_req=$reqs
      (( rss_mb > p_rss )) && p_rss=$rss_mb
      timed "$work" norefresh "$par" plan -refresh=false -detailed-exitcode
      p_norefresh_s=$secs p_norefresh_c=$cpu
      k="$n/$par"
      if [[ -n "${ours_apply[$k]:-}" ]]; then
        echo "| $n | $par | terraform-provider-nhi | $n | $(wcpu ${ours_apply[$k]}) | $(wcpu ${ours_plan[$k]}) | $(wcpu ${ours_norefresh[$k]}) | $(rwcpu ${ours_plan[$k]} ${ours_norefresh[$k]}) | ${ours_apply_req[$k]} | ${ours_plan_req[$k]} | ${ours_rss[$k]} |" >> "$OUT"
      fi
      echo "| $n | $par | terraform-provider-kubernetes | $resources | $(wcpu "$p_apply_s" "$p_apply_c") | $(wcpu "$p_plan_s" "$p_plan_c") | $(wcpu "$p_norefresh_s" "$p_norefresh_c") | $(rwcpu "$p_plan_s" "$p_plan_c" "$p_norefresh_s" "$p_norefresh_c") | $p_apply_req | $p_plan_req | $p_rss |" >> "$OUT"
      if [[ -n "${floor_apply[$k]:-}" ]]; then
        echo "| $n | $par | Terraform alone (\`terraform_data\`) | $n | $(wcpu ${floor_apply[$k]}) | $(wcpu ${floor_plan[$k]}) | | | 0 | 0 | |" >> "$OUT"
      fi
    done
  done
fi

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
  } >> "$OUT"
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
    echo "| $n | $(printf %.1f "$seed_s") | $sas | $(printf %.2f "$kubectl_s") | $(printf %.2f "$drift_s") | $ratio | $(( rss_kb / 1024 )) | $drift_req | $kubectl_req |" >> "$OUT"
  done
fi
if [[ -z "$DRIFT_SIZES" && -n "$old_drift" ]]; then
  printf '\n%s\n' "$old_drift" >> "$OUT"
fi
[[ -n "$notes" ]] && printf '\n%s\n' "$notes" >> "$OUT"
cat "$OUT"

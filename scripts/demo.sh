#!/usr/bin/env bash
# make demo: the product in five minutes (plus a one-time build of the local
# cluster). Builds the provider, starts a real local cluster, applies
# examples/quickstart, creates an identity out of band, shows the plan
# flagging it, previews a plan 100 days from now, runs the drift reporter over
# the same cluster and state, and stops the cluster. Everything it starts and
# writes is under .nhi-dev/demo (the cluster's processes, data and Terraform
# state); on exit the cluster is stopped and that directory removed.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
pause() { [[ -t 0 && -z "${CI:-}" ]] && read -r -p "    (press enter to continue) " _ || true; }

step "Building the provider"
go build -o bin/terraform-provider-nhi .
go build -o bin/nhi-dev-cluster ./internal/testenv/cmd/nhi-dev-cluster

step "Building the local cluster's binaries (cached; the first build takes about 15 minutes on 2 cores)"
BIN="$(scripts/testenv-build.sh)"

step "Starting a local kube-apiserver, etcd and kube-controller-manager on 127.0.0.1"
DIR="$root/.nhi-dev/demo"
mkdir -p "$DIR"
bin/nhi-dev-cluster down -dir "$DIR" >/dev/null 2>&1 || true
# On the way out, whatever happened: stop the cluster, then remove the demo's
# directory (keys, kubeconfigs, state), or keep it for its logs if the demo
# failed or the cluster could not be stopped.
finish() {
  local status=$?
  step "Stopping the local cluster"
  bin/nhi-dev-cluster down -dir "$DIR" || status=1
  if (( status == 0 )); then
    rm -rf "$DIR"
    rmdir "$root/.nhi-dev" 2>/dev/null || true
  else
    echo "    (kept $DIR for its logs)" >&2
  fi
  exit "$status"
}
trap finish EXIT
bin/nhi-dev-cluster up -dir "$DIR" -bin "$BIN"

work="$DIR/quickstart"
rm -rf "$work" && mkdir -p "$work"
cp examples/quickstart/*.tf "$work/"
cat > "$DIR/dev.tfrc" <<TFRC
provider_installation {
  dev_overrides {
    "nhi-ops/nhi" = "$root/bin"
  }
  direct {}
}
TFRC
export TF_CLI_CONFIG_FILE="$DIR/dev.tfrc" TF_IN_AUTOMATION=1
in90=$(date -u -d '+90 days' +%F)
in20=$(date -u -d '+20 days' +%F)
in100=$(date -u -d '+100 days' +%F)
vars=(-var "kubeconfig=$DIR/kubeconfig" -var "deployer_expires_at=$in90" -var "report_expires_at=$in20")
tf() { (cd "$work" && terraform "$@" "${vars[@]}" -no-color 2>&1 | grep -v -E 'Provider development overrides|The following provider development|nhi-ops/nhi in |The behavior may therefore|applying changes may cause|releases\.$|^configuration:$|^│ *$|^╷|^╵' ); }

step "terraform apply: two identities, each with an owner, a purpose, scopes and an expiry"
echo "    (the nightly-report identity expires in 20 days, so the plan warns)"
tf apply -auto-approve
pause

step "Someone creates a service account out of band and makes it cluster-admin"
bin/nhi-dev-cluster create-sa -dir "$DIR" -namespace default -name shadow-admin -clusterrole cluster-admin
pause

step "terraform plan: the check block flags the undeclared identity"
tf plan
pause

step "NHI_EVALUATION_TIME=$in100 terraform plan: what will the plan look like in 100 days?"
echo "    (payments-deployer will have expired: the plan disables it in place and removes its grants)"
NHI_EVALUATION_TIME="$in100" tf plan
pause

step "terraform-provider-nhi drift: the reporter a scheduled pipeline runs over the same cluster and state"
# A small drift configuration for the demo cluster (examples/drift/nhi-drift.hcl
# shows every setting).
cat > "$DIR/nhi-drift.hcl" <<HCL
source "kubernetes" "demo" {
  kubeconfig = "$DIR/kubeconfig"
}

owners {
  file = "owners.txt"
}
HCL
printf '# the teams that may own identities\nteam:payments\nteam:finance\n' > "$DIR/owners.txt"
echo "    \$ terraform-provider-nhi drift --config nhi-drift.hcl --state quickstart/terraform.tfstate --config-dir quickstart"
rc=0
(cd "$DIR" && "$root/bin/terraform-provider-nhi" drift --config nhi-drift.hcl --state quickstart/terraform.tfstate --config-dir quickstart) || rc=$?
case $rc in
  0) echo "    exit code 0: no finding at or above --fail-on (default: high)" ;;
  2) echo "    exit code 2: findings at or above --fail-on (default: high). This is the reporter working, not the"
     echo "    demo failing: a scheduled pipeline fails on it, so someone adopts shadow-admin (--generate-imports"
     echo "    writes the blocks) or deletes it. 0 means no such finding, 1 a configuration error, 3 a source that"
     echo "    could not be fully scanned." ;;
  *) echo "    exit code $rc: the reporter did not run as it should (1: configuration error, 3: incomplete scan)" >&2
     exit "$rc" ;;
esac

step "Done. Read the README for the governance model, and docs/ for every attribute."

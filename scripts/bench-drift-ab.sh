#!/usr/bin/env bash
# Drift scans of two provider binaries side by side on one seeded cluster,
# back to back, twice per size, with the kubectl floor: what a change to the
# scan costs. For example, before and after the effective-access resolution:
#   git worktree add /tmp/before 71b3f9e^ && (cd /tmp/before && go build -o /tmp/nhi-before .)
#   go build -o /tmp/nhi-after . && scripts/bench-drift-ab.sh /tmp/nhi-before /tmp/nhi-after
# NHI_BENCH_DRIFT sets the sizes (default "1000 10000"); prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
A="${1:?usage: scripts/bench-drift-ab.sh <before binary> <after binary>}"
B="${2:?usage: scripts/bench-drift-ab.sh <before binary> <after binary>}"
SIZES="${NHI_BENCH_DRIFT-1000 10000}"
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
go build -o bin/nhi-dev-cluster ./internal/testenv/cmd/nhi-dev-cluster
BIN="$(NHI_WITH_KUBECTL=1 scripts/testenv-build.sh)"
DIR="$PWD/.nhi-dev/bench-drift-ab"
rm -rf "$DIR" && mkdir -p "$DIR"
trap 'bin/nhi-dev-cluster down -dir "$DIR" >/dev/null' EXIT
bin/nhi-dev-cluster up -dir "$DIR" -bin "$BIN" >/dev/null
KC="$DIR/kubeconfig"
printf 'source "kubernetes" "bench" {\n  kubeconfig = "%s"\n}\n' "$KC" > "$DIR/drift.hcl"
secs() { awk "BEGIN { printf \"%.2f\", $(date +%s.%N) - $1 }"; }
scan() { # binary, output; prints "seconds RSS-MB findings"
  local s; s=$(date +%s.%N)
  /usr/bin/time -f %M -o "$DIR/rss" "$1" drift --config "$DIR/drift.hcl" --format json --fail-on none > "$2"
  echo "$(secs "$s") $(( $(tail -n1 "$DIR/rss") / 1024 )) $(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))['findings']))" "$2")"
}
echo "| seeded | service accounts | kubectl floor (s) | before (s) | before RSS (MB) | after (s) | after RSS (MB) | findings before | findings after |"
echo "|---|---|---|---|---|---|---|---|---|"
for n in $SIZES; do
  bin/nhi-dev-cluster seed -dir "$DIR" -name "drift$n" -count "$n" >/dev/null
  sas=$("$BIN/kubectl" --kubeconfig "$KC" get serviceaccounts -A --no-headers | wc -l)
  for _ in 1 2; do
    s=$(date +%s.%N)
    "$BIN/kubectl" --kubeconfig "$KC" get serviceaccounts,rolebindings,clusterrolebindings,secrets,deployments,cronjobs -A -o json > /dev/null
    k=$(secs "$s")
    read -r bs br bf < <(scan "$A" "$DIR/before.json")
    read -r as ar af < <(scan "$B" "$DIR/after.json")
    echo "| $n | $sas | $k | $bs | $br | $as | $ar | $bf | $af |"
  done
done

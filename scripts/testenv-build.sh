#!/usr/bin/env bash
# Builds the binaries of the project's real test cluster from source through
# the Go module proxy, and caches them by version outside the work tree:
#   kube-apiserver, kube-controller-manager (k8s.io/kubernetes), etcd.
# Prints the directory holding them on stdout. Progress goes to stderr.
set -euo pipefail

KUBE_VERSION="${NHI_KUBE_VERSION:-v1.37.2}"
ETCD_VERSION="${NHI_ETCD_VERSION:-v3.6.16}"
CACHE="${NHI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nhi-dev}"
OUT="$CACHE/bin/kube-$KUBE_VERSION-etcd-$ETCD_VERSION"

log() { echo "testenv-build: $*" >&2; }

# with_heartbeat runs a long, silent command and prints the elapsed time
# every 30 seconds so that a first build visibly makes progress.
with_heartbeat() {
  local what="$1"; shift
  "$@" &
  local pid=$! start=$SECONDS
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5
    if (( (SECONDS - start) % 30 < 5 && SECONDS - start >= 30 )); then
      log "still building $what ($(( (SECONDS - start) / 60 ))m$(( (SECONDS - start) % 60 ))s elapsed)"
    fi
  done
  wait "$pid"
}

# NHI_WITH_KUBECTL=1 also builds kubectl (make bench compares against it).
WITH_KUBECTL="${NHI_WITH_KUBECTL:-0}"
if [[ -x "$OUT/kube-apiserver" && -x "$OUT/kube-controller-manager" && -x "$OUT/etcd" && ( "$WITH_KUBECTL" != 1 || -x "$OUT/kubectl" ) ]]; then
  echo "$OUT"
  exit 0
fi
mkdir -p "$OUT"
export GOFLAGS=-mod=mod CGO_ENABLED=0

build_kube() {
  local work="$CACHE/src/kubernetes-$KUBE_VERSION"
  mkdir -p "$work"
  cd "$work"
  local modfile
  modfile="$(go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  local staging_version="v0${KUBE_VERSION#v1}"
  {
    echo "module nhi.dev/testenv/kube"
    echo
    sed -n 's/^go \(.*\)/go \1/p' "$modfile" | head -n1
    echo
    echo "require k8s.io/kubernetes $KUBE_VERSION"
    echo
    echo "replace ("
    # One replace per staging module of kubernetes' own replace block, pointed
    # at the published version of that staging module.
    sed -n '/^replace (/,/^)/p' "$modfile" | sed -n 's#^\s*\(k8s.io/[^ ]*\) => ./staging/.*#\t\1 => \1 '"$staging_version"'#p'
    echo ")"
  } > go.mod
  cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
  log "resolving k8s.io/kubernetes $KUBE_VERSION modules"
  go mod tidy -e >/dev/null 2>&1 || true
  local cmds=(kube-apiserver kube-controller-manager)
  [[ "$WITH_KUBECTL" == 1 ]] && cmds+=(kubectl)
  for cmd in "${cmds[@]}"; do
    if [[ ! -x "$OUT/$cmd" ]]; then
      log "building $cmd $KUBE_VERSION (first time takes several minutes on 2 cores)"
      with_heartbeat "$cmd" go build -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${KUBE_VERSION#v1.}" -o "$OUT/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd"
      mv "$OUT/$cmd.tmp" "$OUT/$cmd"
    fi
  done
}

build_etcd() {
  local work="$CACHE/src/etcd-$ETCD_VERSION"
  mkdir -p "$work"
  cd "$work"
  cat > go.mod <<MOD
module nhi.dev/testenv/etcd

go 1.24

require go.etcd.io/etcd/server/v3 $ETCD_VERSION
MOD
  cat > tools.go <<'GO'
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
GO
  log "building etcd $ETCD_VERSION"
  go mod tidy -e >/dev/null 2>&1 || true
  with_heartbeat etcd go build -trimpath -ldflags "-s -w" -o "$OUT/etcd.tmp" go.etcd.io/etcd/server/v3
  mv "$OUT/etcd.tmp" "$OUT/etcd"
}

[[ -x "$OUT/etcd" ]] || (build_etcd)
[[ -x "$OUT/kube-apiserver" && -x "$OUT/kube-controller-manager" && ( "$WITH_KUBECTL" != 1 || -x "$OUT/kubectl" ) ]] || (build_kube)
log "binaries ready in $OUT"
echo "$OUT"

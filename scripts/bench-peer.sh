#!/usr/bin/env bash
# Builds the peer of make bench's side-by-side run, terraform-provider-kubernetes,
# from source, and prints the directory that holds the binary. The binary is
# cached by version under ~/.cache/nhi-dev/bin, like the cluster's binaries; it
# is never committed.
#
#   NHI_BENCH_PEER_SRC=<dir>       a source tree, or a git directory (for example
#                                  the one `fetch github:hashicorp/terraform-provider-kubernetes`
#                                  leaves under /work/.mirror): its HEAD is built
#   NHI_BENCH_PEER_VERSION=<ver>   else `go install` of that module version through
#                                  the Go module proxy. Only old versions resolve there:
#                                  the module path has no /v3 suffix, so the proxy serves
#                                  no v2/v3 tag (nor +incompatible, nor a commit), and
#                                  `@latest` is v1.13.4 (checked 2026-12-02). For the
#                                  current provider, fetch its repository and use
#                                  NHI_BENCH_PEER_SRC.
set -euo pipefail
MODULE=github.com/hashicorp/terraform-provider-kubernetes
CACHE="${NHI_DEV_CACHE:-$HOME/.cache/nhi-dev/bin}"

if [[ -n "${NHI_BENCH_PEER_SRC:-}" ]]; then
  src="$NHI_BENCH_PEER_SRC"
  if git --git-dir="$src" rev-parse --is-bare-repository >/dev/null 2>&1 && [[ ! -f "$src/go.mod" ]]; then
    gitdir="$src"
  elif [[ -d "$src/.git" || -f "$src/.git" ]]; then
    gitdir="$(git -C "$src" rev-parse --absolute-git-dir)"
  else
    gitdir=""
  fi
  if [[ -n "$gitdir" ]]; then
    version="$(git --git-dir="$gitdir" describe --tags --always HEAD)"
  else
    version="src-$(cd "$src" && find . -name '*.go' -o -name go.sum | sort | xargs cat | sha256sum | cut -c1-12)"
  fi
  out="$CACHE/terraform-provider-kubernetes-$version"
  if [[ ! -x "$out/terraform-provider-kubernetes" ]]; then
    echo "bench-peer: building terraform-provider-kubernetes $version from $src (a few minutes, cached)" >&2
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    if [[ -n "$gitdir" ]]; then
      # Test data is not needed to build (and a mirror may lack its largest
      # blobs): only what exists is written out.
      git --git-dir="$gitdir" ls-tree -r -z HEAD | while IFS= read -r -d '' entry; do
        obj="${entry#* blob }"; obj="${obj%%$'\t'*}"; path="${entry#*$'\t'}"
        [[ "$entry" == *" blob "* ]] || continue
        mkdir -p "$tmp/$(dirname "$path")"
        git --git-dir="$gitdir" cat-file blob "$obj" > "$tmp/$path" 2>/dev/null || rm -f "$tmp/$path"
      done
      build="$tmp"
    else
      build="$src"
    fi
    mkdir -p "$out"
    (cd "$build" && CGO_ENABLED=0 go build -trimpath -o "$out/terraform-provider-kubernetes.tmp" .)
    mv "$out/terraform-provider-kubernetes.tmp" "$out/terraform-provider-kubernetes"
  fi
elif [[ -n "${NHI_BENCH_PEER_VERSION:-}" ]]; then
  version="$NHI_BENCH_PEER_VERSION"
  out="$CACHE/terraform-provider-kubernetes-$version"
  if [[ ! -x "$out/terraform-provider-kubernetes" ]]; then
    echo "bench-peer: go install $MODULE@$version (a few minutes, cached)" >&2
    mkdir -p "$out"
    GOBIN="$out" CGO_ENABLED=0 go install -trimpath "$MODULE@$version"
  fi
else
  echo "bench-peer: set NHI_BENCH_PEER_SRC (a source or git directory) or NHI_BENCH_PEER_VERSION" >&2
  exit 2
fi
echo "$out"

#!/usr/bin/env bash
# Builds the Terraform CLI the acceptance tests run on (>= 1.14: list
# resources, `terraform query` and actions) from its source on the Go module
# proxy, and caches it by version outside the work tree:
#   $CACHE/bin/terraform-<version>/terraform
# Prints the binary's path on stdout. Progress goes to stderr. A cached binary
# costs nothing: the script exits before touching the network.
#
# Why not `go install github.com/hashicorp/terraform@<version>`: Terraform's
# go.mod replaces its nested modules (the remote-state backends azurerm,
# consul, cos, gcs, kubernetes, oci, oss, pg and s3, and internal/legacy) with
# ./internal/... directories, and a module zip leaves nested modules out, so
# those directories do not exist and the module graph cannot load. The
# smallest robust fix is to build a copy of the source without them: every
# replace whose target directory is missing is dropped from go.mod with its
# requirement, and the backends' imports and map entries are removed from
# internal/backend/init/init.go (the only non-test file importing them). The
# result is Terraform with the local, http, inmem, remote and cloud backends
# (the tests use local state); a configuration naming a dropped backend gets
# Terraform's own "unsupported backend" error. The script fails, naming the
# package, if any other non-test file still imports a dropped module, so a
# future version that needs more than this is caught at build time.
#
# Concurrent runs are safe: each builds into a temporary file of its own, the
# build and the move into the cache hold a lock ($OUT.lock, flock), and a
# binary enters the cache (and a cached one is used) only when its
# `version -json` says $TF_VERSION.
set -euo pipefail

TF_VERSION="${NHI_TERRAFORM_VERSION:-v1.15.0}"
CACHE="${NHI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nhi-dev}"
OUT="$CACHE/bin/terraform-$TF_VERSION"

log() { echo "terraform-build: $*" >&2; }

# is_version BINARY: the binary runs and reports $TF_VERSION.
is_version() {
  local got
  [[ -x "$1" ]] || return 1
  got="$(CHECKPOINT_DISABLE=1 "$1" version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([^"]*\)".*/\1/p')" || return 1
  [[ "v$got" == "$TF_VERSION" ]]
}

if is_version "$OUT/terraform"; then
  echo "$OUT/terraform"
  exit 0
fi
if [[ -e "$OUT/terraform" ]]; then
  log "$OUT/terraform does not report $TF_VERSION; building it again"
fi

# with_heartbeat runs a long, silent command and prints the elapsed time
# every 30 seconds so that a first build visibly makes progress.
# The background command is stopped if the script exits early (see cleanup).
build_pid=""
with_heartbeat() {
  local what="$1"; shift
  "$@" &
  build_pid=$!
  local start=$SECONDS
  while kill -0 "$build_pid" 2>/dev/null; do
    sleep 5
    if (( (SECONDS - start) % 30 < 5 && SECONDS - start >= 30 )); then
      log "still building $what ($(( (SECONDS - start) / 60 ))m$(( (SECONDS - start) % 60 ))s elapsed)"
    fi
  done
  local rc=0
  wait "$build_pid" || rc=$?
  build_pid=""
  return "$rc"
}

src="" tmp_bin=""
cleanup() {
  if [[ -n "$build_pid" ]]; then kill "$build_pid" 2>/dev/null || true; wait "$build_pid" 2>/dev/null || true; fi
  if [[ -n "$tmp_bin" ]]; then rm -f "$tmp_bin"; fi
  if [[ -n "$src" ]]; then chmod -R u+w "$src" 2>/dev/null || true; rm -rf "$src"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# One build per version at a time: a second run waits, then finds the first
# one's binary in the cache.
mkdir -p "$OUT"
exec 9>"$OUT.lock"
if ! flock -n 9; then
  log "another run is building terraform $TF_VERSION; waiting for it"
  flock 9
fi
if is_version "$OUT/terraform"; then
  echo "$OUT/terraform"
  exit 0
fi

export GOFLAGS=-mod=mod CGO_ENABLED=0
start=$SECONDS

log "downloading github.com/hashicorp/terraform@$TF_VERSION from the module proxy"
mod_dir="$(cd "${TMPDIR:-/tmp}" && GOFLAGS= go mod download -json "github.com/hashicorp/terraform@$TF_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
if [[ -z "$mod_dir" || ! -f "$mod_dir/go.mod" ]]; then
  log "go mod download gave no source directory for github.com/hashicorp/terraform@$TF_VERSION"
  exit 1
fi

src="$(mktemp -d "${TMPDIR:-/tmp}/nhi-terraform-src.XXXXXX")"
cp -R "$mod_dir/." "$src/"
chmod -R u+w "$src"
cd "$src"

# The nested modules the zip left out: replace targets that are local
# directories which do not exist.
missing=()
while read -r path target; do
  [[ "$target" == ./* && ! -d "$target" ]] && missing+=("$path")
done < <(go mod edit -json | sed -n '/"Replace": \[/,/^\t\]/p' | awk '
  /"Old":/ { old = 1; next }
  /"New":/ { old = 0; next }
  /"Path":/ { gsub(/[",]/, "", $2); if (old) p = $2; else print p, $2 }')

init=internal/backend/init/init.go
for path in "${missing[@]}"; do
  log "dropping nested module $path (not in the module zip)"
  go mod edit -dropreplace "$path" -droprequire "$path"
  # The import's alias, then the import line and every line using it.
  alias="$(sed -n 's#^\s*\([A-Za-z0-9_]*\) "'"$path"'"$#\1#p' "$init")"
  if [[ -n "$alias" ]]; then
    sed -i -e '\#^\s*'"$alias"' "'"$path"'"$#d' -e '/\b'"$alias"'\./d' "$init"
  fi
done

# Any other non-test file importing a dropped module would fail later with a
# less helpful error; say which.
for path in "${missing[@]}"; do
  if users="$(grep -rl --include='*.go' --exclude='*_test.go' "\"$path[\"/]" . 2>/dev/null)" && [[ -n "$users" ]]; then
    log "terraform $TF_VERSION imports $path outside $init ($users); this script needs a stub module for it"
    exit 1
  fi
done

log "building terraform $TF_VERSION (first time takes a few minutes on 2 cores)"
tmp_bin="$(mktemp "$OUT/terraform.XXXXXX")"
with_heartbeat terraform go build -trimpath \
  -ldflags "-s -w -X github.com/hashicorp/terraform/version.dev=no" \
  -o "$tmp_bin" .
if ! is_version "$tmp_bin"; then
  log "the built binary does not report $TF_VERSION ($(CHECKPOINT_DISABLE=1 "$tmp_bin" version 2>&1 | head -n 1)); not caching it"
  exit 1
fi
mv -f "$tmp_bin" "$OUT/terraform"
tmp_bin=""
log "terraform $TF_VERSION ready in $OUT ($(( SECONDS - start ))s)"
echo "$OUT/terraform"

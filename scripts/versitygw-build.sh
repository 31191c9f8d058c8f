#!/usr/bin/env bash
# Builds versitygw, the project's IAM test server (an independent
# implementation of the IAM Query API), through the Go module proxy and
# caches it by version outside the work tree. Prints the binary's path on
# stdout; progress goes to stderr. About two minutes the first time.
set -euo pipefail

VERSION="${NHI_VERSITYGW_VERSION:-v1.8.0}"
CACHE="${NHI_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/nhi-dev}"
OUT="$CACHE/bin/versitygw-$VERSION"

if [[ ! -x "$OUT/versitygw" ]]; then
  echo "versitygw-build: building versitygw $VERSION (about two minutes the first time)" >&2
  mkdir -p "$OUT"
  GOBIN="$OUT" GOFLAGS=-mod=mod CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" "github.com/versity/versitygw/cmd/versitygw@$VERSION"
fi
echo "$OUT/versitygw"

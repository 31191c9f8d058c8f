#!/usr/bin/env bash
# Prints the directory holding the PostgreSQL server binaries (initdb,
# postgres) for the project's PostgreSQL test server: the newest
# /usr/lib/postgresql/<version>/bin. Where none exists, installs Debian's
# `postgresql` package first (needs root, or sudo), without letting the
# package start its own cluster (nor, on a fresh machine, create one): the
# harness runs its own throwaway server (testenv.StartPostgres). Progress
# goes to stderr.
set -euo pipefail

log() { echo "postgres-install: $*" >&2; }

newest_bin() {
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | while read -r b; do
        [[ -x "$b/postgres" && -x "$b/initdb" ]] && echo "$b"; done | tail -n 1)"
  [[ -n "$d" ]] && echo "$d"
}

if bin="$(newest_bin)"; then
  echo "$bin"
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null 2>&1; then
    log "no PostgreSQL server in /usr/lib/postgresql/*/bin and not root: install Debian's postgresql package (apt-get install postgresql)"
    exit 1
  fi
  SUDO=(sudo)
fi
if ! command -v apt-get >/dev/null 2>&1; then
  log "no PostgreSQL server in /usr/lib/postgresql/*/bin and no apt-get: install PostgreSQL and pass its bin directory (nhi-dev-cluster pg-up -bin DIR)"
  exit 1
fi

log "installing Debian's postgresql package (its own cluster is not started)"
# policy-rc.d exit 101: maintainer scripts may not start services.
created_policy=0
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
  "${SUDO[@]}" chmod 0755 /usr/sbin/policy-rc.d
  created_policy=1
fi
cleanup() { if [[ $created_policy -eq 1 ]]; then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d; fi; }
trap cleanup EXIT
# postgresql-common creates a "main" cluster on install unless told not to.
if [[ ! -e /etc/postgresql-common/createcluster.conf ]]; then
  "${SUDO[@]}" mkdir -p /etc/postgresql-common
  echo 'create_main_cluster = false' | "${SUDO[@]}" tee /etc/postgresql-common/createcluster.conf >/dev/null
fi
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  -o Dpkg::Options::=--force-confold postgresql >&2
# Should a cluster have been started anyway, stop it: it is not ours to run.
if command -v pg_lsclusters >/dev/null 2>&1; then
  pg_lsclusters --no-header 2>/dev/null | while read -r version name _port status _rest; do
    if [[ "$status" == online* ]]; then
      log "stopping the package's cluster $version/$name"
      "${SUDO[@]}" pg_ctlcluster "$version" "$name" stop >&2 || true
    fi
  done
fi

if ! bin="$(newest_bin)"; then
  log "the postgresql package is installed but no /usr/lib/postgresql/*/bin/postgres exists"
  exit 1
fi
echo "$bin"

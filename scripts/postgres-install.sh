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
# shellcheck source=lib/apt-install.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt-install.sh"

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

apt_require_root_or_sudo \
  "no PostgreSQL server in /usr/lib/postgresql/*/bin and not root: install Debian's postgresql package (apt-get install postgresql)" \
  "no PostgreSQL server in /usr/lib/postgresql/*/bin and no apt-get: install PostgreSQL and pass its bin directory (nhi-dev-cluster pg-up -bin DIR)"

log "installing Debian's postgresql package (its own cluster is not started)"
apt_block_service_start
# postgresql-common creates a "main" cluster on install unless told not to.
if [[ ! -e /etc/postgresql-common/createcluster.conf ]]; then
  "${SUDO[@]}" mkdir -p /etc/postgresql-common
  echo 'create_main_cluster = false' | "${SUDO[@]}" tee /etc/postgresql-common/createcluster.conf >/dev/null
fi
apt_install postgresql
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

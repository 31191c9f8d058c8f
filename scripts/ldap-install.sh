#!/usr/bin/env bash
# Prints the path of slapd for the project's LDAP test directory (the owner
# directory tests): Debian's /usr/sbin/slapd. Where it or ldapmodify is
# missing, installs Debian's `slapd` and `ldap-utils` packages first (needs
# root, or sudo), non-interactively and without letting the package start
# its own server: the harness runs its own throwaway slapd
# (testenv.StartLDAP). Progress goes to stderr.
set -euo pipefail

log() { echo "ldap-install: $*" >&2; }
# shellcheck source=lib/apt-install.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/apt-install.sh"

SLAPD=/usr/sbin/slapd
if [[ -x "$SLAPD" ]] && command -v ldapmodify >/dev/null 2>&1; then
  echo "$SLAPD"
  exit 0
fi

apt_require_root_or_sudo \
  "slapd or ldapmodify is missing and this is not root: install Debian's slapd and ldap-utils packages (apt-get install slapd ldap-utils)" \
  "slapd or ldapmodify is missing and there is no apt-get: install OpenLDAP's slapd and client tools, and pass slapd (nhi-dev-cluster ldap-up -slapd BIN)"

log "installing Debian's slapd and ldap-utils packages (their own server is not started)"
apt_block_service_start
# Preseed: no questions. The package's own database (which the harness
# never uses) gets a throwaway domain and a random admin password.
pw="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
"${SUDO[@]}" debconf-set-selections <<SEL
slapd slapd/no_configuration boolean false
slapd slapd/domain string nhi.invalid
slapd shared/organization string nhi
slapd slapd/password1 password $pw
slapd slapd/password2 password $pw
slapd slapd/purge_database boolean true
slapd slapd/move_old_database boolean true
SEL
apt_install slapd ldap-utils
# Should the package's server have been started anyway, stop it: it is not
# ours to run (and would hold port 389).
if pid="$(cat /var/run/slapd/slapd.pid 2>/dev/null)" && [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
  log "stopping the package's slapd (pid $pid)"
  "${SUDO[@]}" kill "$pid" || true
fi

if [[ ! -x "$SLAPD" ]]; then
  log "the slapd package is installed but $SLAPD does not exist"
  exit 1
fi
echo "$SLAPD"

# shellcheck shell=bash
# Shared by scripts/ldap-install.sh and scripts/postgres-install.sh: install
# Debian packages non-interactively without letting their maintainer
# scripts start services. Source it after defining log(); it defines:
#
#   apt_require_root_or_sudo NOT_ROOT_MSG NO_APT_MSG
#       sets the array SUDO (empty as root, (sudo) otherwise); logs the
#       message and exits 1 when neither root nor sudo, or no apt-get.
#   apt_block_service_start
#       creates /usr/sbin/policy-rc.d (exit 101) unless one exists, and
#       removes it again on exit.
#   apt_install PACKAGE...
#       apt-get update and install --no-install-recommends, noninteractive,
#       keeping existing configuration files; output to stderr.

apt_require_root_or_sudo() {
  SUDO=()
  if [[ $(id -u) -ne 0 ]]; then
    if ! command -v sudo >/dev/null 2>&1; then
      log "$1"
      exit 1
    fi
    SUDO=(sudo)
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    log "$2"
    exit 1
  fi
}

# policy-rc.d exit 101: maintainer scripts may not start services.
apt_block_service_start() {
  apt_created_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee /usr/sbin/policy-rc.d >/dev/null
    "${SUDO[@]}" chmod 0755 /usr/sbin/policy-rc.d
    apt_created_policy=1
  fi
  trap apt_unblock_service_start EXIT
}

apt_unblock_service_start() {
  if [[ ${apt_created_policy:-0} -eq 1 ]]; then "${SUDO[@]}" rm -f /usr/sbin/policy-rc.d; fi
}

apt_install() {
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confold "$@" >&2
}

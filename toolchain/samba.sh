#!/usr/bin/env bash
# Makes sure this machine has a Samba AD domain controller and the OpenLDAP command-line tools,
# for the Active Directory tests and benchmarks (harness/samba-dc.ts). The test machines are
# root, so a fresh one gets Debian's packages with apt-get; elsewhere it says what to install.
# Sourced by scripts/test, or run on its own. Idempotent: instant when everything is present.
#
# `samba` alone cannot provision a domain controller: provisioning needs its recommended
# packages samba-ad-provision (the AD schema files), samba-dsdb-modules and samba-vfs-modules
# (the sysvol ACLs): named here, since recommends are not pulled for an already installed samba.
# iproute2 (`ip`): the harness gives each DC a network namespace and a veth pair of its own.
SAMBA_PACKAGES="samba samba-ad-provision samba-dsdb-modules samba-vfs-modules ldap-utils iproute2"

samba_present() {
  # shellcheck disable=SC2086
  dpkg -s $SAMBA_PACKAGES >/dev/null 2>&1 && command -v samba >/dev/null 2>&1
}

ensure_samba() {
  samba_present && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    printf '[setup] samba is missing: install it (Debian/Ubuntu: sudo apt-get install samba ldap-utils); the Active Directory tests fail without it\n' >&2
    return 0
  fi
  printf '[setup] installing samba and ldap-utils with apt-get (about a minute)\n' >&2
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine may have no package lists yet: refresh only when the install fails.
  # shellcheck disable=SC2086
  apt-get install -y $SAMBA_PACKAGES >/dev/null 2>&1 ||
    { apt-get update >/dev/null 2>&1 && apt-get install -y $SAMBA_PACKAGES >&2; } ||
    printf '[setup] apt-get could not install %s; the Active Directory tests will fail\n' "$SAMBA_PACKAGES" >&2
  # Debian's samba package may enable the system's own daemons; the harness runs its own server
  # from a provisioned folder and needs the ports: stop them when they run (no-op in containers).
  if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
    systemctl disable --now samba-ad-dc smbd nmbd winbind >/dev/null 2>&1 || true
  fi
}

ensure_samba

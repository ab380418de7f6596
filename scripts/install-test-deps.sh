#!/bin/bash
# install-test-deps.sh - the Debian 12 packages the tests need: the real DHCP server, proxy
# and DHCP client the rig in test/integration/rig/ runs inside network namespaces, xmllint and
# zsh for unit tests (the JUnit output's schema check, the zsh completion setup).
#
#   binary          package        used for
#   dnsmasq         dnsmasq-base   the DHCP agent's dnsmasq (NOT the `dnsmasq` package: that
#                                  one ships and starts a system-wide dnsmasq service)
#   haproxy         haproxy        the modern (Pike+) ns-metadata-proxy
#   udhcpc          udhcpc         the "VM"'s DHCP client (busybox udhcpc, -O staticroutes)
#   ip, ss, bridge  iproute2       namespaces, veths, the bridge; also what diagnose runs
#   netstat, route  net-tools      what diagnose runs on a Grizzly-era node
#   ps              procps         process listing
#   python3         python3        the Grizzly proxy and metadata-agent stand-ins
#   curl            curl           the VM's HTTP GET of http://169.254.169.254/
#   xmllint         libxml2-utils  validates diagnose's JUnit XML against test/fixtures/junit/junit-10.xsd
#   zsh             zsh            sources the zsh completion setup `quantum-meta autocomplete` writes
#   sshd            openssh-server the fleet rig's hosts (test/fleet/): one sshd per host on
#                                  127.0.0.1 (policy-rc.d below keeps the system sshd stopped)
#   ssh, ssh-keygen openssh-client the fleet transport and the rig's keys
#   ansible-playbook ansible-core  runs examples/ansible/collect-snapshots.yml against the fleet
#                                  rig's hosts (test/fleet/ansible.test.ts); ansible-core alone,
#                                  not the `ansible` collections bundle: the playbook uses only
#                                  the builtin command, fetch and file modules
#   groff           groff-base     lints the man page the build writes (test/cli/docs.test.ts:
#                                  groff -man -ww -z quantum-meta.1)
#   iptables-restore iptables      loads a real L3 agent's rules into a test router namespace
#                                  (test/integration/l3-router.test.ts; iptables-nft, Debian 12's default)
#   debootstrap     debootstrap    makes the Debian 12 root without Node.js that dist/quantum-meta runs in
#                                  (test/integration/sea-chroot.test.ts; once, into /var/cache/qm-test/,
#                                  from the Debian mirror)
#
# And, as root, the real-OpenStack harness's packages (scripts/harness/openstack/lib.sh
# QMOS_PACKAGES: neutron-server, the DHCP, linuxbridge, L3 and metadata agents, keystone,
# mariadb-server, rabbitmq-server, iptables, nftables, conntrack, crudini, busybox, keepalived (the
# L3 agents run it for the HA routers of harness/openstack/ha-up.sh's second host), socat (that
# host's relays), nova-api, nova-common, python3-nova and uwsgi-plugin-python3 (the real Nova metadata
# API of harness/openstack/nova-up.sh; the same policy-rc.d keeps nova-api and nova-api-metadata from
# starting on install), ...; radvd comes with the L3 agent and is never started), unless
# QM_SKIP_OPENSTACK=1. Only when `scripts/harness/openstack/up.sh --check` accepts the machine: on
# one with a Neutron the harness did not make, nothing Neutron is installed here (up.sh then
# refuses too, and scripts/test.sh fails the run).
#
# Run as root on Debian 12. Non-interactive; does nothing (no apt at all) when every
# binary is already there. Safe to run again.
set -euo pipefail

declare -A PKG_OF=(
    [dnsmasq]=dnsmasq-base
    [haproxy]=haproxy
    [udhcpc]=udhcpc
    [ip]=iproute2
    [ss]=iproute2
    [bridge]=iproute2
    [netstat]=net-tools
    [route]=net-tools
    [ps]=procps
    [curl]=curl
    [xmllint]=libxml2-utils
    [zsh]=zsh
    [sshd]=openssh-server
    [ssh]=openssh-client
    [ssh-keygen]=openssh-client
    [ansible-playbook]=ansible-core
    [iptables-restore]=iptables
    [groff]=groff-base
    [debootstrap]=debootstrap
)

have() {
    # look in the sbin directories too: a non-login root shell may not have them on PATH
    PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin" command -v "$1" >/dev/null 2>&1
}

missing=()
for bin in "${!PKG_OF[@]}"; do
    have "$bin" || missing+=("${PKG_OF[$bin]}")
done
# The rig runs /usr/bin/python3 (Debian's), not whatever python3 comes first on PATH.
[ -x /usr/bin/python3 ] || missing+=(python3)

# The OpenStack harness's packages: the lists are the harness's own (lib.sh), read in a subshell
HARNESS=$(cd "$(dirname "$0")" && pwd)/harness/openstack
openstack_pkgs=()
if [ "$(id -u)" -eq 0 ] && [ "${QM_SKIP_OPENSTACK:-}" != 1 ]; then
    mapfile -t os_bins < <(bash -c 'source "$1"; printf "%s\n" "${QMOS_BINARIES[@]}"' _ "$HARNESS/lib.sh")
    os_missing=0
    for bin in "${os_bins[@]}"; do have "$bin" || os_missing=1; done
    if [ $os_missing = 1 ]; then
        # reads only: a machine running (or configured for) a Neutron the harness did not make gets none
        if "$HARNESS/up.sh" --check; then
            mapfile -t openstack_pkgs < <(bash -c 'source "$1"; printf "%s\n" "${QMOS_PACKAGES[@]}"' _ "$HARNESS/lib.sh")
            missing+=("${openstack_pkgs[@]}")
        else
            echo "install-test-deps: the OpenStack harness refuses this machine (above): its packages are not installed" >&2
        fi
    fi
fi

if [ ${#missing[@]} -eq 0 ]; then
    echo "install-test-deps: every binary is present, nothing to install"
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "install-test-deps: must run as root to install: ${missing[*]}" >&2
    exit 1
fi

# No package may start a daemon on this machine (haproxy's postinst would start the
# system haproxy service, for instance). invoke-rc.d asks /usr/sbin/policy-rc.d first and
# does nothing when it exits 101 ("action forbidden"). Many container images already
# ship this file (Debian's docker images do); only write it when it is absent, and leave
# it in place afterwards so that later installs are covered too.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# written by quantum-meta scripts/install-test-deps.sh: never start services on install\nexit 101\n' \
        > /usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    echo "install-test-deps: wrote /usr/sbin/policy-rc.d (exit 101) so no package starts a daemon"
fi

# ... and it must say so: an existing one that answers otherwise is not ours to change
set +e; /usr/sbin/policy-rc.d quantum-meta-probe start >/dev/null 2>&1; rc=$?; set -e
if [ "$rc" != 101 ]; then
    echo "install-test-deps: /usr/sbin/policy-rc.d answers $rc, not 101: packages would start their services on install; fix it first" >&2
    exit 1
fi

# unique package names, stable order
mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
echo "install-test-deps: installing ${pkgs[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends "${pkgs[@]}"

for bin in "${!PKG_OF[@]}"; do
    have "$bin" || { echo "install-test-deps: $bin still missing after install" >&2; exit 1; }
done
[ -x /usr/bin/python3 ] || { echo "install-test-deps: /usr/bin/python3 still missing" >&2; exit 1; }
if [ ${#openstack_pkgs[@]} -gt 0 ]; then
    for bin in "${os_bins[@]}"; do
        have "$bin" || { echo "install-test-deps: $bin (the OpenStack harness) still missing after install" >&2; exit 1; }
    done
fi
echo "install-test-deps: done"

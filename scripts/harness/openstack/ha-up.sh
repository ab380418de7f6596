#!/bin/bash
# ha-up.sh - the harness's opt-in second L3 agent host, for HA routers (idempotent). Needs up.sh.
#
#   scripts/harness/openstack/ha-up.sh              start the host (a no-op when it runs); waits
#                                                   until the API lists its three agents alive
#   scripts/harness/openstack/ha-up.sh --wire NET...   put an L2 cable between the two hosts'
#                                                   bridges of each network (the HA network of the
#                                                   routers' project, a tenant network): waits up
#                                                   to 120 s until both bridges exist
#   scripts/harness/openstack/ha-down.sh            takes it away (down.sh does too)
#
# The host, `qm-ci-ha2` (HA_HOST in lib.sh), is a private mount + uts + pid + network namespace
# (unshare; PID 1 ha-host-pid1.py, setup ha-host-setup.sh) with its own /run, /etc/qm-openstack (a
# copy, host = qm-ci-ha2), /var/lib/qm-openstack/neutron, /var/log/qm-openstack, sysfs and hostname,
# all under /var/tmp/qm-openstack-ha2. It runs Debian's real neutron-linuxbridge-agent,
# neutron-l3-agent and neutron-metadata-agent against the harness's neutron-server. All three are
# needed: Zed starts keepalived for an HA router only once the router's HA port on that host is
# ACTIVE (an L2 agent of the host binds it), and a master's haproxy forwards to its own host's
# metadata agent socket.
# Its own network namespace, because with the machine's its L3 agent cannot plug an HA router's
# qr- port: the replicated port is one port on both hosts, so is its root-side tap<port[:11]>, which
# the harness's L3 agent already holds ("InterfaceAlreadyExists").
# RabbitMQ, fake nova, Keystone and neutron-server are reached through socat relays over unix
# sockets under /var/tmp/qm-openstack-ha2/sock (root side: pid records ha-relay-NAME.pid in
# /run/qm-openstack; they only connect to 127.0.0.1); the networks' L2 through veth cables
# qmha-<net[:8]> (root, in brq<net[:11]>) / qmhb-<net[:8]> (the host's, in its brq<net[:11]>), no
# address, IPv6 off, as a physical segment joins two real hosts. No TCP listener, address, route
# or iptables rule in the root namespace.
set -euo pipefail

readonly SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/harness/openstack/lib.sh
source "$SCRIPTS/lib.sh"
readonly PID1_SCRIPT=$SCRIPTS/ha-host-pid1.py
readonly NOAUTH=http://127.0.0.1:9697

[ "$(id -u)" = 0 ] || die "run as root"

# ha_pid1: the live PID 1 of the host (root numbering), its command line checked, or nothing
ha_pid1() {
    local p; p=$(recorded_pid ha-host) || return 1
    [ "$(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)" = "/usr/bin/python3 $PID1_SCRIPT $HA_DIR $HA_HOST " ] && echo "$p"
}
api() { curl -sf -m 20 "$NOAUTH/v2.0$1"; }

# wire NET: the cable of one network (idempotent). The root namespace's bridge must come from the
# harness's agents (a DHCP, router or HA port there). On qm-ci-ha2 the linuxbridge agent makes the
# bridge when it plugs a port of the network bound to qm-ci-ha2: its HA port at once, but an HA
# router's qr- port only while qm-ci-ha2 is the master (the server binds the replicated port to the
# master's host; a backup's agent logs "Device tap... not defined on plugin" and leaves it out). So
# when the agent has not made it within 30 s, the bridge is made here under the agent's name
# (brq<net[:11]>, up, no address); the agent takes it as its own when it plugs the port.
wire() {
    local net=$1 p1=$2 b=brq${1:0:11} a=qmha-${1:0:8} z=qmhb-${1:0:8} i
    [[ $net =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] || die "--wire: not a network id: $net"
    for ((i = 0; i < 600; i++)); do [ -e "/sys/class/net/$b" ] && break; sleep 0.2; done
    [ -e "/sys/class/net/$b" ] || die "--wire $net: no bridge $b in the root namespace after 120 s"
    for ((i = 0; i < 150; i++)); do nsenter -t "$p1" -n ip link show "$b" >/dev/null 2>&1 && break; sleep 0.2; done
    if ! nsenter -t "$p1" -n ip link show "$b" >/dev/null 2>&1; then
        nsenter -t "$p1" -n ip link add "$b" type bridge forward_delay 0 stp_state 0
        nsenter -t "$p1" -n ip link set "$b" addrgenmode none
        nsenter -t "$p1" -n ip link set "$b" up
        log "made $b on $HA_HOST (its linuxbridge agent had not: no port of $net plugged there yet)"
    fi
    [ -e "/sys/class/net/$a" ] && return 0
    ip link add "$a" type veth peer name "$z"
    ip link set "$a" addrgenmode none
    ip link set "$z" netns "$p1"
    nsenter -t "$p1" -n ip link set "$z" addrgenmode none
    nsenter -t "$p1" -n ip link set "$z" master "$b" up
    ip link set "$a" master "$b" up
    log "cable $a (root, in $b) <-> $z ($HA_HOST, in its $b)"
}

if [ "${1:-}" = --wire ]; then
    shift
    P1=$(ha_pid1) || die "$HA_HOST is not running: ha-up.sh first"
    for net in "$@"; do wire "$net" "$P1"; done
    exit 0
fi
[ $# = 0 ] || die "unknown option $1 (ha-up.sh, or ha-up.sh --wire NET...)"

for d in neutron-server neutron-server-noauth rabbitmq fake-nova keystone neutron-l3-agent; do
    running "$d" || die "the harness's $d is not running: run up.sh first"
done
T0=$(now_ms)
if P1=$(ha_pid1); then
    log "$HA_HOST already runs (PID 1 $P1)"
else
    # agents of HA_HOST with no host of ours: dead ones go; a live one means another HA_HOST runs
    agents=$(api "/agents?host=$HA_HOST") || die "neutron-server (noauth) does not answer on $NOAUTH"
    live=$(/usr/bin/python3 -c 'import json,sys; print(" ".join(a["binary"] for a in json.load(sys.stdin)["agents"] if a["alive"]))' <<<"$agents")
    [ -z "$live" ] || die "the API lists live agents of $HA_HOST ($live), but no $HA_HOST of ours runs"
    for A in $(/usr/bin/python3 -c 'import json,sys; print(" ".join(a["id"] for a in json.load(sys.stdin)["agents"]))' <<<"$agents"); do
        curl -sf -m 20 -X DELETE "$NOAUTH/v2.0/agents/$A" >/dev/null && log "deleted dead agent $A of $HA_HOST"
    done
    # a crashed run's leftovers (the down script checks what it stops)
    [ -e "$HA_DIR" ] && "$SCRIPTS/ha-down.sh"
    install -d -m 0700 "$HA_DIR" "$HA_DIR/sock"
    for r in "${HA_RELAYS[@]}"; do
        n=ha-relay-${r%%:*}
        ( close_fds; exec setsid socat "UNIX-LISTEN:$HA_DIR/sock/${r%%:*}.sock,fork,mode=600" "TCP:127.0.0.1:${r#*:}" \
            >>"$QMOS_LOG/$n.log" 2>&1 </dev/null ) &
        echo "$! $(sleep 0.05; proc_start $!)" >"$QMOS_RUN/$n.pid"
    done
    ( close_fds; exec setsid unshare --mount --uts --pid --net --fork --mount-proc --propagation private \
        /usr/bin/python3 "$PID1_SCRIPT" "$HA_DIR" "$HA_HOST" </dev/null >/dev/null 2>&1 ) &
    US=$!
    P1=""
    for ((i = 0; i < 100; i++)); do
        for c in $(ps -o pid= --ppid "$US" 2>/dev/null); do
            [ "$(tr '\0' ' ' <"/proc/$c/cmdline" 2>/dev/null)" = "/usr/bin/python3 $PID1_SCRIPT $HA_DIR $HA_HOST " ] && { P1=$c; break 2; }
        done
        sleep 0.05
    done
    [ -n "$P1" ] || die "$HA_HOST's PID 1 did not appear"
    echo "$P1 $(proc_start "$P1")" >"$HA_PID1"
    for ((i = 0; i < 900; i++)); do [ -s "$HA_DIR/status" ] && break; sleep 0.1; done
    if [ "$(cat "$HA_DIR/status" 2>/dev/null)" != ready ]; then
        cat "$HA_DIR/setup.log" >&2 || true
        die "$HA_HOST setup: $(cat "$HA_DIR/status" 2>/dev/null || echo 'no status after 90 s')"
    fi
    log "$HA_HOST up: PID 1 $P1 (unshare $US), dir $HA_DIR ($(( $(now_ms) - T0 )) ms)"
fi
n=0
for ((i = 0; i < 600; i++)); do
    n=$(api "/agents?host=$HA_HOST" | /usr/bin/python3 -c 'import json,sys; print(sum(1 for a in json.load(sys.stdin)["agents"] if a["alive"]))' 2>/dev/null || echo 0)
    [ "$n" -ge 3 ] && break
    sleep 0.2
done
[ "$n" -ge 3 ] || die "only $n agents of $HA_HOST alive after 120 s; see $HA_DIR/logs/"
log "$HA_HOST: linuxbridge, L3 and metadata agents alive ($(( $(now_ms) - T0 )) ms after ha-up.sh started); logs in $HA_DIR/logs/"

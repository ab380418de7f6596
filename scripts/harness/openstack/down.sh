#!/bin/bash
# down.sh - stop the real-OpenStack test harness that up.sh (beside it) started.
#
#   scripts/harness/openstack/down.sh          stop every daemon (fake-nova or nova-up.sh's real
#                                              Nova too), delete the namespaces and bridges
#                                              the agents made for the harness's networks and
#                                              routers; keep the databases
#   scripts/harness/openstack/down.sh --wipe   ... and delete /var/lib/qm-openstack (the databases,
#                                              the agents' state, RabbitMQ's mnesia, Keystone's
#                                              keys), so that the next up.sh starts empty
#   scripts/harness/openstack/down.sh --purge  ... --wipe, and also /etc/qm-openstack,
#                                              /var/log/qm-openstack and /run/qm-openstack: the
#                                              machine as it was before the harness (the Debian
#                                              packages stay installed)
#   scripts/harness/openstack/down.sh --only NAME...   stop just these daemons (names of the pid
#                                              records in /run/qm-openstack, e.g. neutron-l3-agent);
#                                              up.sh then starts them again (it does so itself when
#                                              a daemon's config file changed)
#
# Processes are stopped only by PID: the ones recorded in /run/qm-openstack/*.pid (with their
# start time, so a reused PID is left alone) and their children; the privsep helpers connected
# to a recorded agent's sockets; and the dnsmasq, haproxy and keepalived that the DHCP and L3
# agents recorded in their own pid files under /var/lib/qm-openstack/neutron (checked by name),
# and the keepalived state-change monitors whose command line names that directory. Never by name.
#
# Namespaces and bridges are deleted only for the harness's networks and routers: `qdhcp-<id>` and
# `brq<id[:11]>` where <id> is a network in the harness's `neutron` database or in the DHCP agent's
# state directory; `qrouter-<id>` where <id> is a router in the database or in the L3 agent's state
# (ns-metadata-proxy/, external/pids/, ha_confs/); and the tests' instance namespaces `qmos-vm-*`.
# The paths it removes (--wipe, --purge) are the harness's own, each checked for up.sh's marker.
# The second L3 agent host of ha-up.sh, when it runs, goes first (ha-down.sh).
set -uo pipefail

readonly SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/harness/openstack/lib.sh
source "$SCRIPTS/lib.sh"
T0=$(now_ms)

[ "$(id -u)" = 0 ] || die "run as root"
WIPE=0 PURGE=0 ONLY=()
while [ $# -gt 0 ]; do
    a=$1; shift
    case $a in
        --wipe) WIPE=1 ;;
        --purge) WIPE=1 PURGE=1 ;;
        --only) [ $# -gt 0 ] || die "--only needs daemon names"; ONLY=("$@"); set -- ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $a (see --help)" ;;
    esac
done

# TERM the PIDs, wait up to SECS for them, KILL what is left
term_wait_kill() { # SECS PID...
    local secs=$1 p i left; shift
    [ $# -gt 0 ] || return 0
    for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
    for ((i = 0; i < secs * 10; i++)); do
        left=""; for p in "$@"; do alive "$p" && left+=" $p"; done
        [ -z "$left" ] && return 0
        sleep 0.1
    done
    log "  pid(s)$left ignored TERM for ${secs}s: KILL"
    for p in $left; do kill -KILL "$p" 2>/dev/null; done
}

# The privsep helpers an agent started (through sudo + rootwrap) daemonize, so they are not its
# children; they are the peers of the agent's unix sockets. They exit when the agent does.
privsep_peers() { # PID
    ss -xpnH 2>/dev/null | /usr/bin/python3 -c '
import re, sys
agent = sys.argv[1]
owner, peer_of_agent = {}, set()
for line in sys.stdin:
    f = line.split()
    if len(f) < 8: continue
    local_ino, peer_ino = f[5], f[7]
    pids = re.findall(r"pid=(\d+)", line)
    for p in pids: owner.setdefault(local_ino, set()).add(p)
    if agent in pids: peer_of_agent.add(peer_ino)
out = set()
for ino in peer_of_agent:
    out |= owner.get(ino, set())
out.discard(agent)
for p in sorted(out):
    try: cmd = open(f"/proc/{p}/cmdline", "rb").read().replace(b"\0", b" ").decode()
    except OSError: continue
    if "privsep-helper" in cmd: print(p)
' "$1"
}

# stop SECS NAME...: TERM the recorded PIDs all at once (neutron-server takes ~10 s to shut down
# gracefully, so one after the other would be slow), wait up to SECS, KILL what is left; then
# whatever of their children and privsep helpers is still there.
stop() {
    local secs=$1 name pid kids peers left k; shift
    local -a main=() rest=()
    for name in "$@"; do
        if pid=$(recorded_pid "$name"); then
            kids=$(descendants "$pid" | tr '\n' ' ')
            peers=$(privsep_peers "$pid" | tr '\n' ' ')
            log "stopping $name: pid $pid${kids:+, children $kids}${peers:+, privsep helpers $peers}"
            main+=("$pid")
            # shellcheck disable=SC2206
            rest+=($kids $peers)
        fi
        rm -f "$QMOS_RUN/$name.pid" "$QMOS_RUN/$name.conf-sum"
    done
    [ ${#main[@]} -gt 0 ] || return 0
    term_wait_kill "$secs" "${main[@]}"
    # the privsep helpers notice their agent is gone and exit by themselves, within a moment
    for _ in $(seq 20); do
        left=(); for k in "${rest[@]}"; do alive "$k" && left+=("$k"); done
        [ ${#left[@]} -eq 0 ] && return 0
        sleep 0.1
    done
    log "  still there after 2 s: ${left[*]}"
    term_wait_kill 5 "${left[@]}"
}

sqlq() { [ -S "$MYSQL_SOCK" ] && mariadb --defaults-file="$MY_CNF" -N -B -e "$1" 2>/dev/null; }

if [ ${#ONLY[@]} -gt 0 ]; then
    for n in "${ONLY[@]}"; do
        case $n in
            *) [[ " ${DAEMONS[*]} " == *" $n "* ]] || die "unknown daemon $n (one of: ${DAEMONS[*]})" ;;
        esac
    done
    stop 60 "${ONLY[@]}"
    exit 0
fi

# ---- 0. the second L3 agent host (ha-up.sh), while neutron-server still answers ---------------
if [ -f "$HA_PID1" ] || [ -d "$HA_DIR" ]; then "$SCRIPTS/ha-down.sh"; fi

# ---- 1. the harness's networks and routers (read while MariaDB still runs) -----------------
uuid_re='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
db_up=$(recorded_pid mariadb || true)
nets=$( {
    [ -n "$db_up" ] && sqlq "SELECT id FROM neutron.networks"
    ls "$NEUTRON_STATE/dhcp" 2>/dev/null
    ls "$NEUTRON_STATE/external/pids" 2>/dev/null | sed -E 's/\.pid(\.haproxy)?$//'
} | grep -xE "$uuid_re" | sort -u )
routers=$( {
    [ -n "$db_up" ] && sqlq "SELECT id FROM neutron.routers"
    ls "$NEUTRON_STATE/ns-metadata-proxy" 2>/dev/null | sed -E 's/\.conf$//'
    ls "$NEUTRON_STATE/external/pids" 2>/dev/null | sed -E 's/\.pid(\.haproxy)?$//'
    ls "$NEUTRON_STATE/ha_confs" 2>/dev/null | sed -E 's/\.pid.*$//'
} | grep -xE "$uuid_re" | sort -u )
netns_has() { ip netns list | awk '{print $1}' | grep -qx "$1"; }

# ---- 2. the agents (so nothing respawns what is stopped next) and both servers ---------------
stop 30 neutron-dhcp-agent neutron-l3-agent neutron-metadata-agent neutron-linuxbridge-agent neutron-server neutron-server-noauth

# ---- 3. what the DHCP and L3 agents started (it outlives them): dnsmasq, haproxy, keepalived,
#         each from the agent's own pid file and checked by name; the state-change monitors of HA
#         routers by their command line naming our state path
pids=()
for pf in "$NEUTRON_STATE"/dhcp/*/pid "$NEUTRON_STATE"/external/pids/*.pid* "$NEUTRON_STATE"/ha_confs/*.pid*; do
    [ -f "$pf" ] || continue
    p=$(pidfile_pid "$pf")
    alive "$p" || continue
    comm=$(cat "/proc/$p/comm" 2>/dev/null)
    case $comm in
        dnsmasq|haproxy|keepalived) log "stopping $comm pid $p (pid file $pf)"; pids+=("$p") ;;
        *) log "pid $p in $pf is '$comm', not a dnsmasq/haproxy/keepalived of the agents: left alone" ;;
    esac
done
for r in $routers; do
    netns_has "qrouter-$r" || continue
    for p in $(ip netns pids "qrouter-$r" 2>/dev/null); do
        tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "--conf_dir=$NEUTRON_STATE/ha_confs/" || continue
        log "stopping keepalived state-change monitor pid $p (qrouter-$r)"; pids+=("$p")
    done
done
term_wait_kill 10 "${pids[@]}"

# ---- 4. namespaces and bridges of the harness's networks and routers, the tests' instances ----
delete_ns() { # NAME: delete it (a process we did not record is reported, not killed)
    local others
    netns_has "$1" || return 0
    others=$(ip netns pids "$1" 2>/dev/null | tr '\n' ' ')
    [ -n "$others" ] && log "WARNING: $1 still has processes the harness did not record ($others): not killed"
    ip netns delete "$1" && log "deleted namespace $1"
}
for ns in $(ip netns list | awk '{print $1}' | grep -E '^qmos-vm-' || true); do delete_ns "$ns"; done
for r in $routers; do delete_ns "qrouter-$r"; done
for net in $nets; do
    delete_ns "qdhcp-$net"
    br=brq${net:0:11}
    if [ -d "/sys/class/net/$br/bridge" ]; then
        # each DHCP, router or instance port's tap goes with its namespace (a veth pair); anything
        # still enslaved is a tap the agents or the tests plugged for this network
        for port in $(ls "/sys/class/net/$br/brif" 2>/dev/null); do
            [[ $port == tap* ]] && ip link delete "$port" 2>/dev/null && log "deleted $port (was in $br)"
        done
        ip link delete "$br" type bridge && log "deleted bridge $br"
    fi
done

stop 10 fake-nova nova-api-metadata
rm -f "$NOVA_REAL"

# ---- 5. Keystone, RabbitMQ, epmd -------------------------------------------------------------
stop 60 keystone rabbitmq
stop 10 epmd

# ---- 6. MariaDB; --wipe: our state directory (databases, agents' state, mnesia, keys) ----------
stop 60 mariadb
# remove_own DIR: only a directory up.sh made (its marker inside)
remove_own() {
    [ -e "$1" ] || return 0
    if [ -f "$1/$QMOS_MARKER" ]; then rm -rf --one-file-system "$1" && log "removed $1"
    else log "WARNING: $1 has no $QMOS_MARKER: not the harness's, left alone"; fi
}
if [ $WIPE = 1 ]; then
    remove_own "$QMOS_STATE"
fi

# ---- 7. the IPv6 default up.sh changed for new root-namespace links -------------------------
if [ -f "$QMOS_RUN/ipv6-default.orig" ]; then
    sysctl -qw net.ipv6.conf.default.disable_ipv6="$(cat "$QMOS_RUN/ipv6-default.orig")" && rm -f "$QMOS_RUN/ipv6-default.orig"
fi

# ---- 8. what is left ------------------------------------------------------------------------
left=$(ss -ltnH 2>/dev/null | awk '{print $4}' | grep -E ":($(IFS='|'; echo "${TCP_PORTS[*]}"))\$" || true)
[ -n "$left" ] && log "WARNING: still listening: $(echo $left)"
leftns=$(for net in $nets; do ip netns list | awk '{print $1}' | grep -x "qdhcp-$net"; done; for r in $routers; do ip netns list | awk '{print $1}' | grep -x "qrouter-$r"; done)
[ -n "$leftns" ] && log "WARNING: namespaces left: $(echo $leftns)"
if [ $PURGE = 1 ]; then
    remove_own "$QMOS_ETC"
    remove_own "$QMOS_LOG"
    remove_own "$QMOS_RUN"
    log "harness is DOWN and purged ($(( $(now_ms) - T0 )) ms)"
else
    log "harness is DOWN ($(( $(now_ms) - T0 )) ms); logs kept in $QMOS_LOG"
fi
exit 0

#!/bin/bash
# ovn-down.sh - stop the ML2/OVN chassis harness that scripts/harness/ovn/ovn-up.sh started.
#
#   scripts/harness/ovn/ovn-down.sh          stop every daemon, delete the harness's VM namespaces
#                                (qmovn-vm<N>) and links (qmovn-vm<N>-p), the agent's
#                                ovnmeta-<net> namespaces and tap<net[:10]>0 links of the harness's
#                                networks, and the datapath's br-int/ovs-netdev tap devices;
#                                keep the databases and the configuration
#   scripts/harness/ovn/ovn-down.sh --wipe   ... and delete the OVS/NB/SB database files, the MariaDB datadir
#                                and the agent's state, so that the next ovn-up.sh starts empty
#   scripts/harness/ovn/ovn-down.sh --only NAME...   stop just these daemons (names of the pid records in
#                                /run/qm-ovn, e.g. neutron-ovn-metadata-agent); ovn-up.sh starts
#                                them again
#
# Processes are stopped only by PID: the ones recorded in /run/qm-ovn/<name>.pid (with their start
# time, so a reused PID is left alone) and their children; the privsep helpers connected to the
# recorded agent's unix sockets; the haproxy processes the agent recorded in its own pid files under
# /var/lib/qm-ovn/external/pids (checked to be haproxy). Never by name. A process found inside one
# of our namespaces that we did not record is reported, not killed.
set -uo pipefail

readonly QMOVN_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/harness/ovn/ovn-lib.sh
source "$QMOVN_SCRIPTS/ovn-lib.sh"
T0=$(now_ms)

[ "$(id -u)" = 0 ] || die "run as root"
WIPE=0 ONLY=()
while [ $# -gt 0 ]; do
    a=$1; shift
    case $a in
        --wipe) WIPE=1 ;;
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

# stop SECS NAME...: TERM the recorded PIDs all at once, wait up to SECS, KILL what is left; then
# whatever of their children and privsep helpers is still there.
stop() {
    local secs=$1 name pid kids peers left k; shift
    local -a main=() rest=()
    for name in "$@"; do
        if pid=$(recorded_pid "$name"); then
            kids=$(descendants "$pid" | tr '\n' ' ')
            peers=""
            [ "$name" = neutron-ovn-metadata-agent ] && peers=$(privsep_peers "$pid" $kids | tr '\n' ' ')
            log "stopping $name: pid $pid${kids:+, children $kids}${peers:+, privsep helpers $peers}"
            main+=("$pid")
            # shellcheck disable=SC2206
            rest+=($kids $peers)
        fi
        rm -f "$QMOVN_RUN/$name.pid" "$QMOVN_RUN/$name.conf-sum"
    done
    [ ${#main[@]} -gt 0 ] || return 0
    term_wait_kill "$secs" "${main[@]}"
    # children and privsep helpers notice their parent is gone and exit by themselves
    for _ in $(seq 20); do
        left=(); for k in "${rest[@]}"; do alive "$k" && left+=("$k"); done
        [ ${#left[@]} -eq 0 ] && return 0
        sleep 0.1
    done
    log "  still there after 2 s: ${left[*]}"
    term_wait_kill 5 "${left[@]}"
}

if [ ${#ONLY[@]} -gt 0 ]; then
    for n in "${ONLY[@]}"; do
        [[ " ${DAEMONS[*]} " == *" $n "* ]] || die "unknown daemon $n (one of: ${DAEMONS[*]})"
    done
    stop 30 "${ONLY[@]}"
    exit 0
fi

ns_exists() { [ -e "/run/netns/$1" ]; }
link_exists() { [ -e "/sys/class/net/$1" ]; }
ovs_up() { running ovsdb-server && [ -S "$OVS_DB_SOCK" ]; }
warn_ns_pids() {
    local others; others=$(ip netns pids "$1" 2>/dev/null | tr '\n' ' ')
    [ -n "$others" ] && log "WARNING: $1 still has processes the harness did not record ($others): not killed"
}

# ---- 1. the harness's networks: from its own database (while it runs) and the agent's state --
nets=$( {
    running mariadb && mariadb --defaults-file="$MY_CNF" -N -B -e 'SELECT id FROM neutron.networks' 2>/dev/null
    ls "$QMOVN_STATE/ovn-metadata-proxy" 2>/dev/null | sed -n 's/\.conf$//p'
    ls "$QMOVN_STATE/external/pids" 2>/dev/null | sed -n 's/\.pid\.haproxy$//p'
    cat "$QMOVN_RUN/networks.seen" 2>/dev/null
} | grep -xE "$uuid_re" | sort -u )
if [ -d "$QMOVN_RUN" ]; then printf '%s\n' $nets >"$QMOVN_RUN/networks.seen"; fi

# ---- 2. the VMs test/ovn/env.ts made: namespaces qmovn-vm<N>, root-side links qmovn-vm<N>-p ---
# the OVS port rows first (they outlive their links), then the links, then the namespaces
vm_ports=$(ovs_up && vsctl list-ports "$BRIDGE" 2>/dev/null | grep -xE 'qmovn-vm[0-9]+-p' || true)
for dev in $(printf '%s\n' $vm_ports $(ls /sys/class/net | grep -xE 'qmovn-vm[0-9]+-p') | sort -u); do
    [[ " $(echo $vm_ports) " == *" $dev "* ]] && vsctl --if-exists del-port "$BRIDGE" "$dev"
    link_exists "$dev" && ip link delete "$dev" 2>/dev/null && log "deleted link $dev"
done
for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -xE 'qmovn-vm[0-9]+' || true); do
    warn_ns_pids "$ns"
    ip netns delete "$ns" && log "deleted namespace $ns"
done

# ---- 3. the metadata agent first (so nothing respawns haproxy), with its privsep helpers ------
stop 20 neutron-ovn-metadata-agent

# ---- 4. the haproxy processes the agent recorded in its own pid files --------------------------
pids=()
for pf in "$QMOVN_STATE"/external/pids/*.pid.haproxy; do
    [ -f "$pf" ] || continue
    p=$(pidfile_pid "$pf")
    alive "$p" || continue
    comm=$(cat "/proc/$p/comm" 2>/dev/null)
    if [ "$comm" = haproxy ]; then log "stopping haproxy pid $p (pid file $pf)"; pids+=("$p")
    else log "pid $p in $pf is '$comm', not the agent's haproxy: left alone"; fi
done
term_wait_kill 10 "${pids[@]}"

# ---- 5. ovnmeta-<net> namespaces and tap<net[:10]>0 links of the harness's networks ----------
for net in $nets; do
    tap=tap${net:0:10}0
    ovs_up && vsctl --if-exists del-port "$BRIDGE" "$tap"
    link_exists "$tap" && ip link delete "$tap" 2>/dev/null && log "deleted link $tap"
    ns=ovnmeta-$net
    if ns_exists "$ns"; then warn_ns_pids "$ns"; ip netns delete "$ns" && log "deleted namespace $ns"; fi
done

# ---- 6. neutron-server and fake (or real) nova --------------------------------------------
stop 30 neutron-server fake-nova nova-api-metadata

# ---- 7. OVN and OVS. ovs-vswitchd is asked to `exit --cleanup` so that the userspace datapath
#         removes its own tap devices (br-int, ovs-netdev) --------------------------------------
stop 20 ovn-controller
if p=$(recorded_pid ovs-vswitchd); then
    vswitchd_ctl exit --cleanup >/dev/null 2>&1 && for _ in $(seq 50); do alive "$p" || break; sleep 0.1; done
    alive "$p" || { log "ovs-vswitchd pid $p exited (exit --cleanup)"; rm -f "$QMOVN_RUN/ovs-vswitchd.pid"; }
    stop 20 ovs-vswitchd
    for dev in "$BRIDGE" ovs-netdev; do
        # only a tun/tap device (what the userspace datapath makes) is ours to delete
        if link_exists "$dev" && [ -e "/sys/class/net/$dev/tun_flags" ]; then
            ip link delete "$dev" && log "deleted leftover datapath tap $dev"
        fi
    done
fi
stop 10 ovn-northd
stop 10 ovnsb-db ovnnb-db ovsdb-server

# ---- 8. --wipe: databases and state; then MariaDB -----------------------------------------------
stop 30 mariadb
if [ $WIPE = 1 ]; then
    rm -f "$OVS_DBFILE" "$NB_DBFILE" "$SB_DBFILE" "$QMOVN_STATE"/openvswitch/.conf.db.~lock~ \
        "$QMOVN_STATE"/ovn/.ovnnb_db.db.~lock~ "$QMOVN_STATE"/ovn/.ovnsb_db.db.~lock~
    rm -rf "$DB_DIR" "$QMOVN_STATE"/external "$QMOVN_STATE"/ovn-metadata-proxy "$QMOVN_STATE"/metadata_proxy \
        "$QMOVN_STATE"/lock "$QMOVN_STATE"/ha_confs
    rm -f "$QMOVN_RUN/networks.seen"
    log "wiped the OVS/NB/SB databases, the MariaDB datadir and the agent's state in $QMOVN_STATE"
fi

# ---- 9. what is left --------------------------------------------------------------------------
left=$(ss -ltnH 2>/dev/null | awk '{print $4}' | grep -E "^127\.0\.0\.1:($(IFS='|'; echo "${TCP_PORTS[*]}"))$" || true)
[ -n "$left" ] && log "WARNING: still listening: $(echo $left)"
leftns=$(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^(qmovn-vm|ovnmeta-)' || true)
[ -n "$leftns" ] && log "WARNING: namespaces left: $(echo $leftns)"
log "ML2/OVN harness is DOWN ($(( $(now_ms) - T0 )) ms); logs kept in $QMOVN_LOG, config in $QMOVN_ETC"
exit 0

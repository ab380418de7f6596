#!/bin/bash
# openstack-down.sh - stop the real-OpenStack test harness that scripts/openstack-up.sh started.
#
#   scripts/openstack-down.sh          stop every daemon, delete the namespaces and bridges the
#                                      agents made for the harness's networks; keep the databases
#   scripts/openstack-down.sh --wipe   ... and drop the `neutron` and `keystone` databases, the
#                                      DHCP agent's state, RabbitMQ's mnesia and Keystone's keys,
#                                      so that the next openstack-up.sh starts empty
#   scripts/openstack-down.sh --only NAME...   stop just these daemons (names of the pid files in
#                                      /run/qm-openstack, e.g. neutron-dhcp-agent); openstack-up.sh
#                                      then starts them again (it does so itself when a daemon's
#                                      config file changed)
#
# Processes are stopped only by PID: the ones recorded in /run/qm-openstack/*.pid (with their
# start time, so a reused PID is left alone) and their children; the privsep helpers connected
# to a recorded agent's sockets; and the dnsmasq/haproxy that the DHCP agent recorded in its own
# pid files under /var/lib/neutron. Never by name.
#
# Namespaces and bridges are deleted only for the harness's networks: `qdhcp-<id>` and
# `brq<id[:11]>` where <id> is a network in the harness's `neutron` database or one that the
# DHCP agent's state directory (/var/lib/neutron/dhcp/<id>) lists.
set -uo pipefail

readonly RUN=/run/qm-openstack
readonly LOGS=/var/log/qm-openstack
readonly NEUTRON_STATE=/var/lib/neutron
readonly MYSQL_SOCK=/run/mysqld/mysqld.sock
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LANG=C.UTF-8

log() { printf '[qm-openstack %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now_ms() { date +%s%3N; }
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

proc_start() { [ -r "/proc/$1/stat" ] && awk '{sub(/^.*\) /, ""); print $20}' "/proc/$1/stat" 2>/dev/null; }
alive() {
    [ -n "${1:-}" ] && [ -d "/proc/$1" ] || return 1
    grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null && return 1
    [ -z "${2:-}" ] || [ "$(proc_start "$1")" = "$2" ]
}
recorded_pid() {
    local f=$RUN/$1.pid pid st
    [ -f "$f" ] || return 1
    read -r pid st <"$f" || true
    alive "$pid" "$st" && echo "$pid"
}
descendants() { local c; for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do echo "$c"; descendants "$c"; done; }

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
        rm -f "$RUN/$name.pid" "$RUN/$name.conf-sum"
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

sql() { mariadb --socket="$MYSQL_SOCK" -N -B -e "$1" 2>/dev/null; }

if [ ${#ONLY[@]} -gt 0 ]; then
    for n in "${ONLY[@]}"; do
        case $n in
            mariadb|epmd|rabbitmq|keystone|neutron-server|neutron-server-noauth|neutron-linuxbridge-agent|neutron-dhcp-agent|neutron-metadata-agent) ;;
            *) die "unknown daemon $n" ;;
        esac
    done
    stop 60 "${ONLY[@]}"
    exit 0
fi

# ---- 1. the harness's networks (read while MariaDB still runs) ------------------------------
uuid_re='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'
nets=$( {
    running_db=$(recorded_pid mariadb || true)
    [ -n "$running_db" ] && sql "SELECT id FROM neutron.networks"
    ls "$NEUTRON_STATE/dhcp" 2>/dev/null
    ls "$NEUTRON_STATE/external/pids" 2>/dev/null | sed -E 's/\.pid(\.haproxy)?$//'
} | grep -xE "$uuid_re" | sort -u )

# ---- 2. the agents (so nothing respawns what is stopped next) and both servers ---------------
stop 30 neutron-dhcp-agent neutron-metadata-agent neutron-linuxbridge-agent neutron-server neutron-server-noauth

# ---- 3. the dnsmasq and haproxy processes the DHCP agent started (they outlive it) ----------
pids=()
for pf in "$NEUTRON_STATE"/dhcp/*/pid "$NEUTRON_STATE"/external/pids/*.pid*; do
    [ -f "$pf" ] || continue
    p=$(tr -dc '0-9' <"$pf")
    alive "$p" || continue
    comm=$(cat "/proc/$p/comm" 2>/dev/null)
    case $comm in
        dnsmasq|haproxy) log "stopping $comm pid $p (pid file $pf)"; pids+=("$p") ;;
        *) log "pid $p in $pf is '$comm', not a dnsmasq/haproxy of the agent: left alone" ;;
    esac
done
term_wait_kill 10 "${pids[@]}"

# ---- 4. namespaces and bridges of the harness's networks ------------------------------------
for net in $nets; do
    ns=qdhcp-$net
    if ip netns list | awk '{print $1}' | grep -qx "$ns"; then
        others=$(ip netns pids "$ns" 2>/dev/null | tr '\n' ' ')
        [ -n "$others" ] && log "WARNING: $ns still has processes the harness did not record ($others): not killed"
        ip netns delete "$ns" && log "deleted namespace $ns"
    fi
    br=brq${net:0:11}
    if [ -d "/sys/class/net/$br/bridge" ]; then
        # the DHCP port's tap goes with the namespace (a veth pair); anything still enslaved is
        # a tap the agent plugged for this network
        for port in $(ls "/sys/class/net/$br/brif" 2>/dev/null); do
            [[ $port == tap* ]] && ip link delete "$port" 2>/dev/null && log "deleted $port (was in $br)"
        done
        ip link delete "$br" type bridge && log "deleted bridge $br"
    fi
done

# ---- 5. Keystone, RabbitMQ, epmd -------------------------------------------------------------
stop 60 keystone rabbitmq
stop 10 epmd

# ---- 6. --wipe: databases and state; then MariaDB --------------------------------------------
if [ $WIPE = 1 ]; then
    if ! recorded_pid mariadb >/dev/null && [ -d /var/lib/mysql/mysql ]; then
        # the databases can only be dropped by a running server: start one briefly (loopback only)
        install -d -o mysql -g mysql /run/mysqld
        ( exec setsid mariadbd --user=mysql --bind-address=127.0.0.1 --port=3306 --socket="$MYSQL_SOCK" \
            --pid-file=/run/mysqld/qm-openstack-mariadb.pid --log-error="$LOGS/mariadb.err" \
            --skip-name-resolve </dev/null >/dev/null 2>&1 ) &
        dbpid=$!; sleep 0.2
        mkdir -p "$RUN"; echo "$dbpid $(proc_start "$dbpid")" >"$RUN/mariadb.pid"
        for _ in $(seq 150); do mariadb-admin --socket="$MYSQL_SOCK" ping >/dev/null 2>&1 && break; sleep 0.2; done
    fi
    if recorded_pid mariadb >/dev/null; then
        sql "DROP DATABASE IF EXISTS neutron; DROP DATABASE IF EXISTS keystone;" && log "dropped databases neutron and keystone"
    else
        log "WARNING: MariaDB is not running: databases not dropped"
    fi
    rm -rf "$NEUTRON_STATE"/dhcp/* "$NEUTRON_STATE"/external "$NEUTRON_STATE"/ns-metadata-proxy \
           "$NEUTRON_STATE"/metadata_proxy "$NEUTRON_STATE"/lock
    rm -rf /var/lib/rabbitmq/mnesia/rabbit@localhost /var/lib/rabbitmq/mnesia/rabbit@localhost-*
    rm -rf /etc/keystone/fernet-keys /etc/keystone/credential-keys
    log "wiped the DHCP agent's state, RabbitMQ's mnesia and Keystone's fernet/credential keys"
fi
stop 60 mariadb

# ---- 7. the IPv6 default openstack-up.sh changed for new root-namespace links ---------------
if [ -f "$RUN/ipv6-default.orig" ]; then
    sysctl -qw net.ipv6.conf.default.disable_ipv6="$(cat "$RUN/ipv6-default.orig")" && rm -f "$RUN/ipv6-default.orig"
fi

# ---- 8. what is left ------------------------------------------------------------------------
left=$(ss -ltnH 2>/dev/null | awk '{print $4}' | grep -E ':(3306|4369|5000|5672|25672|9696|9697)$' || true)
[ -n "$left" ] && log "WARNING: still listening: $(echo $left)"
leftns=$(for net in $nets; do ip netns list | awk '{print $1}' | grep -x "qdhcp-$net"; done)
[ -n "$leftns" ] && log "WARNING: namespaces left: $(echo $leftns)"
log "harness is DOWN ($(( $(now_ms) - T0 )) ms); logs kept in $LOGS"
exit 0

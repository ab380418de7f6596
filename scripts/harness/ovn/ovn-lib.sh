# ovn-lib.sh - the ML2/OVN chassis harness's fixed facts and helpers, sourced by
# scripts/harness/ovn/ovn-up.sh, scripts/harness/ovn/ovn-down.sh and scripts/harness/ovn/ovn-capture-fixtures.sh.
# test/ovn/env.ts states the same facts for the tests; keep both in step.
#
# Everything the harness owns has its own name, shared with neither the openstack harness
# (scripts/harness/openstack/up.sh: /etc/qm-openstack, /var/lib/qm-openstack, /run/qm-openstack)
# nor the shared lab (/work/shared/lab-ovn: /etc/neutron-ovn-lab, /run/ovn-lab, ports 6640-6642/9797/8776).
# shellcheck shell=bash

readonly QMOVN_ETC=/etc/qm-ovn              # configuration (neutron.conf, ml2_conf.ini, agent ini, my.cnf)
readonly QMOVN_STATE=/var/lib/qm-ovn        # state_path of neutron-server and the agent; DB files
readonly QMOVN_RUN=/run/qm-ovn              # our pid records "<pid> <starttime>", sockets
readonly QMOVN_LOG=/var/log/qm-ovn          # every log, timings.log

# OVS/OVN: the layout of a real node (/run/openvswitch, /run/ovn) moved under /run/qm-ovn, so
#   OVS_RUNDIR=/run/qm-ovn/openvswitch OVN_RUNDIR=/run/qm-ovn/ovn
# makes plain ovs-vsctl / ovn-nbctl / ovn-sbctl / ovs-appctl / ovn-appctl find our daemons.
readonly OVS_RUNDIR_Q=$QMOVN_RUN/openvswitch
readonly OVN_RUNDIR_Q=$QMOVN_RUN/ovn
readonly OVS_DB_SOCK=$OVS_RUNDIR_Q/db.sock  # the local Open_vSwitch DB: unix socket ONLY
readonly NB_SOCK=$OVN_RUNDIR_Q/ovnnb_db.sock
readonly SB_SOCK=$OVN_RUNDIR_Q/ovnsb_db.sock
readonly OVS_DB=unix:$OVS_DB_SOCK
readonly NB_TCP=tcp:127.0.0.1:6651
readonly SB_TCP=tcp:127.0.0.1:6652
readonly OVS_DBFILE=$QMOVN_STATE/openvswitch/conf.db
readonly NB_DBFILE=$QMOVN_STATE/ovn/ovnnb_db.db
readonly SB_DBFILE=$QMOVN_STATE/ovn/ovnsb_db.db
readonly CHASSIS=qm-ovn-chassis             # Open_vSwitch external_ids:system-id = Chassis.name
readonly CHASSIS_HOST=qm-ovn-host           # external_ids:hostname = Chassis.hostname = binding:host_id
readonly BRIDGE=br-int

# Neutron
readonly NEUTRON_CONF=$QMOVN_ETC/neutron.conf
readonly ML2_CONF=$QMOVN_ETC/ml2_conf.ini
readonly AGENT_CONF=$QMOVN_ETC/neutron_ovn_metadata_agent.ini
readonly ROOTWRAP_CONF=$QMOVN_ETC/rootwrap.conf
readonly MY_CNF=$QMOVN_ETC/my.cnf
readonly DB_DIR=$QMOVN_STATE/mysql          # the harness's own MariaDB datadir
readonly DB_SOCK=$QMOVN_RUN/mysqld/mysqld.sock
readonly DB_PASSWORD=qmovndb
readonly DB_URL="mysql+pymysql://neutron:$DB_PASSWORD@localhost/neutron?unix_socket=$DB_SOCK&charset=utf8"
readonly API_PORT=9798
readonly API=http://127.0.0.1:$API_PORT     # neutron-server, auth_strategy = noauth
readonly NOVA_PORT=8777                     # the agent's nova_metadata_port: fake nova, or the real Nova
readonly PROJECT=qmovnproject               # X-Project-Id and project_id of what tests create
readonly METADATA_SECRET=qmovnsecret
readonly MD_SOCK=$QMOVN_STATE/metadata_proxy # the agent's unix socket (haproxy -> agent)
# The real Nova metadata API (opt-in, in place of ovn-fake-nova.py on $NOVA_PORT: ovn-nova-up.sh,
# ovn-nova-down.sh; scripts/harness/nova-lib.sh): Debian's nova-api-metadata with its own config dir
# (beside $QMOVN_ETC, not in it: that one is root:neutron 0750, and user nova reads these)
readonly NOVA_ETC=/etc/qm-ovn-nova          # OS_NOVA_CONFIG_DIR: nova.conf, api-paste.ini, the uwsgi ini
readonly NOVA_CONF=$NOVA_ETC/nova.conf
readonly NOVA_UWSGI_INI=$NOVA_ETC/nova-api-metadata-uwsgi.ini
readonly NOVA_STATE=$QMOVN_STATE/nova       # nova's state_path and lock_path
readonly NOVA_LOG_FILE=$QMOVN_LOG/nova-api-metadata.log
readonly NOVA_DB_PASSWORD=qmovnnovadb        # MariaDB 'nova'@'localhost' (unix socket): nova_api, nova_cell0, nova
readonly NOVA_DB="mysql+pymysql://nova:$NOVA_DB_PASSWORD@localhost" NOVA_DB_QUERY="unix_socket=$DB_SOCK&charset=utf8"
readonly NOVA_DB_USER="nova'@'localhost"
# present while the real Nova is the agent's upstream: "<pid> <starttime>" of the process that asked
# (ovn-nova-up.sh --owner PID), or "manual"; ovn-up.sh puts fake nova back once that owner is gone
readonly NOVA_REAL=$QMOVN_RUN/nova-real
readonly TCP_PORTS=(6651 6652 $API_PORT $NOVA_PORT)

# the daemons, in start order; NAME is the pid record $QMOVN_RUN/NAME.pid
readonly DAEMONS=(ovsdb-server ovs-vswitchd ovnnb-db ovnsb-db ovn-northd ovn-controller mariadb
    neutron-server fake-nova nova-api-metadata neutron-ovn-metadata-agent)

readonly SAFE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH=$SAFE_PATH   # Debian's python3, not a pyenv/venv one that happens to be first on PATH
export LANG=C.UTF-8

log() { printf '[qm-ovn %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now_ms() { date +%s%3N; }

# Tools with their databases spelled out, never the default /run/openvswitch.
vsctl() { ovs-vsctl --db="$OVS_DB" --timeout=20 "$@"; }
nbctl() { ovn-nbctl --db="unix:$NB_SOCK" --timeout=20 "$@"; }
sbctl() { ovn-sbctl --db="unix:$SB_SOCK" --timeout=20 "$@"; }
vswitchd_ctl() { OVS_RUNDIR=$OVS_RUNDIR_Q ovs-appctl -t ovs-vswitchd "$@"; }

# ---- PID bookkeeping: "<pid> <starttime>" per file, so a reused PID is never taken for ours ----
proc_start() { [ -r "/proc/$1/stat" ] && awk '{sub(/^.*\) /, ""); print $20}' "/proc/$1/stat" 2>/dev/null; }
alive() { # PID [STARTTIME]
    [ -n "${1:-}" ] && [ -d "/proc/$1" ] || return 1
    grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null && return 1
    [ -z "${2:-}" ] || [ "$(proc_start "$1")" = "$2" ]
}
recorded_pid() { # NAME -> the PID if the recorded process is still the one we started
    local f=$QMOVN_RUN/$1.pid pid st
    [ -f "$f" ] || return 1
    read -r pid st <"$f" || true
    alive "$pid" "$st" && echo "$pid"
}
running() { recorded_pid "$1" >/dev/null; }
descendants() { local c; for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do echo "$c"; descendants "$c"; done; }
# a pid file a daemon wrote itself (haproxy): digits only
pidfile_pid() { [ -f "$1" ] && tr -dc '0-9' <"$1" || true; }

# The configuration files each daemon reads; their checksum is kept next to its PID so that
# ovn-up.sh restarts a daemon whose files changed (e.g. ovn_metadata_enabled switched).
conf_files() {
    case $1 in
        neutron-server) echo "$NEUTRON_CONF $ML2_CONF" ;;
        neutron-ovn-metadata-agent) echo "$AGENT_CONF $NEUTRON_CONF $ROOTWRAP_CONF" ;;
        mariadb) echo "$MY_CNF" ;;
        fake-nova) echo "$QMOVN_ETC/fake-nova.args ${QMOVN_SCRIPTS:-}/ovn-fake-nova.py" ;;
        nova-api-metadata) echo "$NOVA_CONF $NOVA_ETC/api-paste.ini $NOVA_UWSGI_INI" ;;
        *) echo "" ;;
    esac
}
conf_sum() { local f; f=$(conf_files "$1"); [ -z "$f" ] && return 0; cat $f 2>/dev/null | sha256sum | cut -c1-16; }

# The privsep helpers the agent started (sudo + rootwrap) daemonize, so they are not its
# children: they are the peers of the agent's unix sockets. They exit when the agent does.
privsep_peers() { # PID...
    ss -xpnH 2>/dev/null | /usr/bin/python3 -c '
import re, sys
ours = set(sys.argv[1:])
owner, peer_of_ours = {}, set()
for line in sys.stdin:
    f = line.split()
    if len(f) < 8: continue
    local_ino, peer_ino = f[5], f[7]
    pids = set(re.findall(r"pid=(\d+)", line))
    for p in pids: owner.setdefault(local_ino, set()).add(p)
    if pids & ours: peer_of_ours.add(peer_ino)
out = set()
for ino in peer_of_ours: out |= owner.get(ino, set())
out -= ours
for p in sorted(out, key=int):
    try: cmd = open(f"/proc/{p}/cmdline", "rb").read().split(b"\0")
    except OSError: continue
    if any(a.endswith(b"privsep-helper") for a in cmd[:4]): print(p)
' "$@"
}

# nova_real: the real Nova is chosen (ovn-nova-up.sh) and whoever chose it still runs
nova_real() {
    local who st
    [ -f "$NOVA_REAL" ] || return 1
    read -r who st <"$NOVA_REAL" || true
    [ "$who" = manual ] || alive "$who" "$st"
}

uuid_re='[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'

# ---- starting daemons, writing config files (ovn-up.sh, ovn-nova-up.sh) --------------------------
EXTRA_ENV=()   # VAR=value words that the next start() adds to the clean environment
# start NAME USER CMD... : CMD runs in its own session with a clean environment, as USER
# (root: no setpriv), stdout+stderr appended to $QMOVN_LOG/NAME.console.log; its PID and start
# time go to $QMOVN_RUN/NAME.pid, the checksum of its config files to NAME.conf-sum.
start() {
    local name=$1 user=$2; shift 2
    local out=$QMOVN_LOG/$name.console.log home pid st
    local -a as=()
    [ "$user" = root ] || as=(setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups)
    home=$(getent passwd "$user" | cut -d: -f6)
    echo "==== $(date -Is) starting $name as $user: $*" >>"$out"
    # no `&` on a process-group leader, so setsid does not fork and $! is the daemon itself
    ( cd "${home:-/}" 2>/dev/null || cd /; exec env -i HOME="${home:-/}" PATH="$SAFE_PATH" LANG=C.UTF-8 \
        "${EXTRA_ENV[@]}" setsid "${as[@]}" "$@" >>"$out" 2>&1 </dev/null ) &
    pid=$!
    sleep 0.1
    st=$(proc_start "$pid" || true)
    echo "$pid $st" >"$QMOVN_RUN/$name.pid"
    conf_sum "$name" >"$QMOVN_RUN/$name.conf-sum"
    alive "$pid" || { tail -20 "$out" >&2; die "$name exited at once; see $out"; }
    log "started $name (pid $pid)"
}

# wait_for WHAT SECONDS DAEMON LOG CMD... : poll CMD every 0.1 s; fail with the log's tail if
# the daemon dies or the time is up.
wait_for() {
    local what=$1 secs=$2 daemon=$3 logf=$4 i; shift 4
    for ((i = 0; i < secs * 10; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        if [ -n "$daemon" ] && ! running "$daemon"; then
            tail -25 "$logf" >&2 || true
            die "$daemon died while waiting for $what; see $logf"
        fi
        sleep 0.1
    done
    tail -25 "$logf" >&2 || true
    die "timed out after ${secs}s waiting for $what; see $logf"
}
tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
http_is() { [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$2")" = "$1" ]; }
sql() { mariadb --defaults-file="$MY_CNF" -N -B -e "$1"; }

# port_check PORT NAME: die if something that is not daemon NAME (or its child) listens on PORT
port_check() {
    local port=$1 name=$2 owners pid p
    owners=$(ss -ltnpH "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u || true)
    [ -z "$owners" ] && return 0
    p=$(recorded_pid "$name" || true)
    for pid in $owners; do
        [ -n "$p" ] && [[ " $p $(descendants "$p" | tr '\n' ' ') " == *" $pid "* ]] && continue
        die "port $port is taken by pid $pid ($(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | cut -c1-120)), which this harness did not start; not touching it"
    done
}

# merge FILE <<EOF: set the snippet's [section] key = value lines in FILE, keeping its comments
# and every other key; the file is rewritten only when something differs
merge() {
    local f=$1 tmp; tmp=$(mktemp)
    cp -p "$f" "$tmp"
    crudini --merge "$tmp"
    if cmp -s "$f" "$tmp"; then rm -f "$tmp"; else cat "$tmp" >"$f"; rm -f "$tmp"; fi
}
# write_if_changed FILE MODE OWNER: stdin becomes FILE unless it already holds exactly that
write_if_changed() {
    local f=$1 tmp; tmp=$(mktemp)
    cat >"$tmp"
    if [ -f "$f" ] && cmp -s "$f" "$tmp"; then rm -f "$tmp"; return 0; fi
    install -m "$2" -o "${3%%:*}" -g "${3##*:}" "$tmp" "$f"; rm -f "$tmp"
}
copy_once() { [ -f "$2" ] || install -m 0640 -o root -g neutron "$1" "$2"; }

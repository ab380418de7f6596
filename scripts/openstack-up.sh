#!/bin/bash
# openstack-up.sh - start the real-OpenStack test harness (test/openstack/) on this machine.
#
#   scripts/openstack-up.sh              start whatever is not running (installs the packages
#                                        first if any is missing); a second run is a no-op
#   scripts/openstack-up.sh --install    apt-get update + install the packages first, always
#   scripts/openstack-up.sh --install-only   ... and stop there (e.g. to prepare a machine)
#   scripts/openstack-up.sh --fresh      openstack-down.sh --wipe first: empty databases
#
# What runs (Debian 12's own packages: Neutron 21 "Zed", Keystone 22 "Zed"), every TCP listener
# on 127.0.0.1 only:
#   MariaDB          127.0.0.1:3306   databases `neutron` and `keystone`
#   epmd + RabbitMQ  127.0.0.1:4369, 127.0.0.1:5672, Erlang distribution 127.0.0.1:25672
#   Keystone (uwsgi) 127.0.0.1:5000   fernet tokens; admin/qmadmin, demo/qmdemo, neutron/qmneutron
#   neutron-server   127.0.0.1:9696   auth_strategy = keystone   (/etc/neutron/neutron.conf)
#   neutron-server   127.0.0.1:9697   auth_strategy = noauth, same database
#                                     (the same files + /etc/neutron/qm-openstack/noauth.conf)
#   neutron-linuxbridge-agent, neutron-dhcp-agent, neutron-metadata-agent   host `qm-ci-host`
#
# Safety: /usr/sbin/policy-rc.d must answer `exit 101` before apt runs (so no package starts a
# service); the linuxbridge agent has no physical interface mapping (network type `local`), so its
# brq* bridges never hold a host interface and get no address: while the harness runs, the root
# namespace's net.ipv6.conf.default.disable_ipv6 is 1, so the links the agents create there (brq*,
# the tap end of each DHCP port) do not even get the kernel's IPv6 link-local fe80:: address
# (openstack-down.sh puts the old value back). Every address of a test network lives inside its
# qdhcp-<net> namespace.
# The `dnsmasq` package (a system-wide service) is never installed, only `dnsmasq-base`.
#
# PIDs (with the process start time, against PID reuse) go to /run/qm-openstack/<name>.pid, logs
# to /var/log/qm-openstack/. Stop everything with scripts/openstack-down.sh (by those PIDs).
# Configuration is written with crudini into Debian's standard files under /etc/neutron and
# /etc/keystone (a copy of each original is kept once as <file>.debian-orig). If a file changed
# since a daemon started, that daemon is restarted so it runs what the file says.
set -euo pipefail

readonly RUN=/run/qm-openstack
readonly LOGS=/var/log/qm-openstack
readonly SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly SAFE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH=$SAFE_PATH   # Debian's python3, not a pyenv/venv one that happens to be first on PATH
export LANG=C.UTF-8

# -- the harness's fixed facts (test/openstack/env.ts says the same) --------------------------
readonly AGENT_HOST=qm-ci-host
readonly REGION=RegionOne
readonly KS=http://127.0.0.1:5000
readonly NEUTRON_URL=http://127.0.0.1:9696
readonly NOAUTH_URL=http://127.0.0.1:9697
readonly ADMIN_PASSWORD=qmadmin
readonly NEUTRON_SERVICE_PASSWORD=qmneutron
readonly DEMO_PASSWORD=qmdemo
readonly NEUTRON_DB_PASSWORD=qmneutrondb
readonly KEYSTONE_DB_PASSWORD=qmkeystonedb
readonly METADATA_SECRET=qmmetadatasecret
readonly MYSQL_SOCK=/run/mysqld/mysqld.sock

readonly NEUTRON_CONF=/etc/neutron/neutron.conf
readonly ML2_CONF=/etc/neutron/plugins/ml2/ml2_conf.ini
readonly LB_CONF=/etc/neutron/plugins/ml2/linuxbridge_agent.ini
readonly DHCP_CONF=/etc/neutron/dhcp_agent.ini
readonly MD_CONF=/etc/neutron/metadata_agent.ini
readonly NOAUTH_CONF=/etc/neutron/qm-openstack/noauth.conf
readonly KEYSTONE_CONF=/etc/keystone/keystone.conf
readonly NEUTRON_STATE=/var/lib/neutron

readonly PACKAGES=(
    neutron-server neutron-dhcp-agent neutron-linuxbridge-agent neutron-metadata-agent
    keystone mariadb-server rabbitmq-server
    dnsmasq-base dnsmasq-utils haproxy
    python3-pymysql python3-openstackclient
    iproute2 sudo curl crudini
)
# any of these missing means the packages must be installed
readonly NEEDED_BINARIES=(
    neutron-server neutron-dhcp-agent neutron-linuxbridge-agent neutron-metadata-agent
    neutron-db-manage keystone-manage uwsgi mariadbd mariadb mariadb-admin epmd
    /usr/lib/rabbitmq/bin/rabbitmq-server dnsmasq dhcp_release haproxy openstack
    ip ss sudo curl crudini /usr/bin/python3
)

log() { printf '[qm-openstack %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now_ms() { date +%s%3N; }
T_START=$(now_ms)
T_LAST=$T_START
# mark STEP: print how long the step took and the total so far; also appended to timings.log
mark() {
    local t; t=$(now_ms)
    log "$(printf '%-58s %7d ms  (total %6d ms)' "$1" $((t - T_LAST)) $((t - T_START)))"
    [ -d "$LOGS" ] && echo "$(date -Is) up $1 step_ms=$((t - T_LAST)) total_ms=$((t - T_START))" >>"$LOGS/timings.log"
    T_LAST=$t
}

# ---- PID bookkeeping: "<pid> <starttime>" per file, so a reused PID is never taken for ours ----
proc_start() { [ -r "/proc/$1/stat" ] && awk '{sub(/^.*\) /, ""); print $20}' "/proc/$1/stat" 2>/dev/null; }
alive() { # PID [STARTTIME]
    [ -n "${1:-}" ] && [ -d "/proc/$1" ] || return 1
    grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null && return 1
    [ -z "${2:-}" ] || [ "$(proc_start "$1")" = "$2" ]
}
recorded_pid() { # NAME -> the PID if the recorded process is still the one we started
    local f=$RUN/$1.pid pid st
    [ -f "$f" ] || return 1
    read -r pid st <"$f" || true
    alive "$pid" "$st" && echo "$pid"
}
running() { recorded_pid "$1" >/dev/null; }

# Which config files each daemon reads; their checksum is kept next to the PID.
conf_files() {
    case $1 in
        neutron-server) echo "$NEUTRON_CONF $ML2_CONF" ;;
        neutron-server-noauth) echo "$NEUTRON_CONF $ML2_CONF $NOAUTH_CONF" ;;
        neutron-linuxbridge-agent) echo "$NEUTRON_CONF $LB_CONF" ;;
        neutron-dhcp-agent) echo "$NEUTRON_CONF $DHCP_CONF" ;;
        neutron-metadata-agent) echo "$NEUTRON_CONF $MD_CONF" ;;
        keystone) echo "$KEYSTONE_CONF" ;;
        *) echo "" ;;
    esac
}
conf_sum() { local f; f=$(conf_files "$1"); [ -z "$f" ] && return 0; cat $f 2>/dev/null | sha256sum | cut -c1-16; }

EXTRA_ENV=()   # VAR=value words that the next start() adds to the clean environment
# start NAME USER CMD... : CMD runs in its own session, clean environment, as USER, stdout+stderr
# appended to $LOGS/NAME.console.log; its PID (and start time) goes to $RUN/NAME.pid.
start() {
    local name=$1 user=$2; shift 2
    local out=$LOGS/$name.console.log home pid
    home=$(getent passwd "$user" | cut -d: -f6)
    {
        echo "==== $(date -Is) starting $name as $user: $*"
    } >>"$out"
    # no `&` on a process-group leader, so setsid does not fork and $! is the daemon itself
    ( cd "${home:-/}" && exec env -i HOME="${home:-/}" PATH="$SAFE_PATH" LANG=C.UTF-8 "${EXTRA_ENV[@]}" \
        setsid setpriv --reuid="$user" --regid="$user" --init-groups "$@" >>"$out" 2>&1 </dev/null ) &
    pid=$!
    sleep 0.2
    local st; st=$(proc_start "$pid" || true)
    echo "$pid $st" >"$RUN/$name.pid"
    conf_sum "$name" >"$RUN/$name.conf-sum"
    alive "$pid" || { tail -20 "$out" >&2; die "$name exited at once; see $out"; }
    log "started $name (pid $pid)"
}

descendants() { local c; for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do echo "$c"; descendants "$c"; done; }
# wait_for WHAT SECONDS DAEMON LOG CMD... : poll CMD every 0.2 s; fail with the log's tail if the
# daemon dies or the time is up.
wait_for() {
    local what=$1 secs=$2 daemon=$3 logf=$4 i; shift 4
    for ((i = 0; i < secs * 5; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        if [ -n "$daemon" ] && ! running "$daemon"; then
            tail -25 "$logf" >&2 || true
            die "$daemon died while waiting for $what; see $logf"
        fi
        sleep 0.2
    done
    tail -25 "$logf" >&2 || true
    die "timed out after ${secs}s waiting for $what; see $logf"
}
tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
http_is() { # CODE URL [curl args]: does URL answer with CODE?
    local want=$1 url=$2; shift 2
    [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$@" "$url")" = "$want" ]
}
# port_check PORT NAME...: die if something that is not daemon NAME (or its child) listens on PORT
port_check() {
    local port=$1 name pid owners ok; shift
    owners=$(ss -ltnpH "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u || true)
    [ -z "$owners" ] && return 0
    for pid in $owners; do
        ok=0
        for name in "$@"; do
            local p; p=$(recorded_pid "$name" || true)
            [ -n "$p" ] && [[ " $p $(descendants "$p" | tr '\n' ' ') " == *" $pid "* ]] && ok=1
        done
        [ $ok = 1 ] || die "port $port is taken by pid $pid ($(tr '\0' ' ' </proc/$pid/cmdline 2>/dev/null | cut -c1-120)), which this harness did not start (the shared lab? stop it first)"
    done
}

# merge FILE <<EOF: set the snippet's [section] key = value lines in FILE, keeping its comments and
# every other key (one crudini call per file; the file is rewritten only when something differs)
merge() {
    local f=$1 tmp; tmp=$(mktemp); cp -p "$f" "$tmp"
    crudini --merge "$tmp"
    cmp -s "$f" "$tmp" && rm -f "$tmp" || mv "$tmp" "$f"
}
ini_del() { crudini --get "$1" "$2" "$3" >/dev/null 2>&1 && crudini --del "$1" "$2" "$3" || true; }
keep_original() { [ -f "$1.debian-orig" ] || cp -p "$1" "$1.debian-orig"; }

sql() { mariadb --socket="$MYSQL_SOCK" -N -B -e "$1"; }

# ---------------------------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "run as root (it installs Debian packages and starts system daemons)"

INSTALL=0 INSTALL_ONLY=0 FRESH=0
for a in "$@"; do
    case $a in
        --install) INSTALL=1 ;;
        --install-only) INSTALL=1 INSTALL_ONLY=1 ;;
        --fresh) FRESH=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $a (see --help)" ;;
    esac
done

mkdir -p "$RUN" "$LOGS"
chmod 0755 "$RUN" "$LOGS"

# No link-local address on the links the agents add to the root namespace (see the header).
# Only the root namespace's default for new links changes; the old value is kept once for down.
[ -f "$RUN/ipv6-default.orig" ] || sysctl -n net.ipv6.conf.default.disable_ipv6 >"$RUN/ipv6-default.orig"
sysctl -qw net.ipv6.conf.default.disable_ipv6=1

# ---- 1. packages --------------------------------------------------------------------------
missing=()
for b in "${NEEDED_BINARIES[@]}"; do command -v "$b" >/dev/null 2>&1 || missing+=("$b"); done
if [ $INSTALL = 1 ] || [ ${#missing[@]} -gt 0 ]; then
    [ ${#missing[@]} -gt 0 ] && log "missing: ${missing[*]}: installing the packages"
    # No package may start a service while it installs (they would listen on 0.0.0.0).
    # invoke-rc.d asks /usr/sbin/policy-rc.d first; 101 means "forbidden".
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\n# written by quantum-meta scripts/openstack-up.sh: no service starts on install\nexit 101\n' \
            >/usr/sbin/policy-rc.d
        chmod 0755 /usr/sbin/policy-rc.d
        log "wrote /usr/sbin/policy-rc.d (exit 101)"
    fi
    set +e; /usr/sbin/policy-rc.d qm-openstack-probe start >/dev/null 2>&1; rc=$?; set -e
    [ $rc = 101 ] || die "/usr/sbin/policy-rc.d answers $rc, not 101: packages would start their services on install. Not changing it; fix it by hand first."
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=900 update -qq >"$LOGS/apt-update.log" 2>&1 \
        || { tail -20 "$LOGS/apt-update.log" >&2; die "apt-get update failed; see $LOGS/apt-update.log"; }
    mark "apt-get update"
    apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends "${PACKAGES[@]}" >"$LOGS/apt-install.log" 2>&1 \
        || { tail -30 "$LOGS/apt-install.log" >&2; die "apt-get install failed; see $LOGS/apt-install.log"; }
    grep -E '^[0-9]+ upgraded, [0-9]+ newly installed' "$LOGS/apt-install.log" >&2 || true
    mark "apt-get install (${#PACKAGES[@]} packages + dependencies)"
    for b in "${NEEDED_BINARIES[@]}"; do command -v "$b" >/dev/null 2>&1 || die "$b still missing after the install; see $LOGS/apt-install.log"; done
fi
[ $INSTALL_ONLY = 1 ] && { log "packages installed; not starting anything (--install-only)"; exit 0; }

if [ $FRESH = 1 ]; then
    "$SCRIPTS/openstack-down.sh" --wipe
    mark "openstack-down.sh --wipe (--fresh)"
fi

# ---- 2. configuration ---------------------------------------------------------------------
for f in "$NEUTRON_CONF" "$ML2_CONF" "$LB_CONF" "$DHCP_CONF" "$MD_CONF" "$KEYSTONE_CONF"; do
    [ -f "$f" ] || die "$f is missing: are the packages installed? (run with --install)"
    keep_original "$f"
done

# neutron.conf: shared by both servers and all agents
merge "$NEUTRON_CONF" <<EOF
[DEFAULT]
core_plugin = ml2
# router interfaces can be added; no L3 agent runs
service_plugins = router
auth_strategy = keystone
bind_host = 127.0.0.1
bind_port = 9696
api_paste_config = /etc/neutron/api-paste.ini
host = $AGENT_HOST
# Debian ships openvswitch
interface_driver = linuxbridge
state_path = $NEUTRON_STATE
transport_url = rabbit://guest:guest@127.0.0.1:5672/
api_workers = 1
rpc_workers = 1
rpc_state_report_workers = 1
dhcp_agents_per_network = 2
agent_down_time = 20
notify_nova_on_port_status_changes = False
notify_nova_on_port_data_changes = False
use_stderr = False
[agent]
root_helper = sudo neutron-rootwrap /etc/neutron/rootwrap.conf
report_interval = 5
[database]
connection = mysql+pymysql://neutron:$NEUTRON_DB_PASSWORD@127.0.0.1/neutron?charset=utf8
[oslo_concurrency]
lock_path = $NEUTRON_STATE/lock
[experimental]
linuxbridge = True
[nova]
auth_type = none
[placement]
auth_type = none
[keystone_authtoken]
www_authenticate_uri = $KS
auth_url = $KS
auth_type = password
project_domain_name = Default
user_domain_name = Default
project_name = service
username = neutron
password = $NEUTRON_SERVICE_PASSWORD
region_name = $REGION
EOF
# dhcp_agents_per_network = 2: the scheduler may put a network on two DHCP agents (issue 11, section 5;
#   alone, the harness's agent still takes every network). It only picks hosts ML2 can bind a port on
#   (a live linuxbridge agent there), so test/openstack/agent-hosts.ts's second DHCP agent (host
#   qm-ci-host2, no L2 agent) gets a network through POST /v2.0/agents/ID/dhcp-networks instead.
# [experimental] linuxbridge: without it Zed's neutron-server exits with "Feature 'linuxbridge' is
#   experimental and has to be explicitly enabled in 'cfg.CONF.experimental'".
# [nova]/[placement] auth_type = none: there is no Nova. Debian ships [nova] auth_type = password,
#   and then DELETE /v2.0/networks/X answers 500 "Auth plugin requires parameters which were not
#   given: auth_url".
ini_del "$NEUTRON_CONF" keystone_authtoken memcached_servers   # in-process token cache

# The second server reads the same files, then this one (a later --config-file wins).
mkdir -p "$(dirname "$NOAUTH_CONF")"
NOAUTH_TEXT='# written by quantum-meta scripts/openstack-up.sh: the second neutron-server of the
# real-OpenStack test harness, on the same database, without Keystone.
[DEFAULT]
auth_strategy = noauth
bind_port = 9697'
[ "$(cat "$NOAUTH_CONF" 2>/dev/null)" = "$NOAUTH_TEXT" ] || printf '%s\n' "$NOAUTH_TEXT" >"$NOAUTH_CONF"

merge "$ML2_CONF" <<EOF
[ml2]
type_drivers = local,flat
tenant_network_types = local
mechanism_drivers = linuxbridge
extension_drivers = port_security
[ml2_type_flat]
flat_networks =
[securitygroup]
enable_security_group = False
enable_ipset = False
EOF

# No physical interface at all (no bridge ever gets a host NIC), no vxlan, no iptables rules.
merge "$LB_CONF" <<EOF
[linux_bridge]
physical_interface_mappings =
bridge_mappings =
[vxlan]
enable_vxlan = False
[securitygroup]
enable_security_group = False
firewall_driver = noop
[agent]
polling_interval = 2
EOF

merge "$DHCP_CONF" <<EOF
[DEFAULT]
interface_driver = linuxbridge
dhcp_driver = neutron.agent.linux.dhcp.Dnsmasq
enable_isolated_metadata = True
force_metadata = False
enable_metadata_network = False
resync_interval = 5
EOF

# There is no Nova behind the metadata agent (a proxied request would end in 500); nothing sends one.
merge "$MD_CONF" <<EOF
[DEFAULT]
nova_metadata_host = 127.0.0.1
nova_metadata_port = 8775
metadata_proxy_shared_secret = $METADATA_SECRET
metadata_workers = 1
EOF

merge "$KEYSTONE_CONF" <<EOF
[DEFAULT]
log_dir = $LOGS
log_file = keystone.log
[database]
connection = mysql+pymysql://keystone:$KEYSTONE_DB_PASSWORD@127.0.0.1/keystone?charset=utf8
[token]
provider = fernet
EOF

install -d -o neutron -g neutron -m 0755 "$NEUTRON_STATE" "$NEUTRON_STATE/lock"
for n in neutron-server neutron-server-noauth neutron-linuxbridge-agent neutron-dhcp-agent neutron-metadata-agent neutron-db-manage; do
    touch "$LOGS/$n.log"; chown neutron:neutron "$LOGS/$n.log"
done
touch "$LOGS/keystone.log" "$LOGS/mariadb.err"; chown keystone:keystone "$LOGS/keystone.log"; chown mysql:mysql "$LOGS/mariadb.err"
install -d -o mysql -g mysql -m 0755 /run/mysqld
mark "configuration written"

# A daemon whose config changed since it started is restarted (stopped here, started below).
for n in neutron-server neutron-server-noauth neutron-linuxbridge-agent neutron-dhcp-agent neutron-metadata-agent keystone; do
    if running "$n" && [ "$(cat "$RUN/$n.conf-sum" 2>/dev/null)" != "$(conf_sum "$n")" ]; then
        log "$n: its configuration changed since it started: restarting it"
        "$SCRIPTS/openstack-down.sh" --only "$n"
    fi
done

# ---- 3. RabbitMQ (and its epmd), loopback only, first: its ~8 s boot overlaps everything up to
#         the neutron-servers' start; the agents wait for it
port_check 4369 epmd
port_check 5672 rabbitmq
port_check 25672 rabbitmq
RABBIT_STARTED=0
if ! running epmd; then
    # our own epmd in the foreground, so it has a recorded PID (rabbitmq would start a daemonized one)
    EXTRA_ENV=(ERL_EPMD_ADDRESS=127.0.0.1)
    start epmd rabbitmq epmd -address 127.0.0.1 -port 4369
    EXTRA_ENV=()
    wait_for "epmd on 127.0.0.1:4369" 20 epmd "$LOGS/epmd.console.log" tcp_open 127.0.0.1 4369
fi
if ! running rabbitmq; then
    RABBIT_LOG_MARK=$(wc -l <"$LOGS/rabbitmq.console.log" 2>/dev/null || echo 0)
    # RUNNING_UNDER_SYSTEMD: rabbitmq-server then execs erl (same PID) instead of a background child
    EXTRA_ENV=(RABBITMQ_NODENAME=rabbit@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT=5672
        RABBITMQ_DIST_PORT=25672 ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT=4369 RABBITMQ_LOGS=- RUNNING_UNDER_SYSTEMD=1
        'RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}')
    start rabbitmq rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server
    EXTRA_ENV=()
    RABBIT_STARTED=1
fi
# ---- 4. MariaDB -----------------------------------------------------------------------------
port_check 3306 mariadb
if ! running mariadb; then
    if [ ! -d /var/lib/mysql/mysql ]; then
        mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db >"$LOGS/mariadb-install-db.log" 2>&1 \
            || die "mariadb-install-db failed; see $LOGS/mariadb-install-db.log"
    fi
    start mariadb root mariadbd --user=mysql --bind-address=127.0.0.1 --port=3306 --socket="$MYSQL_SOCK" \
        --pid-file=/run/mysqld/qm-openstack-mariadb.pid --log-error="$LOGS/mariadb.err" \
        --skip-name-resolve --max-connections=500
    wait_for "MariaDB on $MYSQL_SOCK" 60 mariadb "$LOGS/mariadb.err" mariadb-admin --socket="$MYSQL_SOCK" ping
    mark "MariaDB answering on 127.0.0.1:3306"
fi
sql "CREATE DATABASE IF NOT EXISTS neutron; CREATE DATABASE IF NOT EXISTS keystone;
     CREATE USER IF NOT EXISTS 'neutron'@'127.0.0.1' IDENTIFIED BY '$NEUTRON_DB_PASSWORD';
     CREATE USER IF NOT EXISTS 'keystone'@'127.0.0.1' IDENTIFIED BY '$KEYSTONE_DB_PASSWORD';
     GRANT ALL ON neutron.* TO 'neutron'@'127.0.0.1'; GRANT ALL ON keystone.* TO 'keystone'@'127.0.0.1';"

as_user() { # USER CMD...: a clean environment, as USER, in its home
    local u=$1 home; shift; home=$(getent passwd "$u" | cut -d: -f6)
    ( cd "${home:-/}" && env -i PATH="$SAFE_PATH" HOME="${home:-/}" LANG=C.UTF-8 \
        setpriv --reuid="$u" --regid="$u" --init-groups "$@" )
}
table_count() { sql "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='$1'"; }

# ---- 5. Keystone and the Neutron schema, side by side (both only need MariaDB) ---------------
keystone_up() {
    local T; T=$(now_ms)
    if [ "$(table_count keystone)" -lt 10 ]; then
        as_user keystone keystone-manage db_sync >>"$LOGS/keystone-manage.log" 2>&1 \
            || die "keystone-manage db_sync failed; see $LOGS/keystone-manage.log"
        log "keystone db_sync: $(( $(now_ms) - T )) ms"
    fi
    if [ ! -s /etc/keystone/fernet-keys/0 ]; then
        keystone-manage fernet_setup --keystone-user keystone --keystone-group keystone >>"$LOGS/keystone-manage.log" 2>&1
    fi
    if [ ! -s /etc/keystone/credential-keys/0 ]; then
        keystone-manage credential_setup --keystone-user keystone --keystone-group keystone >>"$LOGS/keystone-manage.log" 2>&1
    fi
    if [ "$(sql "SELECT COUNT(*) FROM keystone.local_user WHERE name='admin' AND domain_id='default'")" = 0 ]; then
        local B; B=$(now_ms)
        as_user keystone keystone-manage bootstrap --bootstrap-password "$ADMIN_PASSWORD" \
            --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin \
            --bootstrap-service-name keystone --bootstrap-region-id "$REGION" \
            --bootstrap-admin-url "$KS/v3/" --bootstrap-internal-url "$KS/v3/" --bootstrap-public-url "$KS/v3/" \
            >>"$LOGS/keystone-manage.log" 2>&1 || die "keystone-manage bootstrap failed; see $LOGS/keystone-manage.log"
        log "keystone bootstrap: $(( $(now_ms) - B )) ms"
    fi
    port_check 5000 keystone
    if ! running keystone; then
        # foreground uwsgi (no --daemonize): the recorded PID is its master; workers are its children.
        # uwsgi's --http-socket does not do keep-alive: say so, or clients reuse a closed connection.
        start keystone root uwsgi --plugins python3 --http-socket 127.0.0.1:5000 \
            --wsgi-file /usr/bin/keystone-wsgi-public --master --processes 2 --threads 2 --enable-threads \
            --lazy-apps --die-on-term --uid keystone --gid keystone --chdir /var/lib/keystone \
            --buffer-size 65535 --add-header 'Connection: close' --need-app
        wait_for "Keystone on $KS/v3" 90 keystone "$LOGS/keystone.console.log" http_is 200 "$KS/v3"
        log "keystone answering on $KS (uwsgi pid $(recorded_pid keystone))"
    fi
    # Projects, users, roles and the catalog; checked in the database first so a warm run is quick.
    local have
    have=$(sql "SELECT
        (SELECT COUNT(*) FROM keystone.endpoint e JOIN keystone.service s ON e.service_id = s.id
          WHERE s.type = 'network' AND e.url = '$NEUTRON_URL' AND e.region_id = '$REGION' AND e.enabled = 1)
      + (SELECT COUNT(*) FROM keystone.assignment a
          JOIN keystone.local_user u ON a.actor_id = u.user_id
          JOIN keystone.project p ON a.target_id = p.id
          JOIN keystone.role r ON a.role_id = r.id
          WHERE a.type = 'UserProject' AND CONCAT(u.name, '/', p.name, '/', r.name) IN ('neutron/service/admin', 'demo/demo/member'))")
    if [ "$have" != 5 ]; then
        local C; C=$(now_ms)
        /usr/bin/python3 - "$KS" "$ADMIN_PASSWORD" "$NEUTRON_URL" "$REGION" "$NEUTRON_SERVICE_PASSWORD" "$DEMO_PASSWORD" \
            >>"$LOGS/keystone-catalog.log" 2>&1 <<'PY' || die "creating the Keystone catalog and users failed; see $LOGS/keystone-catalog.log"
import json, sys, time, urllib.request, urllib.error
ks, admin_pw, net_url, region, svc_pw, demo_pw = sys.argv[1:]

def call(method, path, body=None, token=None, ok=(200, 201, 204)):
    for attempt in range(5):
        req = urllib.request.Request(ks + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={'Content-Type': 'application/json', **({'X-Auth-Token': token} if token else {})})
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                text = r.read().decode()
                return r.status, r.headers, (json.loads(text) if text else None)
        except urllib.error.HTTPError as e:
            if e.code in ok: return e.code, e.headers, None
            if e.code >= 500 and attempt < 4: time.sleep(1); continue
            raise SystemExit(f'{method} {path} -> {e.code} {e.read().decode()[:400]}')
        except (urllib.error.URLError, ConnectionError) as e:
            if attempt < 4: time.sleep(1); continue
            raise

_, h, _ = call('POST', '/v3/auth/tokens', {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
    'name': 'admin', 'domain': {'name': 'Default'}, 'password': admin_pw}}},
    'scope': {'project': {'name': 'admin', 'domain': {'name': 'Default'}}}}})
tok = h['X-Subject-Token']

def one(path, key, name, create):
    items = call('GET', f'{path}?name={name}', token=tok)[2][key]
    if items: return items[0]['id']
    obj = call('POST', path, {key[:-1]: create}, token=tok)[2][key[:-1]]
    print(f'created {key[:-1]} {name} {obj["id"]}')
    return obj['id']

svc = [s for s in call('GET', '/v3/services?type=network', token=tok)[2]['services']]
svc_id = svc[0]['id'] if svc else call('POST', '/v3/services', {'service': {
    'type': 'network', 'name': 'neutron', 'description': 'quantum-meta test harness: neutron-server'}}, token=tok)[2]['service']['id']
eps = call('GET', f'/v3/endpoints?service_id={svc_id}', token=tok)[2]['endpoints']
for iface in ('public', 'internal', 'admin'):
    if not any(e['interface'] == iface and e['url'] == net_url and e['region_id'] == region for e in eps):
        call('POST', '/v3/endpoints', {'endpoint': {'service_id': svc_id, 'interface': iface, 'url': net_url,
                                                    'region_id': region, 'enabled': True}}, token=tok)
        print(f'created network endpoint {iface} {net_url}')
roles = {r['name']: r['id'] for r in call('GET', '/v3/roles', token=tok)[2]['roles']}
for project, user, pw, role in (('service', 'neutron', svc_pw, 'admin'), ('demo', 'demo', demo_pw, 'member')):
    pid = one('/v3/projects', 'projects', project, {'name': project, 'domain_id': 'default', 'enabled': True})
    uid = one('/v3/users', 'users', user, {'name': user, 'domain_id': 'default', 'password': pw,
                                          'default_project_id': pid, 'enabled': True})
    call('PUT', f'/v3/projects/{pid}/users/{uid}/roles/{roles[role]}', token=tok)
    print(f'role {role} for {user} on project {project}')
PY
        log "keystone catalog, service user and demo user: $(( $(now_ms) - C )) ms"
    fi
}

neutron_schema() {
    if [ "$(table_count neutron)" -lt 100 ]; then
        local T; T=$(now_ms)
        as_user neutron neutron-db-manage --config-file "$NEUTRON_CONF" --config-file "$ML2_CONF" upgrade heads \
            >>"$LOGS/neutron-db-manage.log" 2>&1 || die "neutron-db-manage upgrade heads failed; see $LOGS/neutron-db-manage.log"
        log "neutron-db-manage upgrade heads: $(( $(now_ms) - T )) ms"
    fi
}

keystone_up & KS_JOB=$!
neutron_schema & SCHEMA_JOB=$!

rabbit_booted() { # this start's "Server startup complete", and the AMQP port open
    tail -n +"$((RABBIT_LOG_MARK + 1))" "$LOGS/rabbitmq.console.log" | grep -q 'Server startup complete' && tcp_open 127.0.0.1 5672
}

wait $SCHEMA_JOB || die "the Neutron schema step failed"
mark "Neutron database schema ready"

# ---- 6. neutron-server x2 (the API answers before RabbitMQ is up; RPC connects when it is) ----
port_check 9696 neutron-server
port_check 9697 neutron-server-noauth
if ! running neutron-server; then
    start neutron-server neutron neutron-server --config-file "$NEUTRON_CONF" --config-file "$ML2_CONF" \
        --log-file "$LOGS/neutron-server.log"
fi
if ! running neutron-server-noauth; then
    start neutron-server-noauth neutron neutron-server --config-file "$NEUTRON_CONF" --config-file "$ML2_CONF" \
        --config-file "$NOAUTH_CONF" --log-file "$LOGS/neutron-server-noauth.log"
fi

if [ $RABBIT_STARTED = 1 ]; then
    wait_for "RabbitMQ on 127.0.0.1:5672" 120 rabbitmq "$LOGS/rabbitmq.console.log" rabbit_booted
    mark "RabbitMQ answering on 127.0.0.1:5672"
fi

# ---- 7. agents (they only need RabbitMQ; the servers answer their reports once up) ----------
# An agent started now must report as started now: after a restart, the old one's last report
# still reads "alive" for agent_down_time (20 s).
AGENTS_SINCE=$(date -u -d '-2 sec' '+%F %T')
FRESH_AGENTS=""
for a in neutron-linuxbridge-agent neutron-dhcp-agent neutron-metadata-agent; do
    running "$a" || FRESH_AGENTS+=" $a"
done
if ! running neutron-linuxbridge-agent; then
    start neutron-linuxbridge-agent neutron neutron-linuxbridge-agent --config-file "$NEUTRON_CONF" \
        --config-file "$LB_CONF" --log-file "$LOGS/neutron-linuxbridge-agent.log"
fi
if ! running neutron-dhcp-agent; then
    start neutron-dhcp-agent neutron neutron-dhcp-agent --config-file "$NEUTRON_CONF" \
        --config-file "$DHCP_CONF" --log-file "$LOGS/neutron-dhcp-agent.log"
fi
if ! running neutron-metadata-agent; then
    start neutron-metadata-agent neutron neutron-metadata-agent --config-file "$NEUTRON_CONF" \
        --config-file "$MD_CONF" --log-file "$LOGS/neutron-metadata-agent.log"
fi

wait_for "neutron-server (noauth) on $NOAUTH_URL" 180 neutron-server-noauth "$LOGS/neutron-server-noauth.log" \
    http_is 200 "$NOAUTH_URL/v2.0/networks"
wait_for "neutron-server (keystone) on $NEUTRON_URL" 180 neutron-server "$LOGS/neutron-server.log" \
    http_is 401 "$NEUTRON_URL/v2.0/networks"
mark "neutron-server answering on :9696 (keystone) and :9697 (noauth)"

agents_alive() { # each of the three binaries has an alive agent on $AGENT_HOST, the ones started now freshly
    curl -sf -m 5 "$NOAUTH_URL/v2.0/agents?host=$AGENT_HOST" | /usr/bin/python3 -c '
import json, sys
since, fresh = sys.argv[1], sys.argv[2].split()
ok = {a["binary"] for a in json.load(sys.stdin)["agents"]
      if a["alive"] and a["admin_state_up"] and (a["binary"] not in fresh or (a["started_at"] or "") >= since)}
sys.exit(0 if {"neutron-linuxbridge-agent", "neutron-dhcp-agent", "neutron-metadata-agent"} <= ok else 1)' "$AGENTS_SINCE" "$FRESH_AGENTS"
}
for a in neutron-linuxbridge-agent neutron-dhcp-agent neutron-metadata-agent; do
    running "$a" || die "$a is not running; see $LOGS/$a.log"
done
wait_for "the three agents to report alive on host $AGENT_HOST" 120 neutron-dhcp-agent "$LOGS/neutron-dhcp-agent.log" agents_alive
mark "linuxbridge, DHCP and metadata agents alive (host $AGENT_HOST)"

wait $KS_JOB || die "the Keystone step failed"
mark "Keystone ready on $KS (catalog, users)"

# A last check of the whole chain: an admin token, then neutron through Keystone.
TOKEN=$(curl -si -m 20 -X POST "$KS/v3/auth/tokens" -H 'Content-Type: application/json' \
    -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"admin\",\"domain\":{\"name\":\"Default\"},\"password\":\"$ADMIN_PASSWORD\"}}},\"scope\":{\"project\":{\"name\":\"admin\",\"domain\":{\"name\":\"Default\"}}}}}" \
    | awk 'tolower($1) == "x-subject-token:" { print $2 }' | tr -d '\r')
[ -n "$TOKEN" ] || die "Keystone issued no token for admin; see $LOGS/keystone.log"
wait_for "neutron-server to accept a Keystone token" 30 neutron-server "$LOGS/neutron-server.log" \
    http_is 200 "$NEUTRON_URL/v2.0/networks" -H "X-Auth-Token: $TOKEN"
mark "admin token accepted by neutron-server :9696"

# Safety net: nothing of ours may listen anywhere but loopback.
bad=$(ss -ltnH | awk '{print $4}' | grep -E ':(3306|4369|5000|5672|25672|9696|9697)$' | grep -vE '^(127\.0\.0\.1|\[::1\]):' || true)
[ -z "$bad" ] || die "a harness port listens beyond loopback: $bad"

cat >&2 <<EOF

quantum-meta OpenStack harness is UP ($(( $(now_ms) - T_START )) ms)
  Keystone   $KS/v3   admin/$ADMIN_PASSWORD (project admin), demo/$DEMO_PASSWORD (project demo), domain Default, region $REGION
  Neutron    $NEUTRON_URL (keystone)   $NOAUTH_URL (noauth)   agents on host $AGENT_HOST
  client     OS_AUTH_URL=$KS/v3 OS_USERNAME=admin OS_PASSWORD=$ADMIN_PASSWORD OS_PROJECT_NAME=admin \\
             OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_REGION_NAME=$REGION openstack network list
  pids       $RUN/*.pid        logs  $LOGS/   (timings: $LOGS/timings.log)
  stop       $SCRIPTS/openstack-down.sh   (--wipe also drops the databases and the agents' state)
EOF

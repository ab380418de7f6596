#!/bin/bash
# ovn-up.sh - start the ML2/OVN chassis harness (test/ovn/) on this machine.
#
#   scripts/harness/ovn/ovn-up.sh                start whatever is not running (installs the packages first if
#                                    a binary is missing); a second run changes nothing
#   scripts/harness/ovn/ovn-up.sh --fresh        ovn-down.sh --wipe first: empty OVS/NB/SB and neutron DBs
#   scripts/harness/ovn/ovn-up.sh --install      apt-get update + install the packages first, always
#   scripts/harness/ovn/ovn-up.sh --install-only ... and stop there (e.g. to prepare a machine)
#   scripts/harness/ovn/ovn-up.sh --metadata-enabled=True|False
#                                    set ml2_conf.ini [ovn] ovn_metadata_enabled (kept across runs;
#                                    --fresh resets it to True) and restart neutron-server if it changed
#
# What runs (Debian 12's own packages: OVS 3.1, OVN 23.03, Neutron 21 "Zed"; no openvswitch kernel
# module: the userspace datapath), every TCP listener on 127.0.0.1 only:
#   ovsdb-server  Open_vSwitch   unix:/run/qm-ovn/openvswitch/db.sock ONLY (no TCP)
#   ovs-vswitchd                 br-int datapath_type netdev, other_config:userspace-tso-enable=true
#   ovsdb-server  OVN NB         tcp:127.0.0.1:6651 + unix:/run/qm-ovn/ovn/ovnnb_db.sock
#   ovsdb-server  OVN SB         tcp:127.0.0.1:6652 + unix:/run/qm-ovn/ovn/ovnsb_db.sock
#   ovn-northd, ovn-controller   chassis qm-ovn-chassis, hostname qm-ovn-host
#   mariadbd                     its own instance, unix socket only (skip-networking)
#   neutron-server               127.0.0.1:9798, auth_strategy noauth, ML2/OVN, transport_url fake://
#   fake nova                    127.0.0.1:8777 (scripts/harness/ovn/ovn-fake-nova.py: HMAC signature check);
#                                ovn-nova-up.sh puts Debian's real nova-api-metadata there instead (for as
#                                long as the process that asked runs), ovn-nova-down.sh back
#   neutron-ovn-metadata-agent   as root (Debian's unit does so), [ovs] ovsdb_connection =
#                                unix:/run/qm-ovn/openvswitch/db.sock, [ovn] ovn_sb_connection =
#                                tcp:127.0.0.1:6652; it spawns haproxy in ovnmeta-<net> itself
#
# Config /etc/qm-ovn/, state /var/lib/qm-ovn/ (agent+server state_path, DB files), pid records
# /run/qm-ovn/<name>.pid ("<pid> <starttime>"), logs /var/log/qm-ovn/ (timings.log too).
# Stop with scripts/harness/ovn/ovn-down.sh (by those PIDs). A daemon whose config files changed since it
# started is restarted. Tools: export OVS_RUNDIR=/run/qm-ovn/openvswitch OVN_RUNDIR=/run/qm-ovn/ovn
set -euo pipefail

readonly QMOVN_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/harness/ovn/ovn-lib.sh
source "$QMOVN_SCRIPTS/ovn-lib.sh"

readonly PACKAGES=(
    ovn-central ovn-host openvswitch-switch neutron-server neutron-ovn-metadata-agent
    python3-ovsdbapp python3-pymysql haproxy mariadb-server udhcpc busybox
    iproute2 iptables sudo curl crudini
)
readonly NEEDED_BINARIES=(
    ovsdb-server ovsdb-tool ovs-vswitchd ovs-vsctl ovs-appctl ovn-northd ovn-controller ovn-nbctl ovn-sbctl
    neutron-server neutron-db-manage neutron-ovn-metadata-agent neutron-rootwrap privsep-helper
    haproxy mariadbd mariadb mariadb-admin mariadb-install-db busybox udhcpc
    ip ss iptables-save sudo curl crudini setpriv /usr/bin/python3
)

T_START=$(now_ms)
T_LAST=$T_START
# mark STEP: how long the step took and the total so far; also appended to timings.log
mark() {
    local t; t=$(now_ms)
    log "$(printf '%-64s %6d ms  (total %6d ms)' "$1" $((t - T_LAST)) $((t - T_START)))"
    [ -d "$QMOVN_LOG" ] && echo "$(date -Is) ovn-up $1 step_ms=$((t - T_LAST)) total_ms=$((t - T_START))" >>"$QMOVN_LOG/timings.log"
    T_LAST=$t
}


# ---------------------------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "run as root (it installs Debian packages and starts system daemons)"

INSTALL=0 INSTALL_ONLY=0 FRESH=0 MD_ENABLED=""
for a in "$@"; do
    case $a in
        --install) INSTALL=1 ;;
        --install-only) INSTALL=1 INSTALL_ONLY=1 ;;
        --fresh) FRESH=1 ;;
        --metadata-enabled=True|--metadata-enabled=False) MD_ENABLED=${a#*=} ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $a (see --help)" ;;
    esac
done

mkdir -p "$QMOVN_RUN" "$QMOVN_LOG"
chmod 0755 "$QMOVN_RUN" "$QMOVN_LOG"

# ---- 0. the shared lab (/work/shared/lab-ovn) must not be running: we do not stop it ---------
for pf in /run/ovn-lab/openvswitch/*.pid /run/ovn-lab/ovn/*.pid /run/neutron-ovn-lab/*.pid; do
    [ -f "$pf" ] || continue
    p=$(pidfile_pid "$pf")
    alive "$p" && die "the shared OVN lab is running ($pf: pid $p, $(cat /proc/"$p"/comm 2>/dev/null)); it uses br-int and tap<net>0 names too. Not touching it: stop it first (its own down.sh)."
done
# ... nor the openstack harness: its linuxbridge agent and its down.sh act on tap* links
# of the root namespace, where the OVN agent puts tap<net[:10]>0 (scripts/test.sh runs them apart)
for pf in /run/qm-openstack/*.pid; do
    [ -f "$pf" ] || continue
    read -r p st <"$pf" || true
    alive "$p" "$st" && die "the openstack harness is running ($pf: pid $p); the two never run at the same time: stop it first (scripts/harness/openstack/down.sh)"
done

# ---- 1. packages --------------------------------------------------------------------------
missing=()
for b in "${NEEDED_BINARIES[@]}"; do command -v "$b" >/dev/null 2>&1 || missing+=("$b"); done
if [ $INSTALL = 1 ] || [ ${#missing[@]} -gt 0 ]; then
    [ ${#missing[@]} -gt 0 ] && log "missing: ${missing[*]}: installing the packages"
    # No package may start a service while it installs (openvswitch-switch, ovn-central,
    # ovn-host, neutron-*, mariadb would listen on the default sockets and ports).
    # invoke-rc.d asks /usr/sbin/policy-rc.d first; 101 means "forbidden".
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\n# written by quantum-meta scripts/harness/ovn/ovn-up.sh: no service starts on install\nexit 101\n' \
            >/usr/sbin/policy-rc.d
        chmod 0755 /usr/sbin/policy-rc.d
        log "wrote /usr/sbin/policy-rc.d (exit 101)"
    fi
    set +e; /usr/sbin/policy-rc.d qm-ovn-probe start >/dev/null 2>&1; rc=$?; set -e
    [ $rc = 101 ] || die "/usr/sbin/policy-rc.d answers $rc, not 101: packages would start their services on install. Not changing it; fix it by hand first."
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=900 update -qq >"$QMOVN_LOG/apt-update.log" 2>&1 \
        || { tail -20 "$QMOVN_LOG/apt-update.log" >&2; die "apt-get update failed; see $QMOVN_LOG/apt-update.log"; }
    mark "apt-get update"
    apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends "${PACKAGES[@]}" >"$QMOVN_LOG/apt-install.log" 2>&1 \
        || { tail -30 "$QMOVN_LOG/apt-install.log" >&2; die "apt-get install failed; see $QMOVN_LOG/apt-install.log"; }
    grep -E '^[0-9]+ upgraded, [0-9]+ newly installed' "$QMOVN_LOG/apt-install.log" >&2 || true
    mark "apt-get install (${#PACKAGES[@]} packages + dependencies)"
    for b in "${NEEDED_BINARIES[@]}"; do command -v "$b" >/dev/null 2>&1 || die "$b still missing after the install; see $QMOVN_LOG/apt-install.log"; done
fi
[ $INSTALL_ONLY = 1 ] && { log "packages installed; not starting anything (--install-only)"; exit 0; }

if [ $FRESH = 1 ]; then
    "$QMOVN_SCRIPTS/ovn-down.sh" --wipe
    mark "ovn-down.sh --wipe (--fresh)"
    [ -n "$MD_ENABLED" ] || MD_ENABLED=True
fi

# ---- 2. configuration ---------------------------------------------------------------------
install -d -m 0750 -o root -g neutron "$QMOVN_ETC"
install -d -m 0755 -o neutron -g neutron "$QMOVN_STATE" "$QMOVN_STATE/lock"
install -d -m 0755 -o root -g root "$QMOVN_STATE/openvswitch" "$QMOVN_STATE/ovn" "$OVS_RUNDIR_Q" "$OVN_RUNDIR_Q"
install -d -m 0755 -o mysql -g mysql "$QMOVN_RUN/mysqld"
# Debian's pristine templates, so the files look like a real node's (comments and all)
copy_once /usr/share/neutron-common/neutron.conf "$NEUTRON_CONF"
copy_once /usr/share/neutron-common/plugins/ml2/ml2_conf.ini "$ML2_CONF"
copy_once /usr/share/neutron-common/api-paste.ini "$QMOVN_ETC/api-paste.ini"
if [ ! -f "$AGENT_CONF" ]; then
    # the package's own file, unless someone edited it (then an empty skeleton)
    if [ -z "$(dpkg --verify neutron-ovn-metadata-agent 2>/dev/null | grep neutron_ovn_metadata_agent.ini)" ]; then
        copy_once /etc/neutron/neutron_ovn_metadata_agent.ini "$AGENT_CONF"
    else
        printf '[DEFAULT]\n\n[agent]\n\n[ovs]\n\n[ovn]\n' | write_if_changed "$AGENT_CONF" 0640 root:neutron
    fi
fi

merge "$NEUTRON_CONF" <<EOF
[DEFAULT]
core_plugin = ml2
service_plugins = ovn-router
auth_strategy = noauth
bind_host = 127.0.0.1
bind_port = $API_PORT
api_paste_config = $QMOVN_ETC/api-paste.ini
host = $CHASSIS_HOST
state_path = $QMOVN_STATE
transport_url = fake://
interface_driver = openvswitch
notify_nova_on_port_status_changes = False
notify_nova_on_port_data_changes = False
api_workers = 1
rpc_workers = 1
rpc_state_report_workers = 1
agent_down_time = 20
use_stderr = False
[agent]
root_helper = sudo neutron-rootwrap $ROOTWRAP_CONF
[database]
connection = $DB_URL
[oslo_concurrency]
lock_path = $QMOVN_STATE/lock
[oslo_policy]
policy_file = $QMOVN_ETC/policy.yaml
policy_dirs = $QMOVN_ETC/policy.d
[nova]
auth_type = none
[placement]
auth_type = none
EOF
# transport_url fake://: oslo.messaging's in-process driver; ML2/OVN needs no RPC agent, and an
#   unset transport_url would mean rabbit://guest@localhost:5672 (the openstack harness's broker).
# [nova]/[placement] auth_type none: there is no Nova API (only the fake metadata one).
# policy_file/policy_dirs: Debian's template points into /etc/neutron; ours do not exist, so the
#   policy is the code's defaults (noauth: every request is admin anyway).

current_md=$(crudini --get "$ML2_CONF" ovn ovn_metadata_enabled 2>/dev/null || echo True)
merge "$ML2_CONF" <<EOF
[ml2]
type_drivers = local,flat,geneve
tenant_network_types = geneve
mechanism_drivers = ovn
extension_drivers = port_security
overlay_ip_version = 4
[ml2_type_flat]
flat_networks =
[ml2_type_geneve]
vni_ranges = 1:65536
max_header_size = 38
[ml2_type_vxlan]
vni_ranges =
[securitygroup]
enable_security_group = True
enable_ipset = False
[ovn]
ovn_nb_connection = $NB_TCP
ovn_sb_connection = $SB_TCP
ovn_l3_scheduler = leastloaded
ovn_metadata_enabled = ${MD_ENABLED:-$current_md}
EOF

merge "$AGENT_CONF" <<EOF
[DEFAULT]
state_path = $QMOVN_STATE
nova_metadata_host = 127.0.0.1
nova_metadata_port = $NOVA_PORT
nova_metadata_protocol = http
metadata_proxy_shared_secret = $METADATA_SECRET
metadata_workers = 2
[ovs]
ovsdb_connection = unix:$OVS_DB_SOCK
[ovn]
ovn_sb_connection = $SB_TCP
EOF

# neutron-rootwrap with our own config; the filters are a copy of Debian's (neutron-common)
install -d -m 0755 -o root -g root "$QMOVN_ETC/rootwrap.d"
[ -f "$QMOVN_ETC/rootwrap.d/rootwrap.filters" ] || \
    install -m 0644 -o root -g root /etc/neutron/rootwrap.d/rootwrap.filters "$QMOVN_ETC/rootwrap.d/rootwrap.filters"
write_if_changed "$ROOTWRAP_CONF" 0644 root:root <<EOF
# neutron-rootwrap config of the quantum-meta ML2/OVN harness (scripts/harness/ovn/ovn-up.sh);
# Debian's /etc/neutron/rootwrap.conf with our own filters directory.
[DEFAULT]
filters_path=$QMOVN_ETC/rootwrap.d
exec_dirs=/sbin,/usr/sbin,/bin,/usr/bin,/usr/local/bin,/usr/local/sbin
use_syslog=False
syslog_log_facility=syslog
syslog_log_level=ERROR
daemon_timeout=600
rlimit_nofile=1024
EOF

write_if_changed "$MY_CNF" 0644 root:root <<EOF
# MariaDB of the quantum-meta ML2/OVN harness: read with --defaults-file only (never
# /etc/mysql/*). No TCP listener at all (skip-networking); the unix socket is the only way in.
[client]
socket = $DB_SOCK

[mysqld]
user = mysql
datadir = $DB_DIR
socket = $DB_SOCK
pid-file = $QMOVN_RUN/mysqld/mariadbd.pid
skip-networking
log-error = $QMOVN_LOG/mariadb.err
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
innodb_buffer_pool_size = 64M
# a throw-away test database: durability traded for speed (the migrations take half as long)
innodb_flush_log_at_trx_commit = 0
innodb_doublewrite = 0
sync_binlog = 0
skip-log-bin
EOF
echo "--port $NOVA_PORT --secret $METADATA_SECRET" | write_if_changed "$QMOVN_ETC/fake-nova.args" 0640 root:root

for n in neutron-server neutron-ovn-metadata-agent neutron-db-manage; do
    touch "$QMOVN_LOG/$n.log"; chown neutron:neutron "$QMOVN_LOG/$n.log"
done
touch "$QMOVN_LOG/mariadb.err"; chown mysql:mysql "$QMOVN_LOG/mariadb.err"
mark "configuration written ($QMOVN_ETC, ovn_metadata_enabled=$(crudini --get "$ML2_CONF" ovn ovn_metadata_enabled))"

# A daemon whose configuration changed since it started is restarted (stopped here, started below).
for n in mariadb neutron-server fake-nova neutron-ovn-metadata-agent; do
    if running "$n" && [ "$(cat "$QMOVN_RUN/$n.conf-sum" 2>/dev/null)" != "$(conf_sum "$n")" ]; then
        log "$n: its configuration changed since it started: restarting it"
        "$QMOVN_SCRIPTS/ovn-down.sh" --only "$n"
    fi
done

port_check 6651 ovnnb-db
port_check 6652 ovnsb-db
port_check "$API_PORT" neutron-server
# The real Nova (ovn-nova-up.sh) stays while whoever chose it runs; after that, fake nova again.
if nova_real; then NOVA_DAEMON=nova-api-metadata
else
    rm -f "$NOVA_REAL"
    if running nova-api-metadata; then
        log "the real Nova's owner is gone: stopping nova-api-metadata, fake nova back"
        "$QMOVN_SCRIPTS/ovn-down.sh" --only nova-api-metadata
    fi
    NOVA_DAEMON=fake-nova
fi
port_check "$NOVA_PORT" "$NOVA_DAEMON"

# ---- 3. MariaDB + the neutron schema, in the background (they need nothing of OVS/OVN) --------
database_up() {
    if ! running mariadb; then
        if [ ! -d "$DB_DIR/mysql" ]; then
            install -d -m 0700 -o mysql -g mysql "$DB_DIR"
            mariadb-install-db --defaults-file="$MY_CNF" --auth-root-authentication-method=socket \
                --skip-test-db >"$QMOVN_LOG/mariadb-install-db.log" 2>&1 \
                || die "mariadb-install-db failed; see $QMOVN_LOG/mariadb-install-db.log"
            mark "MariaDB datadir $DB_DIR created"
        fi
        start mariadb root mariadbd --defaults-file="$MY_CNF"
        wait_for "MariaDB on $DB_SOCK" 60 mariadb "$QMOVN_LOG/mariadb.err" mariadb-admin --defaults-file="$MY_CNF" ping
        mark "MariaDB answering on unix:$DB_SOCK (no TCP)"
    fi
    sql "CREATE DATABASE IF NOT EXISTS neutron;
         CREATE USER IF NOT EXISTS 'neutron'@'localhost' IDENTIFIED BY '$DB_PASSWORD';
         GRANT ALL ON neutron.* TO 'neutron'@'localhost';"
    if [ "$(sql "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='neutron'")" -lt 100 ]; then
        ( cd "$QMOVN_STATE" && env -i PATH="$SAFE_PATH" HOME="$QMOVN_STATE" LANG=C.UTF-8 \
            setpriv --reuid=neutron --regid=neutron --init-groups \
            neutron-db-manage --config-file "$NEUTRON_CONF" --config-file "$ML2_CONF" upgrade heads ) \
            >>"$QMOVN_LOG/neutron-db-manage.log" 2>&1 \
            || die "neutron-db-manage upgrade heads failed; see $QMOVN_LOG/neutron-db-manage.log"
        mark "neutron schema migrated (neutron-db-manage upgrade heads)"
    fi
}
database_up & DB_JOB=$!

# ---- 4. Open_vSwitch DB + ovs-vswitchd (userspace datapath) -----------------------------------
[ -f "$OVS_DBFILE" ] || ovsdb-tool create "$OVS_DBFILE" /usr/share/openvswitch/vswitch.ovsschema
if ! running ovsdb-server; then
    rm -f "$OVS_DB_SOCK"
    EXTRA_ENV=(OVS_RUNDIR="$OVS_RUNDIR_Q")
    # unix socket only: no --remote=ptcp, and no db:...manager_options remote either
    start ovsdb-server root ovsdb-server "$OVS_DBFILE" --remote="punix:$OVS_DB_SOCK" \
        --pidfile="$OVS_RUNDIR_Q/ovsdb-server.pid" --log-file="$QMOVN_LOG/ovsdb-server.log" \
        -vconsole:emer --no-chdir
    EXTRA_ENV=()
    wait_for "ovsdb-server (Open_vSwitch) on $OVS_DB_SOCK" 20 ovsdb-server "$QMOVN_LOG/ovsdb-server.log" \
        vsctl --no-wait show
fi
# Set before ovs-vswitchd and ovn-controller start: other_config:userspace-tso-enable is read only
# when ovs-vswitchd starts (without it a VM with tx checksum offload, the veth default, gets no TCP
# answer, and answers bigger than one segment are dropped as "Too big"); the netdev datapath
# because there is no openvswitch kernel module.
tso_before=$(vsctl --no-wait --if-exists get Open_vSwitch . other_config:userspace-tso-enable 2>/dev/null || true)
vsctl --no-wait init
vsctl --no-wait set Open_vSwitch . \
    external_ids:system-id="$CHASSIS" external_ids:hostname="$CHASSIS_HOST" \
    external_ids:ovn-remote="$SB_TCP" external_ids:ovn-encap-type=geneve \
    external_ids:ovn-encap-ip=127.0.0.1 external_ids:ovn-bridge="$BRIDGE" \
    external_ids:ovn-bridge-datapath-type=netdev \
    other_config:userspace-tso-enable=true
if running ovs-vswitchd && [ "$tso_before" != '"true"' ]; then
    log "ovs-vswitchd runs without userspace-tso-enable=true: restarting it"
    "$QMOVN_SCRIPTS/ovn-down.sh" --only ovs-vswitchd
fi
if ! running ovs-vswitchd; then
    EXTRA_ENV=(OVS_RUNDIR="$OVS_RUNDIR_Q")
    start ovs-vswitchd root ovs-vswitchd "$OVS_DB" --pidfile="$OVS_RUNDIR_Q/ovs-vswitchd.pid" \
        --log-file="$QMOVN_LOG/ovs-vswitchd.log" -vconsole:emer --no-chdir
    EXTRA_ENV=()
    wait_for "ovs-vswitchd's control socket" 20 ovs-vswitchd "$QMOVN_LOG/ovs-vswitchd.log" vswitchd_ctl version
fi
mark "ovsdb-server (unix:$OVS_DB_SOCK) and ovs-vswitchd ($(vswitchd_ctl version | head -1))"

# ---- 5. OVN NB and SB, ovn-northd, ovn-controller ------------------------------------------
[ -f "$NB_DBFILE" ] || ovsdb-tool create "$NB_DBFILE" /usr/share/ovn/ovn-nb.ovsschema
[ -f "$SB_DBFILE" ] || ovsdb-tool create "$SB_DBFILE" /usr/share/ovn/ovn-sb.ovsschema
for db in nb sb; do
    if [ $db = nb ]; then f=$NB_DBFILE s=$NB_SOCK port=6651; else f=$SB_DBFILE s=$SB_SOCK port=6652; fi
    running "ovn$db-db" && continue
    rm -f "$s"
    EXTRA_ENV=(OVN_RUNDIR="$OVN_RUNDIR_Q")
    start "ovn$db-db" root ovsdb-server "$f" --remote="punix:$s" --remote="ptcp:$port:127.0.0.1" \
        --unixctl="$OVN_RUNDIR_Q/ovn${db}_db.ctl" --pidfile="$OVN_RUNDIR_Q/ovn${db}_db.pid" \
        --log-file="$QMOVN_LOG/ovsdb-server-$db.log" -vconsole:emer --no-chdir
    EXTRA_ENV=()
done
wait_for "OVN NB on $NB_SOCK" 20 ovnnb-db "$QMOVN_LOG/ovsdb-server-nb.log" nbctl --no-wait show
wait_for "OVN SB on $SB_SOCK" 20 ovnsb-db "$QMOVN_LOG/ovsdb-server-sb.log" sbctl show
nbctl --no-wait init
sbctl init
if ! running ovn-northd; then
    EXTRA_ENV=(OVN_RUNDIR="$OVN_RUNDIR_Q")
    start ovn-northd root ovn-northd --ovnnb-db="unix:$NB_SOCK" --ovnsb-db="unix:$SB_SOCK" \
        --pidfile="$OVN_RUNDIR_Q/ovn-northd.pid" --log-file="$QMOVN_LOG/ovn-northd.log" -vconsole:emer --no-chdir
    EXTRA_ENV=()
fi
if ! running ovn-controller; then
    EXTRA_ENV=(OVS_RUNDIR="$OVS_RUNDIR_Q" OVN_RUNDIR="$OVN_RUNDIR_Q")
    start ovn-controller root ovn-controller "$OVS_DB" --pidfile="$OVN_RUNDIR_Q/ovn-controller.pid" \
        --log-file="$QMOVN_LOG/ovn-controller.log" -vconsole:emer --no-chdir
    EXTRA_ENV=()
fi
chassis_ready() {
    [ -n "$(sbctl --bare --columns=name find Chassis name="$CHASSIS")" ] &&
        [ "$(vsctl --if-exists get Bridge "$BRIDGE" datapath_type)" = netdev ]
}
wait_for "chassis $CHASSIS in the SB DB and $BRIDGE (netdev)" 30 ovn-controller "$QMOVN_LOG/ovn-controller.log" chassis_ready
mark "OVN NB ($NB_TCP), SB ($SB_TCP), northd, chassis $CHASSIS on $BRIDGE (netdev)"

# ---- 6. fake nova ---------------------------------------------------------------------------
if [ "$NOVA_DAEMON" = fake-nova ] && ! running fake-nova; then
    # shellcheck disable=SC2046
    start fake-nova nobody /usr/bin/python3 "$QMOVN_SCRIPTS/ovn-fake-nova.py" $(cat "$QMOVN_ETC/fake-nova.args")
    wait_for "fake nova on 127.0.0.1:$NOVA_PORT" 10 fake-nova "$QMOVN_LOG/fake-nova.console.log" tcp_open 127.0.0.1 "$NOVA_PORT"
fi

# ---- 7. the metadata agent (needs only OVS and SB): root, Debian's argument order -------------
AGENT_STARTED=0
if ! running neutron-ovn-metadata-agent; then
    # The agent writes Chassis_Private external_ids:neutron:ovn-metadata-id at the end of its start,
    # after its initial sync (every network's namespace and haproxy provisioned or torn down). The
    # key survives a stop, so it is removed first: its return then means "this agent registered".
    if [[ $(sbctl --format=json --columns=external_ids find Chassis_Private name="$CHASSIS") == *'"neutron:ovn-metadata-id"'* ]]; then
        sbctl remove Chassis_Private "$CHASSIS" external_ids '"neutron:ovn-metadata-id"'
    fi
    start neutron-ovn-metadata-agent root neutron-ovn-metadata-agent \
        --config-file="$AGENT_CONF" --config-file="$NEUTRON_CONF" \
        --log-file="$QMOVN_LOG/neutron-ovn-metadata-agent.log"
    AGENT_STARTED=1
fi

# ---- 8. neutron-server, once the schema is there ----------------------------------------------
wait $DB_JOB || die "the MariaDB/schema step failed"
if ! running neutron-server; then
    start neutron-server neutron neutron-server --config-file "$NEUTRON_CONF" --config-file "$ML2_CONF" \
        --log-file "$QMOVN_LOG/neutron-server.log"
fi

# the agent listens on its unix socket (the process itself or one of its workers)
agent_listens() {
    local p; p=$(recorded_pid neutron-ovn-metadata-agent) || return 1
    local owners; owners=" $p $(descendants "$p" | tr '\n' ' ') "
    local pid
    for pid in $(ss -lxpH 2>/dev/null | grep -F " $MD_SOCK " | grep -o 'pid=[0-9]*' | cut -d= -f2); do
        [[ $owners == *" $pid "* ]] && return 0
    done
    return 1
}
# The agent is registered when its Chassis_Private row has neutron:ovn-metadata-id again (written
# after its initial sync; removed above before it started) and it has answered a fresh nb_cfg:
# `ovn-nbctl --wait=sb sync` bumps NB_Global.nb_cfg, northd copies it to SB_Global, and the agent
# writes it to Chassis_Private external_ids:neutron:ovn-metadata-sb-cfg (what neutron-server's
# `alive` is computed from). A stale value from before a restart does not count: the bump is made
# after the new agent listens.
agent_registered() {
    agent_listens || return 1
    local ids cfg
    ids=$(sbctl --format=json --columns=external_ids find Chassis_Private name="$CHASSIS" 2>/dev/null) || return 1
    [[ $ids == *'"neutron:ovn-metadata-id"'* ]] || return 1
    cfg=$(sbctl --bare --columns=nb_cfg list SB_Global 2>/dev/null)
    [[ $ids == *"\"neutron:ovn-metadata-sb-cfg\",\"$cfg\""* ]] && [ "${AGENT_BUMPED:-0}" = 1 ] && return 0
    # bump once the agent listens (its SB connection is up by then), then again every ~2 s
    if [ "${AGENT_BUMPED:-0}" = 0 ] || [ $(( $(now_ms) - ${AGENT_BUMP_AT:-0} )) -gt 2000 ]; then
        nbctl --wait=sb sync && AGENT_BUMPED=1 AGENT_BUMP_AT=$(now_ms)
    fi
    return 1
}
wait_for "neutron-ovn-metadata-agent registered in Chassis_Private" 120 neutron-ovn-metadata-agent \
    "$QMOVN_LOG/neutron-ovn-metadata-agent.log" agent_registered
[ $AGENT_STARTED = 1 ] && mark "metadata agent listening on $MD_SOCK and registered in Chassis_Private"

wait_for "neutron-server on $API" 180 neutron-server "$QMOVN_LOG/neutron-server.log" http_is 200 "$API/v2.0/networks"
mark "neutron-server answering on $API (noauth)"

agents_alive() { # both OVN agents of our chassis listed and alive
    curl -sf -m 5 -H "X-Project-Id: $PROJECT" "$API/v2.0/agents?host=$CHASSIS_HOST" | /usr/bin/python3 -c '
import json, sys
alive = {a["agent_type"] for a in json.load(sys.stdin)["agents"] if a["alive"]}
sys.exit(0 if {"OVN Controller agent", "OVN Metadata agent"} <= alive else 1)'
}
wait_for "the OVN Controller and OVN Metadata agents alive in the API" 60 neutron-server \
    "$QMOVN_LOG/neutron-server.log" agents_alive
mark "API lists both OVN agents of $CHASSIS_HOST alive"

# ---- 9. safety net: nothing of ours listens beyond loopback; the OVS DB has no TCP listener ----
bad=$(ss -ltnH | awk '{print $4}' | grep -E ":($(IFS='|'; echo "${TCP_PORTS[*]}"))$" | grep -vE '^127\.0\.0\.1:' || true)
[ -z "$bad" ] || die "a harness port listens beyond 127.0.0.1: $bad"
p=$(recorded_pid ovsdb-server)
if ss -ltnpH | grep -q "pid=$p,"; then die "the Open_vSwitch ovsdb-server (pid $p) has a TCP listener"; fi

cat >&2 <<EOF

quantum-meta ML2/OVN harness is UP ($(( $(now_ms) - T_START )) ms)
  API     $API (noauth: -H 'X-Project-Id: $PROJECT', "project_id" in bodies)
  tools   export OVS_RUNDIR=$OVS_RUNDIR_Q OVN_RUNDIR=$OVN_RUNDIR_Q   (ovs-vsctl show; ovn-nbctl show; ovn-sbctl show)
          or --db=$OVS_DB / unix:$NB_SOCK ($NB_TCP) / unix:$SB_SOCK ($SB_TCP)
  chassis $CHASSIS (hostname $CHASSIS_HOST), $BRIDGE datapath netdev; agent socket $MD_SOCK
  config  $QMOVN_ETC/   state $QMOVN_STATE/   pids $QMOVN_RUN/*.pid   logs $QMOVN_LOG/
  stop    $QMOVN_SCRIPTS/ovn-down.sh   (--wipe also deletes the databases and the agent's state)
EOF

#!/bin/bash
# up.sh - start the real-OpenStack test harness (test/openstack/) on this machine.
#
#   scripts/harness/openstack/up.sh              start whatever is not running (installs the
#                                                packages first if any is missing); a second run
#                                                is a no-op
#   scripts/harness/openstack/up.sh --check      only the safety checks below: print what was
#                                                found, exit 0 (may start) or 3 (refuses); changes
#                                                nothing
#   scripts/harness/openstack/up.sh --install    apt-get update + install the packages first, always
#   scripts/harness/openstack/up.sh --install-only   ... and stop there (e.g. to prepare a machine)
#   scripts/harness/openstack/up.sh --fresh      down.sh --wipe first: empty databases
#
# What runs (Debian 12's own packages: Neutron 21 "Zed", Keystone 22 "Zed"), every TCP listener
# on 127.0.0.1 only:
#   MariaDB          127.0.0.1:3306   its own instance (my.cnf, datadir below); `neutron`, `keystone`
#   epmd + RabbitMQ  127.0.0.1:4369, 127.0.0.1:5672, Erlang distribution 127.0.0.1:25672
#   Keystone (uwsgi) 127.0.0.1:5000   fernet tokens; admin/qmadmin, demo/qmdemo, neutron/qmneutron
#   neutron-server   127.0.0.1:9696   auth_strategy = keystone
#   neutron-server   127.0.0.1:9697   auth_strategy = noauth, same database (+ noauth.conf)
#   fake nova        127.0.0.1:8775   fake-nova.py: the Nova metadata API's part the agent talks to
#                                     (checks the HMAC signature; .../instance-id answers the id);
#                                     nova-up.sh puts Debian's real nova-api-metadata there instead
#                                     (for as long as the process that asked runs), nova-down.sh back
#   neutron-linuxbridge-agent, neutron-dhcp-agent, neutron-l3-agent, neutron-metadata-agent
#                                     host `qm-ci-host`
#
# Its own paths, nothing else: config /etc/qm-openstack/ (every daemon gets its files there with
# --config-file / --defaults-file / OS_KEYSTONE_CONFIG_FILES / RABBITMQ_* variables), state
# /var/lib/qm-openstack/ (neutron/ is the agents' state_path; mysql/, rabbitmq/, keystone/), pid
# records /run/qm-openstack/<name>.pid ("<pid> <starttime>"), logs /var/log/qm-openstack/. It
# never writes Debian's /etc/neutron, /etc/keystone, /var/lib/neutron, /var/lib/mysql or
# /var/lib/rabbitmq, and reads only package files there that the check below found untouched.
#
# It refuses to start (exit 3, one line on stderr, before it changes anything) when it finds
#   - a Neutron server or agent process it did not start (its --config-file not under
#     /etc/qm-openstack): a real node, the shared lab, another harness;
#   - a file under /etc/neutron that no Debian package installed as it is now (an edited
#     neutron.conf, an added file), or anything under /etc/quantum. The packages' own files as
#     `apt-get install` left them are fine: on a fresh machine the harness installs them itself;
#   - /etc/qm-openstack or /var/lib/qm-openstack without the marker file it writes into each
#     (.made-by-quantum-meta-harness): a directory someone else made.
# QM_OPENSTACK_PROBE_ETC (default /etc/neutron) and QM_OPENSTACK_PROBE_QUANTUM (default
# /etc/quantum) move where the config check looks, for tests.
#
# Safety: /usr/sbin/policy-rc.d must answer `exit 101` before apt runs (so no package starts a
# service); the linuxbridge agent has no physical interface mapping (network type `local`), so its
# brq* bridges never hold a host interface and get no address: while the harness runs, the root
# namespace's net.ipv6.conf.default.disable_ipv6 is 1, so the links the agents create there (brq*,
# the tap end of each DHCP or router port) do not even get the kernel's IPv6 link-local fe80::
# address (down.sh puts the old value back). Every address of a test network lives inside its
# qdhcp-<net> or qrouter-<router> namespace; routers get internal interfaces only (no external
# network exists), so the L3 agent adds no address, route or iptables rule to the root namespace.
# The `dnsmasq` package (a system-wide service) is never installed, only `dnsmasq-base`.
# The agents that need root (linuxbridge, DHCP, L3) run as root with our own rootwrap.conf
# (Debian's sudoers rule names only /etc/neutron/rootwrap.conf); metadata_proxy_user/group =
# neutron, so their haproxy runs as neutron as on a Debian node. neutron-server and the metadata
# agent run as neutron. If a file changed since a daemon started, that daemon is restarted.
set -euo pipefail

readonly SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/harness/openstack/lib.sh
source "$SCRIPTS/lib.sh"

# the harness's fixed facts (REGION, KS, the passwords, METADATA_SECRET): lib.sh

# ---- 0. may this machine be used at all? (reads only; nothing is changed before this) -------
INSTALL=0 INSTALL_ONLY=0 FRESH=0 CHECK=0
for a in "$@"; do
    case $a in
        --install) INSTALL=1 ;;
        --install-only) INSTALL=1 INSTALL_ONLY=1 ;;
        --fresh) FRESH=1 ;;
        --check) CHECK=1 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "up.sh: unknown option $a (see --help)" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" = 0 ] || { echo "up.sh: run as root (it installs Debian packages and starts system daemons)" >&2; exit 2; }
if ! why=$(foreign_neutron); then
    echo "up.sh: $why" >&2
    exit 3
fi
if [ $CHECK = 1 ]; then
    echo "up.sh --check: no foreign Neutron process, no foreign file under $PROBE_ETC or $PROBE_QUANTUM, $QMOS_ETC and $QMOS_STATE ours or absent: the harness may start" >&2
    exit 0
fi

T_START=$(now_ms)
T_LAST=$T_START
# mark STEP: print how long the step took and the total so far; also appended to timings.log
mark() {
    local t; t=$(now_ms)
    log "$(printf '%-58s %7d ms  (total %6d ms)' "$1" $((t - T_LAST)) $((t - T_START)))"
    [ -d "$QMOS_LOG" ] && echo "$(date -Is) up $1 step_ms=$((t - T_LAST)) total_ms=$((t - T_START))" >>"$QMOS_LOG/timings.log"
    T_LAST=$t
}

# ---------------------------------------------------------------------------------------------
own_dir "$QMOS_RUN" 0755 root:root
own_dir "$QMOS_LOG" 0755 root:root

# No link-local address on the links the agents add to the root namespace (see the header).
# Only the root namespace's default for new links changes; the old value is kept once for down.
[ -f "$QMOS_RUN/ipv6-default.orig" ] || sysctl -n net.ipv6.conf.default.disable_ipv6 >"$QMOS_RUN/ipv6-default.orig"
sysctl -qw net.ipv6.conf.default.disable_ipv6=1

# ---- 1. packages --------------------------------------------------------------------------
missing=()
for b in "${QMOS_BINARIES[@]}"; do command -v "$b" >/dev/null 2>&1 || missing+=("$b"); done
if [ $INSTALL = 1 ] || [ ${#missing[@]} -gt 0 ]; then
    [ ${#missing[@]} -gt 0 ] && log "missing: ${missing[*]}: installing the packages"
    # No package may start a service while it installs (they would listen on 0.0.0.0).
    # invoke-rc.d asks /usr/sbin/policy-rc.d first; 101 means "forbidden".
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\n# written by quantum-meta scripts/harness/openstack/up.sh: no service starts on install\nexit 101\n' \
            >/usr/sbin/policy-rc.d
        chmod 0755 /usr/sbin/policy-rc.d
        log "wrote /usr/sbin/policy-rc.d (exit 101)"
    fi
    set +e; /usr/sbin/policy-rc.d qm-openstack-probe start >/dev/null 2>&1; rc=$?; set -e
    [ $rc = 101 ] || die "/usr/sbin/policy-rc.d answers $rc, not 101: packages would start their services on install. Not changing it; fix it by hand first."
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=900 update -qq >"$QMOS_LOG/apt-update.log" 2>&1 \
        || { tail -20 "$QMOS_LOG/apt-update.log" >&2; die "apt-get update failed; see $QMOS_LOG/apt-update.log"; }
    mark "apt-get update"
    apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends "${QMOS_PACKAGES[@]}" >"$QMOS_LOG/apt-install.log" 2>&1 \
        || { tail -30 "$QMOS_LOG/apt-install.log" >&2; die "apt-get install failed; see $QMOS_LOG/apt-install.log"; }
    grep -E '^[0-9]+ upgraded, [0-9]+ newly installed' "$QMOS_LOG/apt-install.log" >&2 || true
    mark "apt-get install (${#QMOS_PACKAGES[@]} packages + dependencies)"
    for b in "${QMOS_BINARIES[@]}"; do command -v "$b" >/dev/null 2>&1 || die "$b still missing after the install; see $QMOS_LOG/apt-install.log"; done
    # what the packages' postinst scripts left under /etc/neutron must pass the same check
    if ! why=$(foreign_neutron); then die "after the install: $why"; fi
fi
[ $INSTALL_ONLY = 1 ] && { log "packages installed; not starting anything (--install-only)"; exit 0; }

if [ $FRESH = 1 ]; then
    "$SCRIPTS/down.sh" --wipe
    mark "down.sh --wipe (--fresh)"
    own_dir "$QMOS_RUN" 0755 root:root
    own_dir "$QMOS_LOG" 0755 root:root
    [ -f "$QMOS_RUN/ipv6-default.orig" ] || sysctl -n net.ipv6.conf.default.disable_ipv6 >"$QMOS_RUN/ipv6-default.orig"
    sysctl -qw net.ipv6.conf.default.disable_ipv6=1
fi

# ---- 2. configuration: all of it under /etc/qm-openstack ------------------------------------
own_dir "$QMOS_ETC" 0755 root:root
chmod 0755 "$QMOS_ETC"   # each file's own mode and group say who reads it (neutron, keystone)
own_dir "$QMOS_STATE" 0755 root:root
install -d -m 0755 -o neutron -g neutron "$NEUTRON_STATE" "$NEUTRON_STATE/lock" "$NEUTRON_STATE/lock-metadata"
install -d -m 0750 -o keystone -g keystone "$KEYSTONE_STATE"
install -d -m 0755 -o rabbitmq -g rabbitmq "$RABBIT_HOME"
install -d -m 0755 -o mysql -g mysql "$QMOS_RUN/mysqld"
install -d -m 0755 -o root -g root "$QMOS_ETC/rootwrap.d"
# Debian's pristine templates (the package's own copies under /usr/share), so the files look like
# a node's, comments and all; the agents' files that exist only as /etc conffiles start empty.
copy_once /usr/share/neutron-common/neutron.conf "$NEUTRON_CONF"
copy_once /usr/share/neutron-common/plugins/ml2/ml2_conf.ini "$ML2_CONF"
copy_once /usr/share/neutron-common/api-paste.ini "$QMOS_ETC/api-paste.ini"
copy_once /usr/share/neutron-common/dhcp_agent.ini "$DHCP_CONF"
copy_once /usr/share/neutron-common/l3_agent.ini "$L3_CONF"
copy_once /usr/share/neutron-metadata-agent/metadata_agent.ini "$MD_CONF"
[ -f "$LB_CONF" ] || printf '[DEFAULT]\n\n[agent]\n\n[linux_bridge]\n\n[securitygroup]\n\n[vxlan]\n' | write_if_changed "$LB_CONF" 0640 root:neutron
[ -f "$KEYSTONE_CONF" ] || install -m 0640 -o root -g keystone /usr/share/keystone/keystone.conf "$KEYSTONE_CONF"

# neutron.conf: shared by both servers and all agents
merge "$NEUTRON_CONF" <<EOC
[DEFAULT]
core_plugin = ml2
service_plugins = router
auth_strategy = keystone
bind_host = 127.0.0.1
bind_port = 9696
api_paste_config = $QMOS_ETC/api-paste.ini
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
root_helper = sudo neutron-rootwrap $ROOTWRAP_CONF
root_helper_daemon = sudo neutron-rootwrap-daemon $ROOTWRAP_CONF
report_interval = 5
[database]
connection = mysql+pymysql://neutron:$NEUTRON_DB_PASSWORD@127.0.0.1/neutron?charset=utf8
[oslo_concurrency]
lock_path = $NEUTRON_STATE/lock
[oslo_policy]
policy_file = $QMOS_ETC/policy.yaml
policy_dirs = $QMOS_ETC/policy.d
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
EOC
# dhcp_agents_per_network = 2: the scheduler may put a network on two DHCP agents (issue 11, section 5;
#   alone, the harness's agent still takes every network). It only picks hosts ML2 can bind a port on
#   (a live linuxbridge agent there), so test/openstack/agent-hosts.ts's second DHCP agent (host
#   qm-ci-host2, no L2 agent) gets a network through POST /v2.0/agents/ID/dhcp-networks instead.
# [experimental] linuxbridge: without it Zed's neutron-server exits with "Feature 'linuxbridge' is
#   experimental and has to be explicitly enabled in 'cfg.CONF.experimental'".
# [nova]/[placement] auth_type = none: there is no Nova. Debian ships [nova] auth_type = password,
#   and then DELETE /v2.0/networks/X answers 500 "Auth plugin requires parameters which were not
#   given: auth_url".
# [oslo_policy]: Debian's template points into /etc/neutron; ours do not exist, so the policy is
#   the code's defaults.
# [agent] root_helper_daemon: one long-lived rootwrap per agent instead of a sudo + python start for
#   every ip/iptables/dnsmasq command (about 1 s each on a loaded 2-core machine): a network or a
#   router is built in seconds. Many deployments run it so (kolla-ansible does).
ini_del "$NEUTRON_CONF" keystone_authtoken memcached_servers   # in-process token cache

# The second server reads the same files, then this one (a later --config-file wins).
printf '%s\n' '# written by quantum-meta scripts/harness/openstack/up.sh: the second neutron-server of the' \
    '# real-OpenStack test harness, on the same database, without Keystone.' '[DEFAULT]' \
    'auth_strategy = noauth' 'bind_port = 9697' | write_if_changed "$NOAUTH_CONF" 0640 root:neutron

merge "$ML2_CONF" <<EOC
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
EOC

# No physical interface at all (no bridge ever gets a host NIC), no vxlan, no iptables rules.
merge "$LB_CONF" <<EOC
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
EOC

# metadata_proxy_user/group: the agents run as root here (see the header); their haproxy as neutron.
# enable_metadata_network is written only the first time: the seed-modes test sets it True and back
# (test/openstack/seed-modes.test.ts), and up.sh keeps what it finds.
current_mdnet=$(crudini --get "$DHCP_CONF" DEFAULT enable_metadata_network 2>/dev/null || echo False)
merge "$DHCP_CONF" <<EOC
[DEFAULT]
interface_driver = linuxbridge
dhcp_driver = neutron.agent.linux.dhcp.Dnsmasq
enable_isolated_metadata = True
force_metadata = False
enable_metadata_network = $current_mdnet
resync_interval = 5
metadata_proxy_user = neutron
metadata_proxy_group = neutron
EOC

# The L3 agent: routers with internal interfaces only (no external network exists: no gateway port,
# no SNAT, nothing in the root namespace). enable_metadata_proxy is written only the first time:
# the fault test sets it False and back (l3.ts), and up.sh keeps what it finds.
current_mdproxy=$(crudini --get "$L3_CONF" DEFAULT enable_metadata_proxy 2>/dev/null || echo True)
merge "$L3_CONF" <<EOC
[DEFAULT]
interface_driver = linuxbridge
agent_mode = legacy
handle_internal_only_routers = True
enable_metadata_proxy = $current_mdproxy
metadata_port = $L3_METADATA_PORT
metadata_proxy_user = neutron
metadata_proxy_group = neutron
EOC

# metadata_agent.ini (lib.sh): behind it fake-nova.py on 127.0.0.1:8775 (an instance's curl gets 200
# and its instance id), or nova-up.sh's real Nova; QM_MD_* knobs break its side of Nova for one run
write_md_conf

# neutron-rootwrap with our own config; the filters are a copy of Debian's (neutron-common's
# conffile, which foreign_neutron found untouched)
[ -f "$QMOS_ETC/rootwrap.d/rootwrap.filters" ] || \
    install -m 0644 -o root -g root /etc/neutron/rootwrap.d/rootwrap.filters "$QMOS_ETC/rootwrap.d/rootwrap.filters"
write_if_changed "$ROOTWRAP_CONF" 0644 root:root <<EOC
# neutron-rootwrap config of the quantum-meta OpenStack harness (scripts/harness/openstack/up.sh);
# Debian's /etc/neutron/rootwrap.conf with our own filters directory.
[DEFAULT]
filters_path=$QMOS_ETC/rootwrap.d
exec_dirs=/sbin,/usr/sbin,/bin,/usr/bin,/usr/local/bin,/usr/local/sbin
use_syslog=False
syslog_log_facility=syslog
syslog_log_level=ERROR
daemon_timeout=600
rlimit_nofile=1024
EOC

merge "$KEYSTONE_CONF" <<EOC
[DEFAULT]
log_dir = $QMOS_LOG
log_file = keystone.log
[database]
connection = mysql+pymysql://keystone:$KEYSTONE_DB_PASSWORD@127.0.0.1/keystone?charset=utf8
[token]
provider = fernet
[fernet_tokens]
key_repository = $KEYSTONE_STATE/fernet-keys
[fernet_receipts]
key_repository = $KEYSTONE_STATE/fernet-keys
[credential]
key_repository = $KEYSTONE_STATE/credential-keys
[oslo_policy]
policy_file = $QMOS_ETC/keystone-policy.yaml
policy_dirs = $QMOS_ETC/keystone-policy.d
EOC

write_if_changed "$MY_CNF" 0644 root:root <<EOC
# MariaDB of the quantum-meta OpenStack harness: read with --defaults-file only (never
# /etc/mysql/*). TCP on 127.0.0.1:3306 only.
[client]
socket = $MYSQL_SOCK

[mysqld]
user = mysql
datadir = $MYSQL_DIR
socket = $MYSQL_SOCK
bind-address = 127.0.0.1
port = 3306
pid-file = $QMOS_RUN/mysqld/mariadbd.pid
log-error = $QMOS_LOG/mariadb.err
skip-name-resolve
max-connections = 500
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
innodb_buffer_pool_size = 64M
# a throw-away test database: durability traded for speed
innodb_flush_log_at_trx_commit = 0
innodb_doublewrite = 0
sync_binlog = 0
skip-log-bin
EOC

# RabbitMQ reads none of /etc/rabbitmq: its env file, config and plugin list are ours
printf '%s\n' '# RabbitMQ environment of the quantum-meta OpenStack harness (the real one is /etc/rabbitmq/rabbitmq-env.conf)' \
    | write_if_changed "$QMOS_ETC/rabbitmq-env.conf" 0644 root:root
printf '%s\n' '# RabbitMQ of the quantum-meta OpenStack harness: loopback only' 'listeners.tcp.1 = 127.0.0.1:5672' \
    'loopback_users.guest = true' | write_if_changed "$QMOS_ETC/rabbitmq.conf" 0644 root:root
printf '[].\n' | write_if_changed "$QMOS_ETC/rabbitmq-enabled-plugins" 0644 rabbitmq:rabbitmq
echo "--port $NOVA_PORT --secret $METADATA_SECRET" | write_if_changed "$QMOS_ETC/fake-nova.args" 0640 root:neutron
# a copy user neutron can read wherever the checkout is
write_if_changed "$QMOS_ETC/fake-nova.py" 0644 root:root <"$SCRIPTS/fake-nova.py"

for n in neutron-server neutron-server-noauth neutron-metadata-agent neutron-db-manage; do
    touch "$QMOS_LOG/$n.log"; chown neutron:neutron "$QMOS_LOG/$n.log"
done
touch "$QMOS_LOG/keystone.log" "$QMOS_LOG/mariadb.err"; chown keystone:keystone "$QMOS_LOG/keystone.log"; chown mysql:mysql "$QMOS_LOG/mariadb.err"
mark "configuration written ($QMOS_ETC)"

# A daemon whose config changed since it started is restarted (stopped here, started below).
# (not the real Nova: nova-up.sh writes its files and restarts it itself)
for n in "${DAEMONS[@]}"; do
    [ "$n" = nova-api-metadata ] && continue
    if running "$n" && [ "$(cat "$QMOS_RUN/$n.conf-sum" 2>/dev/null)" != "$(conf_sum "$n")" ]; then
        log "$n: its configuration changed since it started: restarting it"
        "$SCRIPTS/down.sh" --only "$n"
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
    wait_for "epmd on 127.0.0.1:4369" 20 epmd "$QMOS_LOG/epmd.console.log" tcp_open 127.0.0.1 4369
fi
if ! running rabbitmq; then
    RABBIT_LOG_MARK=$( (wc -l <"$QMOS_LOG/rabbitmq.console.log") 2>/dev/null || echo 0)
    install -d -m 0755 -o rabbitmq -g rabbitmq "$QMOS_LOG/rabbitmq"
    # RUNNING_UNDER_SYSTEMD: rabbitmq-server then execs erl (same PID) instead of a background child.
    # HOME: its .erlang.cookie lives with our state, not in /var/lib/rabbitmq.
    EXTRA_ENV=(HOME="$RABBIT_HOME" RABBITMQ_NODENAME=rabbit@localhost RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
        RABBITMQ_NODE_PORT=5672 RABBITMQ_DIST_PORT=25672 ERL_EPMD_ADDRESS=127.0.0.1 ERL_EPMD_PORT=4369
        RABBITMQ_LOGS=- RUNNING_UNDER_SYSTEMD=1
        RABBITMQ_CONF_ENV_FILE="$QMOS_ETC/rabbitmq-env.conf" RABBITMQ_CONFIG_FILE="$QMOS_ETC/rabbitmq.conf"
        RABBITMQ_ADVANCED_CONFIG_FILE="$QMOS_ETC/rabbitmq-advanced.config"
        RABBITMQ_ENABLED_PLUGINS_FILE="$QMOS_ETC/rabbitmq-enabled-plugins"
        RABBITMQ_MNESIA_BASE="$RABBIT_HOME/mnesia" RABBITMQ_LOG_BASE="$QMOS_LOG/rabbitmq"
        RABBITMQ_PID_FILE="$QMOS_RUN/rabbitmq-server.pid"
        'RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}')
    start rabbitmq rabbitmq /usr/lib/rabbitmq/bin/rabbitmq-server
    EXTRA_ENV=()
    RABBIT_STARTED=1
fi
# ---- 4. MariaDB: our own instance (datadir, socket, my.cnf) ----------------------------------
port_check 3306 mariadb
if ! running mariadb; then
    if [ ! -d "$MYSQL_DIR/mysql" ]; then
        install -d -m 0700 -o mysql -g mysql "$MYSQL_DIR"
        mariadb-install-db --defaults-file="$MY_CNF" --auth-root-authentication-method=socket \
            --skip-test-db >"$QMOS_LOG/mariadb-install-db.log" 2>&1 \
            || die "mariadb-install-db failed; see $QMOS_LOG/mariadb-install-db.log"
    fi
    start mariadb root mariadbd --defaults-file="$MY_CNF"
    wait_for "MariaDB on $MYSQL_SOCK" 60 mariadb "$QMOS_LOG/mariadb.err" mariadb-admin --defaults-file="$MY_CNF" ping
    mark "MariaDB answering on 127.0.0.1:3306"
fi
sql "CREATE DATABASE IF NOT EXISTS neutron; CREATE DATABASE IF NOT EXISTS keystone;
     CREATE USER IF NOT EXISTS 'neutron'@'127.0.0.1' IDENTIFIED BY '$NEUTRON_DB_PASSWORD';
     CREATE USER IF NOT EXISTS 'keystone'@'127.0.0.1' IDENTIFIED BY '$KEYSTONE_DB_PASSWORD';
     GRANT ALL ON neutron.* TO 'neutron'@'127.0.0.1'; GRANT ALL ON keystone.* TO 'keystone'@'127.0.0.1';"

as_user() { # USER CMD...: a clean environment, as USER, in its home
    local u=$1 home; shift; home=$(getent passwd "$u" | cut -d: -f6)
    ( cd "${home:-/}" 2>/dev/null || cd /; env -i PATH="$SAFE_PATH" HOME="${home:-/}" LANG=C.UTF-8 \
        setpriv --reuid="$u" --regid="$u" --init-groups "$@" )
}
table_count() { sql "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='$1'"; }

# ---- 5. Keystone and the Neutron schema, side by side (both only need MariaDB) ---------------
keystone_up() {
    local T; T=$(now_ms)
    if [ "$(table_count keystone)" -lt 10 ]; then
        as_user keystone keystone-manage --config-file "$KEYSTONE_CONF" db_sync >>"$QMOS_LOG/keystone-manage.log" 2>&1 \
            || die "keystone-manage db_sync failed; see $QMOS_LOG/keystone-manage.log"
        log "keystone db_sync: $(( $(now_ms) - T )) ms"
    fi
    if [ ! -s "$KEYSTONE_STATE/fernet-keys/0" ]; then
        keystone-manage --config-file "$KEYSTONE_CONF" fernet_setup --keystone-user keystone --keystone-group keystone >>"$QMOS_LOG/keystone-manage.log" 2>&1
    fi
    if [ ! -s "$KEYSTONE_STATE/credential-keys/0" ]; then
        keystone-manage --config-file "$KEYSTONE_CONF" credential_setup --keystone-user keystone --keystone-group keystone >>"$QMOS_LOG/keystone-manage.log" 2>&1
    fi
    if [ "$(sql "SELECT COUNT(*) FROM keystone.local_user WHERE name='admin' AND domain_id='default'")" = 0 ]; then
        local B; B=$(now_ms)
        as_user keystone keystone-manage --config-file "$KEYSTONE_CONF" bootstrap --bootstrap-password "$ADMIN_PASSWORD" \
            --bootstrap-username admin --bootstrap-project-name admin --bootstrap-role-name admin \
            --bootstrap-service-name keystone --bootstrap-region-id "$REGION" \
            --bootstrap-admin-url "$KS/v3/" --bootstrap-internal-url "$KS/v3/" --bootstrap-public-url "$KS/v3/" \
            >>"$QMOS_LOG/keystone-manage.log" 2>&1 || die "keystone-manage bootstrap failed; see $QMOS_LOG/keystone-manage.log"
        log "keystone bootstrap: $(( $(now_ms) - B )) ms"
    fi
    port_check 5000 keystone
    if ! running keystone; then
        # foreground uwsgi (no --daemonize): the recorded PID is its master; workers are its children.
        # uwsgi's --http-socket does not do keep-alive: say so, or clients reuse a closed connection.
        EXTRA_ENV=(OS_KEYSTONE_CONFIG_FILES="$KEYSTONE_CONF")
        start keystone root uwsgi --plugins python3 --http-socket 127.0.0.1:5000 \
            --wsgi-file /usr/bin/keystone-wsgi-public --master --processes 2 --threads 2 --enable-threads \
            --lazy-apps --die-on-term --uid keystone --gid keystone --chdir "$KEYSTONE_STATE" \
            --buffer-size 65535 --add-header 'Connection: close' --need-app
        EXTRA_ENV=()
        wait_for "Keystone on $KS/v3" 90 keystone "$QMOS_LOG/keystone.console.log" http_is 200 "$KS/v3"
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
            >>"$QMOS_LOG/keystone-catalog.log" 2>&1 <<'PY' || die "creating the Keystone catalog and users failed; see $QMOS_LOG/keystone-catalog.log"
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
            >>"$QMOS_LOG/neutron-db-manage.log" 2>&1 || die "neutron-db-manage upgrade heads failed; see $QMOS_LOG/neutron-db-manage.log"
        log "neutron-db-manage upgrade heads: $(( $(now_ms) - T )) ms"
    fi
}

keystone_up & KS_JOB=$!
neutron_schema & SCHEMA_JOB=$!

rabbit_booted() { # this start's "Server startup complete", and the AMQP port open
    tail -n +"$((RABBIT_LOG_MARK + 1))" "$QMOS_LOG/rabbitmq.console.log" | grep -q 'Server startup complete' && tcp_open 127.0.0.1 5672
}

wait $SCHEMA_JOB || die "the Neutron schema step failed"
mark "Neutron database schema ready"

# ---- 6. neutron-server x2 (the API answers before RabbitMQ is up; RPC connects when it is) ----
port_check 9696 neutron-server
port_check 9697 neutron-server-noauth
if ! running neutron-server; then
    start neutron-server neutron neutron-server --config-file "$NEUTRON_CONF" --config-file "$ML2_CONF" \
        --log-file "$QMOS_LOG/neutron-server.log"
fi
if ! running neutron-server-noauth; then
    start neutron-server-noauth neutron neutron-server --config-file "$NEUTRON_CONF" --config-file "$ML2_CONF" \
        --config-file "$NOAUTH_CONF" --log-file "$QMOS_LOG/neutron-server-noauth.log"
fi

if [ $RABBIT_STARTED = 1 ]; then
    wait_for "RabbitMQ on 127.0.0.1:5672" 120 rabbitmq "$QMOS_LOG/rabbitmq.console.log" rabbit_booted
    mark "RabbitMQ answering on 127.0.0.1:5672"
fi

# the metadata agent's upstream (Nova's metadata API in a cloud): fake-nova.py, as neutron, loopback
# only; or, while nova-up.sh's real Nova is chosen (its owner still running), that one, left alone.
if nova_real; then
    port_check "$NOVA_PORT" nova-api-metadata
    running nova-api-metadata || log "WARNING: the real Nova is chosen ($NOVA_REAL) but not running: $SCRIPTS/nova-up.sh starts it"
else
    if [ -f "$NOVA_REAL" ] || running nova-api-metadata; then
        log "the real Nova's owner ($(cat "$NOVA_REAL" 2>/dev/null)) is gone: fake-nova goes back on :$NOVA_PORT"
        "$SCRIPTS/down.sh" --only nova-api-metadata
        rm -f "$NOVA_REAL"
    fi
    port_check "$NOVA_PORT" fake-nova
    if ! running fake-nova; then
        # shellcheck disable=SC2046 # the args file holds words we wrote
        start fake-nova neutron /usr/bin/python3 "$QMOS_ETC/fake-nova.py" $(cat "$QMOS_ETC/fake-nova.args")
        wait_for "fake nova on 127.0.0.1:$NOVA_PORT" 30 fake-nova "$QMOS_LOG/fake-nova.console.log" tcp_open 127.0.0.1 "$NOVA_PORT"
    fi
fi

# ---- 7. agents (they only need RabbitMQ; the servers answer their reports once up) ----------
# An agent started now must report as started now: after a restart, the old one's last report
# still reads "alive" for agent_down_time (20 s).
AGENTS_SINCE=$(date -u -d '-2 sec' '+%F %T')
readonly AGENTS=(neutron-linuxbridge-agent neutron-dhcp-agent neutron-l3-agent neutron-metadata-agent)
FRESH_AGENTS=""
for a in "${AGENTS[@]}"; do
    running "$a" || FRESH_AGENTS+=" $a"
done
# root: the linuxbridge, DHCP and L3 agents (sudo + our rootwrap.conf needs no sudoers rule)
if ! running neutron-linuxbridge-agent; then
    start neutron-linuxbridge-agent root neutron-linuxbridge-agent --config-file "$NEUTRON_CONF" \
        --config-file "$LB_CONF" --log-file "$QMOS_LOG/neutron-linuxbridge-agent.log"
fi
if ! running neutron-dhcp-agent; then
    start neutron-dhcp-agent root neutron-dhcp-agent --config-file "$NEUTRON_CONF" \
        --config-file "$DHCP_CONF" --log-file "$QMOS_LOG/neutron-dhcp-agent.log"
fi
if ! running neutron-l3-agent; then
    start neutron-l3-agent root neutron-l3-agent --config-file "$NEUTRON_CONF" \
        --config-file "$L3_CONF" --log-file "$QMOS_LOG/neutron-l3-agent.log"
fi
running neutron-metadata-agent || start_metadata_agent

wait_for "neutron-server (noauth) on $NOAUTH_URL" 180 neutron-server-noauth "$QMOS_LOG/neutron-server-noauth.log" \
    http_is 200 "$NOAUTH_URL/v2.0/networks"
wait_for "neutron-server (keystone) on $NEUTRON_URL" 180 neutron-server "$QMOS_LOG/neutron-server.log" \
    http_is 401 "$NEUTRON_URL/v2.0/networks"
mark "neutron-server answering on :9696 (keystone) and :9697 (noauth)"

agents_alive() { # each of the four binaries has an alive agent on $AGENT_HOST, the ones started now freshly
    curl -sf -m 5 "$NOAUTH_URL/v2.0/agents?host=$AGENT_HOST" | /usr/bin/python3 -c '
import json, sys
since, fresh = sys.argv[1], sys.argv[2].split()
ok = {a["binary"] for a in json.load(sys.stdin)["agents"]
      if a["alive"] and a["admin_state_up"] and (a["binary"] not in fresh or (a["started_at"] or "") >= since)}
sys.exit(0 if {"neutron-linuxbridge-agent", "neutron-dhcp-agent", "neutron-l3-agent", "neutron-metadata-agent"} <= ok else 1)' "$AGENTS_SINCE" "$FRESH_AGENTS"
}
for a in "${AGENTS[@]}"; do
    running "$a" || die "$a is not running; see $QMOS_LOG/$a.log"
done
wait_for "the four agents to report alive on host $AGENT_HOST" 120 neutron-dhcp-agent "$QMOS_LOG/neutron-dhcp-agent.log" agents_alive
mark "linuxbridge, DHCP, L3 and metadata agents alive (host $AGENT_HOST)"

wait $KS_JOB || die "the Keystone step failed"
mark "Keystone ready on $KS (catalog, users)"

# A last check of the whole chain: an admin token, then neutron through Keystone.
TOKEN=$(curl -si -m 20 -X POST "$KS/v3/auth/tokens" -H 'Content-Type: application/json' \
    -d "{\"auth\":{\"identity\":{\"methods\":[\"password\"],\"password\":{\"user\":{\"name\":\"admin\",\"domain\":{\"name\":\"Default\"},\"password\":\"$ADMIN_PASSWORD\"}}},\"scope\":{\"project\":{\"name\":\"admin\",\"domain\":{\"name\":\"Default\"}}}}}" \
    | awk 'tolower($1) == "x-subject-token:" { print $2 }' | tr -d '\r')
[ -n "$TOKEN" ] || die "Keystone issued no token for admin; see $QMOS_LOG/keystone.log"
wait_for "neutron-server to accept a Keystone token" 30 neutron-server "$QMOS_LOG/neutron-server.log" \
    http_is 200 "$NEUTRON_URL/v2.0/networks" -H "X-Auth-Token: $TOKEN"
mark "admin token accepted by neutron-server :9696"

# Safety net: nothing of ours may listen anywhere but loopback.
bad=$(ss -ltnH | awk '{print $4}' | grep -E ":($(IFS='|'; echo "${TCP_PORTS[*]}"))\$" | grep -vE '^(127\.0\.0\.1|\[::1\]):' || true)
[ -z "$bad" ] || die "a harness port listens beyond loopback: $bad"

cat >&2 <<EOF

quantum-meta OpenStack harness is UP ($(( $(now_ms) - T_START )) ms)
  Keystone   $KS/v3   admin/$ADMIN_PASSWORD (project admin), demo/$DEMO_PASSWORD (project demo), domain Default, region $REGION
  Neutron    $NEUTRON_URL (keystone)   $NOAUTH_URL (noauth)   agents on host $AGENT_HOST
  client     OS_AUTH_URL=$KS/v3 OS_USERNAME=admin OS_PASSWORD=$ADMIN_PASSWORD OS_PROJECT_NAME=admin \\
             OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_REGION_NAME=$REGION openstack network list
  config     $QMOS_ETC/    state  $QMOS_STATE/ (state_path $NEUTRON_STATE)
  pids       $QMOS_RUN/*.pid        logs  $QMOS_LOG/   (timings: $QMOS_LOG/timings.log)
  stop       $SCRIPTS/down.sh   (--wipe also drops the databases and the agents' state; --purge removes every harness path)
EOF

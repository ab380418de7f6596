#!/bin/bash
# nova-up.sh - the real Nova metadata API in the OpenStack harness, in place of fake-nova.py.
#
#   scripts/harness/openstack/nova-up.sh [--owner PID]
#   scripts/harness/openstack/nova-up.sh --agent    only the metadata agent's side (QM_MD_* below):
#                                                   metadata_agent.ini rewritten, the agent restarted
#                                                   by PID when it changed (seconds; up.sh does the
#                                                   same and more, in about 20 s here)
#
# Needs the harness up (up.sh). Stops fake-nova and runs Debian 12's own nova-api-metadata (nova
# 2:26.2.2, Zed, the release of the harness's Neutron 21) on 127.0.0.1:8775, where the metadata
# agent already sends its requests: an instance's request then goes through the whole real chain,
#   instance -> haproxy (qdhcp- or qrouter- namespace) -> the metadata agent's unix socket
#   -> uwsgi nova-api-metadata 127.0.0.1:8775 -> MariaDB nova_api (instance_mappings) -> cell1
#      database nova (instances) + neutron-server (the instance's ports, through Keystone)
# and gets Nova's own answers (HMAC check, project check, service_metadata_proxy, ...).
#
# --owner PID: the real Nova stays chosen while that process runs (a test file's node process);
# after it is gone, the next up.sh stops it and puts fake-nova back. Without --owner it stays until
# nova-down.sh (or down.sh). Every run rewrites the files below and restarts nova-api-metadata (by
# PID) when they changed, so each run's knobs (below) hold until the next run.
#
# What runs, and where (never Debian's /etc/nova, /var/log/nova or /var/lib/nova):
#   uwsgi --ini $NOVA_UWSGI_INI, as user nova: what Debian's /etc/init.d/nova-api-metadata runs
#     (wsgi-file /usr/bin/nova-metadata-wsgi, nova.api.metadata.wsgi:init_application; paste
#     pipeline `healthcheck cors http_proxy_to_wsgi metaapp`), but bound to 127.0.0.1:8775 only and
#     1 process x 4 threads (Debian: every address, 8 x 32); OS_NOVA_CONFIG_DIR = $NOVA_ETC (nova.conf
#     and api-paste.ini, copies of Debian's templates in /usr/share/nova-common with our settings)
#   pid record $QMOS_RUN/nova-api-metadata.pid ("<pid> <starttime>" of the uwsgi master)
#   log $NOVA_LOG_FILE (uwsgi's `logto`, as Debian's: oslo.log writes to stderr, so each record
#     line ends in oslo.log's colour reset ESC[00m, and uwsgi adds one line per request)
#   databases in the harness's MariaDB (user nova): nova_api, nova_cell0, nova (cell1), built by
#     nova-manage as the install guide does (api_db sync, cell_v2 map_cell0, cell_v2 create_cell
#     --name cell1, db sync)
#   [neutron]: Keystone password auth as the install guide writes it (user neutron, project service),
#     so Nova finds neutron-server :9696 in the catalog; service_metadata_proxy = True and the
#     agent's metadata_proxy_shared_secret
# Instances: nova-instance.py (Nova's own objects; copied to $NOVA_ETC/nova-instance.py for user nova).
#
# One run's knobs (unset: the healthy value):
#   QM_NOVA_SECRET=S            [neutron] metadata_proxy_shared_secret (healthy: the agent's)
#   QM_NOVA_SMP=False           [neutron] service_metadata_proxy (healthy: True)
#   QM_NOVA_PROXY_HEADERS=True  [oslo_middleware] enable_proxy_headers_parsing (healthy: unset)
#   QM_NOVA_TLS=1               https (uwsgi --https-socket) with $NOVA_TLS_DIR/nova.crt, a
#                               self-signed certificate for 127.0.0.1 made here once
# The agent's side (--agent, and every up.sh run): QM_MD_SECRET, QM_MD_NOVA_HOST, QM_MD_NOVA_PORT,
# QM_MD_NOVA_PROTOCOL (http|https), QM_MD_AUTH_CA_CERT (a file, e.g. $NOVA_TLS_DIR/nova.crt).
set -euo pipefail

readonly SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/harness/openstack/lib.sh
source "$SCRIPTS/lib.sh"

OWNER=manual AGENT=0
while [ $# -gt 0 ]; do
    case $1 in
        --agent) AGENT=1; shift ;;
        --owner) [[ ${2:-} =~ ^[0-9]+$ ]] || die "--owner needs a PID"; OWNER=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
done
[ "$(id -u)" = 0 ] || die "run as root"
T0=$(now_ms)
nmark() {
    local ms=$(($(now_ms) - T0))
    log "nova t+${ms}ms $*"
    echo "$(date -Is) nova-up $* total_ms=$ms" >>"$QMOS_LOG/timings.log"
}

for b in nova-manage /usr/bin/nova-metadata-wsgi uwsgi_python3 openssl crudini; do
    command -v "$b" >/dev/null || die "$b is missing: $SCRIPTS/up.sh --install installs the harness's packages"
done
if [ $AGENT = 1 ]; then
    running neutron-metadata-agent || die "the harness's metadata agent is not running: $SCRIPTS/up.sh first"
    write_md_conf
    if [ "$(cat "$QMOS_RUN/neutron-metadata-agent.conf-sum" 2>/dev/null)" != "$(conf_sum neutron-metadata-agent)" ]; then
        "$SCRIPTS/down.sh" --only neutron-metadata-agent
        from=$(stat -c %s "$QMOS_LOG/neutron-metadata-agent.log" 2>/dev/null || echo 0)
        start_metadata_agent
        # it serves its unix socket from this line on (and reports alive to neutron-server after)
        serving() { tail -c +"$((from + 1))" "$QMOS_LOG/neutron-metadata-agent.log" | grep -q 'wsgi starting up on'; }
        wait_for "the metadata agent's socket" 120 neutron-metadata-agent "$QMOS_LOG/neutron-metadata-agent.log" serving
        nmark "metadata agent restarted: $(grep -E '^(nova_metadata_|metadata_proxy_shared_secret|auth_ca_cert)' "$MD_CONF" |
            sed -E 's/^(metadata_proxy_shared_secret = ).*/\1(set)/' | paste -sd ' ')"
    fi
    exit 0
fi
running mariadb || die "the harness's MariaDB is not running: $SCRIPTS/up.sh first"
running neutron-server || die "the harness's neutron-server is not running: $SCRIPTS/up.sh first"

# ---- the files ---------------------------------------------------------------------------------
install -d -m 0755 -o root -g root "$NOVA_ETC"
install -d -m 0750 -o nova -g nova "$NOVA_STATE" "$NOVA_STATE/lock"
[ -f "$NOVA_CONF" ] || install -m 0640 -o root -g nova /usr/share/nova-common/nova.conf "$NOVA_CONF"
[ -f "$NOVA_ETC/api-paste.ini" ] || install -m 0640 -o root -g nova /usr/share/nova-common/api-paste.ini "$NOVA_ETC/api-paste.ini"
write_if_changed "$NOVA_ETC/nova-instance.py" 0644 root:root <"$SCRIPTS/nova-instance.py"

db="mysql+pymysql://nova:$NOVA_DB_PASSWORD@127.0.0.1"
merge "$NOVA_CONF" <<EOC
[DEFAULT]
host = $AGENT_HOST
my_ip = 127.0.0.1
state_path = $NOVA_STATE
transport_url = rabbit://guest:guest@127.0.0.1:5672/
[api_database]
connection = $db/nova_api?charset=utf8
[database]
connection = $db/nova?charset=utf8
[wsgi]
api_paste_config = $NOVA_ETC/api-paste.ini
[oslo_concurrency]
lock_path = $NOVA_STATE/lock
[oslo_policy]
policy_file = $NOVA_ETC/policy.yaml
policy_dirs = $NOVA_ETC/policy.d
[neutron]
service_metadata_proxy = ${QM_NOVA_SMP:-True}
metadata_proxy_shared_secret = ${QM_NOVA_SECRET:-$METADATA_SECRET}
auth_type = password
auth_url = $KS
project_name = service
project_domain_name = Default
username = neutron
user_domain_name = Default
password = $NEUTRON_SERVICE_PASSWORD
region_name = $REGION
valid_interfaces = internal
EOC
# transport_url: stored in the cell1 mapping (create_cell needs one); the metadata API never uses RPC.
# [oslo_policy]: Debian's template points into /etc/nova; ours do not exist, so the code's defaults.
if [ -n "${QM_NOVA_PROXY_HEADERS:-}" ]; then
    crudini --set "$NOVA_CONF" oslo_middleware enable_proxy_headers_parsing "$QM_NOVA_PROXY_HEADERS"
else
    ini_del "$NOVA_CONF" oslo_middleware enable_proxy_headers_parsing
fi

scheme=http
socket="http-socket = 127.0.0.1:$NOVA_PORT"
if [ "${QM_NOVA_TLS:-0}" = 1 ]; then
    if [ ! -s "$NOVA_TLS_DIR/nova.crt" ] || [ ! -s "$NOVA_TLS_DIR/nova.key" ]; then
        install -d -m 0755 -o root -g root "$NOVA_TLS_DIR"
        openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj /CN=127.0.0.1 \
            -addext subjectAltName=IP:127.0.0.1 -keyout "$NOVA_TLS_DIR/nova.key" -out "$NOVA_TLS_DIR/nova.crt" \
            2>>"$QMOS_LOG/nova-tls.log" || die "openssl could not make the certificate; see $QMOS_LOG/nova-tls.log"
        chown root:nova "$NOVA_TLS_DIR/nova.key"
        chmod 0640 "$NOVA_TLS_DIR/nova.key"
        chmod 0644 "$NOVA_TLS_DIR/nova.crt"
    fi
    scheme=https
    socket="https-socket = 127.0.0.1:$NOVA_PORT,$NOVA_TLS_DIR/nova.crt,$NOVA_TLS_DIR/nova.key"
fi
# Debian's /etc/nova/nova-api-metadata-uwsgi.ini, with our socket, log, directories and sizes
write_if_changed "$NOVA_UWSGI_INI" 0644 root:root <<EOC
# uwsgi for the quantum-meta OpenStack harness's nova-api-metadata (scripts/harness/openstack/nova-up.sh):
# Debian's nova-api-metadata-uwsgi.ini settings, bound to loopback, logging under $QMOS_LOG.
[uwsgi]
plugins = python3
master = true
processes = 1
threads = 4
enable-threads = true
thunder-lock = true
lazy-apps = true
paste-logger = true
no-orphans = true
die-on-term = true
need-app = true
buffer-size = 65535
rem-header = Content-Length
listen = 100
name = nova-api-metadata
chdir = $NOVA_STATE
wsgi-file = /usr/bin/nova-metadata-wsgi
env = OS_NOVA_CONFIG_DIR=$NOVA_ETC
logto = $NOVA_LOG_FILE
$socket
EOC
touch "$NOVA_LOG_FILE" "$QMOS_LOG/nova-manage.log"
chown nova:nova "$NOVA_LOG_FILE" "$QMOS_LOG/nova-manage.log"

# ---- the databases (cells v2) -----------------------------------------------------------------
as_nova() {
    ( cd "$NOVA_STATE" && env -i PATH="$SAFE_PATH" HOME="$NOVA_STATE" LANG=C.UTF-8 \
        setpriv --reuid=nova --regid=nova --init-groups "$@" )
}
sql "CREATE DATABASE IF NOT EXISTS nova_api; CREATE DATABASE IF NOT EXISTS nova_cell0; CREATE DATABASE IF NOT EXISTS nova;
     CREATE USER IF NOT EXISTS 'nova'@'127.0.0.1' IDENTIFIED BY '$NOVA_DB_PASSWORD';
     GRANT ALL ON nova_api.* TO 'nova'@'127.0.0.1'; GRANT ALL ON nova_cell0.* TO 'nova'@'127.0.0.1';
     GRANT ALL ON nova.* TO 'nova'@'127.0.0.1';"
tables() { sql "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='$1'"; }
if [ "$(tables nova_api)" -lt 10 ] || [ "$(tables nova)" -lt 10 ] || [ "$(tables nova_cell0)" -lt 10 ] ||
    [ "$(sql "SELECT COUNT(*) FROM nova_api.cell_mappings WHERE name = 'cell1'" 2>/dev/null || echo 0)" = 0 ]; then
    T=$(now_ms)
    {
        as_nova nova-manage --config-file "$NOVA_CONF" api_db sync
        as_nova nova-manage --config-file "$NOVA_CONF" cell_v2 map_cell0 --database_connection "$db/nova_cell0?charset=utf8"
        as_nova nova-manage --config-file "$NOVA_CONF" cell_v2 list_cells | grep -q ' cell1 ' ||
            as_nova nova-manage --config-file "$NOVA_CONF" cell_v2 create_cell --name cell1 --verbose
        as_nova nova-manage --config-file "$NOVA_CONF" db sync
        as_nova nova-manage --config-file "$NOVA_CONF" cell_v2 list_cells
    } >>"$QMOS_LOG/nova-manage.log" 2>&1 || { tail -30 "$QMOS_LOG/nova-manage.log" >&2; die "nova-manage failed; see $QMOS_LOG/nova-manage.log"; }
    nmark "databases nova_api, nova_cell0, nova built by nova-manage in $(($(now_ms) - T)) ms"
fi

# ---- chosen: up.sh leaves fake-nova stopped while the owner runs --------------------------------
if [ "$OWNER" = manual ]; then echo manual >"$NOVA_REAL"
else
    alive "$OWNER" || die "--owner $OWNER: no such process"
    echo "$OWNER $(proc_start "$OWNER")" >"$NOVA_REAL"
fi
if running fake-nova; then "$SCRIPTS/down.sh" --only fake-nova; fi

# ---- nova-api-metadata ----------------------------------------------------------------------------
if running nova-api-metadata && [ "$(cat "$QMOS_RUN/nova-api-metadata.conf-sum" 2>/dev/null)" != "$(conf_sum nova-api-metadata)" ]; then
    log "nova-api-metadata: its files changed: restarting it"
    "$SCRIPTS/down.sh" --only nova-api-metadata
fi
if ! running nova-api-metadata; then
    port_check "$NOVA_PORT" nova-api-metadata
    T=$(now_ms)
    start nova-api-metadata nova uwsgi --ini "$NOVA_UWSGI_INI"
    nova_answers() { http_is 200 "$scheme://127.0.0.1:$NOVA_PORT/" -k; }
    wait_for "nova-api-metadata on $scheme://127.0.0.1:$NOVA_PORT/" 120 nova-api-metadata "$NOVA_LOG_FILE" nova_answers
    nmark "nova-api-metadata (uwsgi pid $(recorded_pid nova-api-metadata)) answers $scheme://127.0.0.1:$NOVA_PORT/ after $(($(now_ms) - T)) ms"
fi
log "real Nova on $scheme://127.0.0.1:$NOVA_PORT (owner $(cat "$NOVA_REAL")): service_metadata_proxy=$(crudini --get "$NOVA_CONF" neutron service_metadata_proxy)" \
    "enable_proxy_headers_parsing=$(crudini --get "$NOVA_CONF" oslo_middleware enable_proxy_headers_parsing 2>/dev/null || echo unset)" \
    "secret=$([ "$(crudini --get "$NOVA_CONF" neutron metadata_proxy_shared_secret)" = "$METADATA_SECRET" ] && echo "the agent's" || echo other)"
log "log $NOVA_LOG_FILE  pid $QMOS_RUN/nova-api-metadata.pid  config $NOVA_ETC  back to fake-nova: $SCRIPTS/nova-down.sh"

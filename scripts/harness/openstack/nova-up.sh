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
# What this shares with the OVN harness's ovn-nova-up.sh (templates, the common nova.conf settings
# and QM_NOVA_SECRET/SMP/PROXY_HEADERS, the uwsgi ini, the nova-manage build): ../nova-lib.sh.
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
readonly NOVA_DB="mysql+pymysql://nova:$NOVA_DB_PASSWORD@127.0.0.1" NOVA_DB_QUERY=charset=utf8 NOVA_DB_USER="nova'@'127.0.0.1"
# shellcheck source=scripts/harness/nova-lib.sh
source "$SCRIPTS/../nova-lib.sh"

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

for b in "${NOVA_BINARIES[@]}" openssl; do
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

# ---- the files (nova-lib.sh: what both harnesses share) ---------------------------------------
nova_files
nova_conf "$METADATA_SECRET"
merge "$NOVA_CONF" <<EOC
[DEFAULT]
host = $AGENT_HOST
transport_url = rabbit://guest:guest@127.0.0.1:5672/
[neutron]
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
nova_uwsgi_ini OpenStack "$socket"

# ---- the databases (cells v2) -----------------------------------------------------------------
ms=$(nova_databases "$QMOS_LOG/nova-manage.log")
[ -z "$ms" ] || nmark "databases nova_api, nova_cell0, nova built by nova-manage in $ms ms"

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
log "real Nova on $scheme://127.0.0.1:$NOVA_PORT (owner $(cat "$NOVA_REAL")): $(nova_summary "$METADATA_SECRET")"
log "log $NOVA_LOG_FILE  pid $QMOS_RUN/nova-api-metadata.pid  config $NOVA_ETC  back to fake-nova: $SCRIPTS/nova-down.sh"

#!/bin/bash
# ovn-nova-up.sh - the real Nova metadata API in the ML2/OVN harness, in place of ovn-fake-nova.py.
#
#   scripts/harness/ovn/ovn-nova-up.sh [--owner PID]
#
# Needs the harness up (ovn-up.sh). Stops fake nova and runs Debian 12's own nova-api-metadata (nova
# 2:26.2.2, Zed, the release of the harness's Neutron 21) on 127.0.0.1:8777, where the OVN metadata
# agent already sends its requests: a VM's request then goes through the whole real chain,
#   VM -> haproxy (ovnmeta-<net>) -> the agent's unix socket -> uwsgi nova-api-metadata 127.0.0.1:8777
#   -> this harness's MariaDB (unix socket): nova_api (instance_mappings), cell1 database nova
#      (instances) + neutron-server 127.0.0.1:9798 (the instance's ports)
# and gets Nova's own answers (HMAC check, project check, ...). The same Nova as the OpenStack
# harness's nova-up.sh, through the part they share (scripts/harness/nova-lib.sh); what differs here:
#   config dir $NOVA_ETC (never /etc/nova), state $NOVA_STATE, log $NOVA_LOG_FILE,
#   pid record $QMOVN_RUN/nova-api-metadata.pid (stopped by ovn-down.sh, by that PID)
#   databases in the harness's own MariaDB over its unix socket (user 'nova'@'localhost')
#   [neutron] endpoint_override = the harness's neutron-server, auth_type = none (it runs noauth)
#   [DEFAULT] transport_url = fake:// (cell1's mapping needs one; the metadata API never uses RPC,
#   and this harness has no RabbitMQ)
#
# --owner PID: the real Nova stays chosen while that process runs (a test file's node process);
# after it is gone, the next ovn-up.sh stops it and puts fake nova back. Without --owner it stays
# until ovn-nova-down.sh (or ovn-down.sh). Every run rewrites the files and restarts
# nova-api-metadata (by PID) when they changed, so each run's knobs hold until the next run:
#   QM_NOVA_SECRET=S, QM_NOVA_SMP=False, QM_NOVA_PROXY_HEADERS=True (see nova-lib.sh)
# Instances: nova-instance.py --config-file $NOVA_CONF, as user nova (copied to $NOVA_ETC).
set -euo pipefail

readonly QMOVN_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/harness/ovn/ovn-lib.sh
source "$QMOVN_SCRIPTS/ovn-lib.sh"
# shellcheck source=scripts/harness/nova-lib.sh
source "$QMOVN_SCRIPTS/../nova-lib.sh"

OWNER=manual
while [ $# -gt 0 ]; do
    case $1 in
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
    echo "$(date -Is) ovn-nova-up $* total_ms=$ms" >>"$QMOVN_LOG/timings.log"
}
for b in "${NOVA_BINARIES[@]}"; do
    command -v "$b" >/dev/null || die "$b is missing: apt-get install nova-api nova-common python3-nova uwsgi-plugin-python3"
done
running mariadb || die "the harness's MariaDB is not running: $QMOVN_SCRIPTS/ovn-up.sh first"
running neutron-server || die "the harness's neutron-server is not running: $QMOVN_SCRIPTS/ovn-up.sh first"

# ---- the files ---------------------------------------------------------------------------------
nova_files
nova_conf "$METADATA_SECRET"
merge "$NOVA_CONF" <<EOC
[DEFAULT]
host = $CHASSIS_HOST
transport_url = fake://
[neutron]
auth_type = none
endpoint_override = $API
EOC
nova_uwsgi_ini ML2/OVN "http-socket = 127.0.0.1:$NOVA_PORT"

# ---- the databases (cells v2) -----------------------------------------------------------------
ms=$(nova_databases "$QMOVN_LOG/nova-manage.log")
[ -z "$ms" ] || nmark "databases nova_api, nova_cell0, nova built by nova-manage in $ms ms"

# ---- chosen: ovn-up.sh leaves fake nova stopped while the owner runs ----------------------------
if [ "$OWNER" = manual ]; then echo manual >"$NOVA_REAL"
else
    alive "$OWNER" || die "--owner $OWNER: no such process"
    echo "$OWNER $(proc_start "$OWNER")" >"$NOVA_REAL"
fi
if running fake-nova; then "$QMOVN_SCRIPTS/ovn-down.sh" --only fake-nova; fi

# ---- nova-api-metadata ----------------------------------------------------------------------------
if running nova-api-metadata && [ "$(cat "$QMOVN_RUN/nova-api-metadata.conf-sum" 2>/dev/null)" != "$(conf_sum nova-api-metadata)" ]; then
    log "nova-api-metadata: its files changed: restarting it"
    "$QMOVN_SCRIPTS/ovn-down.sh" --only nova-api-metadata
fi
if ! running nova-api-metadata; then
    port_check "$NOVA_PORT" nova-api-metadata
    T=$(now_ms)
    start nova-api-metadata nova uwsgi --ini "$NOVA_UWSGI_INI"
    wait_for "nova-api-metadata on http://127.0.0.1:$NOVA_PORT/" 120 nova-api-metadata "$NOVA_LOG_FILE" \
        http_is 200 "http://127.0.0.1:$NOVA_PORT/"
    nmark "nova-api-metadata (uwsgi pid $(recorded_pid nova-api-metadata)) answers http://127.0.0.1:$NOVA_PORT/ after $(($(now_ms) - T)) ms"
fi
log "real Nova on http://127.0.0.1:$NOVA_PORT (owner $(cat "$NOVA_REAL")): $(nova_summary "$METADATA_SECRET")"
log "log $NOVA_LOG_FILE  pid $QMOVN_RUN/nova-api-metadata.pid  config $NOVA_ETC  back to fake nova: $QMOVN_SCRIPTS/ovn-nova-down.sh"

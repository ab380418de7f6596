#!/bin/bash
# nova-down.sh - back from the real Nova metadata API (nova-up.sh) to fake-nova.py.
#
#   scripts/harness/openstack/nova-down.sh [--wipe]
#
# Stops nova-api-metadata by its pid record (the uwsgi master; its worker follows), forgets the
# choice ($NOVA_REAL), then runs up.sh, which starts fake-nova again on 127.0.0.1:8775 and writes
# the metadata agent's healthy config back (restarting the agent if a QM_MD_* run had changed it).
# --wipe also drops the nova_api, nova_cell0 and nova databases (the next nova-up.sh builds them
# again). down.sh stops the real Nova too.
set -uo pipefail

readonly SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/harness/openstack/lib.sh
source "$SCRIPTS/lib.sh"
[ "$(id -u)" = 0 ] || die "run as root"
WIPE=0
for a in "$@"; do
    case $a in
        --wipe) WIPE=1 ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option $a (see --help)" ;;
    esac
done

rm -f "$NOVA_REAL"
"$SCRIPTS/down.sh" --only nova-api-metadata
if [ $WIPE = 1 ] && [ -S "$MYSQL_SOCK" ]; then
    sql 'DROP DATABASE IF EXISTS nova_api; DROP DATABASE IF EXISTS nova_cell0; DROP DATABASE IF EXISTS nova' &&
        log "dropped the databases nova_api, nova_cell0, nova"
fi
if running neutron-server; then
    "$SCRIPTS/up.sh" || die "up.sh failed: fake-nova may not be back"
else
    log "the harness is down: nothing to put back"
fi
log "the real Nova is down"

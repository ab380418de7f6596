#!/bin/bash
# ovn-nova-down.sh - back from the real Nova metadata API (ovn-nova-up.sh) to ovn-fake-nova.py.
#
#   scripts/harness/ovn/ovn-nova-down.sh [--wipe]
#
# Stops nova-api-metadata by its pid record (the uwsgi master; its worker follows), forgets the
# choice ($NOVA_REAL), then runs ovn-up.sh, which starts fake nova again on 127.0.0.1:8777.
# --wipe also drops the nova_api, nova_cell0 and nova databases (the next ovn-nova-up.sh builds them
# again). ovn-down.sh stops the real Nova too.
set -uo pipefail

readonly QMOVN_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/harness/ovn/ovn-lib.sh
source "$QMOVN_SCRIPTS/ovn-lib.sh"
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
"$QMOVN_SCRIPTS/ovn-down.sh" --only nova-api-metadata
if [ $WIPE = 1 ] && running mariadb; then
    sql 'DROP DATABASE IF EXISTS nova_api; DROP DATABASE IF EXISTS nova_cell0; DROP DATABASE IF EXISTS nova' &&
        log "dropped the databases nova_api, nova_cell0, nova"
fi
if running neutron-server; then
    "$QMOVN_SCRIPTS/ovn-up.sh" || die "ovn-up.sh failed: fake nova may not be back"
else
    log "the harness is down: nothing to put back"
fi
log "the real Nova is down"

#!/bin/bash
# ha-down.sh - take the harness's second L3 agent host (ha-up.sh) away again. down.sh calls it first.
#
# SIGTERM to the host's PID 1 (its pid record's start time and its command line checked first): the
# kernel then stops everything inside (agents, keepalived, state-change monitors, haproxy, privsep
# helpers, relays); its qrouter namespaces go with its mount namespace, its network namespace with
# the host ends of the cables, and each cable's root end with its peer. Then the root side of the
# relays by their pid records, any cable qmha-* still in the root namespace, and, while
# neutron-server answers, the host's agents (so no dead agent stays listed and scheduled) and any
# port still bound to it (an HA router a test left keeps its HA port otherwise). Its logs are kept
# in /var/log/qm-openstack/qm-ci-ha2/, its directory removed.
set -uo pipefail

readonly SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/harness/openstack/lib.sh
source "$SCRIPTS/lib.sh"
readonly PID1_SCRIPT=$SCRIPTS/ha-host-pid1.py
readonly NOAUTH=http://127.0.0.1:9697
[ "$(id -u)" = 0 ] || die "run as root"
T0=$(now_ms)

wait_gone() { local i; for ((i = 0; i < $2 * 10; i++)); do alive "$1" || return 0; sleep 0.1; done; return 1; }

if P1=$(recorded_pid ha-host); then
    if [ "$(tr '\0' ' ' <"/proc/$P1/cmdline" 2>/dev/null)" = "/usr/bin/python3 $PID1_SCRIPT $HA_DIR $HA_HOST " ]; then
        US=$(awk '{sub(/^.*\) /, ""); print $2}' "/proc/$P1/stat")
        log "stopping $HA_HOST: SIGTERM to its PID 1 $P1 (unshare $US)"
        kill -TERM "$P1"
        wait_gone "$P1" 10 || log "WARNING: $HA_HOST's PID 1 $P1 still there after 10 s"
        wait_gone "$US" 5 || true
    else
        log "WARNING: pid $P1 of $HA_PID1 is not $HA_HOST's PID 1: left alone"
    fi
fi
rm -f "$HA_PID1"
for r in "${HA_RELAYS[@]}"; do
    n=ha-relay-${r%%:*}
    if p=$(recorded_pid "$n"); then
        kill -TERM "$p" 2>/dev/null; wait_gone "$p" 5 || kill -KILL "$p" 2>/dev/null
        log "stopped $n (pid $p)"
    fi
    rm -f "$QMOS_RUN/$n.pid"
done
# the cables' root ends go with their peers (asynchronously); any left over
sleep 0.5
for a in $(ls /sys/class/net | grep -E '^qmha-[0-9a-f]{8}$' || true); do
    ip link delete "$a" 2>/dev/null && log "deleted leftover cable $a"
done

if curl -sf -m 5 -o /dev/null "$NOAUTH/v2.0/agents?host=$HA_HOST"; then
    ids() { curl -sf -m 20 "$NOAUTH/v2.0/$1" | /usr/bin/python3 -c "import json,sys; print(' '.join(x['id'] for x in json.load(sys.stdin)['$2']))" 2>/dev/null; }
    # a state report queued before the agent died may bring one back: a few rounds
    for round in 1 2 3; do
        A=$(ids "agents?host=$HA_HOST" agents)
        [ -z "$A" ] && break
        for a in $A; do curl -sf -m 20 -X DELETE "$NOAUTH/v2.0/agents/$a" >/dev/null && log "deleted agent $a of $HA_HOST"; done
        sleep 1
    done
    for p in $(ids "ports?binding%3Ahost_id=$HA_HOST" ports); do
        curl -sf -m 20 -X DELETE "$NOAUTH/v2.0/ports/$p" >/dev/null && log "deleted port $p still bound to $HA_HOST"
    done
fi
if [ -d "$HA_DIR" ]; then
    mkdir -p "$QMOS_LOG/$HA_HOST"
    cp -a "$HA_DIR"/logs/. "$HA_DIR"/*.log "$QMOS_LOG/$HA_HOST/" 2>/dev/null || true
    rm -rf --one-file-system "$HA_DIR"
    log "$HA_HOST removed ($(( $(now_ms) - T0 )) ms); its logs kept in $QMOS_LOG/$HA_HOST/"
fi
exit 0

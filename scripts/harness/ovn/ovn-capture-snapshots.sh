#!/bin/bash
# ovn-capture-snapshots.sh - `quantum-meta collect` on the ML2/OVN harness (scripts/harness/ovn/ovn-up.sh) in four
# states, into test/fixtures/ovn/snapshots/ (the unit tests diagnose them offline). Root, harness up,
# `npm run build` done. Leaves the harness as it found it (its VMs and networks removed by name).
set -euo pipefail
cd "$(dirname "$0")/../../.."
out=test/fixtures/ovn/snapshots
mkdir -p "$out"
ovncli() { npx --no-install tsx test/ovn/cli.ts "$@" 2> >(grep -v 'Unknown user config' >&2); }
id_of() { python3 -c "import json,sys;print(json.load(sys.stdin)['networkId'])"; }
collect() { node bin/run.js collect "$1" -o "$out/$2.json"; }
cleanup() { ovncli vm-delete 3 >/dev/null || true; ovncli net-delete qm-snap >/dev/null || true; ovncli net-delete qm-snap-novif >/dev/null || true; }
trap cleanup EXIT

net=$(ovncli net qm-snap 198.51.100.0/24 | id_of)
ovncli vm 3 "$net" >/dev/null
collect "$net" healthy                                # the VM's curl: 200
novif=$(ovncli net qm-snap-novif 203.0.113.0/24 | id_of)
collect "$novif" no-local-vif                         # a network with no VM on this chassis
ovncli stop-agent >/dev/null
collect "$net" agent-stopped                          # the VM's curl: 503 from haproxy
ovncli start-agent >/dev/null
ip netns del "ovnmeta-$net"
collect "$net" namespace-deleted-haproxy-alive        # the VM's curl: still 200 (through the orphan)
ovncli restore >/dev/null
echo "networks: $net (VM qmovn-vm3), $novif (none); taken $(date -u +%FT%TZ)"

#!/bin/bash
# ovn-capture-fixtures.sh - verbatim outputs of the ML2/OVN harness for the parsers' tests.
#
#   scripts/harness/ovn/ovn-capture-fixtures.sh      (root; the harness up: scripts/harness/ovn/ovn-up.sh)
#
# On the healthy chassis with one VM (network qmovn-fixture, 198.51.100.0/24 without a gateway,
# VM qmovn-vm1 with its DHCP lease and one 200 from 169.254.169.254) it writes into
# test/fixtures/ovn/ the stdout of each command, byte for byte: the OVS, OVN SB and NB tables
# as JSON (through the connections the agent's and neutron-server's configs name), the ovnmeta
# namespace's addresses, the agent's haproxy config and the agent's /proc/PID/cmdline (NULs
# kept). Then it stops the agent, waits ~25 s (asking GET /v2.0/agents every 2 s, as an operator
# or a monitoring job would; each call lets neutron-server bump NB_Global.nb_cfg, at most every
# agent_down_time/2 = 10 s) and writes the same OVS/SB files into test/fixtures/ovn/agent-stopped/.
# Finally the agent is started again and the VM and network are deleted: the harness is left as
# it was found. test/fixtures/ovn/SOURCES.md says, per file, the command, date, package versions
# and scenario.
set -euo pipefail

readonly QMOVN_SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/harness/ovn/ovn-lib.sh
source "$QMOVN_SCRIPTS/ovn-lib.sh"
readonly ROOT=$(cd "$QMOVN_SCRIPTS/../../.." && pwd)
readonly OUT=$ROOT/test/fixtures/ovn
readonly NET_NAME=qmovn-fixture
readonly VM=1
[ "$(id -u)" = 0 ] || die "run as root"
cd "$ROOT"

# the connections exactly as the configs name them (what a collector reads them from)
OVS_CONN=$(crudini --get "$AGENT_CONF" ovs ovsdb_connection)
SB_CONN=$(crudini --get "$AGENT_CONF" ovn ovn_sb_connection)
NB_CONN=$(crudini --get "$ML2_CONF" ovn ovn_nb_connection)

ovncli() { npx --no-install tsx test/ovn/cli.ts "$@" 2> >(grep -v 'Unknown user config' >&2); }
json_get() { /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d = d[int(k)] if isinstance(d, list) else d[k]
print(d)' "$1"; }

# ---- the scenario ----------------------------------------------------------------------------
ovncli net-delete "$NET_NAME" >/dev/null
ovncli vm-delete "$VM" >/dev/null
NET=$(ovncli net "$NET_NAME" 198.51.100.0/24 | json_get networkId)
VMJSON=$(ovncli vm "$VM" "$NET")
PORT=$(json_get port.id <<<"$VMJSON")
VMIP=$(json_get ip <<<"$VMJSON")
CURL=$(ovncli curl "$VM")
[ "$(json_get status <<<"$CURL")" = 200 ] || die "the VM did not get 200 from 169.254.169.254: $CURL"
MDPORT=$(curl -sf -H "X-Project-Id: $PROJECT" "$API/v2.0/ports?network_id=$NET&device_owner=network:distributed" | json_get ports.0.id)
MDIP=$(curl -sf -H "X-Project-Id: $PROJECT" "$API/v2.0/ports/$MDPORT" | json_get port.fixed_ips.0.ip_address)
AGENT_PID=$(recorded_pid neutron-ovn-metadata-agent) || die "the agent is not running"
log "scenario ready: network $NET, VM port $PORT ($VMIP), metadata port $MDPORT ($MDIP), agent pid $AGENT_PID"

rm -rf "$OUT"
mkdir -p "$OUT/agent-stopped"
ROWS=()
# cap FILE CMD...: CMD's stdout, byte for byte, into $OUT/FILE; the command goes into SOURCES.md
cap() {
    local file=$1; shift
    "$@" >"$OUT/$file"
    local a shown=""
    for a in "$@"; do
        if [[ $a =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then shown+=" $a"; else shown+=" '${a//\'/\'\\\'\'}'"; fi
    done
    shown=${shown# }
    ROWS+=("| \`$file\` | \`${shown//|/\\|}\` | $(date -u +%FT%TZ) |")
}
capture_ovs_sb() { # DIR ("" or "agent-stopped/")
    local d=$1
    cap "${d}ovs-open_vswitch.json" ovs-vsctl --db="$OVS_CONN" --format=json list Open_vSwitch .
    cap "${d}ovs-interface.json" ovs-vsctl --db="$OVS_CONN" --format=json \
        --columns=name,external_ids,ofport,error,link_state,admin_state,mac_in_use list Interface
    cap "${d}sb-chassis.json" ovn-sbctl --db="$SB_CONN" --format=json list Chassis
    cap "${d}sb-chassis_private.json" ovn-sbctl --db="$SB_CONN" --format=json list Chassis_Private
    cap "${d}sb-sb_global.json" ovn-sbctl --db="$SB_CONN" --format=json list SB_Global
    cap "${d}sb-port_binding.json" ovn-sbctl --db="$SB_CONN" --format=json list Port_Binding
    cap "${d}sb-datapath_binding.json" ovn-sbctl --db="$SB_CONN" --format=json list Datapath_Binding
    cap "${d}sb-chassis+chassis_private+sb_global.json" ovn-sbctl --db="$SB_CONN" --format=json \
        list Chassis -- list Chassis_Private -- list SB_Global
    cap "${d}api-agents.json" curl -sS -H "X-Project-Id: $PROJECT" "$API/v2.0/agents"
}

# ---- healthy --------------------------------------------------------------------------------
T_HEALTHY=$(date -u +%FT%TZ)
capture_ovs_sb ""
cap nb-dhcp_options.json ovn-nbctl --db="$NB_CONN" --format=json list DHCP_Options
cap nb-logical_switch_port.json ovn-nbctl --db="$NB_CONN" --format=json list Logical_Switch_Port
cap ovnmeta-ip-addr.json ip -j -n "ovnmeta-$NET" addr
cap haproxy.conf cat "$QMOVN_STATE/ovn-metadata-proxy/$NET.conf"
cap agent-cmdline.bin cat "/proc/$AGENT_PID/cmdline"
log "healthy state captured"

# ---- agent stopped ~25 s ----------------------------------------------------------------------
"$QMOVN_SCRIPTS/ovn-down.sh" --only neutron-ovn-metadata-agent
T_STOP=$(date +%s)
while [ $(( $(date +%s) - T_STOP )) -lt 25 ]; do
    curl -s -o /dev/null -H "X-Project-Id: $PROJECT" "$API/v2.0/agents"
    sleep 2
done
T_STOPPED=$(date -u +%FT%TZ)
STOPPED_CURL=$(ovncli curl "$VM")
capture_ovs_sb "agent-stopped/"
log "agent-stopped state captured ($(( $(date +%s) - T_STOP )) s after the stop); the VM got: $(json_get status <<<"$STOPPED_CURL")"

# ---- back to how it was -----------------------------------------------------------------------
"$QMOVN_SCRIPTS/ovn-up.sh" >/dev/null 2>"$QMOVN_LOG/capture-fixtures-up.log" \
    || { tail -20 "$QMOVN_LOG/capture-fixtures-up.log" >&2; die "ovn-up.sh failed after the capture"; }
ovncli vm-delete "$VM" >/dev/null
ovncli net-delete "$NET_NAME" >/dev/null

pkgs=$(dpkg -l openvswitch-common openvswitch-switch ovn-common ovn-central ovn-host neutron-common \
    neutron-server neutron-ovn-metadata-agent python3-ovsdbapp python3-openvswitch haproxy iproute2 \
    | awk '/^ii/ {printf "| %s | %s |\n", $2, $3}')
{
cat <<EOF
# Where every fixture under test/fixtures/ovn came from

Written by \`scripts/harness/ovn/ovn-capture-fixtures.sh\`; each file is the **stdout of one command, byte for
byte** (nothing typed or reformatted by hand; \`agent-cmdline.bin\` keeps its NUL separators).
The machine: the ML2/OVN harness of this repository (\`scripts/harness/ovn/ovn-up.sh\`), Debian 12, one chassis
\`$CHASSIS\` (hostname \`$CHASSIS_HOST\`), OVS userspace datapath (\`br-int\` datapath_type netdev).

The connections are the ones the configs name, as a collector would read them:
\`$AGENT_CONF\` \`[ovs] ovsdb_connection = $OVS_CONN\` and \`[ovn] ovn_sb_connection = $SB_CONN\`;
\`$ML2_CONF\` \`[ovn] ovn_nb_connection = $NB_CONN\`.

Packages (\`dpkg -l\`):

| package | version |
|---|---|
$pkgs

## Scenario

- Network \`$NET_NAME\` \`$NET\`: one IPv4 subnet 198.51.100.0/24, DHCP on, \`gateway_ip\` null.
- Its metadata port \`$MDPORT\` (\`network:distributed\`, device_id \`ovnmeta-$NET\`), IP $MDIP.
- VM \`qmovn-vm$VM\`: port \`$PORT\` ($VMIP, device_owner \`compute:nova\`, binding:host_id \`$CHASSIS_HOST\`,
  device_id \`$(printf 'c0ffee00-0000-4000-8000-%012d' "$VM")\`), a veth \`qmovn-vm$VM-p\` plugged into br-int like os-vif does;
  DHCP lease from OVN (option 121 \`169.254.169.254/32 $MDIP\`); GET http://169.254.169.254/openstack from the VM: 200.
- The metadata agent ran as pid $AGENT_PID (\`agent-cmdline.bin\` is its \`/proc/$AGENT_PID/cmdline\`).

**Healthy** (top directory, taken from $T_HEALTHY): the state just described.

**Agent stopped** (\`agent-stopped/\`, taken at $T_STOPPED): \`neutron-ovn-metadata-agent\` stopped
(SIGTERM to its recorded pid, \`scripts/harness/ovn/ovn-down.sh --only neutron-ovn-metadata-agent\`), then ~25 s
during which \`GET /v2.0/agents\` was called every 2 s (each call lets neutron-server bump
NB_Global.nb_cfg, at most every agent_down_time/2 = 10 s; ovn-controller still answers in
Chassis_Private.nb_cfg, the stopped agent no longer in external_ids
\`neutron:ovn-metadata-sb-cfg\`). haproxy kept running: the VM got $(json_get status <<<"$STOPPED_CURL") at that time.
\`api-agents.json\` there is what the API said at that moment.

## Files

| file | command | taken (UTC) |
|---|---|---|
EOF
printf '%s\n' "${ROWS[@]}"
cat <<EOF

Notes: \`ovn-sbctl --format=json\` with several commands (\`... list Chassis -- list Chassis_Private
-- list SB_Global\`) prints one JSON document per command, each on its own line
(\`sb-chassis+chassis_private+sb_global.json\`). \`api-agents.json\` is neutron-server's answer
(noauth, \`X-Project-Id: $PROJECT\`), not an OVSDB table. \`agent-cmdline.bin\`: the agent rewrites
its process title (setproctitle), so its /proc cmdline is ONE string, \`neutron-ovn-metadata-agent
(/usr/bin/python3 /usr/bin/neutron-ovn-metadata-agent --config-file=... ...)\`, and one NUL; the
\`--config-file=\` arguments are inside it, separated by spaces.
EOF
} >"$OUT/SOURCES.md"
log "wrote $OUT ($(ls "$OUT" "$OUT/agent-stopped" | grep -c .) files)"

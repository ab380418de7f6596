#!/bin/bash
# ha-host-setup.sh DIR NAME - runs INSIDE the harness's second L3 agent host (ha-up.sh), as a child
# of ha-host-pid1.py, in its own mount, uts, pid and network namespaces.
#
# Its own files, bind-mounted at the harness's paths (never Debian's /etc/neutron or /var/lib/neutron):
#   /run                        DIR/run: /run/netns (its qrouter namespaces), /run/lock
#   /etc/qm-openstack           DIR/etc: a copy of the harness's, `host = NAME` in neutron.conf
#   /var/lib/qm-openstack/neutron   DIR/state: ha_confs/, external/pids/, ns-metadata-proxy/, the
#                               metadata_proxy and keepalived-state-change sockets, the lock dirs
#   /var/log/qm-openstack       DIR/logs: the agents' logs
#   /etc/hosts                  the machine's plus NAME (sudo resolves the hostname)
#   /sys                        a sysfs of its own network namespace: the linuxbridge agent lists
#                               /sys/class/net, and the inherited one shows the machine's devices
# and hostname NAME. Its network namespace has lo, and eth0: a veth pair with no address, down,
# whose only use is its MAC (the linuxbridge agent names itself lb<MAC> and exits without one:
# "Unable to obtain MAC address for unique ID. Agent terminated!"; no dummy module here).
# RabbitMQ, fake nova, Keystone and neutron-server are 127.0.0.1:5672, :8775, :5000 and :9696 HERE:
# socat relays to the unix sockets DIR/sock/*.sock, whose other ends (ha-up.sh, root namespace)
# connect to 127.0.0.1 there. The L2 of the networks that span both hosts comes from ha-up.sh --wire.
# Then Debian's real neutron-linuxbridge-agent and neutron-l3-agent (as root, the harness's
# rootwrap.conf) and neutron-metadata-agent (as neutron), started as up.sh starts them.
set -euo pipefail
h=$1 name=$2
readonly SAFE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH=$SAFE_PATH
etc=/etc/qm-openstack state=/var/lib/qm-openstack/neutron logs=/var/log/qm-openstack

# nothing mounted here propagates back to the machine
mount --make-rprivate /
# copies of other work's namespace mounts (/run/netns/*) came with this mount namespace: they
# would keep those namespaces alive after their owners delete them. Detach them (lazily).
awk '$3 == "nsfs" {print $2}' /proc/self/mounts | sort -r | while read -r m; do
    umount -l "$(printf '%b' "$m")" 2>/dev/null || true
done

mkdir -p "$h/run/netns" "$h/run/lock" "$h/etc" "$h/state/lock" "$h/state/lock-metadata" "$h/logs"
chmod 0755 "$h/run"; chmod 1777 "$h/run/lock"
cp -a "$etc/." "$h/etc/"
crudini --set "$h/etc/neutron.conf" DEFAULT host "$name"
chown -R neutron:neutron "$h/state" "$h/logs"
chmod 0755 "$h/state" "$h/logs"
touch "$h/logs/neutron-metadata-agent.log"; chown neutron:neutron "$h/logs/neutron-metadata-agent.log"
cp /etc/hosts "$h/hosts"
printf '127.0.1.1\t%s\n' "$name" >>"$h/hosts"

mount --bind "$h/run" /run
mount --bind "$h/etc" "$etc"
mount --bind "$h/state" "$state"
mount --bind "$h/logs" "$logs"
mount --bind "$h/hosts" /etc/hosts
hostname "$name"

ip link set lo up
mount -t sysfs -o nosuid,nodev,noexec sysfs /sys
ip link add eth0 type veth peer name eth0-peer

# the relays: 127.0.0.1:PORT here -> DIR/sock/NAME.sock -> (root namespace) 127.0.0.1:PORT
for r in rabbit:5672 nova:8775 keystone:5000 neutron:9696; do
    socat "TCP-LISTEN:${r#*:},bind=127.0.0.1,reuseaddr,fork" "UNIX-CONNECT:$h/sock/${r%%:*}.sock" \
        </dev/null >>"$h/relay-${r%%:*}.log" 2>&1 &
    echo "relay-${r%%:*} $!" >>"$h/agents"
done

# start NAME USER CMD...: in its own session, a clean environment, as USER (as up.sh does)
start() {
    local n=$1 user=$2; shift 2
    local -a as=()
    [ "$user" = root ] || as=(setpriv --reuid="$user" --regid="$user" --init-groups)
    ( cd "$state" && exec env -i HOME="$state" PATH="$SAFE_PATH" LANG=C.UTF-8 \
        setsid "${as[@]}" "$@" >>"$h/$n.console.log" 2>&1 </dev/null ) &
    echo "$n $!" >>"$h/agents"
}
start neutron-linuxbridge-agent root neutron-linuxbridge-agent --config-file "$etc/neutron.conf" \
    --config-file "$etc/linuxbridge_agent.ini" --log-file "$logs/neutron-linuxbridge-agent.log"
start neutron-l3-agent root neutron-l3-agent --config-file "$etc/neutron.conf" \
    --config-file "$etc/l3_agent.ini" --log-file "$logs/neutron-l3-agent.log"
start neutron-metadata-agent neutron neutron-metadata-agent --config-file "$etc/neutron.conf" \
    --config-file "$etc/metadata_agent.ini" --log-file "$logs/neutron-metadata-agent.log"
echo "ha-host-setup: $name up; started: $(tr '\n' ' ' <"$h/agents")"

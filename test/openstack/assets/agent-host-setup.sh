#!/bin/bash
# Runs inside the second OpenStack agent host (its own mount, uts and pid namespaces), as a child
# of agent-host-pid1.py. usage: agent-host-setup.sh RIGDIR NAME PORT
#
# The host gets its own /run (/run/netns, /run/sshd; hides the machine's systemd and the harness's
# /run/qm-openstack), /etc/qm-openstack (a copy of the harness's, `host = NAME`), the agents' state
# path /var/lib/qm-openstack/neutron, /var/log/qm-openstack, /tmp and /etc/hosts (the machine's plus
# NAME, so sudo resolves the hostname), all bind mounts of directories under RIGDIR/NAME, at the
# harness's own paths (never Debian's /etc/neutron or /var/lib/neutron); hostname NAME; an sshd on
# 127.0.0.1:PORT; and Debian's real neutron-dhcp-agent (as root, the harness's rootwrap.conf) and
# neutron-metadata-agent (as neutron), started as scripts/harness/openstack/up.sh starts them
# (clean environment, the same --config-file arguments), logging to the host's /var/log/qm-openstack.
# It shares the machine's network namespace: RabbitMQ on 127.0.0.1.
set -euo pipefail
rig=$1 name=$2 port=$3
h="$rig/$name"
readonly SAFE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH=$SAFE_PATH
# the repository (quantum-meta, node_modules, these assets): run at the same path here
repo=$(cd "$(dirname "$0")/../../.." && pwd)
# detach_inherited_mounts, own_tmp
. "$repo/test/helpers/host-mounts.sh"

detach_inherited_mounts

# the harness's config as it is now (up.sh wrote it), this host's name
etc=/etc/qm-openstack state=/var/lib/qm-openstack/neutron logs=/var/log/qm-openstack
mkdir -p "$h/run/sshd" "$h/run/netns" "$h/etc" "$h/state/lock" "$h/state/lock-metadata" "$h/logs" "$h/tmp"
chmod 0755 "$h/run" "$h/run/sshd"
chmod 1777 "$h/tmp"
cp -a "$etc/." "$h/etc/"
for f in neutron.conf dhcp_agent.ini metadata_agent.ini; do
    crudini --set "$h/etc/$f" DEFAULT host "$name"
done
chown -R neutron:neutron "$h/state" "$h/logs"
chmod 0755 "$h/state" "$h/logs"
cp /etc/hosts "$h/hosts"
printf '127.0.1.1\t%s\n' "$name" >>"$h/hosts"

mount --bind "$h/run" /run
mount --bind "$h/etc" "$etc"
mount --bind "$h/state" "$state"
mount --bind "$h/logs" "$logs"
mount --bind "$h/hosts" /etc/hosts
own_tmp "$h" "$repo"
hostname "$name"

/usr/sbin/sshd -f "$h/sshd_config" -E "$h/sshd.log"

# start NAME USER CMD...: in its own session, a clean environment (as up.sh)
start() {
    local n=$1 user=$2; shift 2
    local -a as=()
    [ "$user" = root ] || as=(setpriv --reuid="$user" --regid="$user" --init-groups)
    ( cd "$state" && exec env -i HOME="$state" PATH="$SAFE_PATH" LANG=C.UTF-8 \
        setsid "${as[@]}" "$@" >>"$h/$n.console.log" 2>&1 </dev/null ) &
    echo "$n $!" >>"$h/agents"
}
start neutron-dhcp-agent root neutron-dhcp-agent --config-file "$etc/neutron.conf" \
    --config-file "$etc/dhcp_agent.ini" --log-file "$logs/neutron-dhcp-agent.log"
start neutron-metadata-agent neutron neutron-metadata-agent --config-file "$etc/neutron.conf" \
    --config-file "$etc/metadata_agent.ini" --log-file "$logs/neutron-metadata-agent.log"
echo "agent-host-setup: $name up, sshd on 127.0.0.1:$port, agents started"

#!/bin/bash
# Runs inside the second OpenStack agent host (its own mount, uts and pid namespaces), as a child
# of agent-host-pid1.py. usage: agent-host-setup.sh RIGDIR NAME PORT
#
# The host gets its own /run (/run/netns, /run/sshd; hides the machine's systemd and the harness's
# /run/qm-openstack), /etc/neutron (a copy of the harness's, `host = NAME`), /var/lib/neutron,
# /var/log/neutron, /tmp and /etc/hosts (the machine's plus NAME, so sudo resolves the hostname),
# all bind mounts of directories under RIGDIR/NAME; hostname NAME; an sshd on 127.0.0.1:PORT; and
# Debian's real neutron-dhcp-agent and neutron-metadata-agent, started as scripts/openstack-up.sh
# starts them (user neutron, clean environment, the same --config-file arguments), logging to the
# host's /var/log/neutron. It shares the machine's network namespace: RabbitMQ on 127.0.0.1.
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

# /etc/neutron: the harness's files as they are now (openstack-up.sh wrote them), this host's name
mkdir -p "$h/run/sshd" "$h/run/netns" "$h/etc-neutron" "$h/var-lib-neutron/lock" "$h/var-log-neutron" "$h/tmp"
chmod 0755 "$h/run" "$h/run/sshd"
chmod 1777 "$h/tmp"
cp -a /etc/neutron/. "$h/etc-neutron/"
for f in neutron.conf dhcp_agent.ini metadata_agent.ini; do
    crudini --set "$h/etc-neutron/$f" DEFAULT host "$name"
done
chown -R neutron:neutron "$h/var-lib-neutron" "$h/var-log-neutron"
chmod 0755 "$h/var-lib-neutron" "$h/var-log-neutron"
cp /etc/hosts "$h/hosts"
printf '127.0.1.1\t%s\n' "$name" >>"$h/hosts"

mount --bind "$h/run" /run
mount --bind "$h/etc-neutron" /etc/neutron
mount --bind "$h/var-lib-neutron" /var/lib/neutron
mount --bind "$h/var-log-neutron" /var/log/neutron
mount --bind "$h/hosts" /etc/hosts
own_tmp "$h" "$repo"
hostname "$name"

/usr/sbin/sshd -f "$h/sshd_config" -E "$h/sshd.log"

# start NAME CMD...: as user neutron, in its own session, a clean environment (as openstack-up.sh)
start() {
    local n=$1; shift
    ( cd /var/lib/neutron && exec env -i HOME=/var/lib/neutron PATH="$SAFE_PATH" LANG=C.UTF-8 \
        setsid setpriv --reuid=neutron --regid=neutron --init-groups "$@" >>"$h/$n.console.log" 2>&1 </dev/null ) &
    echo "$n $!" >>"$h/agents"
}
start neutron-dhcp-agent neutron-dhcp-agent --config-file /etc/neutron/neutron.conf \
    --config-file /etc/neutron/dhcp_agent.ini --log-file /var/log/neutron/neutron-dhcp-agent.log
start neutron-metadata-agent neutron-metadata-agent --config-file /etc/neutron/neutron.conf \
    --config-file /etc/neutron/metadata_agent.ini --log-file /var/log/neutron/neutron-metadata-agent.log
echo "agent-host-setup: $name up, sshd on 127.0.0.1:$port, agents started"

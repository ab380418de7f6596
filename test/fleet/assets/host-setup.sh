#!/bin/bash
# Runs inside one fleet "host" (its own mount, uts and pid namespaces), as a child of host-pid1.py.
# usage: host-setup.sh RIGDIR NAME PORT
set -euo pipefail
rig=$1 name=$2 port=$3
h="$rig/hosts/$name"
# the repository (quantum-meta, node_modules, these assets): the host runs it at the same path
repo=$(cd "$(dirname "$0")/../../.." && pwd)
# detach_inherited_mounts, own_tmp
. "$repo/test/helpers/host-mounts.sh"

detach_inherited_mounts

# the host's own /run (its /run/sshd and /run/netns; hides the machine's systemd), config, state,
# init scripts (a real /etc/init.d/neutron-* must never start here) and /tmp
mkdir -p "$h/run/sshd" "$h/run/netns" "$h/etc-neutron" "$h/var-lib-neutron" "$h/init.d" "$h/tmp"
chmod 0755 "$h/run/sshd"
chmod 1777 "$h/tmp"
mount --bind "$h/run" /run
mount --bind "$h/etc-neutron" /etc/neutron
mount --bind "$h/var-lib-neutron" /var/lib/neutron
mount --bind "$h/init.d" /etc/init.d
own_tmp "$h" "$repo"
hostname "$name"

# Two login users of this host only (private copies of passwd, group, shadow and sudoers.d,
# bind-mounted): qmops may run anything as root with `sudo -n`, qmnosudo may not. Key-only logins
# (the shadow field `*` is no password, not a locked account).
cp /etc/passwd "$h/passwd"; cp /etc/group "$h/group"; cp /etc/shadow "$h/shadow"
printf 'qmops:x:4242:4242:qm fleet rig:/:/bin/bash\nqmnosudo:x:4243:4243:qm fleet rig:/:/bin/bash\n' >> "$h/passwd"
printf 'qmops:x:4242:\nqmnosudo:x:4243:\n' >> "$h/group"
printf 'qmops:*:19000:0:99999:7:::\nqmnosudo:*:19000:0:99999:7:::\n' >> "$h/shadow"
chmod 0640 "$h/shadow"
mkdir -p "$h/sudoers.d"
printf 'qmops ALL=(root) NOPASSWD: ALL\n' > "$h/sudoers.d/qmops"
chmod 0750 "$h/sudoers.d"; chmod 0440 "$h/sudoers.d/qmops"
mount --bind "$h/passwd" /etc/passwd
mount --bind "$h/group" /etc/group
mount --bind "$h/shadow" /etc/shadow
mount --bind "$h/sudoers.d" /etc/sudoers.d

/usr/sbin/sshd -f "$h/sshd_config" -E "$h/sshd.log"
echo "host-setup: $name up, sshd on 127.0.0.1:$port"

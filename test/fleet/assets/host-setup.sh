#!/bin/bash
# Runs inside one fleet "host" (its own mount, uts and pid namespaces), as a child of host-pid1.py.
# usage: host-setup.sh RIGDIR NAME PORT
set -euo pipefail
rig=$1 name=$2 port=$3
h="$rig/hosts/$name"

# Copies of other work's mounts came with the new mount namespace: nsfs mounts (/run/netns/*)
# would keep other work's network namespaces alive after their owners delete them, and so would
# mounts under /tmp. Detach them (lazily) here; the machine's own mounts are untouched.
awk '$3 == "nsfs" || $2 ~ "^/tmp/" {print $2}' /proc/self/mounts | sort -r | while read -r m; do
    umount -l "$(printf '%b' "$m")" 2>/dev/null || true
done

# the host's own /run (its /run/sshd and /run/netns; hides the machine's systemd), config, state,
# init scripts (a real /etc/init.d/neutron-* must never start here) and /tmp
mkdir -p "$h/run/sshd" "$h/run/netns" "$h/etc-neutron" "$h/var-lib-neutron" "$h/init.d" "$h/tmp"
chmod 0755 "$h/run/sshd"
chmod 1777 "$h/tmp"
mount --bind "$h/run" /run
mount --bind "$h/etc-neutron" /etc/neutron
mount --bind "$h/var-lib-neutron" /var/lib/neutron
mount --bind "$h/init.d" /etc/init.d
mount --bind "$h/tmp" /tmp
hostname "$name"

/usr/sbin/sshd -f "$h/sshd_config" -E "$h/sshd.log"
echo "host-setup: $name up, sshd on 127.0.0.1:$port"

#!/bin/bash
# Runs inside one fleet "host" (its own mount, uts and pid namespaces), as a child of host-pid1.py.
# usage: host-setup.sh RIGDIR NAME PORT
set -euo pipefail
rig=$1 name=$2 port=$3
h="$rig/hosts/$name"
# the repository (quantum-meta, node_modules, these assets): the host runs it at the same path
repo=$(cd "$(dirname "$0")/../../.." && pwd)

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
# a repository under /tmp (a CI checkout may be there) would vanish under the host's own /tmp: carry
# it across at its own path (a bind mount into the rig's dir first, then back over the new /tmp)
case $repo in
    /tmp/*) mkdir -p "$h/repo"; mount --bind "$repo" "$h/repo" ;;
esac
mount --bind "$h/tmp" /tmp
case $repo in
    /tmp/*) mkdir -p "$repo"; mount --bind "$h/repo" "$repo" ;;
esac
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

# Sourced by the test rigs' host setup scripts (test/fleet/assets/host-setup.sh,
# test/openstack/assets/agent-host-setup.sh), each running inside a new private mount namespace.

# Copies of other work's mounts came with the new mount namespace: nsfs mounts (/run/netns/*) would
# keep other work's network namespaces alive after their owners delete them, and so would mounts
# under /tmp. Detach them (lazily) here; the machine's own mounts are untouched.
detach_inherited_mounts() {
    awk '$3 == "nsfs" || $2 ~ "^/tmp/" {print $2}' /proc/self/mounts | sort -r | while read -r m; do
        umount -l "$(printf '%b' "$m")" 2>/dev/null || true
    done
}

# own_tmp HOSTDIR REPO: HOSTDIR/tmp becomes this host's /tmp. A repository under /tmp (a CI checkout
# may be there) would vanish under it, and with it the quantum-meta the tests run here: carry it
# across at its own path (a bind mount into HOSTDIR first, then back over the new /tmp).
own_tmp() {
    local h=$1 repo=$2
    case $repo in
        /tmp/*) mkdir -p "$h/repo"; mount --bind "$repo" "$h/repo" ;;
    esac
    mount --bind "$h/tmp" /tmp
    case $repo in
        /tmp/*) mkdir -p "$repo"; mount --bind "$h/repo" "$repo" ;;
    esac
}

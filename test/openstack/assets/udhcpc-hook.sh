#!/bin/sh
# udhcpc-hook.sh - the DHCP hook of the OpenStack harness's instances (busybox udhcpc -s THIS).
# test/openstack/l3.ts runs it ONLY inside a qmos-vm-* namespace:
#   ip netns exec qmos-vm-NAME busybox udhcpc -i eth0 -n -q -f -O staticroutes -s THIS
# Debian's /etc/udhcpc/default.script is not used: it ignores option 121 and rewrites the host's
# /etc/resolv.conf. This one never writes outside the namespace's links and QMOS_LEASE:
#   - every event's variables go to QMOS_LEASE (key=value lines, one "event=" line first);
#   - bound/renew: the address, then the routes as RFC 3442 clients apply them: with option 121
#     present the router option is ignored, else a default route via the router option.
LEASE=${QMOS_LEASE:-/dev/null}
case "$(ip netns identify 2>/dev/null)" in
    qmos-vm-*) ;;
    *) echo "udhcpc-hook.sh: refusing to run outside a qmos-vm-* namespace" >&2; exit 1 ;;
esac
{
    echo "event=$1"
    env | grep -E '^(interface|ip|subnet|mask|broadcast|router|dns|domain|hostname|lease|serverid|mtu|staticroutes|msstaticroutes|siaddr|message)=' | sort
    echo
} >>"$LEASE"
case "$1" in
    deconfig)
        ip link set "$interface" up
        ip -4 addr flush dev "$interface"
        ;;
    bound|renew)
        ip -4 addr flush dev "$interface"
        ip -4 route flush dev "$interface"
        ip -4 addr add "$ip/${mask:-24}" ${broadcast:+broadcast $broadcast} dev "$interface"
        if [ -n "$staticroutes" ]; then
            # busybox passes option 121 as "dest/len gw dest/len gw ..."
            set -- $staticroutes
            while [ $# -ge 2 ]; do
                ip -4 route replace "$1" via "$2" dev "$interface"
                shift 2
            done
        elif [ -n "$router" ]; then
            ip -4 route replace default via "${router%% *}" dev "$interface"
        fi
        ;;
esac
exit 0

#!/bin/sh
# ovn-udhcpc-hook.sh - the DHCP hook of the ML2/OVN harness's "VMs" (busybox udhcpc -s THIS).
# test/ovn/env.ts runs it ONLY inside a qmovn-vm<N> namespace:
#   ip netns exec qmovn-vm1 busybox udhcpc -i eth0 -n -q -f -O staticroutes -O mtu -s THIS
# Debian's /etc/udhcpc/default.script is not used: it ignores option 121 and rewrites the host's
# /etc/resolv.conf. This one never writes outside the namespace's links and QMOVN_LEASE:
#   - every event's variables go to QMOVN_LEASE (key=value lines, one "event=" line first), so a
#     test can read what the lease carried (staticroutes = option 121, router, serverid, mtu...);
#   - bound/renew: address, MTU, and the routes as RFC 3442 clients apply them: with option 121
#     present the router option is ignored.
LEASE=${QMOVN_LEASE:-/dev/null}
case "$(ip netns identify 2>/dev/null)" in
    qmovn-vm*) ;;
    *) echo "ovn-udhcpc-hook.sh: refusing to run outside a qmovn-vm* namespace" >&2; exit 1 ;;
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
        ip -4 addr add "$ip/${mask:-24}" ${broadcast:+broadcast $broadcast} dev "$interface"
        [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
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

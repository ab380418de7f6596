#!/bin/sh
# The fake VM's busybox udhcpc hook (udhcpc -s THIS), written by the quantum-meta test rig.
# Runs only inside the rig's VM namespace. Debian's /etc/udhcpc/default.script is not used:
# it ignores option 121 and would rewrite the host's /etc/resolv.conf.
# Logs what udhcpc hands over (the DHCP answer) to $QMT_DHCP_LOG, then applies the address
# and routes the way RFC 3442 clients do: with option 121 present, option 3 is ignored.
LOG=${QMT_DHCP_LOG:-/dev/stderr}
{
    echo "== udhcpc event: $1"
    env | grep -E '^(interface|ip|subnet|mask|broadcast|router|dns|domain|hostname|lease|serverid|mtu|staticroutes|msstaticroutes|siaddr|opt[0-9]+)=' | sort
} >> "$LOG"
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
                ip -4 route replace "$1" via "$2" dev "$interface" && echo "route $1 via $2 (option 121)" >> "$LOG"
                shift 2
            done
        elif [ -n "$router" ]; then
            ip -4 route replace default via "${router%% *}" dev "$interface" && echo "default via ${router%% *} (option 3)" >> "$LOG"
        fi
        ;;
    leasefail|nak)
        echo "udhcpc $1: $message" >> "$LOG"
        ;;
esac
exit 0

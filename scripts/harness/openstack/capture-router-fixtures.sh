#!/bin/bash
# capture-router-fixtures.sh ROUTER_ID OUTDIR - record, verbatim, what the harness's real L3 agent
# shows for one router right now, as fixtures for the router chain's parsers (test/fixtures/router/).
#
# test/openstack/l3-harness.test.ts calls it at each state when QM_CAPTURE_ROUTER_FIXTURES=DIR is
# set (DIR/healthy, DIR/proxy-killed, ...); by hand, with the harness up and a router of it:
#   scripts/harness/openstack/capture-router-fixtures.sh R test/fixtures/router/NAME
#
# Writes into OUTDIR (each file exactly what the command printed on stdout; a command that failed
# leaves its stderr in FILE.stderr and its exit status in commands.txt):
#   iptables-save.txt          ip netns exec qrouter-R iptables-save           (iptables-nft: the agent's backend)
#   iptables-legacy-save.txt   ip netns exec qrouter-R iptables-legacy-save    (empty here: nothing uses legacy)
#   nft-list-ruleset.txt       ip netns exec qrouter-R nft list ruleset
#   ip-j-addr.json             ip netns exec qrouter-R ip -j addr
#   ss-ltnp.txt                ip netns exec qrouter-R ss -ltnp
#   haproxy.conf               STATE/ns-metadata-proxy/R.conf                  (the proxy's config)
#   haproxy.pid                STATE/external/pids/R.pid.haproxy               (its pid file)
#   l3_agent.ini               the L3 agent's own --config-file of that name, read through /proc/PID/cmdline
#   l3-agent-cmdline.txt       the running L3 agent's command line (NUL -> space)
#   commands.txt               every command above with its exit status; the files that were absent
# Reads only; writes nothing but OUTDIR.
set -uo pipefail
readonly SCRIPTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/harness/openstack/lib.sh
source "$SCRIPTS/lib.sh"

[ $# = 2 ] || { echo "usage: capture-router-fixtures.sh ROUTER_ID OUTDIR" >&2; exit 2; }
r=$1 out=$2
[[ $r =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]] || { echo "capture-router-fixtures.sh: not a router id: $r" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "capture-router-fixtures.sh: run as root" >&2; exit 2; }
ns=qrouter-$r
mkdir -p "$out"
: >"$out/commands.txt"

# cap FILE CMD...: CMD's stdout verbatim into FILE; stderr into FILE.stderr when it failed
cap() {
    local f=$1 rc; shift
    "$@" >"$out/$f" 2>"$out/$f.stderr"; rc=$?
    [ $rc = 0 ] && [ ! -s "$out/$f.stderr" ] && rm -f "$out/$f.stderr"
    printf '$ %s\nexit %s\n' "$*" "$rc" >>"$out/commands.txt"
}
# copy FILE SRC: SRC verbatim, or a line in commands.txt saying it was absent
copy() {
    if [ -f "$2" ]; then cp "$2" "$out/$1"; printf '$ cat %s\nexit 0\n' "$2" >>"$out/commands.txt"
    else rm -f "$out/$1"; printf '$ cat %s\nabsent\n' "$2" >>"$out/commands.txt"; fi
}

cap iptables-save.txt ip netns exec "$ns" iptables-save
cap iptables-legacy-save.txt ip netns exec "$ns" iptables-legacy-save
cap nft-list-ruleset.txt ip netns exec "$ns" nft list ruleset
cap ip-j-addr.json ip netns exec "$ns" ip -j addr
cap ss-ltnp.txt ip netns exec "$ns" ss -ltnp
copy haproxy.conf "$NEUTRON_STATE/ns-metadata-proxy/$r.conf"
copy haproxy.pid "$NEUTRON_STATE/external/pids/$r.pid.haproxy"

# the L3 agent as it runs: its command line, and the l3_agent.ini it names
pid=$(recorded_pid neutron-l3-agent || true)
if [ -n "$pid" ]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | sed 's/ $//' >"$out/l3-agent-cmdline.txt"
    echo >>"$out/l3-agent-cmdline.txt"
    printf '$ tr %s %s </proc/%s/cmdline\nexit 0\n' "'\\0'" "' '" "$pid" >>"$out/commands.txt"
    # oslo retitles the agent: its command line is one string "neutron-l3-agent (/usr/bin/python3 ...)"
    ini=$(tr '\0 ()' '\n\n\n\n' <"/proc/$pid/cmdline" | grep -A1 -x -- '--config-file' | grep '/l3_agent\.ini$' | head -1)
    [ -n "$ini" ] && copy l3_agent.ini "$ini"
else
    rm -f "$out/l3-agent-cmdline.txt" "$out/l3_agent.ini"
    echo "neutron-l3-agent: not running (no live pid record)" >>"$out/commands.txt"
fi
echo "captured $(ls "$out" | wc -l) files into $out" >&2

# lib.sh - the OpenStack harness's fixed facts and helpers, sourced by up.sh, down.sh and
# capture-router-fixtures.sh beside it. test/openstack/env.ts states the same facts for the tests.
#
# Everything the harness owns has its own name: config /etc/qm-openstack, state
# /var/lib/qm-openstack, pid records /run/qm-openstack, logs /var/log/qm-openstack. It never
# writes /etc/neutron, /etc/keystone, /var/lib/neutron, /var/lib/mysql or /var/lib/rabbitmq
# (Debian's packages own those), and it refuses to start on a machine that runs a Neutron agent
# or holds a Neutron config it did not make (foreign_neutron below).
# shellcheck shell=bash

readonly QMOS_ETC=/etc/qm-openstack          # every config file of every daemon
readonly QMOS_STATE=/var/lib/qm-openstack    # neutron/ (the agents' state_path), mysql/, rabbitmq/, keystone/
readonly QMOS_RUN=/run/qm-openstack          # our pid records "<pid> <starttime>", MariaDB's socket
readonly QMOS_LOG=/var/log/qm-openstack      # every log, timings.log
# The file that says "the harness made this directory": up.sh writes it into QMOS_ETC and
# QMOS_STATE when it creates them, and refuses to use either if it exists without it.
readonly QMOS_MARKER=.made-by-quantum-meta-harness

readonly NEUTRON_CONF=$QMOS_ETC/neutron.conf
readonly ML2_CONF=$QMOS_ETC/ml2_conf.ini
readonly LB_CONF=$QMOS_ETC/linuxbridge_agent.ini
readonly DHCP_CONF=$QMOS_ETC/dhcp_agent.ini
readonly MD_CONF=$QMOS_ETC/metadata_agent.ini
readonly L3_CONF=$QMOS_ETC/l3_agent.ini
readonly NOAUTH_CONF=$QMOS_ETC/noauth.conf
readonly ROOTWRAP_CONF=$QMOS_ETC/rootwrap.conf
readonly KEYSTONE_CONF=$QMOS_ETC/keystone.conf
readonly MY_CNF=$QMOS_ETC/my.cnf
readonly NEUTRON_STATE=$QMOS_STATE/neutron   # state_path: dhcp/, external/pids/, ns-metadata-proxy/, metadata_proxy
readonly MYSQL_DIR=$QMOS_STATE/mysql
readonly MYSQL_SOCK=$QMOS_RUN/mysqld/mysqld.sock
readonly RABBIT_HOME=$QMOS_STATE/rabbitmq    # HOME of our RabbitMQ (its .erlang.cookie) and its mnesia/
readonly KEYSTONE_STATE=$QMOS_STATE/keystone # fernet-keys/, credential-keys/, receipt keys

# the endpoints and credentials (test/openstack/env.ts says the same)
readonly REGION=RegionOne
readonly KS=http://127.0.0.1:5000
readonly NEUTRON_URL=http://127.0.0.1:9696
readonly NOAUTH_URL=http://127.0.0.1:9697
readonly ADMIN_PASSWORD=qmadmin
readonly NEUTRON_SERVICE_PASSWORD=qmneutron
readonly DEMO_PASSWORD=qmdemo
readonly NEUTRON_DB_PASSWORD=qmneutrondb
readonly KEYSTONE_DB_PASSWORD=qmkeystonedb
readonly METADATA_SECRET=qmmetadatasecret

readonly AGENT_HOST=qm-ci-host
readonly L3_METADATA_PORT=9697               # [DEFAULT] metadata_port of l3_agent.ini (Neutron's default, written out)
readonly NOVA_PORT=8775                      # the metadata agent's nova_metadata_port: fake-nova.py, or the real Nova
# The real Nova metadata API (opt-in, in place of fake-nova.py on $NOVA_PORT: nova-up.sh, nova-down.sh):
# Debian's nova-api-metadata (uwsgi + /usr/bin/nova-metadata-wsgi) with its own config directory
# (OS_NOVA_CONFIG_DIR), never Debian's /etc/nova
readonly NOVA_ETC=$QMOS_ETC/nova             # nova.conf, api-paste.ini, the uwsgi ini, tls/, nova-instance.py
readonly NOVA_CONF=$NOVA_ETC/nova.conf
readonly NOVA_UWSGI_INI=$NOVA_ETC/nova-api-metadata-uwsgi.ini
readonly NOVA_TLS_DIR=$NOVA_ETC/tls          # nova.crt (self-signed, CN and SAN 127.0.0.1), nova.key
readonly NOVA_STATE=$QMOS_STATE/nova         # nova's state_path and lock_path
readonly NOVA_LOG_FILE=$QMOS_LOG/nova-api-metadata.log   # uwsgi's logto: oslo.log records and uwsgi's request lines
readonly NOVA_DB_PASSWORD=qmnovadb           # MariaDB user nova: nova_api, nova_cell0, nova (cell1)
# present while the real Nova is the metadata agent's upstream: "<pid> <starttime>" of the process
# that asked for it (nova-up.sh --owner PID), or "manual"; up.sh puts fake-nova back once that owner is gone
readonly NOVA_REAL=$QMOS_RUN/nova-real
readonly TCP_PORTS=(3306 4369 5000 5672 25672 9696 9697 8775)
# The opt-in second L3 agent host for HA routers (ha-up.sh, ha-down.sh): its name (the agents'
# `host`), its files, the pid records of its PID 1 and of the root side of its relays
readonly HA_HOST=qm-ci-ha2
readonly HA_DIR=/var/tmp/qm-openstack-ha2
readonly HA_PID1=$QMOS_RUN/ha-host.pid
readonly HA_RELAYS=(rabbit:5672 nova:8775 keystone:5000 neutron:9696)
# the daemons with a pid record $QMOS_RUN/NAME.pid
readonly DAEMONS=(mariadb epmd rabbitmq keystone neutron-server neutron-server-noauth fake-nova nova-api-metadata
    neutron-linuxbridge-agent neutron-dhcp-agent neutron-metadata-agent neutron-l3-agent)

# The Debian 12 packages the harness runs (up.sh installs them when a binary below is missing;
# scripts/install-test-deps.sh installs them on a fresh machine). neutron-l3-agent pulls in
# keepalived, radvd and iputils-arping (its Depends); keepalived is named too: the L3 agents start
# it for the HA routers of ha-up.sh's second host (radvd is never started: no IPv6 subnet). socat:
# that host's relays. nova-api, nova-common, python3-nova, uwsgi-plugin-python3: the real Nova
# metadata API of nova-up.sh (Zed 26.2.2; Debian 12 has no nova-api-metadata package: the service
# ships in nova-api, its WSGI script in nova-common; about 47 packages, 167 MB, 16-42 s here).
readonly QMOS_PACKAGES=(
    neutron-server neutron-dhcp-agent neutron-linuxbridge-agent neutron-metadata-agent neutron-l3-agent
    keystone mariadb-server rabbitmq-server
    dnsmasq-base dnsmasq-utils haproxy conntrack iptables nftables
    python3-pymysql python3-openstackclient
    iproute2 sudo curl crudini udhcpc busybox util-linux keepalived socat
    nova-api nova-common python3-nova uwsgi-plugin-python3 openssl
)
# any of these missing means the packages must be installed (the tests also use iptables-save,
# ip6tables-save, iptables-legacy-save and nft in and out of the router's namespace, busybox
# udhcpc and curl in the instance's, crudini on l3_agent.ini, unshare in refuse.test.ts)
readonly QMOS_BINARIES=(
    neutron-server neutron-dhcp-agent neutron-linuxbridge-agent neutron-metadata-agent neutron-l3-agent
    neutron-db-manage neutron-rootwrap neutron-rootwrap-daemon privsep-helper keystone-manage uwsgi mariadbd
    mariadb mariadb-admin mariadb-install-db epmd /usr/lib/rabbitmq/bin/rabbitmq-server dnsmasq dhcp_release
    haproxy conntrack iptables iptables-save ip6tables-save iptables-legacy-save nft openstack ip ss sudo curl
    crudini udhcpc busybox setpriv unshare nsenter keepalived socat /usr/bin/python3
    nova-manage /usr/bin/nova-metadata-wsgi uwsgi_python3 openssl
)

readonly SAFE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PATH=$SAFE_PATH   # Debian's python3, not a pyenv/venv one that happens to be first on PATH
export LANG=C.UTF-8

log() { printf '[qm-openstack %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now_ms() { date +%s%3N; }

# ---- PID bookkeeping: "<pid> <starttime>" per file, so a reused PID is never taken for ours ----
proc_start() { [ -r "/proc/$1/stat" ] && awk '{sub(/^.*\) /, ""); print $20}' "/proc/$1/stat" 2>/dev/null; }
alive() { # PID [STARTTIME]
    [ -n "${1:-}" ] && [ -d "/proc/$1" ] || return 1
    grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null && return 1
    [ -z "${2:-}" ] || [ "$(proc_start "$1")" = "$2" ]
}
recorded_pid() { # NAME -> the PID if the recorded process is still the one we started
    local f=$QMOS_RUN/$1.pid pid st
    [ -f "$f" ] || return 1
    read -r pid st <"$f" || true
    alive "$pid" "$st" && echo "$pid"
}
running() { recorded_pid "$1" >/dev/null; }
descendants() { local c; for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do echo "$c"; descendants "$c"; done; }
# close_fds: in a subshell about to exec a daemon, close every descriptor above 2 (a daemon must
# not keep the caller's `flock /tmp/qm-harness.lock`, or any other file, open for as long as it runs)
close_fds() {
    local fd
    for fd in /proc/$BASHPID/fd/*; do
        fd=${fd##*/}
        [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-" 2>/dev/null
    done
    return 0
}

# a pid file a daemon wrote itself (haproxy, dnsmasq, keepalived): digits only
pidfile_pid() { [ -f "$1" ] && tr -dc '0-9' <"$1" || true; }

# Which config files each daemon reads; their checksum is kept next to the PID, so up.sh
# restarts a daemon whose files changed.
conf_files() {
    case $1 in
        neutron-server) echo "$NEUTRON_CONF $ML2_CONF" ;;
        neutron-server-noauth) echo "$NEUTRON_CONF $ML2_CONF $NOAUTH_CONF" ;;
        neutron-linuxbridge-agent) echo "$NEUTRON_CONF $LB_CONF $ROOTWRAP_CONF" ;;
        neutron-dhcp-agent) echo "$NEUTRON_CONF $DHCP_CONF $ROOTWRAP_CONF" ;;
        neutron-metadata-agent) echo "$NEUTRON_CONF $MD_CONF" ;;
        neutron-l3-agent) echo "$NEUTRON_CONF $L3_CONF $ROOTWRAP_CONF" ;;
        keystone) echo "$KEYSTONE_CONF" ;;
        mariadb) echo "$MY_CNF" ;;
        fake-nova) echo "$QMOS_ETC/fake-nova.args $QMOS_ETC/fake-nova.py" ;;
        nova-api-metadata) echo "$NOVA_CONF $NOVA_ETC/api-paste.ini $NOVA_UWSGI_INI" ;;
        rabbitmq) echo "$QMOS_ETC/rabbitmq.conf $QMOS_ETC/rabbitmq-env.conf $QMOS_ETC/rabbitmq-enabled-plugins" ;;
        *) echo "" ;;
    esac
}
# nova_real: the real Nova is chosen (nova-up.sh) and whoever chose it still runs
nova_real() {
    local who st
    [ -f "$NOVA_REAL" ] || return 1
    read -r who st <"$NOVA_REAL" || true
    [ "$who" = manual ] || alive "$who" "$st"
}
conf_sum() { local f; f=$(conf_files "$1"); [ -z "$f" ] && return 0; cat $f 2>/dev/null | sha256sum | cut -c1-16; }

sql() { mariadb --defaults-file="$MY_CNF" -N -B -e "$1"; }

# ---- "a Neutron it did not make" --------------------------------------------------------------
# Where to look. Tests point QM_OPENSTACK_PROBE_ETC at a made-up tree (it stands for /etc/neutron:
# its files are compared with the packages' files of the same name under /etc/neutron), so they
# never touch the machine's own /etc.
PROBE_ETC=${QM_OPENSTACK_PROBE_ETC:-/etc/neutron}
PROBE_QUANTUM=${QM_OPENSTACK_PROBE_QUANTUM:-/etc/quantum}

# neutron_program ARGV0 ARGV1: sets PROG to the Neutron/Quantum server or agent this command
# line runs, if any (`neutron-dhcp-agent`, `/usr/bin/python3 /usr/bin/neutron-l3-agent ...`, a
# kolla venv's, or a server worker that retitled itself `neutron-server: api worker (...)`).
# No subshell: it runs once per process on the machine.
neutron_program() {
    local w b
    PROG=""
    for w in "$1" "${2:-}"; do
        w=${w%% *}; b=${w##*/}; b=${b%:}
        case $b in
            neutron-server|quantum-server|neutron-*-agent|quantum-*-agent) PROG=$b; return 0 ;;
        esac
    done
    return 1
}

# foreign_agents: one line per Neutron server or agent process that is not the harness's own:
# "PID PROGRAM CONFIG-FILES". A Neutron process is a Python interpreter (/proc/PID/exe) running a
# neutron-*-agent or neutron-server program: every real one is, and a process that only took such
# a name (a test's stand-in: `node` or `sleep` with argv[0] renamed) is not. The harness's own read
# every --config-file from $QMOS_ETC (the agent-hosts rig's second host too: its private copy is
# mounted there).
foreign_agents() {
    local d p w next cfgs ours PROG exe
    local -a argv words
    for d in /proc/[0-9]*; do
        p=${d#/proc/}
        [ "$p" = "$$" ] && continue
        mapfile -d '' -t argv 2>/dev/null <"$d/cmdline" || continue
        [ ${#argv[@]} -gt 0 ] || continue
        neutron_program "${argv[0]}" "${argv[1]:-}" || continue
        exe=$(readlink "$d/exe" 2>/dev/null) || continue
        exe=${exe##*/}
        [[ $exe == python* ]] || continue
        # a retitled worker keeps its command line inside one word: split every word on spaces
        read -r -a words <<<"${argv[*]}"
        cfgs="" ours=1 next=0
        for w in "${words[@]}"; do
            if [ $next = 1 ]; then cfgs+=" $w"; [[ $w == "$QMOS_ETC"/* ]] || ours=0; next=0; continue; fi
            case $w in
                --config-file|--config-dir) next=1 ;;
                --config-file=*|--config-dir=*) w=${w#*=}; cfgs+=" $w"; [[ $w == "$QMOS_ETC"/* ]] || ours=0 ;;
            esac
        done
        [ -n "$cfgs" ] && [ $ours = 1 ] && continue
        echo "$p $PROG${cfgs:- (no --config-file)}"
    done
}

# pristine REL FILE: FILE holds exactly what a Debian package put at /etc/neutron/REL: a conffile
# with the package's md5sum, or a copy of the package's template /usr/share/neutron-*/REL (or
# .../BASENAME), which is how neutron-common's postinst makes neutron.conf, dhcp_agent.ini, ...
pristine() {
    local rel=$1 f=$2 md5 want t
    md5=$(md5sum <"$f" | cut -d' ' -f1)
    want=$(printf '%s\n' "$CONFFILES" | awk -v p="/etc/neutron/$rel" '$1 == p { print $2; exit }')
    [ -n "$want" ] && [ "$want" = "$md5" ] && return 0
    for t in /usr/share/neutron-*/"$rel" /usr/share/neutron-*/"${rel##*/}"; do
        [ -f "$t" ] && cmp -s "$t" "$f" && printf '%s\n' "$TEMPLATES" | grep -qxF -- "$t" && return 0
    done
    return 1
}

# foreign_configs: one line per file under PROBE_ETC that no package put there as it is now
# (edited, or added by someone), and per file under PROBE_QUANTUM (no Debian 12 package has one)
foreign_configs() {
    local f rel
    # the conffiles dpkg knows (its status file: " /etc/neutron/FILE MD5" lines under Conffiles:)
    CONFFILES=$(awk '/^ \/etc\/neutron\// { print $1, $2 }' /var/lib/dpkg/status 2>/dev/null || true)
    # the files the neutron packages own under /usr/share/neutron-* (dpkg's own lists)
    TEMPLATES=$(cat /var/lib/dpkg/info/neutron-*.list 2>/dev/null | grep '^/usr/share/neutron-' || true)
    if [ -d "$PROBE_ETC" ]; then
        while IFS= read -r -d '' f; do
            rel=${f#"$PROBE_ETC"/}
            if [ -L "$f" ] || [ ! -f "$f" ]; then echo "$f (not a regular file)"; continue; fi
            pristine "$rel" "$f" || echo "$f"
        done < <(find "$PROBE_ETC" -mindepth 1 \( -type f -o -type l \) -print0 2>/dev/null | sort -z)
    fi
    if [ -d "$PROBE_QUANTUM" ]; then
        find "$PROBE_QUANTUM" -mindepth 1 \( -type f -o -type l \) 2>/dev/null | sort
    fi
}

# own_dir_foreign DIR: DIR exists but lacks our marker (someone else's directory of that name)
own_dir_foreign() { [ -e "$1" ] && [ ! -f "$1/$QMOS_MARKER" ]; }

# foreign_neutron: prints ONE line naming what makes this machine off limits and answers 1;
# answers 0 (silently) when the harness may start. Reads only: /proc, the probe dirs, dpkg's
# database.
foreign_neutron() {
    local agents configs d n old=""
    agents=$(foreign_agents)
    if [ -n "$agents" ]; then
        n=$(printf '%s\n' "$agents" | wc -l)
        echo "refusing to start: $n Neutron process(es) this harness did not start run here: $(printf '%s\n' "$agents" | head -3 | paste -sd ';' | sed 's/;/; /g')$([ "$n" -gt 3 ] && echo '; ...'): a real node, or another harness or lab; stop it first"
        return 1
    fi
    for d in "$QMOS_ETC" "$QMOS_STATE"; do
        if own_dir_foreign "$d"; then
            echo "refusing to start: $d exists but was not made by this harness (no $d/$QMOS_MARKER)"
            return 1
        fi
    done
    configs=$(foreign_configs)
    if [ -n "$configs" ]; then
        n=$(printf '%s\n' "$configs" | wc -l)
        # an older version of this harness edited /etc/neutron in place, keeping Debian's originals
        if printf '%s\n' "$configs" | grep -qE '\.debian-orig$|/qm-openstack/noauth\.conf$'; then
            old=" (an older quantum-meta harness wrote these; put Debian's files back with: for f in $PROBE_ETC/*.debian-orig $PROBE_ETC/*/*/*.debian-orig; do [ ! -f \"\$f\" ] || mv \"\$f\" \"\${f%.debian-orig}\"; done; rm -rf $PROBE_ETC/qm-openstack)"
        fi
        echo "refusing to start: $n Neutron config file(s) that no package installed as they are: $(printf '%s\n' "$configs" | head -3 | paste -sd ' ')$([ "$n" -gt 3 ] && echo ' ...'): this machine has a Neutron the harness did not make$old"
        return 1
    fi
    return 0
}

# ---- starting daemons, writing config files (up.sh, nova-up.sh) --------------------------------
EXTRA_ENV=()   # VAR=value words that the next start() adds to the clean environment (later wins)
# start NAME USER CMD... : CMD runs in its own session, clean environment, as USER (root: no
# setpriv), stdout+stderr appended to $QMOS_LOG/NAME.console.log; its PID (and start time) goes
# to $QMOS_RUN/NAME.pid, the checksum of its config files to NAME.conf-sum.
start() {
    local name=$1 user=$2; shift 2
    local out=$QMOS_LOG/$name.console.log home pid st
    local -a as=()
    [ "$user" = root ] || as=(setpriv --reuid="$user" --regid="$user" --init-groups)
    home=$(getent passwd "$user" | cut -d: -f6)
    echo "==== $(date -Is) starting $name as $user: $*" >>"$out"
    # no `&` on a process-group leader, so setsid does not fork and $! is the daemon itself.
    # Every descriptor above 2 is closed first: a daemon must not keep the caller's
    # `flock /tmp/qm-harness.lock` (or any other file) open for as long as it runs.
    ( close_fds; cd "${home:-/}" 2>/dev/null || cd /; exec env -i HOME="${home:-/}" PATH="$SAFE_PATH" LANG=C.UTF-8 \
        "${EXTRA_ENV[@]}" setsid "${as[@]}" "$@" >>"$out" 2>&1 </dev/null ) &
    pid=$!
    sleep 0.2
    st=$(proc_start "$pid" || true)
    echo "$pid $st" >"$QMOS_RUN/$name.pid"
    conf_sum "$name" >"$QMOS_RUN/$name.conf-sum"
    alive "$pid" || { tail -20 "$out" >&2; die "$name exited at once; see $out"; }
    log "started $name (pid $pid)"
}

# wait_for WHAT SECONDS DAEMON LOG CMD... : poll CMD every 0.2 s; fail with the log's tail if the
# daemon dies or the time is up.
wait_for() {
    local what=$1 secs=$2 daemon=$3 logf=$4 i; shift 4
    for ((i = 0; i < secs * 5; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        if [ -n "$daemon" ] && ! running "$daemon"; then
            tail -25 "$logf" >&2 || true
            die "$daemon died while waiting for $what; see $logf"
        fi
        sleep 0.2
    done
    tail -25 "$logf" >&2 || true
    die "timed out after ${secs}s waiting for $what; see $logf"
}
tcp_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }
http_is() { # CODE URL [curl args]: does URL answer with CODE?
    local want=$1 url=$2; shift 2
    [ "$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$@" "$url")" = "$want" ]
}
# port_check PORT NAME...: die if something that is not daemon NAME (or its child) listens on PORT
port_check() {
    local port=$1 name pid owners ok; shift
    owners=$(ss -ltnpH "sport = :$port" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u || true)
    [ -z "$owners" ] && return 0
    for pid in $owners; do
        ok=0
        for name in "$@"; do
            local p; p=$(recorded_pid "$name" || true)
            [ -n "$p" ] && [[ " $p $(descendants "$p" | tr '\n' ' ') " == *" $pid "* ]] && ok=1
        done
        [ $ok = 1 ] || die "port $port is taken by pid $pid ($(tr '\0' ' ' </proc/$pid/cmdline 2>/dev/null | cut -c1-120)), which this harness did not start (the shared lab? stop it first)"
    done
}

# merge FILE <<EOF: set the snippet's [section] key = value lines in FILE, keeping its comments and
# every other key (one crudini call per file; the file is rewritten only when something differs)
merge() {
    local f=$1 tmp; tmp=$(mktemp); cp -p "$f" "$tmp"
    crudini --merge "$tmp"
    cmp -s "$f" "$tmp" && rm -f "$tmp" || mv "$tmp" "$f"
}
ini_del() { crudini --get "$1" "$2" "$3" >/dev/null 2>&1 && crudini --del "$1" "$2" "$3" || true; }
# write_if_changed FILE MODE OWNER: stdin becomes FILE unless it already holds exactly that
write_if_changed() {
    local f=$1 mode=$2 owner=$3 tmp; tmp=$(mktemp)
    cat >"$tmp"
    if cmp -s "$tmp" "$f"; then rm -f "$tmp"; else install -m "$mode" -o "${owner%:*}" -g "${owner#*:}" "$tmp" "$f"; rm -f "$tmp"; fi
}
# copy_once TEMPLATE FILE: a package's pristine template becomes our file the first time
copy_once() { [ -f "$2" ] || install -m 0640 -o root -g neutron "$1" "$2"; }
# own_dir DIR MODE OWNER: make DIR with our marker in it (foreign_neutron refused a markerless one)
own_dir() {
    local d=$1 mode=$2 owner=$3
    if [ ! -d "$d" ]; then
        install -d -m "$mode" -o "${owner%:*}" -g "${owner#*:}" "$d"
        echo "made by quantum-meta scripts/harness/openstack/up.sh on $(date -Is); scripts/harness/openstack/down.sh --wipe removes it" >"$d/$QMOS_MARKER"
    fi
}

# ---- the metadata agent (up.sh; nova-up.sh --agent restarts it alone) ---------------------------------
# write_md_conf: metadata_agent.ini. The metadata agent (as neutron) gets its own lock dir: the root
# agents' lock files are root's. Its upstream: 127.0.0.1:8775 (fake-nova.py, or nova-up.sh's real
# Nova). QM_MD_SECRET, QM_MD_NOVA_HOST, QM_MD_NOVA_PORT, QM_MD_NOVA_PROTOCOL, QM_MD_AUTH_CA_CERT break
# its side of Nova for one run; the next run without them writes the healthy values back.
write_md_conf() {
    merge "$MD_CONF" <<EOC
[DEFAULT]
nova_metadata_host = ${QM_MD_NOVA_HOST:-127.0.0.1}
nova_metadata_port = ${QM_MD_NOVA_PORT:-$NOVA_PORT}
nova_metadata_protocol = ${QM_MD_NOVA_PROTOCOL:-http}
metadata_proxy_shared_secret = ${QM_MD_SECRET:-$METADATA_SECRET}
metadata_workers = 1
[oslo_concurrency]
lock_path = $NEUTRON_STATE/lock-metadata
EOC
    if [ -n "${QM_MD_AUTH_CA_CERT:-}" ]; then crudini --set "$MD_CONF" DEFAULT auth_ca_cert "$QM_MD_AUTH_CA_CERT"
    else ini_del "$MD_CONF" DEFAULT auth_ca_cert; fi
}
start_metadata_agent() {
    start neutron-metadata-agent neutron neutron-metadata-agent --config-file "$NEUTRON_CONF" \
        --config-file "$MD_CONF" --log-file "$QMOS_LOG/neutron-metadata-agent.log"
}

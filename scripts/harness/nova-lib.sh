# nova-lib.sh - the real Nova metadata API (Debian 12's nova-api-metadata, nova 26.2.2 Zed, uwsgi),
# the part both harnesses share: scripts/harness/openstack/nova-up.sh (in place of fake-nova.py on
# 127.0.0.1:8775) and scripts/harness/ovn/ovn-nova-up.sh (in place of ovn-fake-nova.py on
# 127.0.0.1:8777). Sourced after the harness's own lib, which provides log, die, now_ms, merge,
# write_if_changed, sql and SAFE_PATH, and sets these facts (each harness its own paths, never
# Debian's /etc/nova, /var/log/nova or /var/lib/nova):
#   NOVA_ETC NOVA_CONF NOVA_UWSGI_INI   config dir (OS_NOVA_CONFIG_DIR), its nova.conf, uwsgi's ini
#   NOVA_STATE NOVA_LOG_FILE            state_path (and lock_path below it), uwsgi's logto
#   NOVA_DB                             sqlalchemy URL without database, e.g. mysql+pymysql://nova:PW@HOST
#   NOVA_DB_QUERY                       what follows `?` in each URL (charset; a unix_socket)
#   NOVA_DB_USER NOVA_DB_PASSWORD       MariaDB account ('nova'@'HOST') for nova_api, nova_cell0, nova
# One run's knobs, read here (unset: the healthy value):
#   QM_NOVA_SECRET=S            [neutron] metadata_proxy_shared_secret (healthy: the agent's)
#   QM_NOVA_SMP=False           [neutron] service_metadata_proxy (healthy: True)
#   QM_NOVA_PROXY_HEADERS=True  [oslo_middleware] enable_proxy_headers_parsing (healthy: unset)
# shellcheck shell=bash

NOVA_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly NOVA_LIB_DIR
readonly NOVA_BINARIES=(nova-manage /usr/bin/nova-metadata-wsgi uwsgi_python3 crudini)

# nova_files: the config dir from Debian's templates (/usr/share/nova-common), the state dirs, and
# nova-instance.py where user nova can run it
nova_files() {
    install -d -m 0755 -o root -g root "$NOVA_ETC"
    install -d -m 0750 -o nova -g nova "$NOVA_STATE" "$NOVA_STATE/lock"
    [ -f "$NOVA_CONF" ] || install -m 0640 -o root -g nova /usr/share/nova-common/nova.conf "$NOVA_CONF"
    [ -f "$NOVA_ETC/api-paste.ini" ] || install -m 0640 -o root -g nova /usr/share/nova-common/api-paste.ini "$NOVA_ETC/api-paste.ini"
    write_if_changed "$NOVA_ETC/nova-instance.py" 0644 root:root <"$NOVA_LIB_DIR/openstack/nova-instance.py"
}

# nova_conf SECRET: nova.conf's settings both harnesses write (SECRET: the agent's, the healthy
# value); the harness merges its own [DEFAULT] host/transport_url and [neutron] auth after
nova_conf() {
    merge "$NOVA_CONF" <<EOC
[DEFAULT]
my_ip = 127.0.0.1
state_path = $NOVA_STATE
[api_database]
connection = $NOVA_DB/nova_api?$NOVA_DB_QUERY
[database]
connection = $NOVA_DB/nova?$NOVA_DB_QUERY
[wsgi]
api_paste_config = $NOVA_ETC/api-paste.ini
[oslo_concurrency]
lock_path = $NOVA_STATE/lock
[oslo_policy]
policy_file = $NOVA_ETC/policy.yaml
policy_dirs = $NOVA_ETC/policy.d
[neutron]
service_metadata_proxy = ${QM_NOVA_SMP:-True}
metadata_proxy_shared_secret = ${QM_NOVA_SECRET:-$1}
EOC
    # [oslo_policy]: Debian's template points into /etc/nova; ours do not exist, so the code's defaults.
    if [ -n "${QM_NOVA_PROXY_HEADERS:-}" ]; then
        crudini --set "$NOVA_CONF" oslo_middleware enable_proxy_headers_parsing "$QM_NOVA_PROXY_HEADERS"
    elif crudini --get "$NOVA_CONF" oslo_middleware enable_proxy_headers_parsing >/dev/null 2>&1; then
        crudini --del "$NOVA_CONF" oslo_middleware enable_proxy_headers_parsing
    fi
}

# nova_uwsgi_ini HARNESS SOCKET_LINE: Debian's /etc/nova/nova-api-metadata-uwsgi.ini settings with our
# socket (e.g. "http-socket = 127.0.0.1:8775"), log and directories, 1 process x 4 threads (Debian:
# every address, 8 x 32)
nova_uwsgi_ini() {
    write_if_changed "$NOVA_UWSGI_INI" 0644 root:root <<EOC
# uwsgi for the quantum-meta $1 harness's nova-api-metadata (scripts/harness/nova-lib.sh):
# Debian's nova-api-metadata-uwsgi.ini settings, bound to loopback, logging to $NOVA_LOG_FILE.
[uwsgi]
plugins = python3
master = true
processes = 1
threads = 4
enable-threads = true
thunder-lock = true
lazy-apps = true
paste-logger = true
no-orphans = true
die-on-term = true
need-app = true
buffer-size = 65535
rem-header = Content-Length
listen = 100
name = nova-api-metadata
chdir = $NOVA_STATE
wsgi-file = /usr/bin/nova-metadata-wsgi
env = OS_NOVA_CONFIG_DIR=$NOVA_ETC
logto = $NOVA_LOG_FILE
$2
EOC
    touch "$NOVA_LOG_FILE"
    chown nova:nova "$NOVA_LOG_FILE"
}

nova_as() {
    ( cd "$NOVA_STATE" && env -i PATH="$SAFE_PATH" HOME="$NOVA_STATE" LANG=C.UTF-8 \
        setpriv --reuid=nova --regid=nova --init-groups "$@" )
}

# nova_databases MANAGE_LOG: nova_api, nova_cell0 and nova (cell1) in the harness's MariaDB, built by
# nova-manage as the install guide does (api_db sync, cell_v2 map_cell0, cell_v2 create_cell --name
# cell1, db sync) unless they are there; echoes how long that took (empty: nothing to do)
nova_databases() {
    local mlog=$1 u="'$NOVA_DB_USER'" t
    sql "CREATE DATABASE IF NOT EXISTS nova_api; CREATE DATABASE IF NOT EXISTS nova_cell0; CREATE DATABASE IF NOT EXISTS nova;
         CREATE USER IF NOT EXISTS $u IDENTIFIED BY '$NOVA_DB_PASSWORD';
         GRANT ALL ON nova_api.* TO $u; GRANT ALL ON nova_cell0.* TO $u; GRANT ALL ON nova.* TO $u;"
    touch "$mlog"
    chown nova:nova "$mlog"
    tables() { sql "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='$1'"; }
    if [ "$(tables nova_api)" -ge 10 ] && [ "$(tables nova)" -ge 10 ] && [ "$(tables nova_cell0)" -ge 10 ] &&
        [ "$(sql "SELECT COUNT(*) FROM nova_api.cell_mappings WHERE name = 'cell1'" 2>/dev/null || echo 0)" != 0 ]; then
        return 0
    fi
    t=$(now_ms)
    {
        nova_as nova-manage --config-file "$NOVA_CONF" api_db sync
        nova_as nova-manage --config-file "$NOVA_CONF" cell_v2 map_cell0 --database_connection "$NOVA_DB/nova_cell0?$NOVA_DB_QUERY"
        nova_as nova-manage --config-file "$NOVA_CONF" cell_v2 list_cells | grep -q ' cell1 ' ||
            nova_as nova-manage --config-file "$NOVA_CONF" cell_v2 create_cell --name cell1 --verbose
        nova_as nova-manage --config-file "$NOVA_CONF" db sync
        nova_as nova-manage --config-file "$NOVA_CONF" cell_v2 list_cells
    } >>"$mlog" 2>&1 || { tail -30 "$mlog" >&2; die "nova-manage failed; see $mlog"; }
    echo $(($(now_ms) - t))
}

# nova_summary: one line on what this start chose
nova_summary() {
    echo "service_metadata_proxy=$(crudini --get "$NOVA_CONF" neutron service_metadata_proxy)" \
        "enable_proxy_headers_parsing=$(crudini --get "$NOVA_CONF" oslo_middleware enable_proxy_headers_parsing 2>/dev/null || echo unset)" \
        "secret=$([ "$(crudini --get "$NOVA_CONF" neutron metadata_proxy_shared_secret)" = "$1" ] && echo "the agent's" || echo other)"
}

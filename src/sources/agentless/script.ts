/**
 * The script an agentless host runs (issue 19, item 1): POSIX sh, coreutils, grep, iproute2, and
 * python3 for the UNIX socket connect. It only reads: files with `head -c`/`tail -c`, /proc, `ip netns
 * list` and `ip -n NS addr show`, `stat`, `readlink`; it writes nothing on the host (no temp file, no
 * .pyc: python3 -I -B) and prints the raw evidence as one framed stream (frame.ts reads it here):
 *
 *   QM-AGENTLESS 1
 *   R <type> <name> [attr ...]     a record; <name> plain when it is a safe path, else ~BASE64
 *   <base64 lines>                 its payload (file content, command output), at most 76 columns
 *   . <status>                     its end (a command's exit status, else 0)
 *   QM-AGENTLESS-END
 *
 * Every payload is base64, so a file holding the frame's own words cannot forge a record, and each is
 * capped on the host (`head -c CAP+1`: one byte more than kept tells "too large"). What it reads is
 * generated from the collectors' needs (ScriptNeeds: the layouts' paths, the deployments' marker and log
 * paths, the programs whose processes are agents); the one untrusted input, the network ids, arrives
 * as arguments (`sh -c SCRIPT qm-agentless NET...` or `--all`), each checked again as a UUID before it
 * becomes a path or a namespace name. No value is ever interpolated into the script's text.
 */

export const BUNDLE_MAGIC = 'QM-AGENTLESS 1'
export const BUNDLE_END = 'QM-AGENTLESS-END'

export interface ScriptNeeds {
  /** the layouts, in the order a node is told (nodePaths: Neutron's first) */
  layouts: readonly {name: string; configDir: string; agentConfig: string; statePath: string}[]
  /** a process whose cmdline holds one of these (fixed strings) is an agent: its details, config files, logs */
  agentPatterns: readonly string[]
  /** the agents whose log is read (their programs, as agentLog names `<dir>/<program>.log`) */
  logPrograms: readonly string[]
  /** variables of an agent's environment that tell a deployment (only these lines are sent) */
  environNames: readonly string[]
  /** paths whose existence is told (layouts, deployments' signs) */
  markers: readonly string[]
  /** log files whose end is sent (the deployments' defaults) */
  logs: readonly string[]
  /** systemd units whose journal end is sent, on a host running systemd (`journalctl -u UNIT.service -n N`, read-only) */
  journalUnits: readonly string[]
  /** lines asked of journald */
  journalLines: number
  /** other files read whole (the host's IPv6 switch) */
  files: readonly string[]
  /** directories listed, names matching a glob (a dir may hold a glob of its own: /usr/lib/python3*\/site-packages) */
  lists: readonly {dir: string; glob: string}[]
  /** per file and command output, bytes */
  fileCap: number
  /** a log's end, bytes */
  tailCap: number
  /** the process list, bytes */
  procsCap: number
}

/** A constant of ours as a single-quoted sh word (no untrusted value ever goes through it). */
const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`

/** A path or glob we generate: only these characters, so that it is safe unquoted in a `for` list. */
const GLOBBABLE = /^[A-Za-z0-9._/*+@{},:-]+$/

function globWord(s: string): string {
  if (!GLOBBABLE.test(s) || s.includes('{') || s.includes('}')) throw new Error(`agentless script: unsafe glob ${JSON.stringify(s)}`)
  return s
}

/** The script, as it is sent (and as --print-remote-script shows it). */
export function remoteScript(n: ScriptNeeds): string {
  const layouts = n.layouts
  const sh = (parts: TemplateStringsArray, ...values: unknown[]) => String.raw(parts, ...values).replaceAll('\\${', '${')
  const lines: string[] = [
    sh`# quantum-meta agentless evidence (read-only: it writes nothing on this host)`,
    sh`# usage: sh -c SCRIPT qm-agentless [--probe] --all | NET-UUID...`,
    sh`# --probe: one GET of the metadata address from inside each qdhcp namespace (python3, as collect --probe)`,
    sh`PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin; export PATH`,
    sh`LC_ALL=C; export LC_ALL`,
    `CAP=${n.fileCap + 1}; TAILCAP=${n.tailCap}; PROCCAP=${n.procsCap + 1}`,
    sh`exec 4>&1`,
    sh`b64() { base64 -w 76; }`,
    // a name: plain when every character is safe, else ~ and its base64 (no wrapping)
    sh`enc() { case $1 in ''|*[!A-Za-z0-9._/:@+,=-]*) printf '~'; printf '%s' "$1" | base64 -w 0;; *) printf '%s' "$1";; esac; }`,
    sh`rec() { printf 'R %s ' "$1"; enc "$2"; shift 2; for a in "$@"; do printf ' %s' "$a"; done; printf '\n'; }`,
    sh`endr() { printf '. %s\n' "\${1:-0}"; }`,
    sh`isuuid() { case $1 in ????????-????-????-????-????????????) case $1 in *[!0-9a-fA-F-]*) return 1;; esac; return 0;; esac; return 1; }`,
    // a file: its type (lstat), then its content when it is (or links to) a readable regular file
    sh`file_() {
  p=$1
  if [ -L "$p" ]; then t=symlink; elif [ -f "$p" ]; then t=file; elif [ -d "$p" ]; then t=directory; elif [ -S "$p" ]; then t=socket; elif [ -e "$p" ]; then t=other; else rec file "$p" missing; endr; return; fi
  if [ ! -e "$p" ]; then rec file "$p" missing; endr; return; fi
  if [ ! -f "$p" ]; then
    if [ -d "$p" ]; then k=directory; elif [ -S "$p" ]; then k=socket; elif [ -p "$p" ]; then k=fifo; elif [ -b "$p" ] || [ -c "$p" ]; then k=device; else k=other; fi
    rec file "$p" "$t" notregular "$k"; endr; return
  fi
  if [ ! -r "$p" ]; then rec file "$p" "$t" denied; endr; return; fi
  if [ "$2" = 1 ]; then
    printf 'R file '; enc "$p"; printf ' %s read m=%s r=' "$t" "$(stat -L -c %.3Y -- "$p" 2>/dev/null)"; enc "$(readlink -f -- "$p" 2>/dev/null)"; printf '\n'
  else rec file "$p" "$t" read; fi
  head -c "$CAP" -- "$p" 2>/dev/null | b64; endr
}`,
    // a log's end: never through a symlink at its own path, regular files only
    sh`tail_() {
  p=$1
  if [ -L "$p" ]; then rec tail "$p" symlink; elif [ ! -e "$p" ]; then rec tail "$p" missing; elif [ ! -f "$p" ]; then rec tail "$p" notregular
  elif [ ! -r "$p" ]; then rec tail "$p" denied
  else rec tail "$p" read $(stat -c '%s %.3Y' -- "$p" 2>/dev/null); tail -c "$TAILCAP" -- "$p" 2>/dev/null | b64; fi
  endr
}`,
    // a directory's names matching a glob, NUL-separated
    sh`dir_() {
  if [ ! -d "$1" ]; then rec dir "$1" "$2" missing; endr; return; fi
  rec dir "$1" "$2" read
  for f in "$1"/$2; do if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "\${f##*/}"; fi; done | b64; endr
}`,
    sh`link_() { rec link "$1"; readlink -- "$1" 2>/dev/null | b64; endr; }`,
    // a command's stdout (capped) and its exit status; stdin from /dev/null, stderr dropped
    sh`cmd_() {
  k=$1; n=$2; v=$3; shift 3
  rec cmd "$k" "$n" "$v"
  st=$( { { "$@" </dev/null 2>/dev/null; echo "$?" >&3; } | head -c "$CAP" | b64 >&4; } 3>&1 )
  endr "$st"
}`,
    // one process the collectors look up by pid: its namespace, with sockets its socket fds and TCP tables
    sh`pid_() {
  case $1 in ''|*[!0-9]*) return;; esac
  case " $seenpids " in *" $1 "*) return;; esac
  seenpids="$seenpids $1"
  link_ "/proc/$1/ns/net"
  rec fds "$1"; find "/proc/$1/fd" -mindepth 1 -maxdepth 1 -lname 'socket:*' -printf '%l\n' 2>/dev/null | b64; endr
  file_ "/proc/$1/net/tcp" 0; file_ "/proc/$1/net/tcp6" 0
}`,
    sh`pidfile_() { if [ -f "$1" ] && [ -r "$1" ]; then pid_ "$(head -c 32 -- "$1" 2>/dev/null | tr -d ' \t\n')"; fi; }`,
    sh`seenpids=''; seenfiles=''; seenck=''`,
    sh`once_() { case " $seenfiles " in *" $1 "*) return 1;; esac; seenfiles="$seenfiles $1"; return 0; }`,
    `printf '%s\\n' ${q(BUNDLE_MAGIC)}`,
    sh`rec host "$(uname -n)"; endr`,
    // the host's clock and uptime: a process's start time, and when the snapshot was taken
    sh`rec clock "$(date +%s.%N)"; head -c 200 /proc/uptime | b64; endr`,
    sh`link_ /proc/self/ns/mnt`,
    // the marker paths that exist
    `rec exists -; for p in ${n.markers.map(q).join(' ')}; do if [ -e "$p" ]; then printf '%s\\0' "$p"; fi; done | b64; endr`,
    // the layout, as nodePaths tells it: a layout whose agent config exists, else whose config dir exists
    `L=''; for c in ${layouts.map((l) => q(`${l.name}:${l.agentConfig}:${l.statePath}`)).join(' ')}; do f=\${c#*:}; f=\${f%%:*}; if [ -z "$L" ] && [ -e "$f" ]; then L=$c; fi; done`,
    `if [ -z "$L" ]; then for c in ${layouts.map((l) => q(`${l.name}:${l.configDir}:${l.statePath}`)).join(' ')}; do f=\${c#*:}; f=\${f%%:*}; if [ -z "$L" ] && [ -e "$f" ]; then L=$c; fi; done; fi`,
    `if [ -z "$L" ]; then L=${q(`${layouts[0].name}:${layouts[0].agentConfig}:${layouts[0].statePath}`)}; fi`,
    sh`STATE=\${L##*:}; LNAME=\${L%%:*}`,
    sh`rec layout "$LNAME"; endr`,
    ...layouts.flatMap((l) => [`file_ ${q(l.agentConfig)} 1`, `file_ ${q(`${l.configDir}/metadata_agent.ini`)} 0`]),
    ...n.files.map((f) => `file_ ${q(f)} 0`),
    ...n.lists.map((l) => `for d in ${globWord(l.dir)}; do dir_ "$d" ${q(l.glob)}; done`),
    sh`cmd_ netns-list - - ip netns list`,
    sh`dir_ "$STATE/dhcp" '*'`,
    // the networks: the arguments (UUIDs), or with --all the qdhcp namespaces and the state's network directories
    sh`nets=''
addnet() { if isuuid "$1"; then case " $nets " in *" $1 "*) ;; *) nets="$nets $1";; esac; fi; }
PROBE=0; if [ "\${1:-}" = --probe ]; then PROBE=1; shift; fi
if [ "\${1:-}" = --all ]; then
  for w in $(ip netns list 2>/dev/null | sed -n 's/^qdhcp-\([0-9a-fA-F-]*\).*/\1/p'); do addnet "$w"; done
  for d in "$STATE"/dhcp/*; do addnet "\${d##*/}"; done
else
  for a in "$@"; do addnet "$a"; done
fi`,
    sh`socks="$STATE/metadata_proxy"`,
    sh`for net in $nets; do
  d="$STATE/dhcp/$net"
  for f in "$d/opts" "$d/leases" "$d/pid" "$STATE/external/pids/$net.pid" "$STATE/external/pids/$net.pid.haproxy" "$STATE/ns-metadata-proxy/$net.conf"; do file_ "$f" 0; done
  for f in "$d/pid" "$STATE/external/pids/$net.pid" "$STATE/external/pids/$net.pid.haproxy"; do pidfile_ "$f"; done
  c="$STATE/ns-metadata-proxy/$net.conf"
  if [ -f "$c" ] && [ -r "$c" ]; then
    s=$(head -c "$CAP" -- "$c" | sed -n 's/^[[:space:]]*server[[:space:]][[:space:]]*[^[:space:]][^[:space:]]*[[:space:]][[:space:]]*\(\/[^[:space:]]*\).*/\1/p' | head -n 1)
    if [ -n "$s" ]; then socks="$socks
$s"; fi
  fi
  ns="qdhcp-$net"
  if [ -e "/run/netns/$ns" ]; then
    rec inode "$ns" "$(stat -L -c %i -- "/run/netns/$ns" 2>/dev/null)"; endr
    rec cmd netns-addresses "$ns" json
    st=$( { { ip -j -n "$ns" addr show </dev/null 2>/dev/null; echo "$?" >&3; } | head -c "$CAP" | b64 >&4; } 3>&1 )
    endr "$st"
    if [ "$st" != 0 ]; then cmd_ netns-addresses "$ns" classic ip netns exec "$ns" ip addr show; fi
    if [ "$PROBE" = 1 ]; then
      if command -v python3 >/dev/null 2>&1; then ip netns exec "$ns" python3 -I -B -c "$PYPROBE" "$ns" </dev/null 2>/dev/null | head -c 65536
      else rec probe "$ns" nopython; endr; fi
    fi
  fi
done`,
    // every process's command line, one grep: "PID/cmdline:ARG" NUL-terminated, an argument each
    sh`rec procs -; ( cd /proc && grep -a -H -z -s -e '' [0-9]*/cmdline ) | head -c "$PROCCAP" | b64; endr`,
    // the agents: start time, parent, mount namespace, cgroup, the deployment's variables, the files they read, their logs
    `agents=$(cd /proc && grep -l -a -s -F ${n.agentPatterns.map((p) => `-e ${q(p)}`).join(' ')} [0-9]*/cmdline | sed 's,/.*,,' | head -n 200)`,
    sh`logf() { case $1 in /*) if once_ "T$1"; then tail_ "$1"; fi;; esac; }`,
    sh`conf_() { case $1 in /*) if once_ "F$1"; then file_ "$1" 1; fi;; *) return;; esac
  if [ -f "$1" ] && [ -r "$1" ]; then
    head -c "$CAP" -- "$1" 2>/dev/null | sed -n 's/^[[:space:]]*log_\(file\|dir\)[[:space:]]*=[[:space:]]*\([^[:space:]]*\).*/\1 \2/p'
  fi
}`,
    `LOGPROGS=${q(n.logPrograms.join(' '))}; LOGPATS=${q(n.logPrograms.map((p) => `-e ${p}`).join(' '))}`,
    sh`for pid in $agents; do
  case $pid in ''|*[!0-9]*) continue;; esac
  # one grep: the script's own processes are passed over; an agent whose log is read is marked
  m=$(grep -a -o -F -e 'QM-AGENTLESS' -e dhcp-agent $LOGPATS "/proc/$pid/cmdline" 2>/dev/null)
  case $m in *QM-AGENTLESS*) continue;; esac
  islog=0; case $m in *metadata-agent*) islog=1;; esac
  # a worker with its parent's command line (neutron-server's API workers, the metadata agent's) tells
  # nothing more: one process per command line, but every DHCP agent (the collector records each)
  case $m in *dhcp-agent*) ;; *)
    ck=$({ cksum < "/proc/$pid/cmdline"; } 2>/dev/null); ck=\${ck%% *}
    case " $seenck " in *" $ck "*) continue;; esac
    seenck="$seenck $ck";;
  esac
  file_ "/proc/$pid/stat" 0; file_ "/proc/$pid/status" 0; file_ "/proc/$pid/cgroup" 0; link_ "/proc/$pid/ns/mnt"`,
    `  rec env "$pid"; { tr '\\0' '\\n' < "/proc/$pid/environ"; } 2>/dev/null | grep -E ${q(`^(${n.environNames.join('|')})=`)} | head -c 4096 | b64; endr`,
    sh`  { tr '\0' '\n' < "/proc/$pid/cmdline"; } 2>/dev/null | head -n 2000 | {
    next=''
    while IFS= read -r w; do
      case $next in file) conf_ "$w";; dir) if [ -d "$w" ]; then dir_ "$w" '*.conf'; for f in "$w"/*.conf; do conf_ "$f"; done; fi;; lfile) echo "arg-file $w";; ldir) echo "arg-dir $w";; esac
      next=''
      case $w in
        --config-file) next=file;; --config-file=*) conf_ "\${w#*=}";;
        --config-dir) next=dir;; --config-dir=*) v=\${w#*=}; if [ -d "$v" ]; then dir_ "$v" '*.conf'; for f in "$v"/*.conf; do conf_ "$f"; done; fi;;
        --log-file) next=lfile;; --log-file=*) echo "arg-file \${w#*=}";;
        --log-dir) next=ldir;; --log-dir=*) echo "arg-dir \${w#*=}";;
      esac
    done
  } | {
    af=''; ad=''; cfile=''; cdir=''
    while IFS= read -r line; do
      case $line in 'R '*|'. '*) printf '%s\n' "$line";; 'arg-file '*) af=\${line#arg-file };; 'arg-dir '*) ad=\${line#arg-dir };; 'file '*) cfile=\${line#file };; 'dir '*) cdir=\${line#dir };; *) printf '%s\n' "$line";; esac
    done
    if [ "$islog" = 1 ]; then
      for x in "$af" "$cfile"; do logf "$x"; done
      for ld in "$ad" "$cdir"; do case $ld in /*) for x in "$af" "$cfile"; do case $x in ''|/*) ;; *) logf "$ld/$x";; esac; done; for prog in $LOGPROGS; do logf "$ld/$prog.log"; done;; esac; done
    fi
  }
done`,
    `for p in ${n.logs.map(q).join(' ')}; do tail_ "$p"; done`,
    // on a systemd host: the units' journal ends (what collect reads when no log file is there)
    `if [ -d /run/systemd/system ] && command -v journalctl >/dev/null 2>&1; then for u in ${n.journalUnits.map(q).join(' ')}; do cmd_ journal "$u" - journalctl -u "$u.service" -n ${n.journalLines} -o short-iso --no-pager; done; fi`,
    // the metadata agent's socket(s): connect() and close, local IPC only (python3; none: said so)
    sh`printf '%s\n' "$socks" | sort -u | {
  set --; while IFS= read -r s; do case $s in /*) set -- "$@" "$s";; esac; done
  if command -v python3 >/dev/null 2>&1; then python3 -I -B -c "$PYCONNECT" "$@"
  else for s in "$@"; do rec connect "$s" nopython; endr; done; fi
}`,
    `printf '%s\\n' ${q(BUNDLE_END)}`,
  ]
  return `${PYTHON_DEF}\n${PROBE_DEF}\n${lines.join('\n')}\n`
}

/**
 * connect() to each UNIX socket given, as node/records.ts tryConnect does: 1 s timeout, EAGAIN (the
 * listener's queue full) retried for up to a second and the wait told. Prints records of the frame.
 */
const PYTHON = `import base64, errno, os, socket, stat, sys, time
def enc(s):
    b = os.fsencode(s)
    ok = b and all(c in b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._/:@+,=-" for c in b)
    return s if ok else "~" + base64.b64encode(b).decode()
for p in dict.fromkeys(sys.argv[1:]):
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        print("R connect %s missing" % enc(p)); print(". 0"); continue
    except OSError as e:
        print("R connect %s error %s" % (enc(p), errno.errorcode.get(e.errno, "EIO"))); print(". 0"); continue
    m = st.st_mode
    t = "socket" if stat.S_ISSOCK(m) else "file" if stat.S_ISREG(m) else "directory" if stat.S_ISDIR(m) else "symlink" if stat.S_ISLNK(m) else "other"
    if t != "socket":
        print("R connect %s %s" % (enc(p), t)); print(". 0"); continue
    start = time.monotonic(); busy = False
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.settimeout(1)
        try:
            s.connect(p); r = "ok"
        except socket.timeout:
            r = "timeout"
        except OSError as e:
            r = errno.errorcode.get(e.errno, "EIO")
        finally:
            s.close()
        busy = busy or r == "EAGAIN"
        waited = int((time.monotonic() - start) * 1000)
        if r == "EAGAIN" and waited < 1000:
            time.sleep(0.1); continue
        break
    print("R connect %s socket %s%s" % (enc(p), r, " %d" % waited if busy else "")); print(". 0")
sys.stdout.flush()
`

const PYTHON_DEF = `PYCONNECT=${q(PYTHON)}`

/**
 * --probe, run inside a namespace (`ip netns exec NS python3 -I -B -c PROBE NS`): one GET of
 * http://169.254.169.254/ as node/probe.ts sends it (3 s timeout, 2000 bytes read, 500 kept), and where
 * fe80::a9fe:a9fe is usable on a device (not tentative, not dadfailed: /proc/net/if_inet6 of the
 * namespace), one of http://[fe80::a9fe:a9fe%DEV]/. Each answer a record whose payload is JSON.
 */
const PROBE = `import base64, errno, http.client, json, socket, sys, time
ns = sys.argv[1]
def get(host):
    t = time.monotonic()
    out = {}
    try:
        c = http.client.HTTPConnection(host, 80, timeout=3)
        c.request("GET", "/")
        r = c.getresponse()
        body = r.read(2000)
        out = {"status": r.status, "body": body.decode("utf-8", "replace")[:500]}
    except socket.timeout:
        out = {"error": "timeout"}
    except ConnectionRefusedError:
        out = {"error": "refused"}
    except OSError as e:
        code = errno.errorcode.get(e.errno or 0, type(e).__name__)
        out = {"error": "unreachable" if code in ("ENETUNREACH", "EHOSTUNREACH") else code}
    except Exception as e:
        out = {"error": type(e).__name__}
    out["ms"] = int((time.monotonic() - t) * 1000)
    return base64.encodebytes(json.dumps(out).encode()).decode()
def rec(kind, dev, payload):
    sys.stdout.write("R probe %s %s%s\\n%s. 0\\n" % (ns, kind, " " + dev if dev else "", payload))
rec("v4", "", get("169.254.169.254"))
dev = None
try:
    for line in open("/proc/net/if_inet6"):
        f = line.split()
        if len(f) >= 6 and f[0] == "fe8000000000000000000000a9fea9fe" and f[5] != "lo" and not int(f[4], 16) & 0x48:
            dev = f[5]
            break
except OSError:
    pass
if dev and all(c.isalnum() or c in "._-@" for c in dev):
    rec("v6", dev, get("fe80::a9fe:a9fe%" + dev))
sys.stdout.flush()
`

const PROBE_DEF = `PYPROBE=${q(PROBE)}`

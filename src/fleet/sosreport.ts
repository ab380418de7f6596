/**
 * A sosreport (an extracted `sos report` directory) read as the evidence a live collect gives
 * (issue 11, section 3): the networking plugin's `ip netns` and per-namespace `ip address show` and
 * `netstat -neopa`, the openstack_neutron plugin's copies of /etc/neutron and /var/lib/neutron, the
 * process plugin's `ps auxwww`. The result is a Snapshot, judged like one (`diagnose --sosreport`).
 *
 * Two layouts of sos's networking output are read:
 *   - sos 4.0 to 4.4 (Debian 12's 4.0 made the fixtures): sos_commands/networking/
 *     ip_netns_exec_NS_ip_address_show, ..._netstat_-W_-neopa, ..._ss_-peaonmi;
 *   - newer sos (its networking plugin today): sos_commands/networking/namespaces/NS/
 *     ip_netns_exec_NS_ip_-d_address_show, ..._netstat_-W_-neopa, ..._ss_-peaonmi.
 *
 * A sosreport is untrusted input: every file is read through the bounded regular-file reader (a
 * FIFO or device is refused, never opened), a symlink is followed only while it stays inside the
 * sosreport (one leading out of it is bad input, exit 2), and every secret is redacted as the live
 * collector does (sos's own masking is not relied on: sos 4.0 on Python 3.11 fails to mask
 * /etc/neutron, see test/fixtures/sosreport/SOURCES.md).
 *
 * What the sosreport lacks becomes evidence that says so ("not in the sosreport"): the checks that
 * need it skip with that reason instead of judging an empty file.
 */
import {constants} from 'node:fs'
import {lstat, open, readdir, realpath, stat} from 'node:fs/promises'
import {basename, join, resolve} from 'node:path'

import {BOOL_KEYS} from '../config/dhcp-agent.js'
import {keepOnlyKeys, redactEvidence} from '../config/secrets.js'
import {cannotError, describeSystemError, usageError} from '../errors.js'
import {
  type AgentRecord,
  type CommandRecord,
  type FileRecord,
  type LayoutName,
  type NetworkEvidence,
  type ProcessRecord,
  type Snapshot,
  SNAPSHOT_FORMAT,
} from '../evidence/evidence.js'
import {QDHCP_NAMESPACE} from '../chains/dhcp-agent/paths.js'
import {UUID} from '../evidence/ids.js'
import {LAYOUTS} from '../layout.js'
import {parseAgentCmdline} from '../parse/agent.js'
import {parseHaproxyConfig} from '../parse/haproxy.js'
import {parseNetnsList} from '../parse/netns.js'
import {parsePsF} from '../parse/processes.js'
import {MiB, readError, readRegularFile, TEXT_FILE_MAX_BYTES} from '../system/read-file.js'

/** A command's output kept by sos (ps and netstat of a big node run to megabytes): at most this much is read. */
export const SOS_OUTPUT_MAX_BYTES = 16 * MiB
/** At most this many entries of a directory are listed (var/lib/neutron/dhcp, a --config-dir). */
const MAX_ENTRIES = 20_000

/** Which layout of sos's networking output the report has (the fixtures record theirs). */
export type SosLayout = 'sos-4.0' | 'sos-namespaces-dir'

export interface SosreportInfo {
  /** the directory as given */
  dir: string
  /** its `hostname` file (sos's host plugin), else the name in the directory's name */
  host: string
  /** version.txt's `sosreport: X` (or sos_reports/manifest.json's version) */
  version?: string
  layout: SosLayout
}

/** A path that names a tarball: a sosreport is read extracted. */
const TARBALL = /\.(tar|tar\.(xz|gz|bz2|zst)|tgz|txz|tbz2?)$/i

/** Whether a regular file starts like a tar archive or a compressed one (xz, gzip, bzip2, zstd): 262 bytes read, no more. */
async function looksArchived(path: string): Promise<boolean> {
  try {
    const fh = await open(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY)
    try {
      if (!(await fh.stat()).isFile()) return false
      const b = Buffer.alloc(262)
      const {bytesRead} = await fh.read(b, 0, 262, 0)
      const head = b.subarray(0, bytesRead)
      const starts = (hex: string) => head.subarray(0, hex.length / 2).equals(Buffer.from(hex, 'hex'))
      return starts('fd377a585a00') || starts('1f8b') || starts('425a68') || starts('28b52ffd') || head.subarray(257, 262).toString('latin1') === 'ustar'
    } finally {
      await fh.close()
    }
  } catch {
    return false
  }
}

/** The sosreport directory, read only inside itself. */
class SosDir {
  constructor(
    readonly given: string,
    readonly root: string,
  ) {}

  /** `DIR/rel` as the operator would find it (messages name it so). */
  name(rel: string): string {
    return join(this.given, rel)
  }

  /**
   * The real path of `rel`, its symlinks followed only while they stay inside the sosreport;
   * undefined when nothing is there (a dangling symlink included). A symlink out of it is bad input.
   */
  async resolve(rel: string): Promise<string | undefined> {
    const lexical = join(this.root, rel)
    if (lexical !== this.root && !lexical.startsWith(`${this.root}/`))
      throw usageError('sosreport-symlink', `${this.name(rel)} is outside the sosreport: refused, a sosreport is read only inside itself`)
    let real: string
    try {
      real = await realpath(lexical)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code === 'ENOENT' || code === 'ENOTDIR') return undefined
      if (code === 'ELOOP') throw usageError('sosreport-symlink', `${this.name(rel)}: a symlink loop in the sosreport`)
      throw cannotError('sosreport-unreadable', `${this.name(rel)}: ${describeSystemError(error)}`)
    }
    if (real !== this.root && !real.startsWith(`${this.root}/`)) {
      throw usageError('sosreport-symlink', `${this.name(rel)} leads out of the sosreport (to ${real}): refused, a sosreport is read only inside itself`)
    }
    return real
  }

  /** A file's text; undefined when the sosreport has no such file. A FIFO, device or over-large file is bad input. */
  async read(rel: string, maxBytes = TEXT_FILE_MAX_BYTES): Promise<string | undefined> {
    const real = await this.resolve(rel)
    if (real === undefined) return undefined
    const r = await readRegularFile(real, maxBytes)
    if (r.ok) return r.text
    if (r.kind === 'missing') return undefined
    throw readError(this.name(rel), r, 'sosreport-unreadable')
  }

  async isDir(rel: string): Promise<boolean> {
    const real = await this.resolve(rel)
    if (real === undefined) return false
    return (await stat(real)).isDirectory()
  }

  /** The names in a directory of the sosreport (none when it is not there). */
  async list(rel: string): Promise<string[]> {
    const real = await this.resolve(rel)
    if (real === undefined || !(await stat(real)).isDirectory()) return []
    return (await readdir(real)).slice(0, MAX_ENTRIES).sort()
  }
}

/**
 * Open DIR as a sosreport: an existing directory with sos_commands/ and version.txt. A tarball, a
 * plain file or a directory of something else is bad input (exit 2) naming it; a missing or
 * unreadable path is exit 3.
 */
export async function openSosreport(dir: string): Promise<{sos: SosDir; info: Omit<SosreportInfo, 'host'>}> {
  if (dir === '') throw usageError('usage', '--sosreport: the path is empty (give the directory `sos report` made, extracted)')
  let st
  try {
    st = await stat(dir)
  } catch (error) {
    throw cannotError('sosreport-unreadable', `${dir}: ${describeSystemError(error)}`)
  }
  if (!st.isDirectory()) {
    if (st.isFile() && (TARBALL.test(dir) || (await looksArchived(dir))))
      throw usageError('sosreport-tarball', `${dir} is a sosreport tarball: extract it first (tar xf ${dir}) and give the directory it makes`)
    throw usageError('not-a-sosreport', `${dir} is not a directory: --sosreport takes an extracted sosreport (the sosreport-HOST-... directory)`)
  }
  const sos = new SosDir(dir, await realpath(dir))
  const commands = await sos.isDir('sos_commands')
  const versionReal = await sos.resolve('version.txt')
  const versionFile = versionReal === undefined ? undefined : await lstat(versionReal)
  if (!commands || !versionFile?.isFile()) {
    throw usageError(
      'not-a-sosreport',
      `${dir} is not a sosreport: it has no ${commands ? 'version.txt' : 'sos_commands/'} (give the sosreport-HOST-... directory \`sos report\` made, extracted)`,
    )
  }
  const versionText = await sos.read('version.txt')
  let version = /^sosreport:\s*(\S+)/m.exec(versionText ?? '')?.[1]
  if (version === undefined) {
    const manifest = await sos.read('sos_reports/manifest.json', SOS_OUTPUT_MAX_BYTES)
    try {
      const v = (JSON.parse(manifest ?? 'null') as {version?: unknown} | null)?.version
      if (typeof v === 'string') version = v
    } catch {
      // a manifest that is not JSON tells no version
    }
  }
  const layout: SosLayout = (await sos.isDir('sos_commands/networking/namespaces')) ? 'sos-namespaces-dir' : 'sos-4.0'
  return {info: {dir, layout, version}, sos}
}

/** The host a sosreport is of: its `hostname` file (host plugin), else the name in sosreport-NAME-DATE-... */
async function hostOf(sos: SosDir): Promise<string> {
  for (const rel of ['hostname', 'sos_commands/host/hostname', 'etc/hostname']) {
    const text = (await sos.read(rel))?.trim().split('\n')[0]?.trim()
    if (!text) continue
    // it names the host in tables and reports: a host name, never control characters or a page of text
    if (!/^[\x21-\x7e]{1,253}$/.test(text))
      throw usageError('not-a-sosreport', `${sos.name(rel)}: not a host name (${JSON.stringify(text.slice(0, 40))}${text.length > 40 ? '…' : ''})`)
    return text
  }
  const m = /^sosreport-(.+?)-\d{4}-\d{2}-\d{2}-/.exec(basename(sos.root)) ?? /^sosreport-([^-]+)/.exec(basename(sos.root))
  return m ? m[1] : basename(sos.root)
}

/** The first of several names (older and newer sos) the sosreport has, with its text. */
async function firstOf(sos: SosDir, rels: string[], maxBytes = SOS_OUTPUT_MAX_BYTES): Promise<{rel: string; text: string} | undefined> {
  for (const rel of rels) {
    const text = await sos.read(rel, maxBytes)
    if (text !== undefined) return {rel, text}
  }
  return undefined
}

/** A command sos ran, as a CommandRecord: its output verbatim (sos keeps stdout and stderr together). */
const ranCommand = (argv: string[], found: {rel: string; text: string}): CommandRecord => ({argv, exitCode: 0, stderr: '', stdout: found.text})
const notRun = (argv: string[], why: string): CommandRecord => ({argv, exitCode: null, notCollected: why, stderr: '', stdout: ''})

/** A node file from the sosreport's copy of it: present, missing (the plugin copied its directory), or not collected. */
async function nodeFile(sos: SosDir, path: string, copied: boolean, plugin: string): Promise<FileRecord> {
  const text = await sos.read(path.replace(/^\/+/, ''))
  if (text !== undefined) return {content: text, path, state: 'present', type: 'file'}
  if (copied) return {path, state: 'missing'}
  return {error: `not in the sosreport: its ${plugin} plugin did not run`, path, state: 'not-collected'}
}

/** Listening UNIX sockets by path, from `netstat -neopa` (`unix ... LISTENING ... PATH`) or `ss -peaonmi` (`u_str LISTEN ... PATH`). */
function unixListeners(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const line of text.split('\n')) {
    const t = line.trim().split(/\s+/)
    let path: string | undefined
    if (t[0] === 'unix' && t.includes('LISTENING')) path = t.at(-1)
    else if (t[0] === 'u_str' && t[1] === 'LISTEN') path = t[4]
    if (path?.startsWith('/') && !out.has(path)) out.set(path, line.trim())
  }
  return out
}

interface PsLine {
  pid: number
  user?: string
  command: string
  line: string
}

/** `ps auxwww`: each process, its header-and-line text (what ProcessRecord.ps holds), and its command. */
function psTable(text: string): {header: string; byPid: Map<number, PsLine>} {
  const lines = text.split('\n')
  const at = lines.findIndex((l) => /^\s*USER\s+PID\s+%CPU/.test(l))
  const byPid = new Map<number, PsLine>()
  if (at < 0) return {byPid, header: ''}
  const header = lines[at]
  for (const line of lines.slice(at + 1)) {
    // one line at a time under its header: the line kept is exactly the one parsed
    const p = parsePsF(`${header}\n${line}`)[0]
    if (p && !byPid.has(p.pid)) byPid.set(p.pid, {command: p.args.join(' '), line, pid: p.pid, user: p.user})
  }
  return {byPid, header}
}

const pidIn = (f: FileRecord) => (f.state === 'present' && /^\s*\d+\s*$/.test(f.content ?? '') ? Number(f.content) : undefined)

export interface SosreportOptions {
  /** the tool string recorded in the snapshot */
  tool: string
}

/**
 * Read a sosreport directory into a Snapshot of every DHCP network it shows (qdhcp namespaces and
 * STATE/dhcp/NET directories), with its host and its sos version and layout.
 */
export async function readSosreport(dir: string, opts: SosreportOptions): Promise<{snapshot: Snapshot; info: SosreportInfo}> {
  const {info: base, sos} = await openSosreport(dir)
  const host = await hostOf(sos)
  const info: SosreportInfo = {...base, host}
  const layoutName: LayoutName =
    !(await sos.isDir('etc/neutron')) && ((await sos.isDir('etc/quantum')) || (await sos.isDir('var/lib/quantum'))) ? 'quantum' : 'neutron'
  const layout = LAYOUTS[layoutName]
  const statePath = layout.statePath
  const plugin = layoutName === 'quantum' ? 'openstack_quantum' : 'openstack_neutron'
  // the plugin copies all of /etc/neutron and /var/lib/neutron: a file absent from its copy was absent on the node
  const neutronRan = (await sos.isDir(`sos_commands/${plugin}`)) || (await sos.isDir(statePath.slice(1))) || (await sos.isDir(layout.configDir.slice(1)))
  const networkingRan = await sos.isDir('sos_commands/networking')

  // ip netns: which namespaces the node had
  const netnsArgv = ['ip', 'netns']
  const netnsFound = await firstOf(sos, ['sos_commands/networking/ip_netns', 'sos_commands/networking/ip_netns_list'])
  const namespaces = netnsFound
    ? ranCommand(netnsArgv, netnsFound)
    : notRun(
        netnsArgv,
        networkingRan ? 'not in the sosreport (sos_commands/networking/ip_netns is missing)' : 'not in the sosreport: its networking plugin did not run',
      )
  const listed = new Set(netnsFound ? parseNetnsList(netnsFound.text) : [])

  // the networks: qdhcp-<uuid> namespaces, and STATE/dhcp/<uuid> directories
  const ids = new Set<string>()
  for (const ns of listed) if (QDHCP_NAMESPACE.test(ns)) ids.add(ns.slice('qdhcp-'.length).toLowerCase())
  for (const name of await sos.list(`${statePath.slice(1)}/dhcp`)) if (UUID.test(name)) ids.add(name.toLowerCase())

  // shared by every network: the configs, the process list, the root namespace's sockets
  const config = await nodeFile(sos, layout.agentConfig, neutronRan, plugin)
  const metadataAgentConfig = await nodeFile(sos, `${layout.configDir}/metadata_agent.ini`, neutronRan, plugin)
  const ps = await firstOf(sos, ['sos_commands/process/ps_auxwww'])
  const table = ps ? psTable(ps.text) : undefined
  const noPs = 'not in the sosreport: it has no process list (sos_commands/process/ps_auxwww), so whether the pid runs cannot be told'
  const rootSockets = await firstOf(sos, [
    'sos_commands/networking/netstat_-W_-neopa',
    'sos_commands/networking/netstat_-T_-neopa',
    'sos_commands/networking/netstat_-neopa',
    'sos_commands/networking/ss_-peaonmi',
  ])
  const listeners = rootSockets ? unixListeners(rootSockets.text) : undefined
  const agents = table ? await agentsOf(sos, table) : undefined

  const one = async (network: string): Promise<NetworkEvidence> => {
    const ns = `qdhcp-${network}`
    const state = (rel: string) => nodeFile(sos, `${statePath}/${rel}`, neutronRan, plugin)
    const [opts, leases, dnsmasqPidFile, proxyPidFile, haproxyPidFile, haproxyConfig] = await Promise.all([
      state(`dhcp/${network}/opts`),
      state(`dhcp/${network}/leases`),
      state(`dhcp/${network}/pid`),
      state(`external/pids/${network}.pid`),
      state(`external/pids/${network}.pid.haproxy`),
      state(`ns-metadata-proxy/${network}.conf`),
    ])
    const server = haproxyConfig.content ? parseHaproxyConfig(haproxyConfig.content).servers[0]?.address : undefined
    const upstreamPath = server?.startsWith('/') ? server : `${statePath}/metadata_proxy`
    const ev: NetworkEvidence = {
      backend: 'dhcp-agent',
      config,
      dnsmasqPidFile,
      haproxyConfig,
      haproxyPidFile,
      layout: layoutName,
      leases,
      metadataAgentConfig,
      namespace: ns,
      namespaces,
      network,
      opts,
      processes: [],
      proxyPidFile,
      statePath,
      upstreamSocket: upstreamRecord(upstreamPath, listeners, rootSockets?.rel),
    }
    if (agents) {
      ev.agents = agents
      ev.agentsFrom = ps!.rel
    }
    // the pids in the pid files, looked up in ps (a sosreport has no /proc to read)
    const proxyFile = pidIn(haproxyPidFile) === undefined ? proxyPidFile : haproxyPidFile
    for (const [role, file] of [
      ['dnsmasq', dnsmasqPidFile],
      ['proxy', proxyFile],
    ] as const) {
      const pid = pidIn(file)
      if (pid === undefined) continue
      if (!table) {
        // a pid file alone says nothing: it is not judged (for the proxy, neither is its other pid file, Grizzly's or haproxy's)
        for (const f of role === 'proxy' ? [haproxyPidFile, proxyPidFile] : [file])
          Object.assign(f, {content: undefined, error: `${noPs} (pid ${pid})`, state: 'not-collected'})
        continue
      }
      const row = table.byPid.get(pid)
      const rec: ProcessRecord = {alive: row !== undefined, from: file.path, pid, role}
      if (row) rec.ps = `${table.header}\n${row.line}\n`
      ev.processes.push(rec)
    }
    if (listed.has(ns)) {
      const found = await namespaceFile(sos, ns, ['ip_address_show', 'ip_-d_address_show'])
      ev.addresses = found
        ? ranCommand(['ip', 'netns', 'exec', ns, 'ip', ...(found.rel.endsWith('_ip_-d_address_show') ? ['-d'] : []), 'address', 'show'], found)
        : notRun(
            ['ip', 'netns', 'exec', ns, 'ip', 'address', 'show'],
            `not in the sosreport (no ip address show of ${ns}: sos's networking plugin may have been limited to fewer namespaces)`,
          )
      const sockets = await namespaceFile(sos, ns, ['netstat_-W_-neopa', 'netstat_-T_-neopa', 'netstat_-neopa', 'ss_-peaonmi'])
      if (sockets) {
        const cmd = sockets.rel.slice(sockets.rel.lastIndexOf(`${ns}_`) + ns.length + 1).split('_')
        ev.sockets = ranCommand(['ip', 'netns', 'exec', ns, ...cmd], sockets)
      }
    }
    return ev
  }
  // a few networks at once (each is a dozen small reads): bounded, in network-id order
  const order = [...ids].sort()
  const networks: NetworkEvidence[] = new Array(order.length)
  let next = 0
  const worker = async () => {
    while (next < order.length) {
      const i = next++
      networks[i] = await one(order[i])
    }
  }
  await Promise.all(Array.from({length: Math.min(8, order.length)}, worker))
  // no secret leaves the reader: every file and command line kept, as the live collector does
  const seen = new WeakSet<object>()
  for (const ev of networks) redactEvidence(ev, seen)
  const manifest = await sos.read('sos_reports/manifest.json', SOS_OUTPUT_MAX_BYTES).catch(() => undefined)
  const started = /"start_time":\s*"(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})/.exec(manifest ?? '')
  const takenAt = started ? `${started[1]}T${started[2]}` : (await stat(join(sos.root, 'version.txt'))).mtime.toISOString()
  const snapshot: Snapshot = {
    format: SNAPSHOT_FORMAT,
    host,
    networks,
    note: `read from sosreport ${resolve(dir)} (sos ${info.version ?? 'of unknown version'}, ${info.layout} layout)`,
    takenAt,
    tool: opts.tool,
  }
  return {info, snapshot}
}

/** A per-namespace output of sos's networking plugin, in either layout. */
async function namespaceFile(sos: SosDir, ns: string, commands: string[]): Promise<{rel: string; text: string} | undefined> {
  const rels = commands.flatMap((c) => [
    `sos_commands/networking/ip_netns_exec_${ns}_${c}`,
    `sos_commands/networking/namespaces/${ns}/ip_netns_exec_${ns}_${c}`,
  ])
  return firstOf(sos, rels)
}

/** The metadata agent's socket, as the root namespace's socket table shows it (a sosreport cannot connect()). */
function upstreamRecord(path: string, listeners: Map<string, string> | undefined, source: string | undefined): FileRecord {
  if (!listeners || source === undefined)
    return {error: 'not in the sosreport: no netstat or ss of the root namespace to tell whether anything listens on it', path, state: 'not-collected'}
  if (listeners.has(path)) return {path, state: 'present', type: 'socket'}
  return {connect: `no listener in the sosreport's ${source.split('/').pop()!.replaceAll('_', ' ')}`, path, state: 'present', type: 'socket'}
}

/** The DHCP agents in ps, with the isolated-metadata switches of the files they read (from the sosreport's copies). */
async function agentsOf(sos: SosDir, table: {byPid: Map<number, PsLine>}): Promise<AgentRecord[]> {
  const out: AgentRecord[] = []
  for (const row of table.byPid.values()) {
    const args = parseAgentCmdline(row.command)
    if (!args) continue
    const configs: FileRecord[] = []
    for (const s of args.sources) {
      if (!s.path.startsWith('/')) {
        configs.push({error: "relative to the agent's working directory", path: s.path, state: 'not-collected'})
        continue
      }
      const files =
        s.kind === 'file' ? [s.path] : (await sos.list(s.path.slice(1))).filter((n) => n.endsWith('.conf')).map((n) => `${s.path.replace(/\/+$/, '')}/${n}`)
      for (const path of files) {
        const rec = await nodeFile(sos, path, true, 'openstack_neutron')
        if (rec.content !== undefined) rec.content = keepOnlyKeys(rec.content, BOOL_KEYS)
        configs.push(rec)
      }
    }
    out.push({cmdline: row.command, configs, pid: row.pid})
  }
  return out
}

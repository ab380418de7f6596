/**
 * The DHCP agent chain's collector. Collect evidence on this network node: one `ip` call per namespace, everything else read from
 * files and /proc (no `ip netns exec … netstat -p` per namespace: that scans every process's fds).
 */
import {readFileSync} from 'node:fs'
import {lstat, readFile, readdir, readlink, realpath, stat} from 'node:fs/promises'
import {connect} from 'node:net'
import {hostname} from 'node:os'
import {dirname, join} from 'node:path'

import {BOOL_KEYS} from '../../config/dhcp-agent.js'
import {keepOnlyKeys, redactEvidence, redactIniSecrets} from '../../config/secrets.js'
import {cannotError} from '../../errors.js'
import {type LayoutName, QDHCP_NAMESPACE} from '../../layout.js'
import {debug} from '../../output.js'
import {type AgentArgs, parseAgentCmdline, procStartTicks} from '../../parse/agent.js'
import {parseHaproxyConfig} from '../../parse/haproxy.js'
import {parseNetnsList} from '../../parse/netns.js'
import {addressesOf, namespaceListed} from '../../node/namespaces.js'
import {readProcTable} from '../../node/procfs.js'
import {run} from '../../system/exec.js'
import {readBootTimeMs, startedAtMs} from '../../node/proc-clock.js'
import {readRegularFile, refuseIrregular, TEXT_FILE_MAX_BYTES} from '../../system/read-file.js'
import {type AgentRecord, type CommandRecord, type FileRecord, type NetworkEvidence, type ProcessRecord, type Snapshot, SNAPSHOT_FORMAT} from '../../evidence/evidence.js'

export interface NodeContext {
  layout: LayoutName
  statePath: string
  configFile: string
  /** default: metadata_agent.ini beside configFile */
  metadataAgentConfig?: string
  probe: boolean
}

async function command(file: string, args: string[]): Promise<CommandRecord> {
  const r = await run(file, args, {timeoutMs: 15_000})
  return {argv: r.command, error: r.failedToStart ?? (r.timedOut ? 'timed out' : undefined), exitCode: r.exitCode, stderr: r.stderr, stdout: r.stdout}
}

async function fileRecord(path: string, opts: {read?: boolean; connect?: boolean; resolve?: boolean} = {read: true}): Promise<FileRecord> {
  debug(`read ${path}`)
  try {
    const st = await lstat(path)
    const type = st.isFile() ? 'file' : st.isSocket() ? 'socket' : st.isDirectory() ? 'directory' : st.isSymbolicLink() ? 'symlink' : 'other'
    const rec: FileRecord = {path, state: 'present', type}
    if (opts.read !== false) {
      // regular files only, bounded: a FIFO, device or directory (or a symlink to one) is an error, never a hang
      const r = await readRegularFile(path, TEXT_FILE_MAX_BYTES, st)
      if (!r.ok) return r.kind === 'missing' ? {path, state: 'missing'} : {...rec, error: r.kind === 'unreadable' ? r.code : r.reason, state: 'error'}
      rec.content = r.text
    }
    if (opts.resolve) {
      rec.mtime = (type === 'symlink' ? await stat(path) : st).mtime.toISOString()
      const real = await realpath(path).catch(() => path)
      if (real !== path) rec.realpath = real
    }
    if (opts.connect && type === 'socket') Object.assign(rec, await tryConnect(path))
    return rec
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return code === 'ENOENT' ? {path, state: 'missing'} : {error: code ?? String(error), path, state: 'error'}
  }
}

/**
 * connect() to a UNIX socket and close it: local IPC, no network traffic. Linux answers EAGAIN when
 * a listener's accept queue is full (ECONNREFUSED is the one for "nobody listens"): a busy agent is
 * given up to a second to make room, and the time it made us wait is recorded.
 */
async function tryConnect(path: string): Promise<{connect: string; busyMs?: number}> {
  const started = Date.now()
  let busy = false
  for (;;) {
    const outcome = await new Promise<string>((resolve) => {
      const s = connect({path})
      const done = (v: string) => {
        s.destroy()
        resolve(v)
      }
      s.setTimeout(1000, () => done('timeout'))
      s.once('connect', () => done('ok'))
      s.once('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message))
    })
    busy ||= outcome === 'EAGAIN'
    const waited = Date.now() - started
    if (outcome === 'EAGAIN' && waited < 1000) {
      await new Promise((r) => setTimeout(r, 100))
      continue
    }
    return busy ? {busyMs: waited, connect: outcome} : {connect: outcome}
  }
}

const readOr = (path: string) => readFile(path, 'utf8').catch(() => undefined)

function readProcSync(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

async function processRecord(pid: number, role: ProcessRecord['role'], from: string, sockets: boolean): Promise<ProcessRecord> {
  const base = `/proc/${pid}`
  const cmdline = await readOr(`${base}/cmdline`)
  // gone, or a zombie not reaped yet (its cmdline is empty): either way it serves nothing
  if (cmdline === undefined || cmdline === '') return {alive: false, from, pid, role}
  const rec: ProcessRecord = {alive: true, cmdline, from, pid, role}
  rec.netns = await readlink(`${base}/ns/net`).catch(() => undefined)
  if (sockets) {
    const fds = await readdir(`${base}/fd`).catch(() => [] as string[])
    const links = await Promise.all(fds.map((fd) => readlink(`${base}/fd/${fd}`).catch(() => '')))
    rec.fdLinks = links.filter((l) => l.startsWith('socket:'))
    // the namespace's TCP tables, one kernel walk each (node/procfs.ts)
    ;[rec.tcp, rec.tcp6] = await Promise.all([readProcTable(`${base}/net/tcp`), readProcTable(`${base}/net/tcp6`)])
  }
  return rec
}

const pidOf = (f: FileRecord) => (f.state === 'present' && /^\s*\d+\s*$/.test(f.content ?? '') ? Number(f.content) : undefined)

/** What is the same for every network of one run: read once, not once per namespace. */
export interface NodeShared {
  config: FileRecord
  metadataAgentConfig: FileRecord
  agents?: AgentRecord[]
  /** the metadata agent's socket, by path: every proxy of a node forwards to the same one, so it is connected to once per run */
  upstreams: Map<string, Promise<FileRecord>>
}

export async function collectShared(ctx: NodeContext, agents = true): Promise<NodeShared> {
  const metadataAgentConfigPath = ctx.metadataAgentConfig ?? join(dirname(ctx.configFile), 'metadata_agent.ini')
  // the operator named these (or their defaults): a FIFO, device or directory there is bad input, exit 2
  await Promise.all([refuseIrregular(ctx.configFile, TEXT_FILE_MAX_BYTES), refuseIrregular(metadataAgentConfigPath, TEXT_FILE_MAX_BYTES)])
  const [config, metadataAgentConfig, found] = await Promise.all([
    fileRecord(ctx.configFile, {read: true, resolve: true}),
    fileRecord(metadataAgentConfigPath),
    agents ? findDhcpAgents() : undefined,
  ])
  // a snapshot is passed around: no secret value of either file is kept (line numbers are)
  for (const rec of [config, metadataAgentConfig]) if (rec.content !== undefined) rec.content = redactIniSecrets(rec.content)
  return {agents: found, config, metadataAgentConfig, upstreams: new Map()}
}

/** Everything about one network. `namespaces` is the shared `ip netns list` record. */
export async function collectNetwork(
  network: string,
  ctx: NodeContext,
  namespaces: CommandRecord,
  shared: NodeShared,
  prefetched?: CommandRecord,
): Promise<NetworkEvidence> {
  const {config, metadataAgentConfig, agents} = shared
  const ns = `qdhcp-${network}`
  const state = ctx.statePath
  const present = namespaceListed(namespaces, ns)
  const [opts, dnsmasqPidFile, proxyPidFile, haproxyPidFile, haproxyConfig] = await Promise.all([
    fileRecord(join(state, 'dhcp', network, 'opts')),
    fileRecord(join(state, 'dhcp', network, 'pid')),
    fileRecord(join(state, 'external', 'pids', `${network}.pid`)),
    fileRecord(join(state, 'external', 'pids', `${network}.pid.haproxy`)),
    fileRecord(join(state, 'ns-metadata-proxy', `${network}.conf`)),
  ])
  const server = haproxyConfig.content ? parseHaproxyConfig(haproxyConfig.content).servers[0]?.address : undefined
  const upstreamPath = server?.startsWith('/') ? server : join(state, 'metadata_proxy')
  if (!shared.upstreams.has(upstreamPath)) shared.upstreams.set(upstreamPath, fileRecord(upstreamPath, {connect: true, read: false}))
  const upstreamSocket = {...(await shared.upstreams.get(upstreamPath)!)}
  const ev: NetworkEvidence = {
    backend: 'dhcp-agent',
    config,
    dnsmasqPidFile,
    haproxyConfig,
    haproxyPidFile,
    layout: ctx.layout,
    metadataAgentConfig,
    namespace: ns,
    namespaces,
    network,
    opts,
    processes: [],
    proxyPidFile,
    statePath: state,
    upstreamSocket,
  }
  const dnsmasqPid = pidOf(dnsmasqPidFile)
  const proxyFile = pidOf(haproxyPidFile) === undefined ? proxyPidFile : haproxyPidFile
  const proxyPid = pidOf(proxyFile)
  const procs = await Promise.all([
    dnsmasqPid === undefined ? undefined : processRecord(dnsmasqPid, 'dnsmasq', dnsmasqPidFile.path, false),
    proxyPid === undefined ? undefined : processRecord(proxyPid, 'proxy', proxyFile.path, true),
  ])
  ev.processes = procs.filter((p): p is ProcessRecord => p !== undefined)
  if (agents) ev.agents = agents
  if (!present) return ev
  ev.namespaceInode = await stat(`/run/netns/${ns}`).then((s) => `net:[${s.ino}]`, () => undefined)
  ev.addresses = prefetched ?? (await command('ip', ['-j', '-n', ns, 'addr', 'show']))
  if (ev.addresses.exitCode !== 0 && !ev.addresses.error) {
    // iproute2 before 4.13 has no -j (Grizzly-era nodes): the classic form
    ev.addresses = await command('ip', ['netns', 'exec', ns, 'ip', 'addr', 'show'])
  }
  if (ctx.probe) ev.probe = await probe(ns)
  return ev
}

/** One GET of http://169.254.169.254/ from inside the namespace, by this same Node binary. */
async function probe(ns: string): Promise<NetworkEvidence['probe']> {
  const script = `const t=Date.now();const r=require('http').get({host:'169.254.169.254',port:80,path:'/',timeout:3000},res=>{let b='';res.on('data',d=>{if(b.length<2000)b+=d});res.on('end',()=>{console.log(JSON.stringify({status:res.statusCode,body:b.slice(0,500),ms:Date.now()-t}))})});r.on('timeout',()=>{r.destroy(Object.assign(new Error('timeout'),{code:'ETIMEDOUT'}))});r.on('error',e=>{console.log(JSON.stringify({error:e.code==='ECONNREFUSED'?'refused':e.code==='ETIMEDOUT'?'timeout':e.code==='ENETUNREACH'||e.code==='EHOSTUNREACH'?'unreachable':(e.code||e.message),ms:Date.now()-t}))})`
  const argv = ['ip', 'netns', 'exec', ns, process.execPath, '-e', script]
  const r = await run(argv[0], argv.slice(1), {timeoutMs: 10_000})
  const shown = ['ip', 'netns', 'exec', ns, 'GET', 'http://169.254.169.254/']
  try {
    return {argv: shown, url: 'http://169.254.169.254/', ...JSON.parse(r.stdout)}
  } catch {
    return {argv: shown, error: r.failedToStart ?? (r.stderr.trim() || 'no answer'), url: 'http://169.254.169.254/'}
  }
}

/**
 * The DHCP agent processes: one pass over every /proc/PID/cmdline (a few ms for a few hundred processes).
 * Start times: starttime ticks on the boot clock, placed on the wall clock by /proc/uptime (proc-clock.ts).
 */
export async function findDhcpAgents(): Promise<AgentRecord[]> {
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((n) => /^\d+$/.test(n))
  // read in one synchronous loop: ~40 us each, against ~250 us through the thread pool (2000
  // processes on a node with 1000 namespaces: 80 ms instead of 540 ms)
  const cmdlines = pids.map((pid) => readProcSync(`/proc/${pid}/cmdline`))
  const found = pids.flatMap((pid, i) => {
    const cmdline = cmdlines[i]
    const args = cmdline?.includes('dhcp-agent') ? parseAgentCmdline(cmdline) : undefined
    return cmdline && args ? [{args, cmdline, pid: Number(pid)}] : []
  })
  if (found.length === 0) return []
  const boot = readBootTimeMs()
  const mine = await readlink('/proc/self/ns/mnt').catch(() => undefined)
  return Promise.all(
    found.map(async ({args, ...a}): Promise<AgentRecord> => {
      const rec: AgentRecord = {...a}
      const ticks = procStartTicks((await readOr(`/proc/${a.pid}/stat`)) ?? '')
      if (boot !== undefined && ticks !== undefined) rec.startedAt = new Date(startedAtMs(boot, ticks)).toISOString()
      const mnt = await readlink(`/proc/${a.pid}/ns/mnt`).catch(() => undefined)
      if (mine !== undefined && mnt !== undefined) rec.sameMountNamespace = mnt === mine
      if (rec.sameMountNamespace !== false) rec.configs = await agentConfigs(args.sources)
      return rec
    }),
  )
}

/** What the agent's --config-file/--config-dir hold of the isolated-metadata switches, in oslo's order. */
async function agentConfigs(sources: AgentArgs['sources']): Promise<FileRecord[]> {
  const files: string[] = []
  for (const s of sources) {
    if (s.kind === 'file') files.push(s.path)
    else files.push(...(await readdir(s.path).catch(() => [] as string[])).filter((n) => n.endsWith('.conf')).sort().map((n) => join(s.path, n)))
  }
  return Promise.all(
    files.map(async (path): Promise<FileRecord> => {
      // a relative path is relative to the agent's working directory, not ours
      if (!path.startsWith('/')) return {error: "relative to the agent's working directory", path, state: 'not-collected'}
      const rec = await fileRecord(path, {read: true, resolve: true})
      if (rec.content !== undefined) rec.content = keepOnlyKeys(rec.content, BOOL_KEYS)
      return rec
    }),
  )
}

/** The network ids of the qdhcp-<uuid> namespaces in an `ip netns list` record. */
export function qdhcpNetworks(list: CommandRecord): string[] {
  return parseNetnsList(list.stdout)
    .filter((n) => QDHCP_NAMESPACE.test(n))
    .map((n) => n.slice('qdhcp-'.length).toLowerCase())
}

export async function listNamespaces(): Promise<CommandRecord> {
  const r = await command('ip', ['netns', 'list'])
  if (r.error) throw cannotError('ip-missing', `cannot run ip (iproute2): ${r.error}`)
  return r
}

/** Bounded concurrency: at most `limit` networks in flight (2 cores here; forks dominate). */
export async function collectMany(
  networks: string[],
  ctx: NodeContext,
  opts: {limit?: number; listed?: CommandRecord; batch?: boolean; tool?: string; agents?: boolean} = {},
): Promise<Snapshot> {
  const limit = opts.limit ?? 8
  // --all: every namespace's addresses in a few processes (node/namespaces.ts); a namespace missing from them falls back to its own ip
  const [namespaces, batch, shared] = await Promise.all([
    opts.listed ?? listNamespaces(),
    opts.batch ? addressesOf(networks.map((n) => `qdhcp-${n}`)) : new Map<string, CommandRecord>(),
    collectShared(ctx, opts.agents !== false),
  ])
  const out: NetworkEvidence[] = new Array(networks.length)
  let next = 0
  const worker = async () => {
    while (next < networks.length) {
      const i = next++
      out[i] = await collectNetwork(networks[i], ctx, namespaces, shared, batch.get(`qdhcp-${networks[i]}`))
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, networks.length)}, worker))
  // no secret leaves the node: every file and command line kept (records shared between networks once)
  const redacted = new WeakSet<object>()
  for (const ev of out) redactEvidence(ev, redacted)
  return {format: SNAPSHOT_FORMAT, host: hostname(), networks: out, takenAt: new Date().toISOString(), tool: opts.tool ?? 'quantum-meta'}
}

export async function requireInspectable(statePath: string): Promise<void> {
  if (process.getuid?.() !== 0) throw cannotError('not-root', 'diagnose inspects namespaces and other users\' processes: run it as root (or diagnose a snapshot with --snapshot)')
  try {
    await readdir(statePath)
  } catch (error) {
    throw cannotError('state-unreadable', `cannot read the state path ${statePath}: ${(error as NodeJS.ErrnoException).code ?? error}`)
  }
}

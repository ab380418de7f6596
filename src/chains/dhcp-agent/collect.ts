/**
 * The DHCP agent chain's collector. Collect evidence on this network node: one `ip` call per namespace, everything else read from
 * files and /proc (no `ip netns exec … netstat -p` per namespace: that scans every process's fds).
 */
import {readdir, readlink, stat} from 'node:fs/promises'
import {hostname} from 'node:os'
import {dirname, join} from 'node:path'

import {BOOL_KEYS} from '../../config/dhcp-agent.js'
import {keepOnlyKeys, redactEvidence, redactIniSecrets} from '../../config/secrets.js'
import {cannotError} from '../../errors.js'
import type {LayoutName} from '../../layout.js'
import {QDHCP_NAMESPACE} from './paths.js'
import {type AgentArgs, parseAgentCmdline, procStartTicks} from '../../parse/agent.js'
import {parseHaproxyConfig} from '../../parse/haproxy.js'
import {parseNetnsList} from '../../parse/netns.js'
import {addressesOf, namespaceListed} from '../../node/namespaces.js'
import {probeFromNamespace} from '../../node/probe.js'
import {command, fileRecord, pidOf, processRecord, readOr, readProcSync} from '../../node/records.js'
import {readBootTimeMs, startedAtMs} from '../../node/proc-clock.js'
import {refuseIrregular, TEXT_FILE_MAX_BYTES} from '../../system/read-file.js'
import {
  type AgentRecord,
  type CommandRecord,
  type FileRecord,
  type NetworkEvidence,
  type ProcessRecord,
  type Snapshot,
  SNAPSHOT_FORMAT,
} from '../../evidence/evidence.js'

export interface NodeContext {
  layout: LayoutName
  statePath: string
  configFile: string
  /** default: metadata_agent.ini beside configFile */
  metadataAgentConfig?: string
  probe: boolean
}

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
  const [opts, leases, dnsmasqPidFile, proxyPidFile, haproxyPidFile, haproxyConfig] = await Promise.all([
    fileRecord(join(state, 'dhcp', network, 'opts')),
    // the instances that leased from this host (fleet reports name them when this host's chain is broken); bounded by fileRecord
    fileRecord(join(state, 'dhcp', network, 'leases')),
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
    leases,
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
  ev.namespaceInode = await stat(`/run/netns/${ns}`).then(
    (s) => `net:[${s.ino}]`,
    () => undefined,
  )
  ev.addresses = prefetched ?? (await command('ip', ['-j', '-n', ns, 'addr', 'show']))
  if (ev.addresses.exitCode !== 0 && !ev.addresses.error) {
    // iproute2 before 4.13 has no -j (Grizzly-era nodes): the classic form
    ev.addresses = await command('ip', ['netns', 'exec', ns, 'ip', 'addr', 'show'])
  }
  if (ctx.probe) ev.probe = await probeFromNamespace(ns)
  return ev
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
    else
      files.push(
        ...(await readdir(s.path).catch(() => [] as string[]))
          .filter((n) => n.endsWith('.conf'))
          .sort()
          .map((n) => join(s.path, n)),
      )
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
  if (process.getuid?.() !== 0)
    throw cannotError('not-root', "diagnose inspects namespaces and other users' processes: run it as root (or diagnose a snapshot with --snapshot)")
  try {
    await readdir(statePath)
  } catch (error) {
    throw cannotError('state-unreadable', `cannot read the state path ${statePath}: ${(error as NodeJS.ErrnoException).code ?? error}`)
  }
}

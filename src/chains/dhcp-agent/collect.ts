/**
 * The DHCP agent chain's collector, written once against a NodeView (src/sources/view.ts): this node
 * (collectMany), a sosreport (diagnose/sosreport.ts) or a node's files under another root read the same
 * six state files per network, the same agents and the same upstream socket. What differs by source is
 * the view's: on this node, one `ip` call for every namespace's addresses, everything else read from files
 * and /proc (no `ip netns exec … netstat -p` per namespace: that scans every process's fds); in a
 * sosreport, the outputs sos kept.
 */
import {readdir} from 'node:fs/promises'
import {hostname} from 'node:os'
import {dirname, join} from 'node:path'

import {BOOL_KEYS} from '../../config/dhcp-agent.js'
import {keepOnlyKeys, redactEvidence, redactIniSecrets} from '../../config/secrets.js'
import {cannotError, usageError} from '../../errors.js'
import type {AgentRecord, CommandRecord, FileRecord, NetworkEvidence, ReleaseRecord, Snapshot} from '../../evidence/evidence.js'
import {SNAPSHOT_FORMAT} from '../../evidence/evidence.js'
import {UUID} from '../../evidence/ids.js'
import type {LayoutName} from '../../layout.js'
import {namespaceListed} from '../../node/namespaces.js'
import {pidOf} from '../../node/records.js'
import {type AgentArgs, parseAgentCmdline} from '../../parse/agent.js'
import {upstreamSocketPath} from '../../parse/haproxy.js'
import {parseIpAddr} from '../../parse/ip-addr.js'
import {collectIpv6Facts, usableV6Device} from '../common/ipv6.js'
import {QDHCP_NAMESPACE} from './paths.js'
import {parseNetnsList} from '../../parse/netns.js'
import {ContainerView, readsThrough} from '../../sources/container.js'
import {LiveView} from '../../sources/live.js'
import {type NodeView, notTold} from '../../sources/view.js'
import {mapBounded} from '../../system/pool.js'
import {refuseIrregular, TEXT_FILE_MAX_BYTES} from '../../system/read-file.js'

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
  /** where a recorded process list came from (the agents were found in it) */
  agentsFrom?: string
  /** the metadata agent's socket, by path: every proxy of a node forwards to the same one, so it is connected to once per run */
  upstreams: Map<string, Promise<FileRecord>>
  /** the host's IPv6 switch and the Neutron release (when IPv6 metadata must be there) */
  ipv6Switch?: FileRecord
  neutronRelease?: ReleaseRecord
}

const metadataAgentConfigOf = (ctx: NodeContext) => ctx.metadataAgentConfig ?? join(dirname(ctx.configFile), 'metadata_agent.ini')

export async function collectShared(view: NodeView, ctx: NodeContext, agents = true): Promise<NodeShared> {
  const [config, metadataAgentConfig, found] = await Promise.all([
    view.readFile(ctx.configFile, {resolve: true}),
    view.readFile(metadataAgentConfigOf(ctx)),
    agents ? dhcpAgents(view) : undefined,
  ])
  // a snapshot is passed around: no secret value of either file is kept (line numbers are)
  for (const rec of [config, metadataAgentConfig]) if (rec.content !== undefined) rec.content = redactIniSecrets(rec.content)
  const inContainer = found?.agents.some((a) => a.sameMountNamespace === false) ?? false
  const {ipv6Switch, neutronRelease} = await collectIpv6Facts(view, inContainer)
  const shared: NodeShared = {agents: found?.agents, config, ipv6Switch, metadataAgentConfig, neutronRelease, upstreams: new Map()}
  if (found?.from !== undefined) shared.agentsFrom = found.from
  return shared
}

/** The metadata agent's socket: connected to once per path and run (a copy per network). */
async function upstream(view: NodeView, shared: NodeShared, path: string): Promise<FileRecord> {
  let p = shared.upstreams.get(path)
  if (!p) {
    p = view.connect ? view.connect(path) : Promise.resolve({error: 'this source cannot tell whether anything listens on it', path, state: 'not-collected'})
    shared.upstreams.set(path, p)
  }
  return {...(await p)}
}

/** Everything about one network. `namespaces` is the shared `ip netns list` record. */
export async function collectNetwork(
  view: NodeView,
  network: string,
  ctx: NodeContext,
  namespaces: CommandRecord,
  shared: NodeShared,
): Promise<NetworkEvidence> {
  const {config, metadataAgentConfig, agents} = shared
  const ns = `qdhcp-${network}`
  const state = ctx.statePath
  const present = namespaceListed(namespaces, ns)
  const [opts, leases, dnsmasqPidFile, proxyPidFile, haproxyPidFile, haproxyConfig] = await Promise.all([
    view.readFile(join(state, 'dhcp', network, 'opts')),
    // the instances that leased from this host (fleet reports name them when this host's chain is broken); bounded by the view
    view.readFile(join(state, 'dhcp', network, 'leases')),
    view.readFile(join(state, 'dhcp', network, 'pid')),
    view.readFile(join(state, 'external', 'pids', `${network}.pid`)),
    view.readFile(join(state, 'external', 'pids', `${network}.pid.haproxy`)),
    view.readFile(join(state, 'ns-metadata-proxy', `${network}.conf`)),
  ])
  const upstreamSocket = await upstream(view, shared, upstreamSocketPath(haproxyConfig.content, join(state, 'metadata_proxy')))
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
  // the pids in the pid files: haproxy's own pid file first, else Grizzly's proxy's
  const dnsmasqPid = pidOf(dnsmasqPidFile)
  const proxyFile = pidOf(haproxyPidFile) === undefined ? proxyPidFile : haproxyPidFile
  const proxyPid = pidOf(proxyFile)
  const [dnsmasq, proxy] = await Promise.all([
    dnsmasqPid === undefined ? undefined : view.process(dnsmasqPid, 'dnsmasq', dnsmasqPidFile.path, {sockets: false}),
    proxyPid === undefined ? undefined : view.process(proxyPid, 'proxy', proxyFile.path, {sockets: true}),
  ])
  for (const [found, files] of [
    [dnsmasq, [dnsmasqPidFile]],
    [proxy, [haproxyPidFile, proxyPidFile]],
  ] as const) {
    if (found === undefined) continue
    if (!notTold(found)) {
      ev.processes.push(found)
      continue
    }
    // the source cannot tell whether the pid runs: a pid file alone says nothing, it is not judged
    // (for the proxy, neither is its other pid file, Grizzly's or haproxy's)
    for (const f of files) Object.assign(f, {content: undefined, error: found.notCollected, state: 'not-collected'})
  }
  if (agents) {
    ev.agents = agents
    if (shared.agentsFrom !== undefined) ev.agentsFrom = shared.agentsFrom
  }
  if (shared.ipv6Switch) ev.ipv6Switch = shared.ipv6Switch
  if (shared.neutronRelease) ev.neutronRelease = shared.neutronRelease
  if (!present) return ev
  if (view.namespaceInode) ev.namespaceInode = await view.namespaceInode(ns)
  ev.addresses = (await view.command('netns-addresses', ['ip', '-j', '-n', ns, 'addr', 'show'], {ns})) ?? notCollected(['ip', '-j', '-n', ns, 'addr', 'show'])
  const sockets = await view.command('netns-sockets', ['ip', 'netns', 'exec', ns, 'netstat', '-W', '-neopa'], {ns})
  if (sockets) ev.sockets = sockets
  if (ctx.probe && view.probe) {
    ev.probe = await view.probe(ns)
    // over IPv6 too, where fe80::a9fe:a9fe is usable (a tentative or dadfailed address answers nothing)
    const v6 = ev.addresses.exitCode === 0 ? usableV6Device(parseIpAddr(ev.addresses.stdout)) : undefined
    if (v6) ev.probe6 = await view.probe(ns, v6)
  }
  return ev
}

const notCollected = (argv: string[]): CommandRecord => ({argv, exitCode: null, notCollected: 'this source has no such output', stderr: '', stdout: ''})

/** At most this many config file records for all the agents of a run (a node's agent names a handful). */
export const MAX_AGENT_CONFIGS = 250_000

/**
 * The DHCP agent processes, in the view's process list (one pass over /proc on this node; ps in a
 * sosreport): undefined when the source has no process list. Each with its start time and mount
 * namespace where the view tells them, and the files it reads.
 */
export async function dhcpAgents(view: NodeView): Promise<{agents: AgentRecord[]; from?: string} | undefined> {
  const list = await view.processes()
  if (list.notCollected !== undefined) return undefined
  const found = list.entries.flatMap(({cmdline, pid}) => {
    const args = cmdline.includes('dhcp-agent') ? parseAgentCmdline(cmdline) : undefined
    return args ? [{args, cmdline, pid}] : []
  })
  const configs = agentConfigReader(view, () => {
    const where = list.shownAs ?? list.from ?? 'the process list'
    const message = `the DHCP agents in ${where} name more than ${MAX_AGENT_CONFIGS} config files in all: refused (an agent reads a few)`
    return view.kind === 'live' ? cannotError('too-many-agent-configs', message) : usageError('too-many-agent-configs', message)
  })
  const agents = await Promise.all(
    found.map(async ({args, cmdline, pid}): Promise<AgentRecord> => {
      const rec: AgentRecord = {cmdline, pid}
      const details = view.processDetails ? await view.processDetails(pid) : {}
      if (details.startedAt !== undefined) rec.startedAt = details.startedAt
      if (details.sameMountNamespace !== undefined) rec.sameMountNamespace = details.sameMountNamespace
      // an agent in another mount namespace (a container) reads files that are not this view's, unless
      // the view reads through its root (sources/container.ts)
      if (rec.sameMountNamespace !== false || readsThrough(view, pid)) rec.configs = await configs(args.sources)
      return rec
    }),
  )
  return {agents, from: list.from}
}

/**
 * What the agents' --config-file/--config-dir hold of the isolated-metadata switches, in oslo's order:
 * each file read and cut down once per run, however many agents (or ps lines) name it.
 */
function agentConfigReader(view: NodeView, tooMany: () => Error): (sources: AgentArgs['sources']) => Promise<FileRecord[]> {
  const files = new Map<string, Promise<FileRecord>>()
  const dirs = new Map<string, Promise<string[]>>()
  // every agent's list is kept: a process list naming one big --config-dir on every line (or a line naming
  // it thousands of times) would make lines x entries records, so their number is bounded per run
  let named = 0
  const file = (path: string) => {
    let p = files.get(path)
    if (!p) {
      p = view.readFile(path, {resolve: true}).then((rec) => {
        if (rec.content !== undefined) rec.content = keepOnlyKeys(rec.content, BOOL_KEYS)
        return rec
      })
      // a read failing after the run gave up (too many named) is no unhandled rejection
      p.catch(() => {})
      files.set(path, p)
    }
    return p
  }
  const dir = (path: string) => {
    let p = dirs.get(path)
    if (!p) {
      p = view.list(path).then((names) => names.filter((n) => n.endsWith('.conf')).map((n) => join(path, n)))
      dirs.set(path, p)
    }
    return p
  }
  return async (sources) => {
    const out: Promise<FileRecord>[] = []
    for (const s of sources) {
      const before = out.length
      // a relative path is relative to the agent's working directory, not ours
      if (!s.path.startsWith('/')) out.push(Promise.resolve({error: "relative to the agent's working directory", path: s.path, state: 'not-collected'}))
      else if (s.kind === 'file') out.push(file(s.path))
      else for (const path of await dir(s.path)) out.push(file(path))
      named += out.length - before
      if (named > MAX_AGENT_CONFIGS) throw tooMany()
    }
    return Promise.all(out)
  }
}

/** The network ids of the qdhcp-<uuid> namespaces in an `ip netns list` record. */
export function qdhcpNetworks(list: CommandRecord): string[] {
  return parseNetnsList(list.stdout)
    .filter((n) => QDHCP_NAMESPACE.test(n))
    .map((n) => n.slice('qdhcp-'.length).toLowerCase())
}

/** The network ids of the STATE/dhcp/<uuid> directories a view shows (a network the agent has state for). */
export async function stateNetworks(view: NodeView, statePath: string): Promise<string[]> {
  return (await view.list(join(statePath, 'dhcp'))).filter((n) => UUID.test(n)).map((n) => n.toLowerCase())
}

/**
 * Every given network's evidence from one view: the shared records read once, then the networks a few
 * at a time (one bounded pool), every secret redacted. `listed`: the `ip netns list` record when the
 * caller has it; `batch`: fetch every namespace's addresses at once first (when the view can).
 */
export async function collectDhcpNetworks(
  view: NodeView,
  networks: readonly string[],
  ctx: NodeContext,
  opts: {limit?: number; listed?: CommandRecord | Promise<CommandRecord>; batch?: boolean; agents?: boolean} = {},
): Promise<NetworkEvidence[]> {
  const [namespaces, , shared] = await Promise.all([
    opts.listed ?? netnsList(view),
    opts.batch && view.prefetch
      ? view.prefetch(
          'netns-addresses',
          networks.map((n) => `qdhcp-${n}`),
        )
      : undefined,
    collectShared(view, ctx, opts.agents !== false),
  ])
  const out = await mapBounded(networks, opts.limit ?? 8, (network) => collectNetwork(view, network, ctx, namespaces, shared))
  // no secret leaves the reader: every file and command line kept (records shared between networks once)
  const redacted = new WeakSet<object>()
  for (const ev of out) redactEvidence(ev, redacted)
  return out
}

/** The view's `ip netns list`. */
export async function netnsList(view: NodeView): Promise<CommandRecord> {
  const argv = ['ip', 'netns', 'list']
  return (await view.command('netns-list', argv)) ?? notCollected(argv)
}

export async function listNamespaces(): Promise<CommandRecord> {
  const r = await netnsList(new LiveView())
  if (r.error) throw cannotError('ip-missing', `cannot run ip (iproute2): ${r.error}`)
  return r
}

/** This node's evidence of the given networks. Bounded concurrency: at most `limit` networks in flight (2 cores here; forks dominate). */
export async function collectMany(
  networks: string[],
  ctx: NodeContext,
  opts: {limit?: number; listed?: CommandRecord; batch?: boolean; tool?: string; agents?: boolean; view?: NodeView} = {},
): Promise<Snapshot> {
  // the operator named these (or their defaults): a FIFO, device or directory there is bad input, exit 2
  // (a container's files are the agent's, not named by the operator: its view reads regular files only)
  if (!opts.view) await Promise.all([refuseIrregular(ctx.configFile, TEXT_FILE_MAX_BYTES), refuseIrregular(metadataAgentConfigOf(ctx), TEXT_FILE_MAX_BYTES)])
  // --all: every namespace's addresses in a few processes (node/namespaces.ts); a namespace missing from them falls back to its own ip
  const out = await collectDhcpNetworks(opts.view ?? new LiveView(), networks, ctx, {...opts, listed: opts.listed ?? listNamespaces()})
  return {format: SNAPSHOT_FORMAT, host: hostname(), networks: out, takenAt: new Date().toISOString(), tool: opts.tool ?? 'quantum-meta'}
}

export async function requireInspectable(statePath: string, view?: NodeView): Promise<void> {
  if (process.getuid?.() !== 0)
    throw cannotError('not-root', "diagnose inspects namespaces and other users' processes: run it as root (or diagnose a snapshot with --snapshot)")
  try {
    if (view) {
      if ((await view.stat(statePath))?.type !== 'directory')
        throw Object.assign(new Error('no such directory'), {
          code: view instanceof ContainerView ? `no such directory in the container of pid ${view.container.pid}` : 'no such directory',
        })
    } else await readdir(statePath)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error)
    throw cannotError(
      'state-unreadable',
      `cannot read the DHCP agent's state path ${statePath} (${code}): not a network node with this agent, or its paths are elsewhere; give --config-file and --state-path, or diagnose it from here with --host NODE, or a snapshot of it (--snapshot FILE, from \`quantum-meta collect\` there)`,
    )
  }
}

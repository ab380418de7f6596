/**
 * The ML2/OVN chain's collector: on a chassis, what the metadata agent, the local Open_vSwitch DB and
 * the OVN southbound DB (northbound when reachable) say about one network, plus the common namespace,
 * haproxy and socket evidence. The OVSDB connections come from the running agent's own config (its
 * --config-file arguments in /proc), else from --config-file, else from the defaults oslo.config has.
 * One ovs-vsctl per run, one ovn-sbctl and at most one ovn-nbctl per network (each ~5 ms against a
 * local DB). The ctl tools replicate the tables they read client-side even for `find`: on a very large
 * SB a JSON-RPC `select` with a `where` would move less (not measured here).
 * Written against a NodeView (src/sources/view.ts): collectOvnMany reads this node through the live view.
 */
import {dirname, join} from 'node:path'

import {keepOnlyKeys, redactCmdline} from '../../config/secrets.js'
import type {AgentRecord, CommandRecord, FileRecord, NetworkEvidence} from '../../evidence/evidence.js'
import {UUID} from '../../evidence/ids.js'
import {type AgentArgs, parseAgentCmdline} from '../../parse/agent.js'
import {namespaceListed} from '../../node/namespaces.js'
import {pidOf} from '../../node/records.js'
import {ContainerView, readsThrough} from '../../sources/container.js'
import {LiveView} from '../../sources/live.js'
import {agentsOf, containedAgent} from '../common/container.js'
import {type NodeView, notTold, type ProcessDetails} from '../../sources/view.js'
import {mapBounded} from '../../system/pool.js'
import {refuseIrregular, TEXT_FILE_MAX_BYTES} from '../../system/read-file.js'
import {OVN_AGENT_PROGRAMS, OVN_PATHS, OVNMETA_NAMESPACE, ovnMetadataNamespace} from './paths.js'
import {CONNECTION, OVN_KEYS, ovnSettings, type OvnSettings} from './settings.js'
import type {ProcessRecord, ReleaseRecord} from '../../evidence/evidence.js'
import {upstreamSocketPath} from '../../parse/haproxy.js'
import {parseIpAddr} from '../../parse/ip-addr.js'
import {collectIpv6Facts, usableV6Device} from '../common/ipv6.js'

export interface OvnContext {
  /** --config-file: the agent's ini (neutron_ovn_metadata_agent.ini), instead of what the running agent reads */
  configFile?: string
  /** --state-path, instead of the config's state_path */
  statePath?: string
  probe: boolean
}

/** What one run reads once for all networks: the processes, the agent's config and the connections. */
export interface OvnShared {
  agents: AgentRecord[]
  controllers: {pid: number; cmdline: string}[]
  /** haproxy processes of the node (pid, cmdline), to find each network's, orphans included */
  haproxies: {pid: number; cmdline: string}[]
  configs: FileRecord[]
  serverConfig?: FileRecord
  settings: OvnSettings
  /** the host's IPv6 switch and the Neutron release (when IPv6 metadata must be there) */
  ipv6Switch?: FileRecord
  neutronRelease?: ReleaseRecord
}

/** One pass over the view's processes: the OVN metadata agents (not their workers), ovn-controller and every haproxy. */
async function scanProcesses(view: NodeView): Promise<{
  agents: AgentRecord[]
  agentArgs: Map<number, AgentArgs['sources']>
  controllers: OvnShared['controllers']
  haproxies: OvnShared['haproxies']
}> {
  const found: {pid: number; cmdline: string; files: AgentArgs['sources']}[] = []
  const controllers: OvnShared['controllers'] = []
  const haproxies: OvnShared['haproxies'] = []
  for (const {cmdline, pid} of (await view.processes()).entries) {
    if (cmdline.includes('haproxy')) {
      const argv0 = cmdline.split('\0')[0].split('/').pop()
      if (argv0 === 'haproxy') haproxies.push({cmdline, pid})
      continue
    }
    if (cmdline.includes('ovn-controller')) {
      const argv0 = cmdline.split('\0')[0].split(/[ /]/).filter(Boolean)
      if (argv0.includes('ovn-controller')) controllers.push({cmdline, pid})
      continue
    }
    if (!cmdline.includes('neutron-ovn')) continue
    const args = parseAgentCmdline(cmdline, OVN_AGENT_PROGRAMS)
    if (args) found.push({cmdline, files: args.sources, pid})
  }
  // the agent's metadata workers carry the same command line: keep the processes whose parent is not one of them
  const details = await Promise.all(found.map((f): Promise<ProcessDetails> => (view.processDetails ? view.processDetails(f.pid) : Promise.resolve({}))))
  const ids = new Set(found.map((f) => f.pid))
  const agentArgs = new Map<number, AgentArgs['sources']>()
  const agents: AgentRecord[] = []
  found.forEach((a, i) => {
    const d = details[i]
    if (d.ppid !== undefined && ids.has(d.ppid)) return
    const rec: AgentRecord = {cmdline: a.cmdline, pid: a.pid}
    if (d.startedAt !== undefined) rec.startedAt = d.startedAt
    if (d.sameMountNamespace !== undefined) rec.sameMountNamespace = d.sameMountNamespace
    agentArgs.set(a.pid, a.files)
    agents.push(rec)
  })
  return {agentArgs, agents, controllers, haproxies}
}

/** The agent's config files: --config-file, else the running agent's own, else the packaged defaults that exist. */
async function configFiles(view: NodeView, ctx: OvnContext, agents: AgentRecord[], agentArgs: Map<number, AgentArgs['sources']>): Promise<string[]> {
  const exists = async (p: string) => (await view.stat(p)) !== undefined
  if (ctx.configFile !== undefined) {
    const beside = join(dirname(ctx.configFile), 'neutron.conf')
    // oslo order as Debian's init script: neutron.conf first is as common; the agent ini wins either way for its keys
    return (await exists(beside)) && beside !== ctx.configFile ? [beside, ctx.configFile] : [ctx.configFile]
  }
  const readable = agents.filter((a) => a.sameMountNamespace !== false || readsThrough(view, a.pid))
  const running = readable.find((a) => (agentArgs.get(a.pid)?.length ?? 0) > 0)
  if (running) return expand(view, agentArgs.get(running.pid)!)
  // an agent started with no --config-file or --config-dir (EDPM's): oslo.config's own search, the
  // project's neutron.conf and the conf.d dirs (/etc/neutron/neutron.conf.d, /etc/neutron.conf.d)
  if (readable.length > 0) {
    const found = await expand(view, [
      {kind: 'file', path: '/etc/neutron/neutron.conf'},
      {kind: 'dir', path: '/etc/neutron/neutron.conf.d'},
      {kind: 'dir', path: '/etc/neutron.conf.d'},
    ])
    const there = await Promise.all(found.map(async (p) => ((await exists(p)) ? p : undefined)))
    const files = there.filter((p): p is string => p !== undefined)
    // only a conf.d file says the agent is configured this way; else the packaged files below
    if (files.some((f) => f.includes('.conf.d/'))) return files
  }
  for (const candidate of OVN_PATHS.agentConfigs) {
    if (await exists(candidate)) {
      const beside = join(dirname(candidate), 'neutron.conf')
      return (await exists(beside)) ? [beside, candidate] : [candidate]
    }
  }
  return [OVN_PATHS.agentConfigs[0]]
}

/** Config sources in oslo's order: a file as it is, a dir's *.conf sorted (read through the view). */
async function expand(view: NodeView, sources: AgentArgs['sources']): Promise<string[]> {
  const out: string[] = []
  for (const s of sources) {
    if (!s.path.startsWith('/')) continue
    if (s.kind === 'file') out.push(s.path)
    else for (const n of await view.list(s.path)) if (n.endsWith('.conf')) out.push(join(s.path, n))
  }
  return out
}

/** The server's ml2_conf.ini when this node has one (a controller, an all-in-one): it says ovn_metadata_enabled and ovn_nb_connection. */
async function serverConfig(view: NodeView, configs: readonly string[]): Promise<FileRecord | undefined> {
  const candidates = [
    ...configs.map((c) => join(dirname(c), 'ml2_conf.ini')),
    ...configs.map((c) => join(dirname(c), 'plugins', 'ml2', 'ml2_conf.ini')),
    OVN_PATHS.ml2Config,
  ]
  for (const c of [...new Set(candidates)]) {
    if ((await view.stat(c)) === undefined) continue
    const rec = await view.readFile(c)
    if (rec.state === 'present') return rec
  }
  return undefined
}

export async function collectOvnShared(view: NodeView, ctx: OvnContext): Promise<OvnShared> {
  const scan = await scanProcesses(view)
  const paths = await configFiles(view, ctx, scan.agents, scan.agentArgs)
  const configs = await Promise.all(paths.map((p) => view.readFile(p, {resolve: true})))
  const server = await serverConfig(view, paths)
  const settings = ovnSettings(configs, {statePath: ctx.statePath})
  if (server && settings.nb === undefined) {
    // a controller or all-in-one node: the server's ml2_conf.ini names the northbound DB
    const fromServer = ovnSettings([server], {})
    if (fromServer.nb !== undefined)
      Object.assign(settings, {from: [...settings.from, ...fromServer.from.filter((f) => f.includes('ovn_nb'))], nb: fromServer.nb, nbSsl: fromServer.nbSsl})
  }
  if (ctx.configFile === undefined && scan.agents.length === 0) fallBackToRunningParts(settings, scan, ctx)
  // a snapshot is passed around: of each config only the keys the checks read (and whether the secret
  // is set) are kept, line numbers intact; command lines are redacted
  for (const rec of [...configs, ...(server ? [server] : [])]) if (rec.content !== undefined) rec.content = keepOnlyKeys(rec.content, OVN_KEYS)
  for (const a of scan.agents) a.cmdline = redactCmdline(a.cmdline)
  const {ipv6Switch, neutronRelease} = await collectIpv6Facts(
    view,
    scan.agents.some((a) => a.sameMountNamespace === false),
  )
  return {agents: scan.agents, configs, controllers: scan.controllers, haproxies: scan.haproxies, ipv6Switch, neutronRelease, serverConfig: server, settings}
}

/**
 * No agent runs and no --config-file was given, so the config read may not be the one the agent used
 * (a stopped agent under a non-standard path). What the config does not set explicitly is taken from
 * the parts still running: the local OVSDB from ovn-controller's DATABASE argument, the state path
 * from a live haproxy's `-f STATE/ovn-metadata-proxy/NET.conf` (the SB from ovn-remote: collectOvnMany).
 */
function fallBackToRunningParts(
  settings: OvnSettings,
  scan: {controllers: OvnShared['controllers']; haproxies: OvnShared['haproxies']},
  ctx: OvnContext,
): void {
  if (!settings.sources.ovsdb_connection) {
    for (const c of scan.controllers) {
      const db = c.cmdline
        .split('\0')
        .slice(1)
        .find((a) => !a.startsWith('-') && CONNECTION.test(a))
      if (db) {
        settings.ovs = db
        settings.sources.ovsdb_connection = `ovn-controller pid ${c.pid} command line, as no agent runs`
        settings.from.push(`${settings.sources.ovsdb_connection} for ovsdb_connection`)
        break
      }
    }
  }
  // the running haproxy's -f is what the agent really used: it wins over a config that may not be the agent's
  if (ctx.statePath === undefined) {
    for (const h of scan.haproxies) {
      const args = h.cmdline.split('\0')
      const conf = args[args.indexOf('-f') + 1] ?? ''
      const m = /^(\/.*)\/ovn-metadata-proxy\/[0-9a-f-]{36}\.conf$/.exec(conf)
      if (args.includes('-f') && m) {
        if (!settings.sources.metadata_proxy_socket || settings.socket === join(settings.statePath, 'metadata_proxy'))
          settings.socket = join(m[1], 'metadata_proxy')
        settings.statePath = m[1]
        settings.sources.state_path = `haproxy pid ${h.pid} command line, as no agent runs`
        settings.from.push(`${settings.sources.state_path} for state_path`)
        break
      }
    }
  }
}

const TIMEOUT = ['--timeout=5']

async function ovsdbCommand(view: NodeView, tool: string, db: string, ssl: string[], args: string[]): Promise<CommandRecord> {
  if (!CONNECTION.test(db))
    return {
      argv: [tool, `--db=${db}`, ...args],
      error: `not an OVSDB connection string: ${JSON.stringify(db.slice(0, 80))}`,
      exitCode: null,
      stderr: '',
      stdout: '',
    }
  const argv = [tool, `--db=${db}`, ...ssl, ...TIMEOUT, '--format=json', ...args]
  return (await view.command('ovsdb', argv)) ?? {argv, exitCode: null, notCollected: 'this source has no OVSDB answers', stderr: '', stdout: ''}
}

/** ovs-vsctl: this node's Open_vSwitch row (system-id, ovn-remote, ovn-bridge) and its interfaces. */
export const readOvs = (view: NodeView, s: OvnSettings) =>
  ovsdbCommand(view, 'ovs-vsctl', s.ovs, s.ovsSsl, [
    'list',
    'Open_vSwitch',
    '.',
    '--',
    '--columns=name,external_ids,ofport,error,link_state,admin_state,mac_in_use',
    'list',
    'Interface',
  ])

const networkName = (network: string) => `external_ids:"neutron:network_name"=neutron-${network}`

/** ovn-sbctl: the chassis rows, SB_Global's nb_cfg, and the network's Port_Bindings. */
export const readSb = (view: NodeView, s: OvnSettings, network: string) =>
  ovsdbCommand(view, 'ovn-sbctl', s.sb, s.sbSsl, [
    '--no-leader-only',
    '--columns=_uuid,name,hostname,external_ids,other_config',
    'list',
    'Chassis',
    '--',
    'list',
    'Chassis_Private',
    '--',
    '--columns=_uuid,nb_cfg',
    'list',
    'SB_Global',
    '--',
    '--columns=_uuid,logical_port,type,chassis,datapath,mac,external_ids,up',
    'find',
    'Port_Binding',
    networkName(network),
  ])

/** ovn-nbctl: the network's Logical_Switch_Ports and the DHCP_Options rows. */
export const readNb = (view: NodeView, nb: string, ssl: string[], network: string) =>
  ovsdbCommand(view, 'ovn-nbctl', nb, ssl, [
    '--no-leader-only',
    '--columns=_uuid,name,type,addresses,dhcpv4_options,external_ids,up',
    'find',
    'Logical_Switch_Port',
    networkName(network),
    '--',
    'list',
    'DHCP_Options',
  ])

/** The networks with a port bound to this chassis: `find Port_Binding chassis=UUID` (for --all). */
export async function localNetworks(view: NodeView, s: OvnSettings, chassisUuid: string): Promise<{record: CommandRecord; networks: string[]}> {
  const record = await ovsdbCommand(view, 'ovn-sbctl', s.sb, s.sbSsl, [
    '--no-leader-only',
    '--columns=logical_port,external_ids',
    'find',
    'Port_Binding',
    `chassis=${chassisUuid}`,
  ])
  const {parseOvsdbOutput, mapOf} = await import('../../parse/ovsdb.js')
  const networks = new Set<string>()
  try {
    for (const t of record.exitCode === 0 ? parseOvsdbOutput(record.stdout) : []) {
      for (const r of t.rows) {
        const name = mapOf(r.external_ids)['neutron:network_name']
        const id = typeof name === 'string' && name.startsWith('neutron-') ? name.slice('neutron-'.length) : undefined
        if (id !== undefined && UUID.test(id)) networks.add(id.toLowerCase())
      }
    }
  } catch {
    // a broken answer: no networks from it (the caller still has the ovnmeta namespaces)
  }
  return {networks: [...networks], record}
}

/** Everything about one network on this chassis. `ovs` is shared by all networks of a run. */
export async function collectOvnNetwork(
  view: NodeView,
  network: string,
  ctx: OvnContext,
  namespaces: CommandRecord,
  shared: OvnShared,
  ovs: CommandRecord,
): Promise<NetworkEvidence> {
  const s = shared.settings
  const ns = ovnMetadataNamespace(network)
  const state = s.statePath
  const notCollected = (path: string): FileRecord => ({path, state: 'not-collected'})
  const [sb, nb, haproxyPidFile, haproxyConfig] = await Promise.all([
    readSb(view, s, network),
    s.nb ? readNb(view, s.nb, s.nbSsl, network) : undefined,
    view.readFile(join(state, 'external', 'pids', `${network}.pid.haproxy`)),
    view.readFile(join(state, 'ovn-metadata-proxy', `${network}.conf`)),
  ])
  const upstreamPath = upstreamSocketPath(haproxyConfig.content, s.socket)
  const upstreamSocket = view.connect
    ? await view.connect(upstreamPath)
    : {error: 'this source cannot tell whether anything listens on it', path: upstreamPath, state: 'not-collected' as const}
  const pid = pidOf(haproxyPidFile)
  const found = pid === undefined ? undefined : await view.process(pid, 'proxy', haproxyPidFile.path, {sockets: true})
  const proxy = found === undefined || notTold(found) ? undefined : found
  // every haproxy naming this network, wherever it runs (the pid file's one among them)
  const others = await Promise.all(
    shared.haproxies
      .filter((h) => h.cmdline.includes(network) && h.pid !== (proxy?.pid ?? pid))
      .map((h) => view.process(h.pid, 'proxy', 'ps', {sockets: false})),
  )
  const haproxies = others.filter((h): h is ProcessRecord => !notTold(h))
  const ev: NetworkEvidence = {
    backend: 'ovn',
    config: shared.configs.at(-1) ?? notCollected(OVN_PATHS.agentConfigs[0]),
    dnsmasqPidFile: notCollected(join(state, 'dhcp', network, 'pid')),
    haproxyConfig,
    haproxyPidFile,
    layout: 'neutron',
    namespace: ns,
    namespaces,
    network,
    opts: notCollected(join(state, 'dhcp', network, 'opts')),
    ovn: {
      agents: shared.agents,
      configs: shared.configs,
      connections: {from: s.from, nb: s.nb, ovs: s.ovs, sb: s.sb},
      controllers: shared.controllers,
      haproxies: haproxies.filter((h) => h.alive).map((h) => ({...h, cmdline: h.cmdline === undefined ? undefined : redactCmdline(h.cmdline)})),
      ovs,
      sb,
      ...(nb ? {nb} : {nbSkipped: 'no ovn_nb_connection in the configs read on this node'}),
      ...(shared.serverConfig ? {serverConfig: shared.serverConfig} : {}),
    },
    processes: proxy ? [proxy] : [],
    proxyPidFile: notCollected(join(state, 'external', 'pids', `${network}.pid`)),
    statePath: state,
    upstreamSocket,
  }
  if (shared.ipv6Switch) ev.ipv6Switch = shared.ipv6Switch
  if (shared.neutronRelease) ev.neutronRelease = shared.neutronRelease
  if (!namespaceListed(namespaces, ns)) return ev
  if (view.namespaceInode) ev.namespaceInode = await view.namespaceInode(ns)
  const argv = ['ip', '-j', '-n', ns, 'addr', 'show']
  ev.addresses = (await view.command('netns-addresses', argv, {ns})) ?? {
    argv,
    exitCode: null,
    notCollected: 'this source has no such output',
    stderr: '',
    stdout: '',
  }
  if (ctx.probe && view.probe) {
    ev.probe = await view.probe(ns)
    // over IPv6 too, where fe80::a9fe:a9fe is usable (a tentative or dadfailed address answers nothing)
    const v6 = ev.addresses.exitCode === 0 ? usableV6Device(parseIpAddr(ev.addresses.stdout)) : undefined
    if (v6) ev.probe6 = await view.probe(ns, v6)
  }
  return ev
}

/** The ovnmeta-<uuid> networks of an `ip netns list` record. */
export function ovnmetaNetworks(names: readonly string[]): string[] {
  return names.filter((n) => OVNMETA_NAMESPACE.test(n)).map((n) => n.slice('ovnmeta-'.length).toLowerCase())
}

/** Every network of the run on this chassis (one, or --all: the ovnmeta namespaces and the networks with a VM bound here). */
export async function collectOvnMany(network: string | undefined, ctx: OvnContext, listNamespaces: () => Promise<CommandRecord>): Promise<NetworkEvidence[]> {
  // the operator named it: a FIFO, device or directory there is bad input (exit 2), as on the DHCP chain
  if (ctx.configFile !== undefined) await refuseIrregular(ctx.configFile, TEXT_FILE_MAX_BYTES)
  const live = new LiveView()
  // the agent in a container (kolla, TripleO, EDPM): its files through its root, unless the operator named them
  const boxed =
    ctx.configFile === undefined && ctx.statePath === undefined ? containedAgent(agentsOf(await live.processes(), OVN_AGENT_PROGRAMS, '-ovn-')) : undefined
  if (!boxed) return collectOvnNetworks(live, network, ctx, listNamespaces())
  const out = await collectOvnNetworks(new ContainerView(boxed.container, live), network, ctx, listNamespaces())
  for (const ev of out) ev.container = boxed.container
  return out
}

/** Every network of the run in one view (one, or --all: the ovnmeta namespaces and the networks with a VM bound to this chassis). */
export async function collectOvnNetworks(
  view: NodeView,
  network: string | undefined,
  ctx: OvnContext,
  namespaces: CommandRecord | Promise<CommandRecord>,
): Promise<NetworkEvidence[]> {
  const {parseNetnsList} = await import('../../parse/netns.js')
  const [shared, listed] = await Promise.all([collectOvnShared(view, ctx), namespaces])
  const ovs = await readOvs(view, shared.settings)
  const s = shared.settings
  if (ctx.configFile === undefined && shared.agents.length === 0 && !s.sources.ovn_sb_connection) {
    // no agent and no config saying where the SB is: where ovn-controller finds it (ovn-remote)
    const {mapOf, parseOvsdbOutput, strOf} = await import('../../parse/ovsdb.js')
    try {
      const remote = strOf(mapOf(parseOvsdbOutput(ovs.stdout)[0]?.rows[0]?.external_ids)['ovn-remote'])
      if (remote && CONNECTION.test(remote)) {
        s.sb = remote
        s.sources.ovn_sb_connection = 'the Open_vSwitch ovn-remote, as no agent runs'
        s.from.push(`${s.sources.ovn_sb_connection} for ovn_sb_connection`)
      }
    } catch {
      // unreadable: the default stays, and ovn.chassis says why
    }
  }
  let networks: string[]
  if (network !== undefined) {
    networks = [network]
  } else {
    const fromNamespaces = ovnmetaNetworks(parseNetnsList(listed.stdout))
    const local = await bound(view, shared.settings, ovs)
    networks = [...new Set([...fromNamespaces, ...local])]
  }
  const present = networks.filter((n) => namespaceListed(listed, ovnMetadataNamespace(n)))
  if (network === undefined && view.prefetch) await view.prefetch('netns-addresses', present.map(ovnMetadataNamespace))
  // a few at a time: each is one ovn-sbctl (and ovn-nbctl) plus file reads
  return mapBounded(networks, 4, (n) => collectOvnNetwork(view, n, ctx, listed, shared, ovs))
}

/** The networks with a VM port bound to this chassis (the chassis named by the Open_vSwitch system-id). */
async function bound(view: NodeView, s: OvnSettings, ovs: CommandRecord): Promise<string[]> {
  const {mapOf, parseOvsdbOutput, strOf} = await import('../../parse/ovsdb.js')
  try {
    const [vs] = parseOvsdbOutput(ovs.stdout)[0]?.rows ?? []
    const systemId = strOf(mapOf(vs?.external_ids)['system-id'])
    if (systemId === undefined) return []
    const rec = await ovsdbCommand(view, 'ovn-sbctl', s.sb, s.sbSsl, [
      '--no-leader-only',
      '--columns=_uuid,name',
      'find',
      'Chassis',
      `name=${JSON.stringify(systemId)}`,
    ])
    const uuid = rec.exitCode === 0 ? strOf(parseOvsdbOutput(rec.stdout)[0]?.rows[0]?._uuid) : undefined
    return uuid === undefined ? [] : (await localNetworks(view, s, uuid)).networks
  } catch {
    // unreadable OVSDB answers: the namespaces alone say which networks to look at (the checks say why)
    return []
  }
}

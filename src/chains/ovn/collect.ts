/**
 * The ML2/OVN chain's collector: on a chassis, what the metadata agent, the local Open_vSwitch DB and
 * the OVN southbound DB (northbound when reachable) say about one network, plus the common namespace,
 * haproxy and socket evidence. The OVSDB connections come from the running agent's own config (its
 * --config-file arguments in /proc), else from --config-file, else from the defaults oslo.config has.
 * One ovs-vsctl per run, one ovn-sbctl and at most one ovn-nbctl per network (each ~5 ms against a
 * local DB). The ctl tools replicate the tables they read client-side even for `find`: on a very large
 * SB a JSON-RPC `select` with a `where` would move less (not measured here).
 */
import {readdir, readlink, stat} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {keepOnlyKeys, redactCmdline} from '../../config/secrets.js'
import type {AgentRecord, CommandRecord, FileRecord, NetworkEvidence} from '../../evidence/evidence.js'
import {UUID} from '../../evidence/ids.js'
import {parseAgentCmdline, procStartTicks} from '../../parse/agent.js'
import {parseHaproxyConfig} from '../../parse/haproxy.js'
import {readBootTimeMs, startedAtMs} from '../../node/proc-clock.js'
import {namespaceListed} from '../../node/namespaces.js'
import {command, fileRecord, pidOf, processRecord, readOr, readProcSync} from '../../node/records.js'
import {refuseIrregular, TEXT_FILE_MAX_BYTES} from '../../system/read-file.js'
import {OVN_AGENT_PROGRAMS, OVN_PATHS, OVNMETA_NAMESPACE, ovnMetadataNamespace} from './paths.js'
import {CONNECTION, OVN_KEYS, ovnSettings, type OvnSettings} from './settings.js'

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
}

/** One pass over /proc: the OVN metadata agents (not their workers), ovn-controller and every haproxy. */
async function scanProcesses(): Promise<{
  agents: AgentRecord[]
  agentArgs: Map<number, string[]>
  controllers: OvnShared['controllers']
  haproxies: OvnShared['haproxies']
}> {
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((n) => /^\d+$/.test(n))
  const found: {pid: number; cmdline: string; files: string[]}[] = []
  const controllers: OvnShared['controllers'] = []
  const haproxies: OvnShared['haproxies'] = []
  for (const p of pids) {
    const cmdline = readProcSync(`/proc/${p}/cmdline`)
    if (!cmdline) continue
    if (cmdline.includes('haproxy')) {
      const argv0 = cmdline.split('\0')[0].split('/').pop()
      if (argv0 === 'haproxy') haproxies.push({cmdline, pid: Number(p)})
      continue
    }
    if (cmdline.includes('ovn-controller')) {
      const argv0 = cmdline.split('\0')[0].split(/[ /]/).filter(Boolean)
      if (argv0.includes('ovn-controller')) controllers.push({cmdline, pid: Number(p)})
      continue
    }
    if (!cmdline.includes('neutron-ovn')) continue
    const args = parseAgentCmdline(cmdline, OVN_AGENT_PROGRAMS)
    if (args) found.push({cmdline, files: args.configFiles, pid: Number(p)})
  }
  // the agent's metadata workers carry the same command line: keep the processes whose parent is not one of them
  const ppid = async (pid: number) => Number(/^PPid:\s*(\d+)/m.exec((await readOr(`/proc/${pid}/status`)) ?? '')?.[1])
  const parents = await Promise.all(found.map((f) => ppid(f.pid)))
  const ids = new Set(found.map((f) => f.pid))
  const main = found.filter((_, i) => !ids.has(parents[i]))
  const boot = readBootTimeMs()
  const mine = await readlink('/proc/self/ns/mnt').catch(() => undefined)
  const agentArgs = new Map<number, string[]>()
  const agents = await Promise.all(
    main.map(async (a): Promise<AgentRecord> => {
      const rec: AgentRecord = {cmdline: a.cmdline, pid: a.pid}
      const ticks = procStartTicks((await readOr(`/proc/${a.pid}/stat`)) ?? '')
      if (boot !== undefined && ticks !== undefined) rec.startedAt = new Date(startedAtMs(boot, ticks)).toISOString()
      const mnt = await readlink(`/proc/${a.pid}/ns/mnt`).catch(() => undefined)
      if (mine !== undefined && mnt !== undefined) rec.sameMountNamespace = mnt === mine
      agentArgs.set(a.pid, a.files)
      return rec
    }),
  )
  return {agentArgs, agents, controllers, haproxies}
}

/** The agent's config files: --config-file, else the running agent's own, else the packaged defaults that exist. */
async function configFiles(ctx: OvnContext, agents: AgentRecord[], agentArgs: Map<number, string[]>): Promise<string[]> {
  if (ctx.configFile !== undefined) {
    const beside = join(dirname(ctx.configFile), 'neutron.conf')
    // oslo order as Debian's init script: neutron.conf first is as common; the agent ini wins either way for its keys
    return (await exists(beside)) && beside !== ctx.configFile ? [beside, ctx.configFile] : [ctx.configFile]
  }
  const running = agents.find((a) => a.sameMountNamespace !== false && (agentArgs.get(a.pid)?.length ?? 0) > 0)
  if (running) return agentArgs.get(running.pid)!.filter((p) => p.startsWith('/'))
  for (const candidate of OVN_PATHS.agentConfigs) {
    if (await exists(candidate)) {
      const beside = join(dirname(candidate), 'neutron.conf')
      return (await exists(beside)) ? [beside, candidate] : [candidate]
    }
  }
  return [OVN_PATHS.agentConfigs[0]]
}

const exists = (p: string) =>
  stat(p).then(
    () => true,
    () => false,
  )

/** The server's ml2_conf.ini when this node has one (a controller, an all-in-one): it says ovn_metadata_enabled and ovn_nb_connection. */
async function serverConfig(configs: readonly string[]): Promise<FileRecord | undefined> {
  const candidates = [
    ...configs.map((c) => join(dirname(c), 'ml2_conf.ini')),
    ...configs.map((c) => join(dirname(c), 'plugins', 'ml2', 'ml2_conf.ini')),
    OVN_PATHS.ml2Config,
  ]
  for (const c of [...new Set(candidates)]) {
    if (!(await exists(c))) continue
    const rec = await fileRecord(c)
    if (rec.state === 'present') return rec
  }
  return undefined
}

export async function collectOvnShared(ctx: OvnContext): Promise<OvnShared> {
  // the operator named it: a FIFO, device or directory there is bad input (exit 2), as on the DHCP chain
  if (ctx.configFile !== undefined) await refuseIrregular(ctx.configFile, TEXT_FILE_MAX_BYTES)
  const scan = await scanProcesses()
  const paths = await configFiles(ctx, scan.agents, scan.agentArgs)
  const configs = await Promise.all(paths.map((p) => fileRecord(p, {read: true, resolve: true})))
  const server = await serverConfig(paths)
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
  return {agents: scan.agents, configs, controllers: scan.controllers, haproxies: scan.haproxies, serverConfig: server, settings}
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

async function ovsdbCommand(tool: string, db: string, ssl: string[], args: string[]): Promise<CommandRecord> {
  if (!CONNECTION.test(db))
    return {
      argv: [tool, `--db=${db}`, ...args],
      error: `not an OVSDB connection string: ${JSON.stringify(db.slice(0, 80))}`,
      exitCode: null,
      stderr: '',
      stdout: '',
    }
  return command(tool, [`--db=${db}`, ...ssl, ...TIMEOUT, '--format=json', ...args])
}

/** ovs-vsctl: this node's Open_vSwitch row (system-id, ovn-remote, ovn-bridge) and its interfaces. */
export const readOvs = (s: OvnSettings) =>
  ovsdbCommand('ovs-vsctl', s.ovs, s.ovsSsl, [
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
export const readSb = (s: OvnSettings, network: string) =>
  ovsdbCommand('ovn-sbctl', s.sb, s.sbSsl, [
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
export const readNb = (nb: string, ssl: string[], network: string) =>
  ovsdbCommand('ovn-nbctl', nb, ssl, [
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
export async function localNetworks(s: OvnSettings, chassisUuid: string): Promise<{record: CommandRecord; networks: string[]}> {
  const record = await ovsdbCommand('ovn-sbctl', s.sb, s.sbSsl, [
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
  network: string,
  ctx: OvnContext,
  namespaces: CommandRecord,
  shared: OvnShared,
  ovs: CommandRecord,
  prefetched?: CommandRecord,
): Promise<NetworkEvidence> {
  const s = shared.settings
  const ns = ovnMetadataNamespace(network)
  const state = s.statePath
  const notCollected = (path: string): FileRecord => ({path, state: 'not-collected'})
  const [sb, nb, haproxyPidFile, haproxyConfig] = await Promise.all([
    readSb(s, network),
    s.nb ? readNb(s.nb, s.nbSsl, network) : undefined,
    fileRecord(join(state, 'external', 'pids', `${network}.pid.haproxy`)),
    fileRecord(join(state, 'ovn-metadata-proxy', `${network}.conf`)),
  ])
  const server = haproxyConfig.content ? parseHaproxyConfig(haproxyConfig.content).servers[0]?.address : undefined
  const upstreamPath = server?.startsWith('/') ? server : s.socket
  const upstreamSocket = await fileRecord(upstreamPath, {connect: true, read: false})
  const pid = pidOf(haproxyPidFile)
  const proxy = pid === undefined ? undefined : await processRecord(pid, 'proxy', haproxyPidFile.path, true)
  // every haproxy naming this network, wherever it runs (the pid file's one among them)
  const haproxies = await Promise.all(
    shared.haproxies.filter((h) => h.cmdline.includes(network) && h.pid !== pid).map((h) => processRecord(h.pid, 'proxy', 'ps', false)),
  )
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
  if (!namespaceListed(namespaces, ns)) return ev
  ev.namespaceInode = await stat(`/run/netns/${ns}`).then(
    (st) => `net:[${st.ino}]`,
    () => undefined,
  )
  ev.addresses = prefetched ?? (await command('ip', ['-j', '-n', ns, 'addr', 'show']))
  if (ctx.probe) {
    const {probeFromNamespace} = await import('../../node/probe.js')
    ev.probe = await probeFromNamespace(ns)
  }
  return ev
}

/** The ovnmeta-<uuid> networks of an `ip netns list` record. */
export function ovnmetaNetworks(names: readonly string[]): string[] {
  return names.filter((n) => OVNMETA_NAMESPACE.test(n)).map((n) => n.slice('ovnmeta-'.length).toLowerCase())
}

/** Every network of the run on this chassis (one, or --all: the ovnmeta namespaces and the networks with a VM bound here). */
export async function collectOvnMany(network: string | undefined, ctx: OvnContext, listNamespaces: () => Promise<CommandRecord>): Promise<NetworkEvidence[]> {
  const {parseNetnsList} = await import('../../parse/netns.js')
  const [shared, listed] = await Promise.all([collectOvnShared(ctx), listNamespaces()])
  const ovs = await readOvs(shared.settings)
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
    const local = await bound(shared.settings, ovs)
    networks = [...new Set([...fromNamespaces, ...local])]
  }
  const {addressesOf} = await import('../../node/namespaces.js')
  const present = networks.filter((n) => namespaceListed(listed, ovnMetadataNamespace(n)))
  const batch = network === undefined ? await addressesOf(present.map(ovnMetadataNamespace)) : new Map<string, CommandRecord>()
  const out: NetworkEvidence[] = []
  // a few at a time: each is one ovn-sbctl (and ovn-nbctl) plus file reads
  for (let i = 0; i < networks.length; i += 4) {
    out.push(...(await Promise.all(networks.slice(i, i + 4).map((n) => collectOvnNetwork(n, ctx, listed, shared, ovs, batch.get(ovnMetadataNamespace(n)))))))
  }
  return out
}

/** The networks with a VM port bound to this chassis (the chassis named by the Open_vSwitch system-id). */
async function bound(s: OvnSettings, ovs: CommandRecord): Promise<string[]> {
  const {mapOf, parseOvsdbOutput, strOf} = await import('../../parse/ovsdb.js')
  try {
    const [vs] = parseOvsdbOutput(ovs.stdout)[0]?.rows ?? []
    const systemId = strOf(mapOf(vs?.external_ids)['system-id'])
    if (systemId === undefined) return []
    const rec = await ovsdbCommand('ovn-sbctl', s.sb, s.sbSsl, [
      '--no-leader-only',
      '--columns=_uuid,name',
      'find',
      'Chassis',
      `name=${JSON.stringify(systemId)}`,
    ])
    const uuid = rec.exitCode === 0 ? strOf(parseOvsdbOutput(rec.stdout)[0]?.rows[0]?._uuid) : undefined
    return uuid === undefined ? [] : (await localNetworks(s, uuid)).networks
  } catch {
    // unreadable OVSDB answers: the namespaces alone say which networks to look at (the checks say why)
    return []
  }
}

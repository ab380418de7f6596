/**
 * The L3 agent chain's collector, on this node: the L3 agent processes and their config files (from
 * /proc), which router serves each network (the API's router interface port on the gateway IP, else a
 * qrouter namespace here whose qr- device, or whose keepalived.conf for an HA backup, holds it), and for
 * that router: its namespace's addresses and rules (iptables-save as Neutron wrote them, else the other
 * backend and nft), the proxy's pid file, process, config and socket, and keepalived's state.
 */
import {readdir, readlink, stat} from 'node:fs/promises'
import {hostname} from 'node:os'
import {dirname, join} from 'node:path'

import {keepOnlyKeys, redactCmdline, redactEvidence, redactIniSecrets} from '../../config/secrets.js'
import type {CollectRequest} from '../module.js'
import {cannotError} from '../../errors.js'
import {
  type AgentRecord,
  type ApiEvidence,
  type CommandRecord,
  type ContainerRecord,
  type FileRecord,
  type LayoutName,
  type NetworkEvidence,
  type ProbeRecord,
  type Snapshot,
  SNAPSHOT_FORMAT,
} from '../../evidence/evidence.js'
import {UUID} from '../../evidence/ids.js'
import {QROUTER_NAMESPACE} from './paths.js'
import {LAYOUTS, layoutOfConfig} from '../../layout.js'
import {addressesOf, namespaceListed} from '../../node/namespaces.js'
import {readBootTimeMs, startedAtMs} from '../../node/proc-clock.js'
import {command, pidOf, readOr, readProcSync} from '../../node/records.js'
import {ContainerView, readsThrough} from '../../sources/container.js'
import {LiveView} from '../../sources/live.js'
import {type NodeView, notTold} from '../../sources/view.js'
import {containedAgent} from '../common/container.js'
import {type AgentArgs, parseAgentCmdline, procStartTicks} from '../../parse/agent.js'
import {parseHaproxyConfig} from '../../parse/haproxy.js'
import {parseIpAddr} from '../../parse/ip-addr.js'
import {parseIptablesSave} from '../../parse/iptables-save.js'
import {parseNetnsList} from '../../parse/netns.js'
import {run} from '../../system/exec.js'
import {refuseIrregular, TEXT_FILE_MAX_BYTES} from '../../system/read-file.js'
import {
  API,
  apiRouterPorts,
  gatewaysOf,
  keepalivedAddresses,
  L3_AGENT_PROGRAMS,
  L3_KEYS,
  type L3Settings,
  l3Settings,
  metadataRules,
  proxyPort,
  ROUTER_OWNERS,
  routerNamespace,
} from './facts.js'

/** One pass over /proc: the L3 agents (their --config-file lists kept apart), with start times and mount namespaces. */
async function findL3Agents(): Promise<{
  agents: AgentRecord[]
  files: Map<number, string[]>
  layout?: LayoutName
  withArgs: {pid: number; cmdline: string; args: AgentArgs}[]
}> {
  const pids = (await readdir('/proc').catch(() => [] as string[])).filter((n) => /^\d+$/.test(n))
  const found: {pid: number; cmdline: string; files: string[]; program: string; args: AgentArgs}[] = []
  for (const p of pids) {
    const cmdline = readProcSync(`/proc/${p}/cmdline`)
    if (!cmdline?.includes('l3-agent')) continue
    const args = parseAgentCmdline(cmdline, L3_AGENT_PROGRAMS)
    if (args) found.push({args, cmdline, files: args.configFiles, pid: Number(p), program: args.program})
  }
  const boot = readBootTimeMs()
  const mine = await readlink('/proc/self/ns/mnt').catch(() => undefined)
  const files = new Map<number, string[]>()
  const agents = await Promise.all(
    found.map(async (a): Promise<AgentRecord> => {
      const rec: AgentRecord = {cmdline: redactCmdline(a.cmdline), pid: a.pid}
      const ticks = procStartTicks((await readOr(`/proc/${a.pid}/stat`)) ?? '')
      if (boot !== undefined && ticks !== undefined) rec.startedAt = new Date(startedAtMs(boot, ticks)).toISOString()
      const mnt = await readlink(`/proc/${a.pid}/ns/mnt`).catch(() => undefined)
      if (mine !== undefined && mnt !== undefined) rec.sameMountNamespace = mnt === mine
      files.set(a.pid, a.files)
      return rec
    }),
  )
  const layout = found.some((a) => a.program === 'quantum-l3-agent') ? 'quantum' : found.length > 0 ? 'neutron' : undefined
  return {agents, files, layout, withArgs: found.map(({args, cmdline, pid}) => ({args, cmdline, pid}))}
}

/** Whether a file is there (type and state only: keepalived.conf may hold the VRRP password, so it is not read). */
async function presence(view: NodeView, path: string): Promise<FileRecord> {
  const st = await view.stat(path)
  return st ? {path, state: 'present', type: st.type} : {path, state: 'missing'}
}

/** The agent's config files: --config-file (with neutron.conf beside it), else the running agent's own, else the packaged ones that exist. */
async function configPaths(
  view: NodeView,
  given: string | undefined,
  layout: LayoutName,
  agents: AgentRecord[],
  files: Map<number, string[]>,
): Promise<string[]> {
  const exists = async (p: string) => (await view.stat(p)) !== undefined
  const beside = async (f: string) => {
    const conf = join(dirname(f), layout === 'quantum' ? 'quantum.conf' : 'neutron.conf')
    return conf !== f && (await exists(conf)) ? [conf, f] : [f]
  }
  if (given !== undefined) return beside(given)
  // an agent in a container counts when the view reads through its root (sources/container.ts)
  const running = agents.find((a) => (a.sameMountNamespace !== false || readsThrough(view, a.pid)) && (files.get(a.pid)?.length ?? 0) > 0)
  if (running) return files.get(running.pid)!.filter((p) => p.startsWith('/'))
  return beside(join(LAYOUTS[layout].configDir, 'l3_agent.ini'))
}

/** What one run reads once for every network: the agents, their config, the namespaces. */
interface L3Shared {
  /** where the agent's files are read: this node, or the agent's container through its root */
  view: NodeView
  layout: LayoutName
  agents: AgentRecord[]
  configs: FileRecord[]
  settings: L3Settings
  statePath: string
  metadataAgentConfig: FileRecord
  namespaces: CommandRecord
  /** the qrouter namespaces' addresses, read once (for finding a router by its qr- device) */
  routerAddresses: Map<string, CommandRecord>
  upstreams: Map<string, Promise<FileRecord>>
  /** the agent's container, when its files were read through it */
  container?: ContainerRecord
  /** gateway address -> the routers here holding it (addressIndex), built on first use */
  holders?: Promise<Map<string, {router: string; line: string}[]>>
  api?: {host: string; from: string; call: (path: string) => Promise<{method: string; path: string; status: number; body: string}>; error?: string}
}

async function collectShared(req: CollectRequest, listNamespaces: () => Promise<CommandRecord>): Promise<L3Shared> {
  const given = req.given?.configFile
  // the operator named it: a FIFO, device or directory there is bad input (exit 2), as on the other chains
  if (given !== undefined) await refuseIrregular(given, TEXT_FILE_MAX_BYTES)
  const found = await findL3Agents()
  const layout: LayoutName = given !== undefined ? layoutOfConfig(given) : (found.layout ?? req.paths.layout)
  // the agent in a container (kolla, TripleO): its files through its root, unless the operator named them
  const boxed = given === undefined && req.given?.statePath === undefined ? containedAgent(found.withArgs) : undefined
  const view: NodeView = boxed ? new ContainerView(boxed.container) : new LiveView()
  const paths = await configPaths(view, given, layout, found.agents, found.files)
  const configs = await Promise.all(
    paths.map(async (p) => {
      const rec = await view.readFile(p, {resolve: true})
      // only the keys the checks read, line numbers kept: neutron.conf holds the message queue's password
      if (rec.content !== undefined) rec.content = keepOnlyKeys(rec.content, L3_KEYS)
      return rec
    }),
  )
  const settings = l3Settings(configs, layout)
  const statePath = req.given?.statePath ?? settings.statePath.value
  const metadataAgentConfig = await view.readFile(join(dirname(paths.at(-1) ?? LAYOUTS[layout].agentConfig), 'metadata_agent.ini'))
  if (metadataAgentConfig.content !== undefined) metadataAgentConfig.content = redactIniSecrets(metadataAgentConfig.content)
  const namespaces = await listNamespaces()
  const routers = parseNetnsList(namespaces.stdout).filter((n) => QROUTER_NAMESPACE.test(n))
  const routerAddresses = await addressesOf(routers)
  let api: L3Shared['api']
  const {hasCredentials} = await import('../../openstack/credentials.js')
  if (req.api && req.os && hasCredentials(req.os, process.env)) {
    const {agentHost} = await import('../../node/api.js')
    const host = agentHost(paths.at(-1) ?? LAYOUTS[layout].agentConfig, req.agentHost)
    try {
      const {connect} = await import('../../openstack/session.js')
      const neutron = await connect(req.os)
      api = {
        ...host,
        call: async (path) => {
          try {
            const r = await neutron.call('GET', path)
            return {body: r.text, method: 'GET', path, status: r.status}
          } catch (error) {
            return {body: error instanceof Error ? error.message : String(error), method: 'GET', path, status: 0}
          }
        },
      }
    } catch (error) {
      if ((error as {code?: string}).code === 'bad-timeout') throw error
      api = {...host, call: async (path) => ({body: '', method: 'GET', path, status: 0}), error: error instanceof Error ? error.message : String(error)}
    }
  }
  return {
    agents: found.agents,
    api,
    configs,
    ...(boxed ? {container: boxed.container} : {}),
    layout,
    metadataAgentConfig,
    namespaces,
    routerAddresses,
    settings,
    statePath,
    upstreams: new Map(),
    view,
  }
}

/**
 * Which router here holds each address: its qr- devices' IPv4 addresses, and for a router whose qr-
 * devices hold none (an HA backup) the qr- addresses its keepalived.conf gives the master (read here,
 * not kept: it may hold the VRRP password). Built once per run, so finding each network's router is a
 * lookup (--all: networks x routers would be quadratic).
 */
async function addressIndex(shared: L3Shared): Promise<Map<string, {router: string; line: string}[]>> {
  const index = new Map<string, {router: string; line: string}[]>()
  const add = (address: string, router: string, line: string) => index.set(address, [...(index.get(address) ?? []), {line, router}])
  for (const [ns, rec] of shared.routerAddresses) {
    const router = ns.slice('qrouter-'.length).toLowerCase()
    let held = 0
    for (const i of parseIpAddr(rec.stdout).filter((x) => x.ifname.startsWith('qr-'))) {
      for (const a of i.addresses.filter((x) => x.family === 'inet')) {
        add(a.local, router, `${ns}: ${i.ifname} holds ${a.local}/${a.prefixlen}`)
        held++
      }
    }
    if (held > 0) continue
    const conf = await shared.view.readFile(join(shared.settings.haConfsPath.value, router, 'keepalived.conf'))
    for (const x of conf.content === undefined ? [] : keepalivedAddresses(conf.content).filter((k) => k.dev?.startsWith('qr-')))
      add(x.address, router, `${conf.path}: ${x.address}/${x.prefixlen} dev ${x.dev} (keepalived holds it on the master)`)
  }
  return index
}

/** The routers here holding one of the gateways. */
async function routersHolding(shared: L3Shared, gateways: readonly string[]): Promise<{router: string; line: string}[]> {
  shared.holders ??= addressIndex(shared)
  const index = await shared.holders
  return gateways.flatMap((g) => index.get(g) ?? [])
}

const notCollected = (path: string): FileRecord => ({path, state: 'not-collected'})

/** The rules inside the namespace, read the way Neutron wrote them, and the other ways when that shows no L3 agent chain. */
async function readRules(ns: string): Promise<CommandRecord[]> {
  const exec = (tool: string, ...args: string[]) => command('ip', ['netns', 'exec', ns, tool, ...args])
  const first = await exec('iptables-save')
  const out = [first]
  const shows = (r: CommandRecord) => r.exitCode === 0 && /^:(neutron|quantum)-l3-agent-/m.test(r.stdout)
  if (shows(first)) return out
  const backend = first.exitCode === 0 ? parseIptablesSave(first.stdout).backend : undefined
  const other = await exec(backend === 'legacy' ? 'iptables-nft-save' : 'iptables-legacy-save')
  out.push(other)
  if (shows(other)) return out
  out.push(await exec('nft', 'list', 'ruleset'))
  return out
}

/**
 * One GET to the router's proxy inside its namespace, on 127.0.0.1:PORT, with the packet mark an
 * instance's request gets there (SO_MARK), so the filter lets it through as it does the instance's.
 * Python sets the mark (Node cannot); every Neutron node has it. Traffic stays inside the namespace.
 */
export async function probeRouter(ns: string, port: number, mark: number): Promise<ProbeRecord> {
  const script = [
    'import json,socket,sys,time',
    't=time.time()',
    'def out(d):',
    "  d['ms']=int((time.time()-t)*1000); print(json.dumps(d))",
    'try:',
    '  s=socket.socket(socket.AF_INET,socket.SOCK_STREAM)',
    "  s.setsockopt(socket.SOL_SOCKET,getattr(socket,'SO_MARK',36),int(sys.argv[2]))",
    '  s.settimeout(3)',
    "  s.connect(('127.0.0.1',int(sys.argv[1])))",
    "  s.sendall(b'GET / HTTP/1.0\\r\\nHost: 169.254.169.254\\r\\n\\r\\n')",
    "  b=b''",
    '  while len(b)<4000:',
    '    c=s.recv(4000)',
    '    if not c: break',
    '    b+=c',
    "  h,_,body=b.partition(b'\\r\\n\\r\\n')",
    "  out({'status':int(h.split(b' ')[1]),'body':body[:500].decode('latin-1')})",
    'except socket.timeout:',
    "  out({'error':'timeout'})",
    'except Exception as e:',
    "  out({'error':{111:'refused',101:'unreachable',113:'unreachable',110:'timeout'}.get(getattr(e,'errno',None),str(e)[:200])})",
  ].join('\n')
  const url = `http://127.0.0.1:${port}/`
  const shown = ['ip', 'netns', 'exec', ns, 'GET', url, `(SO_MARK 0x${mark.toString(16)})`]
  for (const python of ['python3', 'python']) {
    const r = await run('ip', ['netns', 'exec', ns, python, '-c', script, String(port), String(mark)], {timeoutMs: 10_000})
    try {
      return {argv: shown, url, ...JSON.parse(r.stdout)}
    } catch {
      if (/No such file|not found/.test(r.stderr)) continue
      return {argv: shown, error: r.failedToStart ?? (r.stderr.trim().slice(0, 200) || 'no answer'), url}
    }
  }
  return {argv: shown, error: 'cannot probe: no python3 or python on this node to set the packet mark', url}
}

async function collectNetwork(network: string, shared: L3Shared, probe: boolean): Promise<NetworkEvidence> {
  const state = shared.statePath
  const opts = await shared.view.readFile(join(state, 'dhcp', network, 'opts'))
  const api: ApiEvidence | undefined = shared.api && {error: shared.api.error, host: shared.api.host, hostFrom: shared.api.from, records: []}
  if (api && !api.error) api.records = await Promise.all([`/networks/${network}`, API.subnets(network), API.ports(network)].map((p) => shared.api!.call(p)))
  const config = shared.configs.at(-1) ?? notCollected(LAYOUTS[shared.layout].agentConfig)
  const ev: NetworkEvidence = {
    backend: 'l3-agent',
    config,
    dnsmasqPidFile: notCollected(join(state, 'dhcp', network, 'pid')),
    haproxyConfig: notCollected(join(state, 'ns-metadata-proxy', '?.conf')),
    haproxyPidFile: notCollected(join(state, 'external', 'pids', '?.pid.haproxy')),
    layout: shared.layout,
    metadataAgentConfig: shared.metadataAgentConfig,
    namespace: '',
    namespaces: shared.namespaces,
    network,
    opts,
    processes: [],
    proxyPidFile: notCollected(join(state, 'external', 'pids', '?.pid')),
    router: {agents: shared.agents, configs: shared.configs, found: []},
    statePath: state,
    upstreamSocket: notCollected(shared.settings.socket.value),
    ...(api ? {api} : {}),
  }
  const r = ev.router!
  const gw = gatewaysOf(ev)
  const fromApi = gw ? apiRouterPorts(ev, gw.ips) : undefined
  if (fromApi && fromApi.length > 0) {
    r.id = fromApi[0].router
    r.foundBy = 'api'
    r.found = fromApi.map((p) => `GET /v2.0${API.ports(network)}: port ${p.port} (${p.owner}) of router ${p.router} holds the gateway ${p.ip}`)
  } else if (gw && !fromApi) {
    const held = await routersHolding(shared, gw.ips)
    r.found = held.length > 0 ? held.map((h) => h.line) : [`no qrouter namespace here has ${gw.ips.join(', ')} (${shared.routerAddresses.size} looked at)`]
    if (held.length > 0) {
      r.id = held[0].router
      r.foundBy = 'namespace'
    }
  } else if (!gw) r.found = [`no gateway known: no API answer, no ${opts.path}`]
  if (r.id === undefined) return ev
  const id = r.id
  const ns = routerNamespace(id)
  ev.namespace = ns
  if (api && !api.error) api.records.push(...(await Promise.all([API.router(id), API.routerAgents(id)].map((p) => shared.api!.call(p)))))
  const [haproxyPidFile, proxyPidFile, haproxyConfig, haState, keepalived] = await Promise.all([
    shared.view.readFile(join(state, 'external', 'pids', `${id}.pid.haproxy`)),
    shared.view.readFile(join(state, 'external', 'pids', `${id}.pid`)),
    shared.view.readFile(join(state, 'ns-metadata-proxy', `${id}.conf`)),
    shared.view.readFile(join(shared.settings.haConfsPath.value, id, 'state')),
    presence(shared.view, join(shared.settings.haConfsPath.value, id, 'keepalived.conf')),
  ])
  Object.assign(ev, {haproxyConfig, haproxyPidFile, proxyPidFile})
  r.haState = haState
  r.keepalived = keepalived
  const server = haproxyConfig.content ? parseHaproxyConfig(haproxyConfig.content).servers[0]?.address : undefined
  const upstream = server?.startsWith('/') ? server : shared.settings.socket.value
  if (!shared.upstreams.has(upstream))
    shared.upstreams.set(
      upstream,
      shared.view.connect
        ? shared.view.connect(upstream)
        : Promise.resolve({error: 'this source cannot connect to a socket', path: upstream, state: 'not-collected'}),
    )
  ev.upstreamSocket = {...(await shared.upstreams.get(upstream)!)}
  const pidFile = pidOf(haproxyPidFile) === undefined ? proxyPidFile : haproxyPidFile
  const pid = pidOf(pidFile)
  if (pid !== undefined) {
    const proc = await shared.view.process(pid, 'proxy', pidFile.path, {sockets: true})
    if (!notTold(proc)) ev.processes = [proc]
  }
  if (!namespaceListed(shared.namespaces, ns)) return ev
  ev.namespaceInode = await stat(`/run/netns/${ns}`).then(
    (s) => `net:[${s.ino}]`,
    () => undefined,
  )
  ev.addresses = shared.routerAddresses.get(ns) ?? (await command('ip', ['-j', '-n', ns, 'addr', 'show']))
  r.rules = await readRules(ns)
  if (probe) {
    const mark = metadataRules(ev)?.marks[0]?.setMark
    ev.probe = await probeRouter(ns, proxyPort(ev)?.port ?? shared.settings.metadataPort.value ?? 9697, mark ? mark.value & mark.mask : 1)
  }
  return ev
}

/** The networks of this node's routers (diagnose --all): with the API, each router's interface ports; else the DHCP networks here whose gateway a router holds. */
async function routedNetworks(shared: L3Shared): Promise<string[]> {
  const nets = new Set<string>()
  const routers = [...shared.routerAddresses.keys()].map((ns) => ns.slice('qrouter-'.length).toLowerCase())
  if (shared.api && !shared.api.error) {
    for (const router of routers) {
      const rec = await shared.api.call(`/ports?device_id=${router}`)
      try {
        for (const p of rec.status === 200 ? (JSON.parse(rec.body).ports as {network_id?: unknown; device_owner?: unknown}[]) : []) {
          if (typeof p.network_id === 'string' && UUID.test(p.network_id) && (ROUTER_OWNERS as readonly unknown[]).includes(p.device_owner))
            nets.add(p.network_id.toLowerCase())
        }
      } catch {
        // an unreadable answer: that router's networks are not listed
      }
    }
    return [...nets]
  }
  const dhcp = await shared.view.list(join(shared.statePath, 'dhcp'))
  for (const net of dhcp.filter((n) => UUID.test(n))) {
    const opts = await shared.view.readFile(join(shared.statePath, 'dhcp', net, 'opts'))
    const gw = opts.content === undefined ? [] : [...opts.content.matchAll(/option:router,([0-9.]+)/g)].map((m) => m[1])
    if (gw.length > 0 && (await routersHolding(shared, gw)).length > 0) nets.add(net.toLowerCase())
  }
  return [...nets]
}

/** diagnose/collect on an L3 agent node: every network asked for (or the networks of its routers), as a snapshot. */
export async function collectL3Live(req: CollectRequest, listNamespaces: () => Promise<CommandRecord>): Promise<Snapshot> {
  if (process.getuid?.() !== 0)
    throw cannotError('not-root', "diagnose inspects namespaces and other users' processes: run it as root (or diagnose a snapshot with --snapshot)")
  const shared = await collectShared(req, listNamespaces)
  const networks = req.network !== undefined ? [req.network] : await routedNetworks(shared)
  const out: NetworkEvidence[] = []
  for (let i = 0; i < networks.length; i += 4) out.push(...(await Promise.all(networks.slice(i, i + 4).map((n) => collectNetwork(n, shared, req.probe)))))
  if (shared.container) for (const ev of out) ev.container = shared.container
  // no secret leaves the node (records shared between networks once)
  const seen = new WeakSet<object>()
  for (const ev of out) redactEvidence(ev, seen)
  return {format: SNAPSHOT_FORMAT, host: hostname(), networks: out, takenAt: new Date().toISOString(), tool: req.tool ?? 'quantum-meta'}
}

/**
 * What the L3 agent chain's checks (and its collector) derive from the evidence, purely: the agent's
 * settings, the subnets' gateways, the router that holds them, the metadata rules in the router's
 * namespace, the proxy's port, and keepalived's state.
 */
import {IniSyntaxError, effective, osloBool, parseIni} from '../../config/oslo-ini.js'
import type {CommandRecord, FileRecord, LayoutName, NetworkEvidence} from '../../evidence/evidence.js'
import {UUID} from '../../evidence/ids.js'
import {LAYOUTS} from '../../layout.js'
import {parseHaproxyConfig} from '../../parse/haproxy.js'
import {type FwRule, parseIptablesSave, type Ruleset, ruleCount, rulesFrom} from '../../parse/iptables-save.js'
import {parseNftRuleset} from '../../parse/nft.js'
import {isRouterOption, parseOpts} from '../../parse/opts.js'
import {parseProcCmdline} from '../../parse/processes.js'
import {serverText} from '../../openstack/server-text.js'
import {interfaces, processArgs, processOf} from '../common/evidence.js'

import {METADATA_IP} from '../common/net.js'

export {METADATA_IP}
/** The L3 agent's programs (Neutron, Quantum). */
export const L3_AGENT_PROGRAMS = ['neutron-l3-agent', 'quantum-l3-agent'] as const
/** The keys of the agent's config files the checks read (collect keeps only these lines). */
export const L3_KEYS = ['enable_metadata_proxy', 'metadata_port', 'state_path', 'agent_mode', 'ha_confs_path', 'metadata_proxy_socket', 'host'] as const
/** device_owner of a port that makes its network routed (neutron-lib ROUTER_INTERFACE_OWNERS). */
export const ROUTER_OWNERS = ['network:router_interface', 'network:router_interface_distributed', 'network:ha_router_replicated_interface'] as const
export {routerNamespace} from './paths.js'
/** the L3 agent's default metadata_port (neutron/conf/agent/l3/config.py; quantum/agent/l3_agent.py@2013.1) */
export const DEFAULT_METADATA_PORT = 9697

// ---- the agent's settings ----

export interface Setting<T> {
  value: T
  /** the text as written, when a file sets it */
  raw?: string
  /** where: file and 1-based line; undefined for the default */
  path?: string
  line?: number
}

export interface L3Settings {
  /** null: a value oslo.config refuses (the agent does not start) */
  enableMetadataProxy: Setting<boolean | null>
  /** undefined: not a port number */
  metadataPort: Setting<number | undefined>
  statePath: Setting<string>
  haConfsPath: Setting<string>
  socket: Setting<string>
  agentMode: Setting<string>
  /** files oslo.config cannot read, and why */
  broken: {path: string; line: number; reason: string}[]
  /** the files read, in order */
  read: string[]
}

/** `$state_path` / `${state_path}` as oslo.config substitutes it. */
const interpolate = (value: string, statePath: string) => value.replace(/\$\{state_path\}|\$state_path\b/g, statePath)

/** The agent's settings: its config files in oslo.config's order (later files win), over Neutron's defaults. */
export function l3Settings(configs: readonly FileRecord[], layout: LayoutName): L3Settings {
  const found = new Map<string, Setting<string>>()
  const out: Pick<L3Settings, 'broken' | 'read'> = {broken: [], read: []}
  for (const f of configs) {
    if (f.state !== 'present' || f.content === undefined) continue
    out.read.push(f.path)
    let ini
    try {
      ini = parseIni(f.content)
    } catch (error) {
      if (error instanceof IniSyntaxError) {
        out.broken.push({line: error.lineNumber, path: f.path, reason: error.reason})
        continue
      }
      throw error
    }
    for (const key of L3_KEYS) {
      const a = effective(ini, 'DEFAULT', key)
      if (a) found.set(key, {line: a.line + 1, path: f.path, raw: a.value, value: a.value})
    }
  }
  const text = (key: string, fallback: string): Setting<string> => found.get(key) ?? {value: fallback}
  const state = text('state_path', LAYOUTS[layout].statePath)
  const enable = found.get('enable_metadata_proxy')
  const port = found.get('metadata_port')
  const portValue = port === undefined ? DEFAULT_METADATA_PORT : /^\d{1,5}$/.test(port.value.trim()) ? Number(port.value.trim()) : undefined
  const path = (s: Setting<string>) => ({...s, value: interpolate(s.value, state.value)})
  return {
    ...out,
    agentMode: text('agent_mode', 'legacy'),
    enableMetadataProxy: enable === undefined ? {value: true} : {...enable, value: osloBool(enable.value.trim()) ?? null},
    haConfsPath: path(text('ha_confs_path', '$state_path/ha_confs')),
    metadataPort: {...port, value: portValue !== undefined && portValue > 0 && portValue < 65_536 ? portValue : undefined},
    socket: path(text('metadata_proxy_socket', '$state_path/metadata_proxy')),
    statePath: state,
  }
}

/** The settings of a network's evidence (the router part's configs). */
export const settingsOf = (ev: NetworkEvidence) => l3Settings(ev.router?.configs ?? [ev.config], ev.layout)

// ---- which router serves the network ----

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The objects of a 200 answer's list `key` that the evidence recorded for `path`; undefined when none. */
export function apiList(ev: NetworkEvidence, path: string, key: string): Obj[] | undefined {
  const r = ev.api?.records.find((x) => x.path === path)
  if (r?.status !== 200) return undefined
  try {
    const doc: unknown = JSON.parse(r.body)
    const items = isObj(doc) ? doc[key] : undefined
    return Array.isArray(items) ? items.filter(isObj) : undefined
  } catch {
    return undefined
  }
}

/** The object `key` of a 200 answer recorded for `path`. */
export function apiObject(ev: NetworkEvidence, path: string, key: string): Obj | undefined {
  const r = ev.api?.records.find((x) => x.path === path)
  if (r?.status !== 200) return undefined
  try {
    const doc: unknown = JSON.parse(r.body)
    return isObj(doc) && isObj(doc[key]) ? doc[key] : undefined
  } catch {
    return undefined
  }
}

export const API = {
  ports: (n: string) => `/ports?network_id=${n}`,
  router: (r: string) => `/routers/${r}`,
  routerAgents: (r: string) => `/routers/${r}/l3-agents`,
  subnets: (n: string) => `/subnets?network_id=${n}`,
}

export interface Gateways {
  ips: string[]
  /** where they came from, for the evidence */
  from: string
}

/** The IPv4 gateways of the network's subnets: from the API's subnets, else from the DHCP agent's opts on this node (option:router). */
export function gatewaysOf(ev: NetworkEvidence): Gateways | undefined {
  const subnets = apiList(ev, API.subnets(ev.network), 'subnets')
  if (subnets) {
    const ips = subnets.filter((s) => s.ip_version === 4 && typeof s.gateway_ip === 'string').map((s) => serverText(s.gateway_ip, 64))
    return {from: `GET /v2.0${API.subnets(ev.network)}`, ips}
  }
  if (ev.opts.state === 'present' && ev.opts.content !== undefined) {
    const ips = parseOpts(ev.opts.content)
      .filter((o) => !o.ipv6 && isRouterOption(o) && o.values[0])
      .map((o) => o.values[0])
    if (ips.length > 0) return {from: `${ev.opts.path} (option:router)`, ips: [...new Set(ips)]}
  }
  return undefined
}

export interface RouterPort {
  router: string
  port: string
  owner: string
  ip: string
  host?: string
}

/** The router interface ports the API lists on the network that hold a subnet's gateway IP. */
export function apiRouterPorts(ev: NetworkEvidence, gateways: readonly string[]): RouterPort[] | undefined {
  const ports = apiList(ev, API.ports(ev.network), 'ports')
  if (!ports) return undefined
  const out: RouterPort[] = []
  for (const p of ports) {
    const owner = typeof p.device_owner === 'string' ? p.device_owner : ''
    if (!(ROUTER_OWNERS as readonly string[]).includes(owner) || typeof p.device_id !== 'string' || !UUID.test(p.device_id)) continue
    const ips = (Array.isArray(p.fixed_ips) ? p.fixed_ips : []).filter(isObj).map((f) => String(f.ip_address))
    const ip = ips.find((i) => gateways.includes(i))
    if (ip === undefined) continue
    const host = typeof p['binding:host_id'] === 'string' && p['binding:host_id'] !== '' ? serverText(p['binding:host_id'], 100) : undefined
    out.push({host, ip, owner, port: typeof p.id === 'string' && UUID.test(p.id) ? p.id.toLowerCase() : '?', router: p.device_id.toLowerCase()})
  }
  return out
}

/** The addresses keepalived holds for an HA router (virtual_ipaddress and virtual_ipaddress_excluded of its keepalived.conf). */
export function keepalivedAddresses(text: string): {address: string; prefixlen: number; dev?: string}[] {
  const out: {address: string; prefixlen: number; dev?: string}[] = []
  let inBlock = false
  for (const raw of text.slice(0, 1_000_000).split('\n')) {
    const line = raw.trim()
    if (/^virtual_ipaddress(_excluded)?\s*\{$/.test(line)) {
      inBlock = true
      continue
    }
    if (!inBlock) continue
    if (line.startsWith('}')) {
      inBlock = false
      continue
    }
    const [cidr, ...rest] = line.split(/\s+/)
    const slash = cidr.indexOf('/')
    const prefixlen = slash < 0 ? 32 : Number(cidr.slice(slash + 1))
    const dev = rest[rest.indexOf('dev') + 1]
    if (cidr !== '' && Number.isInteger(prefixlen))
      out.push({address: slash < 0 ? cidr : cidr.slice(0, slash), dev: rest.includes('dev') ? dev : undefined, prefixlen})
  }
  return out
}

/** The qr- devices of the namespace's addresses (`ip -j addr` or text), with their IPv4 addresses. */
export function qrDevices(ev: NetworkEvidence) {
  return (interfaces(ev) ?? []).filter((i) => i.ifname.startsWith('qr-'))
}

/** The ha- devices (an HA router's VRRP link to the other hosts) of the namespace's addresses. */
export function haDevices(ev: NetworkEvidence) {
  return (interfaces(ev) ?? []).filter((i) => i.ifname.startsWith('ha-'))
}

// ---- the rules in the namespace ----

export interface MetadataRules {
  /** the command whose output was read */
  source: CommandRecord
  rs: Ruleset
  /** nat PREROUTING (and the chains it reaches): 169.254.169.254 tcp 80 redirected or DNATed */
  redirects: FwRule[]
  /** mangle PREROUTING: 169.254.169.254 tcp 80 marked */
  marks: FwRule[]
  /** filter INPUT (and the chains it reaches), in order */
  input: FwRule[]
}

const isMetadataDst = (r: FwRule) => r.destination !== undefined && r.destination.replace(/\/32$/, '') === METADATA_IP
const isHttp = (r: FwRule) => r.dport === 80 && (r.protocol === undefined || r.protocol === 'tcp')
const hasL3Chain = (rs: Ruleset) => [...rs.tables.values()].some((t) => [...t.keys()].some((c) => /^(neutron|quantum)-l3-agent-/.test(c)))

/** The ruleset of a command record: nft text or iptables-save text, told by the command that printed it. */
export function rulesetOf(rec: CommandRecord): Ruleset {
  return rec.argv.includes('nft') ? parseNftRuleset(rec.stdout) : parseIptablesSave(rec.stdout)
}

/**
 * The rules the metadata chain needs, from the first recorded command that shows an L3 agent chain
 * (else the first with any rule, else the first that ran).
 */
export function metadataRules(ev: NetworkEvidence): MetadataRules | undefined {
  const ran = (ev.router?.rules ?? []).filter((r) => r.exitCode === 0 && r.notCollected === undefined)
  const parsed = ran.map((r) => ({r, rs: rulesetOf(r)}))
  const pick = parsed.find((p) => hasL3Chain(p.rs)) ?? parsed.find((p) => ruleCount(p.rs) > 0) ?? parsed[0]
  if (!pick) return undefined
  const {rs} = pick
  return {
    input: rulesFrom(rs, 'filter', 'INPUT'),
    marks: rulesFrom(rs, 'mangle', 'PREROUTING').filter((r) => isMetadataDst(r) && isHttp(r) && r.target === 'MARK' && r.setMark !== undefined),
    redirects: rulesFrom(rs, 'nat', 'PREROUTING').filter(
      (r) => isMetadataDst(r) && isHttp(r) && (r.target === 'REDIRECT' || r.target === 'DNAT') && r.toPort !== undefined,
    ),
    rs,
    source: pick.r,
  }
}

// ---- the proxy ----

export interface ProxyPort {
  port: number
  from: string
}

/** The port the router's proxy listens on: haproxy's bind, else the Grizzly–Ocata proxy's --metadata_port (default 9697). */
export function proxyPort(ev: NetworkEvidence): ProxyPort | undefined {
  const conf = ev.haproxyConfig
  if (conf.state === 'present' && conf.content !== undefined) {
    const bind = parseHaproxyConfig(conf.content).binds[0]
    if (bind) return {from: `${conf.path}: bind ${bind.address}:${bind.port}`, port: bind.port}
  }
  const proc = processOf(ev, 'proxy')
  const args = proc ? (processArgs(proc) ?? []) : []
  if (args.some((a) => /ns-metadata-proxy$/.test(a))) {
    const arg = args.find((a) => a.startsWith('--metadata_port='))
    const port = arg ? Number(arg.slice('--metadata_port='.length)) : DEFAULT_METADATA_PORT
    return {from: `pid ${proc!.pid}: ${arg ?? `no --metadata_port (default ${DEFAULT_METADATA_PORT})`}`, port}
  }
  return undefined
}

/** A proxy command line's words, from /proc cmdline or ps text. */
export const argsOf = (p: {cmdline?: string}) => (p.cmdline !== undefined ? parseProcCmdline(p.cmdline) : [])

// ---- HA ----

export type HaRole = 'master' | 'backup' | 'fault' | 'unknown'

/** keepalived-state-change's word in ha_confs/ROUTER/state: primary (Xena on) or master, backup, fault. */
export function haRole(text: string): HaRole {
  const w = text.trim().toLowerCase()
  if (w === 'primary' || w === 'master') return 'master'
  if (w === 'backup') return 'backup'
  if (w === 'fault') return 'fault'
  return 'unknown'
}

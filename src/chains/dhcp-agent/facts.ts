/**
 * Facts several checks read, derived (purely) from the raw evidence: the DHCP device and its
 * addresses, the dnsmasq and proxy processes and their arguments.
 */
import type {CommandRecord, NetworkEvidence, ProcessRecord} from '../../evidence/evidence.js'
import {type DnsmasqArgs, parseDnsmasqArgs} from '../../parse/dnsmasq.js'
import {type IfAddress, type Interface, parseIpAddr} from '../../parse/ip-addr.js'
import {netnsLineIndex, parseNetnsList} from '../../parse/netns.js'
import {type OptsLine, isClasslessRoute, isRouterOption, parseOpts, routePairs} from '../../parse/opts.js'
import {parseProcCmdline, parsePsF} from '../../parse/processes.js'
import {LAYOUTS, type LayoutName} from '../../layout.js'

export const METADATA_IP = '169.254.169.254'

export function ipv4ToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0)
}

export function sameSubnet(a: string, b: string, prefixlen: number): boolean {
  if (prefixlen === 0) return true
  const mask = prefixlen >= 32 ? 0xffffffff : (0xffffffff << (32 - prefixlen)) >>> 0
  return (ipv4ToInt(a) & mask) >>> 0 === (ipv4ToInt(b) & mask) >>> 0
}

export const isLinkLocal4 = (ip: string) => sameSubnet(ip, '169.254.0.0', 16)

export const ran = (c: CommandRecord) => c.argv.join(' ')

/** The command that restarts this layout's DHCP agent (the fix for most node-side links). */
export const restartAgent = (layout: LayoutName) => `systemctl restart ${LAYOUTS[layout].dhcpAgentService}`

/** The command that restarts this layout's metadata agent. */
export const restartMetadataAgent = (layout: LayoutName) => `systemctl restart ${LAYOUTS[layout].metadataAgentService}`

/** What instances get when the proxy cannot reach the metadata agent's socket. */
export const upstreamDownAnswer = (layout: LayoutName) => (layout === 'quantum' ? '500 from the Grizzly proxy' : '503 from haproxy')

/** The next hops an opts line gives 169.254.169.254/32. */
export const metadataHops = (o: OptsLine) =>
  routePairs(o.values)
    .pairs.filter((p) => p.destination === METADATA_IP && p.prefixlen === 32)
    .map((p) => p.nexthop)

/**
 * The opts lines that route 169.254.169.254 via their own subnet's gateway, when every metadata
 * route does so and none goes via an address on the DHCP device: a router holds each gateway
 * (Liberty+), so the router's metadata proxy serves this network, not the DHCP port. Undefined
 * otherwise (an isolated subnet, no route at all, or no opts to read).
 */
export function routedMetadata(ev: NetworkEvidence): OptsLine[] | undefined {
  if (ev.opts.state !== 'present' || ev.opts.content === undefined) return undefined
  const lines = parseOpts(ev.opts.content).filter((o) => !o.ipv6)
  const withMeta = lines.filter((o) => isClasslessRoute(o) && metadataHops(o).length > 0)
  if (withMeta.length === 0) return undefined
  const mine = new Set(dhcpDevice(ev)?.ipv4.map((a) => a.local) ?? [])
  const gatewayOf = (tag: string | undefined) => lines.find((o) => o.tag === tag && isRouterOption(o))?.values[0] ?? ''
  const routed = withMeta.every((o) => metadataHops(o).every((h) => !mine.has(h)) && metadataHops(o).includes(gatewayOf(o.tag)))
  return routed ? withMeta : undefined
}

/**
 * Every network of a run shares one `ip netns list` record: it is parsed once per record, not once
 * per network (at 1000 namespaces, parsing it per network was 1000 x 1000 lines).
 */
const parsedLists = new WeakMap<CommandRecord, {names: string[]; set: Set<string>; lines: Map<string, string>}>()
function netnsIndex(list: CommandRecord) {
  let index = parsedLists.get(list)
  if (!index) {
    const names = parseNetnsList(list.stdout)
    parsedLists.set(list, (index = {lines: netnsLineIndex(list.stdout), names, set: new Set(names)}))
  }
  return index
}

/** The namespace list, or undefined when `ip netns` itself failed. Do not modify the array: it is shared. */
export function namespaceList(ev: NetworkEvidence): readonly string[] | undefined {
  if (ev.namespaces.exitCode !== 0) return undefined
  return netnsIndex(ev.namespaces).names
}

/** Whether the list names `name` (as parsed by namespaceList), in constant time. */
export const namespaceListHas = (ev: NetworkEvidence, name: string) => netnsIndex(ev.namespaces).set.has(name)

/** The first line of the `ip netns list` output whose first word is `name`. */
export const namespaceLine = (ev: NetworkEvidence, name: string) => netnsIndex(ev.namespaces).lines.get(name)

export function interfaces(ev: NetworkEvidence): Interface[] | undefined {
  if (ev.addresses?.exitCode !== 0) return undefined
  return parseIpAddr(ev.addresses.stdout)
}

export interface DhcpDevice {
  iface: Interface
  /** IPv4 addresses of the DHCP port (169.254/16 left out) */
  ipv4: IfAddress[]
  metadata?: IfAddress
}

/** The agent's device: tap… (OVS) or ns-… (linuxbridge, veth); else any non-lo device with an IPv4 address. */
export function dhcpDevice(ev: NetworkEvidence): DhcpDevice | undefined {
  const all = interfaces(ev)
  if (!all) return undefined
  const candidates = all.filter((i) => i.ifname !== 'lo')
  const named = candidates.filter((i) => /^(tap|ns-)/.test(i.ifname))
  const pool = named.length > 0 ? named : candidates.filter((i) => i.addresses.some((a) => a.family === 'inet'))
  const iface = pool.find((i) => i.addresses.some((a) => a.family === 'inet' && !isLinkLocal4(a.local))) ?? pool[0]
  if (!iface) return undefined
  const v4 = iface.addresses.filter((a) => a.family === 'inet')
  return {iface, ipv4: v4.filter((a) => !isLinkLocal4(a.local)), metadata: v4.find((a) => a.local === METADATA_IP)}
}

/** The argument vector of a process record, from /proc/PID/cmdline or from `ps -f` text. */
export function processArgs(p: ProcessRecord): string[] | undefined {
  if (p.cmdline !== undefined) return parseProcCmdline(p.cmdline)
  if (p.ps !== undefined) return parsePsF(p.ps).find((x) => x.pid === p.pid)?.args
  return undefined
}

export const processOf = (ev: NetworkEvidence, role: ProcessRecord['role']) => ev.processes.find((p) => p.role === role)

export function dnsmasqArgs(ev: NetworkEvidence): DnsmasqArgs | undefined {
  const p = processOf(ev, 'dnsmasq')
  const args = p?.alive ? processArgs(p) : undefined
  return args ? parseDnsmasqArgs(args.slice(1)) : undefined
}

export function pidFromFile(content: string | undefined): number | undefined {
  const m = /^\s*(\d+)\s*$/.exec(content ?? '')
  return m ? Number(m[1]) : undefined
}

/**
 * A word from evidence (a path, a device name, a tag) as it must appear in a fix the operator pastes
 * into a shell: as is when it holds only safe characters, else single-quoted, so `$(…)`, `;` or a
 * quote in a snapshot's path can never run as a command.
 */
export function shq(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : sq(word)
}

/** Always single-quoted (a quote inside becomes '\''). */
export const sq = (word: string) => `'${word.replaceAll("'", "'\\''")}'`

/** Quote at most `max` characters of a long line for evidence. */
export function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}

/** Evidence lines for a file's content: `path:N: line` for the given 1-based lines. */
export function quoteLines(path: string, content: string, lines: number[]): string[] {
  const all = content.split(/\r?\n/)
  return lines.map((n) => `${path}:${n}: ${clip(all[n - 1] ?? '')}`)
}

/**
 * Why a file is not judged: it was not collected (a sosreport without it, a transcript), with the
 * reason the collector recorded. A check skips with this instead of failing on a file it never saw.
 */
export const notInEvidence = (f: {path: string; error?: string}) => `${f.path} is not in the evidence${f.error ? ` (${f.error})` : ''}`

export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

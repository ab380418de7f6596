/**
 * Facts several checks read, derived (purely) from the raw evidence: the DHCP device and its
 * addresses, the dnsmasq and proxy processes and their arguments. (What the other chains read too is
 * in ../common/.)
 */
import type {NetworkEvidence} from '../../evidence/evidence.js'
import {type DnsmasqArgs, parseDnsmasqArgs} from '../../parse/dnsmasq.js'
import type {IfAddress, Interface} from '../../parse/ip-addr.js'
import {type OptsLine, isClasslessRoute, isRouterOption, parseOpts, routePairs} from '../../parse/opts.js'
import {restart, type Scope} from '../../deployments/registry.js'
import {interfaces, processArgs, processOf} from '../common/evidence.js'
import {isLinkLocal4, METADATA_IP} from '../common/net.js'
import {metadataVerdict, readSettings} from '../../config/dhcp-agent.js'
import {parseIni} from '../../config/oslo-ini.js'

/** The command that restarts the DHCP agent where the evidence was taken (the fix for most node-side links): its deployment's. */
export const restartAgent = (ev: Scope) => restart(ev, 'dhcp-agent')

export {restartMetadataAgent, upstreamDownAnswer} from '../common/upstream.js'

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

export function dnsmasqArgs(ev: NetworkEvidence): DnsmasqArgs | undefined {
  const p = processOf(ev, 'dnsmasq')
  const args = p?.alive ? processArgs(p) : undefined
  return args ? parseDnsmasqArgs(args.slice(1)) : undefined
}

export function pidFromFile(content: string | undefined): number | undefined {
  const m = /^\s*(\d+)\s*$/.exec(content ?? '')
  return m ? Number(m[1]) : undefined
}

/** force_metadata = True (and a valid setting) in the agent config: then every network, routed or not, gets its route via the DHCP port. */
export function forceMetadata(ev: NetworkEvidence): boolean {
  try {
    const settings = readSettings(parseIni(ev.config.content ?? ''))
    return settings.force_metadata.value === true && metadataVerdict(settings).valid
  } catch {
    return false
  }
}

/** The network's metadata goes via its router here (a router holds each subnet's gateway, force_metadata off): the router's chain serves it. */
export const servedByRouter = (ev: NetworkEvidence): boolean => routedMetadata(ev) !== undefined && !forceMetadata(ev)

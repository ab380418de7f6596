/**
 * What the DHCP agent's files say about who serves a network's metadata: the DHCP port (its device
 * and addresses) and the opts file's routes to 169.254.169.254. The DHCP chain judges them; the
 * router chain reads routedMetadata too (the opts file is the DHCP agent's evidence that a router
 * holds the gateway), so they live here, not in either chain's folder. dhcp-agent/facts.ts
 * re-exports them.
 */
import type {NetworkEvidence} from '../../evidence/evidence.js'
import type {IfAddress, Interface} from '../../parse/ip-addr.js'
import {type OptsLine, isClasslessRoute, isRouterOption, parseOpts, routePairs} from '../../parse/opts.js'
import {interfaces} from './evidence.js'
import {isLinkLocal4, METADATA_IP} from './net.js'

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

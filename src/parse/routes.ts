// Routing tables: `route -n` (net-tools) and `ip route` / `ip -j route` (iproute2).
import {isIPv4, isIPv6, isRecord, netmaskToPrefixlen, parseJsonArray, splitLines, toInt} from './ip-util.js'

export interface Route {
  /** Network address without the prefix: `0.0.0.0` for default, `169.254.169.254` for a host route. */
  destination: string
  prefixlen: number
  /** Next hop; null for an on-link route (`0.0.0.0` in `route -n`, no `via` in `ip route`). */
  gateway: string | null
  dev?: string
  /**
   * `route -n`: the Flags column as printed (`U`, `UG`, `UGH`).
   * `ip route`: the route's flag words (`onlink`, `linkdown`) joined by `,`; absent when none.
   */
  flags?: string
}

// Destination  Gateway  Genmask  Flags Metric Ref Use Iface
const ROUTE_N = /^\s*(\S+)\s+(\S+)\s+(\d+\.\d+\.\d+\.\d+)\s+([A-Z!]+)\s+\d+\s+\d+\s+\d+\s+(\S+)\s*$/

export function parseRouteN(text: string): Route[] {
  const out: Route[] = []
  for (const line of splitLines(text)) {
    const m = ROUTE_N.exec(line)
    if (!m) continue // title, header, blank or foreign lines
    const [, dst, gw, mask, flags, dev] = m
    const destination = dst === 'default' ? '0.0.0.0' : dst
    const prefixlen = netmaskToPrefixlen(mask)
    if (!isIPv4(destination) || prefixlen === undefined) continue
    const gateway = gw === '0.0.0.0' || gw === '*' ? null : gw
    if (gateway !== null && !isIPv4(gateway)) continue
    out.push({destination, dev, flags, gateway, prefixlen})
  }
  return out
}

/** `ip route` text (also `ip -6 route`) or `ip -j route` JSON (detected by a leading `[`). */
export function parseIpRoute(text: string): Route[] {
  if (text.trimStart().startsWith('[')) return parseIpRouteJson(text)
  const out: Route[] = []
  let multipathHead: {destination: string; prefixlen: number} | undefined
  for (const line of splitLines(text)) {
    if (line.trim() === '') continue
    const tokens = line.trim().split(/\s+/)
    if (tokens[0] === 'nexthop' && multipathHead) {
      // continuation of a multipath route: `\tnexthop via 192.0.2.1 dev eth0 weight 1`
      out.push({...multipathHead, ...hopOf(tokens)})
      continue
    }
    multipathHead = undefined
    let i = 0
    if (ROUTE_TYPES.has(tokens[0])) i++ // `unreachable 10.0.0.0/8`, `local 127.0.0.1 ...`
    const dst = splitDestination(tokens[i], hasV6Hint(tokens))
    if (!dst) continue
    const hop = hopOf(tokens.slice(i + 1))
    if (i === 0 && hop.gateway === null && hop.dev === undefined) {
      // no next hop and no device: the head of a multipath route, whose hops follow
      multipathHead = dst
      continue
    }
    out.push({...dst, ...hop})
  }
  return out
}

const ROUTE_TYPES = new Set(['unicast', 'local', 'broadcast', 'multicast', 'throw', 'unreachable', 'prohibit', 'blackhole', 'nat', 'anycast'])
const ROUTE_FLAG_WORDS = new Set(['onlink', 'linkdown', 'dead', 'pervasive', 'offload', 'trap', 'rt_offload', 'rt_trap'])

function hasV6Hint(tokens: string[]): boolean {
  return tokens.some((t) => t.includes(':') && isIPv6(t.split('/')[0]))
}

function splitDestination(token: string | undefined, v6: boolean): {destination: string; prefixlen: number} | undefined {
  if (token === undefined) return undefined
  if (token === 'default') return v6 ? {destination: '::', prefixlen: 0} : {destination: '0.0.0.0', prefixlen: 0}
  const [addr, plen] = token.split('/')
  const family = isIPv4(addr) ? 4 : isIPv6(addr) ? 6 : 0
  if (family === 0) return undefined
  const prefixlen = plen === undefined ? (family === 4 ? 32 : 128) : toInt(plen)
  if (prefixlen === undefined || prefixlen > (family === 4 ? 32 : 128)) return undefined
  return {destination: addr.toLowerCase(), prefixlen}
}

function hopOf(tokens: string[]): {gateway: string | null; dev?: string; flags?: string} {
  const hop: {gateway: string | null; dev?: string; flags?: string} = {gateway: null}
  const flags: string[] = []
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]
    if (t === 'via') {
      // `via inet6 fe80::1` is how IPv4-over-IPv6 next hops print
      let gw = tokens[i + 1]
      if (gw === 'inet' || gw === 'inet6') gw = tokens[++i + 1]
      if (gw !== undefined && (isIPv4(gw) || isIPv6(gw))) hop.gateway = gw.toLowerCase()
      i++
    } else if (t === 'dev') {
      if (tokens[i + 1] !== undefined) hop.dev = tokens[i + 1]
      i++
    } else if (ROUTE_FLAG_WORDS.has(t)) {
      flags.push(t)
    }
  }
  if (flags.length > 0) hop.flags = flags.join(',')
  return hop
}

function parseIpRouteJson(text: string): Route[] {
  const data = parseJsonArray(text)
  const out: Route[] = []
  for (const r of data) {
    if (!isRecord(r) || typeof r.dst !== 'string') continue
    const gwHint = typeof r.gateway === 'string' ? r.gateway : ''
    const dst = splitDestination(r.dst, r.family === 'inet6' || gwHint.includes(':') || r.dst.includes(':'))
    if (!dst) continue
    const hops: unknown[] = Array.isArray(r.nexthops) && r.nexthops.length > 0 ? r.nexthops : [r]
    for (const h of hops) {
      if (!isRecord(h)) continue
      const route: Route = {...dst, gateway: typeof h.gateway === 'string' ? h.gateway.toLowerCase() : null}
      if (typeof h.dev === 'string') route.dev = h.dev
      else if (typeof r.dev === 'string') route.dev = r.dev
      const flags = Array.isArray(h.flags) ? h.flags.filter((f): f is string => typeof f === 'string') : []
      if (flags.length > 0) route.flags = flags.join(',')
      out.push(route)
    }
  }
  return out
}

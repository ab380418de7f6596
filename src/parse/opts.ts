// The DHCP agent's dnsmasq options file, STATE/dhcp/NET/opts (often no trailing newline):
//   tag:tag0,option:classless-static-route,169.254.169.254/32,172.17.17.1      Grizzly
//   tag0,option:router                                                         dnsmasq < 2.59
//   tag:subnet-<uuid>,249,169.254.169.254/32,198.51.100.1                      Havana+ (Windows twin)
//   tag:subnet-<uuid>,option6:dns-server,[2001:db8::1]                         IPv6
import {isIPv4, splitLines, toInt} from './ip-util.js'

export interface OptsLine {
  /** 1-based line number in the file. */
  line: number
  raw: string
  /** `tag0`, `subnet-366aea06-...` (without `tag:`). */
  tag?: string
  /** Without `option:` / `option6:`: `classless-static-route`, `router`, `dns-server`, `249`, `121`. */
  option: string
  values: string[]
  /** true for an `option6:` line. */
  ipv6?: boolean
}

export interface RoutePair {
  destination: string
  prefixlen: number
  nexthop: string
}

/** Lines that name no option (comments, blanks, garbage) are left out. */
export function parseOpts(text: string): OptsLine[] {
  const out: OptsLine[] = []
  splitLines(text).forEach((raw, idx) => {
    const trimmed = raw.trim()
    if (trimmed === '' || trimmed.startsWith('#')) return
    const fields = trimmed.split(',').map((f) => f.trim())
    let tag: string | undefined
    let i = 0
    // tags before the option: `tag:X` (dnsmasq >= 2.59), `net:X` (older), or a bare
    // `tagN` as Grizzly wrote it for dnsmasq < 2.59
    while (i < fields.length && !isOptionField(fields[i])) {
      const f = fields[i]
      const m = /^(?:tag|net):(.*)$/.exec(f)
      const name = m ? m[1] : /^[A-Za-z][\w.-]*$/.test(f) ? f : undefined
      if (name === undefined) return
      tag ??= name
      i++
    }
    if (i >= fields.length) return
    const opt = fields[i]
    const ipv6 = opt.startsWith('option6:')
    const option = opt.replace(/^option6?:/, '').toLowerCase()
    if (option === '') return
    const line: OptsLine = {line: idx + 1, option, raw, values: fields.slice(i + 1)}
    if (tag !== undefined) line.tag = tag
    if (ipv6) line.ipv6 = true
    out.push(line)
  })
  return out
}

function isOptionField(f: string): boolean {
  return /^option6?:/.test(f) || /^\d+$/.test(f)
}

const MAX_ERRORS = 20

/**
 * A 121/249 value list `dest/prefix,nexthop,dest/prefix,nexthop,...` -> pairs.
 * Problems become error strings; good pairs around them are still returned.
 */
export function routePairs(values: string[]): {pairs: RoutePair[]; errors: string[]} {
  const pairs: RoutePair[] = []
  const errors: string[] = []
  // a damaged line can hold a million values: every good pair is kept, the words about bad ones are capped
  let more = 0
  const problem = (text: () => string) => (errors.length < MAX_ERRORS ? errors.push(text()) : more++)
  if (values.length % 2 !== 0) {
    problem(() => `odd number of values (${values.length}): '${values.at(-1) ?? ''}' has no next hop`)
  }
  for (let i = 0; i + 1 < values.length; i += 2) {
    const dst = values[i]
    const nexthop = values[i + 1]
    const [address, plen, extra] = dst.split('/')
    const prefixlen = toInt(plen)
    let ok = true
    if (extra !== undefined || !isIPv4(address) || prefixlen === undefined || prefixlen > 32) {
      problem(() => `bad destination '${dst}' (want a.b.c.d/len)`)
      ok = false
    }
    if (!isIPv4(nexthop)) {
      problem(() => `bad next hop '${nexthop}' for '${dst}' (want an IPv4 address)`)
      ok = false
    }
    if (ok && prefixlen !== undefined) pairs.push({destination: address, nexthop, prefixlen})
  }
  if (more > 0) errors.push(`... and ${more} more problems`)
  return {errors, pairs}
}

/** Option 121, by name or number (`option:classless-static-route`, `121`, `option:121`). */
export function isClasslessRoute(o: OptsLine): boolean {
  return !o.ipv6 && (o.option === 'classless-static-route' || o.option === '121')
}

/** Option 3, the default gateway (`option:router,GW`; no value when the subnet has none). */
export function isRouterOption(o: OptsLine): boolean {
  return !o.ipv6 && (o.option === 'router' || o.option === '3')
}

/** Option 249, the Microsoft twin of 121 (`249`, `option:249`). */
export function isWin2k3Route(o: OptsLine): boolean {
  return !o.ipv6 && o.option === '249'
}

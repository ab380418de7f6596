/**
 * A gateway-less subnet: validate locally, then one POST with the literal `"gateway_ip": null`
 * (a client that drops nulls gets a .1 gateway, and the subnet is no longer isolated on Grizzly).
 */
import {isIPv4, isIPv6} from 'node:net'

import {type QmError, cannotError, usageError} from '../errors.js'
import {ResponseError} from './http.js'
import {MAX_DEPTH, type NeutronClient, apiError, describeJson} from './neutron.js'
import {isUuid, showBadId, stripControls, tooDeep} from './server-text.js'

export interface SubnetRequest {
  network: string
  cidr: string
  ipVersion: 4 | 6
  name?: string
  enableDhcp: boolean
  dnsNameservers: string[]
  allocationPools: string[]
  hostRoutes: string[]
}

export type Subnet = Record<string, unknown> & {id: string; gateway_ip: string | null; cidr: string; network_id: string}

function ipv4Int(ip: string): number {
  return ip.split('.').reduce((a, o) => a * 256 + Number(o), 0)
}

/** Validates `a.b.c.d/n` or an IPv6 prefix of the stated version; returns warnings for the operator. */
export function checkCidr(cidr: string, version: 4 | 6): string[] {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr)
  const ok = m && (version === 4 ? isIPv4(m[1]) && Number(m[2]) <= 32 : isIPv6(m[1]) && Number(m[2]) <= 128)
  if (!ok) {
    const other = m && (version === 4 ? isIPv6(m[1]) : isIPv4(m[1]))
    throw usageError(
      'bad-cidr',
      other
        ? version === 4
          ? `${cidr} is an IPv6 range: add --ip-version 6`
          : `${cidr} is an IPv4 range; --ip-version is 6 (drop it)`
        : `${JSON.stringify(cidr)} is not an IPv${version} CIDR like 172.17.17.0/24`,
    )
  }
  const warnings: string[] = []
  if (version === 6) warnings.push('IPv6 subnet: DHCP option 121 does not exist there; instances reach metadata at fe80::a9fe:a9fe (Victoria and later)')
  else {
    const prefix = Number(m![2])
    const size = 2 ** (32 - prefix)
    const start = Math.floor(ipv4Int(m![1]) / size) * size
    const ll = ipv4Int('169.254.0.0')
    if (start < ll + 65_536 && ll < start + size)
      warnings.push(`${cidr} overlaps 169.254.0.0/16, the metadata address's link-local range: instances will route 169.254.169.254 oddly`)
  }
  return warnings
}

function keyValues(text: string, keys: string[][], flag: string): Record<string, string> {
  // keys: each wanted key with its accepted spellings, the first one is the name used
  const out: Record<string, string> = {}
  const usage = `${flag} wants ${keys.map((x) => `${x[0]}=…`).join(',')}, got ${JSON.stringify(text)}`
  for (const part of text.split(',')) {
    const eq = part.indexOf('=')
    const k = part.slice(0, eq).trim()
    const v = part.slice(eq + 1).trim()
    const key = keys.find((names) => names.includes(k))?.[0]
    if (eq < 0 || !key || !v || v.includes('=')) throw usageError('bad-flag', usage)
    if (out[key] !== undefined) throw usageError('bad-flag', `${flag} ${JSON.stringify(text)} gives ${key}= twice`)
    out[key] = v
  }
  for (const [k] of keys) if (!out[k]) throw usageError('bad-flag', `${flag} ${JSON.stringify(text)} lacks ${k}=`)
  return out
}

/** An IPv4 or IPv6 address as a number (IPv4-in-IPv6 tails included); the caller checked it with isIPv4/isIPv6. */
export function ipValue(ip: string): bigint {
  if (isIPv4(ip)) return BigInt(ipv4Int(ip))
  let text = ip
  if (text.includes('.')) {
    const at = text.lastIndexOf(':')
    const n = ipv4Int(text.slice(at + 1))
    text = `${text.slice(0, at + 1)}${Math.floor(n / 65_536).toString(16)}:${(n % 65_536).toString(16)}`
  }
  const [head, tail] = text.split('::')
  const h = head ? head.split(':') : []
  const t = tail === undefined ? [] : tail ? tail.split(':') : []
  const groups = tail === undefined ? h : [...h, ...Array.from({length: 8 - h.length - t.length}, () => '0'), ...t]
  return groups.reduce((a, g) => a * 65_536n + BigInt(Number.parseInt(g, 16)), 0n)
}

/** The first and last address of a CIDR already checked by checkCidr. */
function cidrRange(cidr: string): {first: bigint; last: bigint} {
  const [ip, prefix] = cidr.split('/')
  const bits = isIPv4(ip) ? 32 : 128
  const size = 1n << BigInt(bits - Number(prefix))
  const first = (ipValue(ip) / size) * size
  return {first, last: first + size - 1n}
}

const isAddress = (ip: string, version: 4 | 6) => (version === 4 ? isIPv4(ip) : isIPv6(ip) && !ip.includes('%'))

/** Everything that can be refused before any request: the CIDR, pools, routes, name servers. Returns warnings. */
export function validateSubnetRequest(req: SubnetRequest, opts: {force?: boolean} = {}): string[] {
  const warnings = checkCidr(req.cidr, req.ipVersion)
  const linkLocal = warnings.find((w) => w.includes('169.254.0.0/16'))
  if (linkLocal && !opts.force) throw usageError('link-local-cidr', `${linkLocal}: refused (--force creates it anyway)`)
  subnetBody(req, '')
  return warnings
}

export function subnetBody(req: SubnetRequest, networkId: string): {subnet: Record<string, unknown>} {
  const v = req.ipVersion
  for (const ns of req.dnsNameservers)
    if (!isIPv4(ns) && !isIPv6(ns)) throw usageError('bad-flag', `--dns-nameserver ${JSON.stringify(ns)} is not an IP address`)
  const range = cidrRange(req.cidr)
  const taken: {first: bigint; last: bigint; text: string}[] = []
  const pools = req.allocationPools.map((p) => {
    const kv = keyValues(p, [['start'], ['end']], '--allocation-pool')
    if (!isAddress(kv.start, v) || !isAddress(kv.end, v))
      throw usageError('bad-flag', `--allocation-pool ${JSON.stringify(p)}: start and end must be IPv${v} addresses`)
    const first = ipValue(kv.start)
    const last = ipValue(kv.end)
    if (first < range.first || last > range.last || first > range.last || last < range.first) {
      throw usageError('bad-flag', `--allocation-pool ${p}: ${kv.start}-${kv.end} is not inside ${req.cidr}`)
    }
    if (first > last) throw usageError('bad-flag', `--allocation-pool ${p}: start ${kv.start} comes after end ${kv.end}`)
    const clash = taken.find((o) => first <= o.last && o.first <= last)
    if (clash) throw usageError('bad-flag', `--allocation-pool ${p} overlaps --allocation-pool ${clash.text}`)
    taken.push({first, last, text: p})
    return {end: kv.end, start: kv.start}
  })
  const routes = req.hostRoutes.map((r) => {
    const kv = keyValues(r, [['destination'], ['gateway', 'nexthop']], '--host-route')
    try {
      checkCidr(kv.destination, v)
    } catch {
      throw usageError('bad-flag', `--host-route ${JSON.stringify(r)}: destination must be an IPv${v} CIDR like ${v === 4 ? '10.0.0.0/8' : '2001:db8::/32'}`)
    }
    if (!isAddress(kv.gateway, v)) throw usageError('bad-flag', `--host-route ${JSON.stringify(r)}: the gateway (next hop) must be an IPv${v} address`)
    return {destination: kv.destination, nexthop: kv.gateway}
  })
  const subnet: Record<string, unknown> = {
    cidr: req.cidr,
    enable_dhcp: req.enableDhcp,
    gateway_ip: null,
    ip_version: req.ipVersion,
    network_id: networkId,
  }
  if (req.name !== undefined) subnet.name = req.name
  if (req.dnsNameservers.length > 0) subnet.dns_nameservers = req.dnsNameservers
  if (pools.length > 0) subnet.allocation_pools = pools
  if (routes.length > 0) subnet.host_routes = routes
  return {subnet}
}

/** A 2xx whose answer cannot be read: the POST may well have worked, so say so and never send it again. */
function maybeCreated(why: string, networkId: string, id: string | undefined): QmError {
  return cannotError(
    'subnet-maybe-created',
    `${why}; the subnet may have been created (${id ? `id ${id}` : 'its id is not known'}): look before trying again: openstack subnet list --network ${networkId}`,
  )
}

/** The id at the end of a Location header, when it is a UUID. */
function idFromLocation(location: string | undefined): string | undefined {
  const last = location?.replace(/\/+$/, '').split('/').pop()
  return isUuid(last) ? last.toLowerCase() : undefined
}

/** Control characters and escapes out of every string of an answer already checked for depth. */
function clean(v: unknown): unknown {
  if (typeof v === 'string') return stripControls(v)
  if (Array.isArray(v)) return v.map(clean)
  if (typeof v === 'object' && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [stripControls(k), clean(x)]))
  return v
}

/** The subnet of a 200/201 answer, its shape checked (what is used: id, network_id, cidr, gateway_ip). */
export function readCreated(r: {status: number; text: string; json: unknown; location?: string}, what: string, networkId: string): Subnet {
  const doc = r.json
  const head = `${what} answered HTTP ${r.status}`
  const locId = idFromLocation(r.location)
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || tooDeep(doc, MAX_DEPTH))
    throw maybeCreated(`${head} with ${describeJson(r.text, doc)}`, networkId, locId)
  const s = (doc as Record<string, unknown>).subnet
  if (typeof s !== 'object' || s === null || Array.isArray(s)) throw maybeCreated(`${head} without a "subnet" object`, networkId, locId)
  const sub = s as Record<string, unknown>
  if (!isUuid(sub.id)) throw maybeCreated(`${head} with a subnet id that is not a UUID: ${showBadId(sub.id)}`, networkId, locId)
  const id = sub.id.toLowerCase()
  if (!isUuid(sub.network_id)) throw maybeCreated(`${head} with a network_id that is not a UUID: ${showBadId(sub.network_id)}`, networkId, id)
  if (sub.network_id.toLowerCase() !== networkId.toLowerCase()) throw maybeCreated(`${head} naming network ${sub.network_id}, not ${networkId}`, networkId, id)
  if (typeof sub.cidr !== 'string') throw maybeCreated(`${head} with a subnet without its cidr`, networkId, id)
  if (sub.gateway_ip !== null && typeof sub.gateway_ip !== 'string') throw maybeCreated(`${head} with a subnet without its gateway_ip`, networkId, id)
  return {...(clean(sub) as Record<string, unknown>), id, network_id: sub.network_id.toLowerCase()} as Subnet
}

/**
 * One round trip when <network> is an id: the POST itself says whether the network exists (404,
 * nothing created). Only then, or for a name, is the network looked up, and the POST sent again
 * with the id found (a POST that was refused is safe to send again; one that may have worked is not).
 */
export async function createSubnet(neutron: NeutronClient, req: SubnetRequest): Promise<Subnet> {
  const post = async (id: string, label: string) => {
    const what = `POST /subnets on ${label}`
    let r
    try {
      r = await neutron.call('POST', '/subnets', subnetBody(req, id))
    } catch (error) {
      if (error instanceof ResponseError && error.status >= 200 && error.status < 300) throw maybeCreated(error.message, id, idFromLocation(error.location))
      throw error
    }
    if (r.status === 201 || r.status === 200) return readCreated(r, what, id)
    if (r.status > 200 && r.status < 300) throw maybeCreated(`${what} answered HTTP ${r.status}, not 201`, id, idFromLocation(r.location))
    return apiError(r, `creating a subnet on ${label}`)
  }
  if (isUuid(req.network)) {
    const first = await post(req.network.toLowerCase(), req.network)
    if (!(first instanceof Error)) return first
    if (first.code !== 'not-found') throw first
  }
  const network = await neutron.findNetwork(req.network)
  const second = await post(network.id, network.name || network.id)
  if (second instanceof Error) throw second
  return second
}

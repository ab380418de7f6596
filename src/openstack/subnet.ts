/**
 * A gateway-less subnet: validate locally, then one POST with the literal `"gateway_ip": null`
 * (a client that drops nulls gets a .1 gateway, and the subnet is no longer isolated on Grizzly).
 */
import {isIPv4, isIPv6} from 'node:net'

import {usageError} from '../errors.js'
import {type NeutronClient, apiError} from './neutron.js'

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
    throw usageError('bad-cidr', other ? `${cidr} is an IPv${version === 4 ? 6 : 4} range; --ip-version is ${version}` : `${JSON.stringify(cidr)} is not an IPv${version} CIDR like 172.17.17.0/24`)
  }
  const warnings: string[] = []
  if (version === 6) warnings.push('IPv6 subnet: DHCP option 121 does not exist there; instances reach metadata at fe80::a9fe:a9fe (Victoria and later)')
  else {
    const prefix = Number(m![2])
    const size = 2 ** (32 - prefix)
    const start = Math.floor(ipv4Int(m![1]) / size) * size
    const ll = ipv4Int('169.254.0.0')
    if (start < ll + 65_536 && ll < start + size) warnings.push(`${cidr} overlaps 169.254.0.0/16, the metadata address's link-local range: instances will route 169.254.169.254 oddly`)
  }
  return warnings
}

function keyValues(text: string, keys: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of text.split(',')) {
    const [k, v] = part.split('=', 2).map((s) => s.trim())
    if (!keys.includes(k) || !v) throw usageError('bad-flag', `${flag} wants ${keys.map((x) => `${x}=…`).join(',')}, got ${JSON.stringify(text)}`)
    out[k] = v
  }
  for (const k of keys) if (!out[k]) throw usageError('bad-flag', `${flag} ${JSON.stringify(text)} lacks ${k}=`)
  return out
}

/** Everything that can be refused before any request: the CIDR, pools, routes, name servers. Returns warnings. */
export function validateSubnetRequest(req: SubnetRequest): string[] {
  const warnings = checkCidr(req.cidr, req.ipVersion)
  subnetBody(req, '')
  return warnings
}

export function subnetBody(req: SubnetRequest, networkId: string): {subnet: Record<string, unknown>} {
  const isIp = req.ipVersion === 4 ? isIPv4 : isIPv6
  for (const ns of req.dnsNameservers) if (!isIPv4(ns) && !isIPv6(ns)) throw usageError('bad-flag', `--dns-nameserver ${JSON.stringify(ns)} is not an IP address`)
  const pools = req.allocationPools.map((p) => {
    const kv = keyValues(p, ['start', 'end'], '--allocation-pool')
    if (!isIp(kv.start) || !isIp(kv.end)) throw usageError('bad-flag', `--allocation-pool ${p}: start and end must be IPv${req.ipVersion} addresses`)
    return {end: kv.end, start: kv.start}
  })
  const routes = req.hostRoutes.map((r) => {
    const kv = keyValues(r, ['destination', 'gateway'], '--host-route')
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

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * One round trip when <network> is an id: the POST itself says whether the network exists (404,
 * nothing created). Only then, or for a name, is the network looked up, and the POST sent again
 * with the id found (a POST that was refused is safe to send again; one that may have worked is not).
 */
export async function createSubnet(neutron: NeutronClient, req: SubnetRequest): Promise<Subnet> {
  const post = async (id: string, label: string) => {
    const r = await neutron.call('POST', '/subnets', subnetBody(req, id))
    if (r.status === 201 || r.status === 200) return (r.json as {subnet: Subnet}).subnet
    return apiError(r, `creating a subnet on ${label}`)
  }
  if (UUID.test(req.network)) {
    const first = await post(req.network, req.network)
    if (!(first instanceof Error)) return first
    if (first.code !== 'not-found') throw first
  }
  const network = await neutron.findNetwork(req.network)
  const second = await post(network.id, network.name || network.id)
  if (second instanceof Error) throw second
  return second
}

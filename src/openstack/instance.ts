/**
 * `diagnose --server VM`, `--port PORT`, `--ip IP [--network NET]` (issue 19, item 3): from the
 * instance an operator's ticket names to its Neutron port, and so to the network to diagnose.
 *
 * Asked of the API with every value URL-encoded in a query (never a path segment of the operator's,
 * never a shell): `GET /v2.0/ports?device_id=ID`, `?name=NAME`, `?fixed_ips=ip_address%3DIP`, a port by
 * its id; a server's name through Nova's compute API found in the Keystone catalog
 * (`GET /servers?name=^NAME$`, the name's regex characters escaped). Every answer is untrusted: ids
 * are used only as UUIDs, a MAC only as a MAC, an address only as an address, text through serverText.
 * None, several or unreadable answers end the run with one line: none or several (the candidates
 * listed) are exit 2, an answer that is not what the APIs send exit 3.
 */
import {BlockList, isIP} from 'node:net'

import {cannotError, usageError} from '../errors.js'
import type {Credentials, OsFlags} from './credentials.js'
import {parseJson, request, timeoutMsOf} from './http.js'
import {catalogUrl, checkedCatalogUrl} from './keystone.js'
import {apiError, describeJson, MAX_DEPTH, type NeutronClient} from './neutron.js'
import {isUuid, serverText, showBadId, tooDeep} from './server-text.js'

/** What the operator named: the flag and its value as typed. */
export type InstanceTarget = {kind: 'server' | 'port' | 'ip'; value: string}

/** The instance's port as the API gave it, each field checked. */
export interface Instance {
  /** the port's id */
  port: string
  /** its network's id */
  network: string
  /** the address asked with --ip, else its first IPv4 (the one the metadata agent sees), else its first address */
  ip?: string
  /** its MAC address, lower case */
  mac?: string
  /** its device_id when that is a UUID (Nova's instance id for a compute:* port) */
  server?: string
  /** binding:host_id: the compute host (ML2/OVN: the chassis) it is bound to */
  host?: string
  /** device_owner, shown in messages (compute:nova) */
  owner?: string
  /** the other addresses it holds */
  ips: string[]
}

/** Neutron's and Nova's limit on a name: a longer value is no name, and is not sent. */
const MAX_NAME = 255
/** Candidates listed in one message at most (the rest counted). */
export const LISTED = 10

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)
const MAC = /^[0-9a-f]{2}(?::[0-9a-f]{2}){5}$/i

/** `a`, `a and b`, `a, b and 3 more` */
function listed(xs: string[]): string {
  const shown = xs.slice(0, LISTED)
  const more = xs.length > LISTED ? [`${xs.length - LISTED} more`] : []
  const all = [...shown, ...more]
  return all.length < 2 ? all.join('') : `${all.slice(0, -1).join(', ')} and ${all.at(-1)}`
}

/** The same address, however written (2001:db8::1 and 2001:DB8:0::1). */
function sameAddress(a: string, b: string): boolean {
  const fa = isIP(a)
  if (fa === 0 || fa !== isIP(b)) return false
  const list = new BlockList()
  list.addAddress(a, fa === 4 ? 'ipv4' : 'ipv6')
  return list.check(b, fa === 4 ? 'ipv4' : 'ipv6')
}

/** An address as Neutron stores it: IPv6 in its RFC 5952 form (2001:DB8:0::5 is 2001:db8::5), which the query must match. */
export function canonicalIp(ip: string): string {
  return isIP(ip) === 6 ? new URL(`http://[${ip}]/`).hostname.slice(1, -1) : ip
}

/** One port of an answer read into an Instance; its id or network_id not a UUID: exit 3 (never reaches a path). */
export function readInstancePort(raw: unknown, what: string, ipAsked?: string): Instance {
  if (!isObj(raw)) throw cannotError('api-bad-answer', `${what}: the answer lists a port that is not an object`)
  if (!isUuid(raw.id)) throw cannotError('api-bad-id', `${what}: the API answered a port whose id is not a UUID: ${showBadId(raw.id)}`)
  const port = raw.id.toLowerCase()
  if (!isUuid(raw.network_id))
    throw cannotError('api-bad-id', `${what}: the API answered port ${port} whose network_id is not a UUID: ${showBadId(raw.network_id)}`)
  const ips = (Array.isArray(raw.fixed_ips) ? raw.fixed_ips : [])
    .slice(0, 1000)
    .map((f) => (isObj(f) && typeof f.ip_address === 'string' && f.ip_address.length <= 45 && isIP(f.ip_address) !== 0 ? f.ip_address : undefined))
    .filter((ip): ip is string => ip !== undefined)
  const ip = (ipAsked === undefined ? undefined : ips.find((a) => sameAddress(a, ipAsked))) ?? ips.find((a) => isIP(a) === 4) ?? ips[0]
  const text = (v: unknown, max: number) => (typeof v === 'string' && v !== '' ? serverText(v, max) : undefined)
  const inst: Instance = {ips, network: raw.network_id.toLowerCase(), port}
  if (ip !== undefined) inst.ip = ip
  if (typeof raw.mac_address === 'string' && MAC.test(raw.mac_address)) inst.mac = raw.mac_address.toLowerCase()
  if (isUuid(raw.device_id)) inst.server = raw.device_id.toLowerCase()
  const host = text(raw['binding:host_id'], 255)
  if (host !== undefined) inst.host = host
  const owner = text(raw.device_owner, 60)
  if (owner !== undefined) inst.owner = owner
  return inst
}

/** A list answer's `key` list (a 200 JSON object holding a list), else exit 3 saying what came. */
function answerList(doc: Record<string, unknown>, key: string, what: string): unknown[] {
  const v = doc[key]
  if (!Array.isArray(v)) throw cannotError('api-bad-answer', `${what}: the answer has no "${key}" list (${v === undefined ? 'none' : describeJson('', v)})`)
  return v
}

/** How a port is named in a list of candidates. */
const portLine = (p: Instance) => `port ${p.port} on network ${p.network}${p.ip ? ` (${p.ip})` : ''}`

/**
 * The one port of `ports` (already narrowed to --network), or exit 2: none, several networks (asking for
 * --network), several ports on the network (asking for --port).
 */
export function pickPort(given: Instance[], named: string, networkGiven: string | undefined): Instance {
  // a port listed twice is one port
  const ports = [...new Map(given.map((p) => [p.port, p])).values()]
  const on = networkGiven === undefined ? '' : ` on network ${networkGiven}`
  if (ports.length === 0) throw usageError('instance-not-found', `${named} has no port${on}`)
  const networks = [...new Set(ports.map((p) => p.network))]
  if (networks.length > 1)
    throw usageError(
      'instance-ambiguous',
      `${named} has ports on ${networks.length} networks: ${listed(ports.map(portLine))}; give --network NET (one of them)`,
    )
  if (ports.length > 1)
    throw usageError('instance-ambiguous', `${named} has ${ports.length} ports on network ${networks[0]}: ${listed(ports.map(portLine))}; give --port PORT`)
  return ports[0]
}

/** The server ids Nova lists under exactly `name` (the regex Nova applies is anchored and escaped; the answer filtered again). */
async function serversNamed(neutron: NeutronClient, creds: Credentials, name: string): Promise<string[]> {
  const shown = JSON.stringify(serverText(name, 100))
  const catalog = neutron.session.catalog
  const why = catalog === undefined ? 'is not read (--os-endpoint or --os-auth-type none skip Keystone)' : undefined
  const found = catalog === undefined ? undefined : catalogUrl(catalog.entries, 'compute', catalog.version, creds)
  if (why || !found?.url)
    throw usageError(
      'server-name-needs-id',
      `--server ${shown}: a server's name is looked up in Nova, and the Keystone catalog ${why ?? (found?.service ? `has no ${creds.interface} compute endpoint` : 'has no "compute" service')}: give the server's id (openstack server show NAME -c id)`,
    )
  const base = checkedCatalogUrl(found.url, `the catalog's ${creds.interface} compute endpoint`).replace(/\/+$/, '')
  const regex = `^${name.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&')}$`
  const ask = async (allTenants: boolean) => {
    const path = `/servers?name=${encodeURIComponent(regex)}${allTenants ? '&all_tenants=1' : ''}`
    const r = await request('GET', `${base}${path}`, {
      headers: neutron.session.token ? {'X-Auth-Token': neutron.session.token} : {},
      timeoutMs: timeoutMsOf(creds),
      tls: creds,
    })
    return {path, ...r}
  }
  const what = `servers named ${shown}`
  // an admin sees every project's servers with all_tenants; Nova refuses it to others, who see their own
  let r = await ask(true)
  if (r.status === 403) r = await ask(false)
  if (r.status !== 200) throw apiError(r, `${what} (Nova)`)
  const doc = parseJson(r.text)
  if (!isObj(doc) || tooDeep(doc, MAX_DEPTH)) throw cannotError('api-bad-answer', `${what}: GET ${r.path} answered HTTP 200 with ${describeJson(r.text, doc)}`)
  const servers = answerList(doc, 'servers', what).filter((s): s is Record<string, unknown> => isObj(s) && s.name === name)
  const bad = servers.find((s) => !isUuid(s.id))
  if (bad) throw cannotError('api-bad-id', `${what}: Nova answered a server whose id is not a UUID: ${showBadId(bad.id)}`)
  return [...new Set(servers.map((s) => (s.id as string).toLowerCase()))]
}

/**
 * The instance's port: found through the API (the operator's credentials), narrowed to `network` (an id
 * or a name) when given. Says on stderr what it found unless `quiet` (--json).
 */
export async function findInstance(
  target: InstanceTarget,
  network: string | undefined,
  flags: OsFlags,
  quiet: boolean,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Instance> {
  const {value} = target
  if (target.kind !== 'ip' && value.length > MAX_NAME)
    throw usageError('bad-instance', `--${target.kind}: a name is at most ${MAX_NAME} characters, got ${value.length}`)
  if (value === '') throw usageError('bad-instance', `--${target.kind}: the value is empty`)
  if (target.kind === 'ip' && isIP(value) === 0) throw usageError('bad-instance', `--ip ${JSON.stringify(serverText(value, 60))}: not an IPv4 or IPv6 address`)
  const {connectWith} = await import('./session.js')
  const {neutron, creds} = await connectWith(flags, env)
  const netId = network === undefined ? undefined : isUuid(network) ? network.toLowerCase() : (await neutron.findNetwork(network, true)).id
  const onNet = netId === undefined ? '' : `&network_id=${netId}`
  const shown = JSON.stringify(serverText(value, 100))
  const list = async (query: string, what: string) => answerList(await neutron.getObject(`/ports?${query}${onNet}`, what), 'ports', what)
  let named: string
  let raws: unknown[]
  switch (target.kind) {
    case 'port': {
      named = `port ${shown}`
      if (isUuid(value)) {
        const doc = await neutron.getObject(`/ports/${value.toLowerCase()}`, named)
        raws = [isObj(doc.port) ? doc.port : undefined]
      } else {
        raws = (await list(`name=${encodeURIComponent(value)}`, `ports named ${shown}`)).filter((p) => isObj(p) && p.name === value)
        if (raws.length === 0) throw usageError('instance-not-found', `no port named ${shown}${netId ? ` on network ${netId}` : ''}`)
      }
      break
    }
    case 'ip':
      named = `address ${value}`
      raws = (await list(`fixed_ips=${encodeURIComponent(`ip_address=${canonicalIp(value)}`)}`, `ports holding ${value}`)).filter(
        (p) =>
          isObj(p) && Array.isArray(p.fixed_ips) && p.fixed_ips.some((f) => isObj(f) && typeof f.ip_address === 'string' && sameAddress(f.ip_address, value)),
      )
      if (raws.length === 0) throw usageError('instance-not-found', `no port holds ${value}${netId ? ` on network ${netId}` : ''}`)
      break
    case 'server': {
      let id = value.toLowerCase()
      if (!isUuid(value)) {
        const ids = await serversNamed(neutron, creds, value)
        if (ids.length === 0) throw usageError('instance-not-found', `Nova lists no server named ${shown}`)
        if (ids.length > 1) throw usageError('instance-ambiguous', `${ids.length} servers are named ${shown}: ${listed(ids)}; give the id`)
        id = ids[0]
        if (!quiet) process.stderr.write(`server ${serverText(value, 100)} is ${id}\n`)
      }
      named = `server ${id}`
      raws = (await list(`device_id=${id}`, `the ports of server ${id}`)).filter((p) => isObj(p) && p.device_id === id)
      break
    }
  }
  const ports = raws.map((p) => readInstancePort(p, named, target.kind === 'ip' ? value : undefined)).filter((p) => netId === undefined || p.network === netId)
  const picked = pickPort(ports, named, netId)
  if (!quiet) process.stderr.write(`${named}: port ${picked.port} on network ${picked.network}${picked.host ? `, bound to ${picked.host}` : ''}\n`)
  return picked
}

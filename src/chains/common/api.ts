/**
 * What the Neutron API said about a network, as the evidence recorded it (collect --api, or the
 * operator's answers with --hosts-from-api): the answers by path, and the objects every chain reads.
 */
import {cannotError} from '../../errors.js'
import {memo, parsedBody} from '../../evidence/api-records.js'
import type {NetworkEvidence} from '../../evidence/evidence.js'
import {parseJson} from '../../openstack/http.js'
import {type ApiRecord, describeJson} from '../../openstack/neutron.js'
import {isUuid, serverText, showBadId} from '../../openstack/server-text.js'

// What the API answered is untrusted (a server, or a snapshot someone sent): every field used is
// read with its type checked, every string printed goes through serverText, an id that is not a
// UUID is shown quoted and never put in a fix.
export interface Subnet {
  id: string
  cidr: string
  ip_version: number
  enable_dhcp: boolean
  gateway_ip: string | null | undefined
  name?: string
}
export interface Port {
  id: string
  device_owner?: string
  'binding:host_id'?: string
  fixed_ips?: {subnet_id: string; ip_address: string}[]
}
export interface Agent {
  host: string
  alive: boolean
  admin_state_up?: boolean
  agent_type?: string
}

export type Obj = Record<string, unknown>
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const text = (v: unknown, max = 100): string => serverText(v, max)
const optText = (v: unknown, max = 100): string | undefined => (typeof v === 'string' ? serverText(v, max) : undefined)
const id = (v: unknown): string => (isUuid(v) ? v.toLowerCase() : showBadId(v))

export function record(ev: NetworkEvidence, path: string) {
  return ev.api?.records.find((r) => r.path === path)
}

/**
 * The objects of a 200 answer's list `key`; undefined when there is no such list. Parsed once per
 * answer (src/evidence/api-records.ts): hosts handed the same answers share what is read from them.
 */
export function list(ev: NetworkEvidence, path: string, key: string): Obj[] | undefined {
  const r = record(ev, path)
  if (r?.status !== 200 || typeof r.body !== 'string') return undefined
  return memo(r, `list ${key}`, () => {
    const doc = parsedBody(r)
    const items = isObj(doc) ? doc[key] : undefined
    return Array.isArray(items) ? items.filter(isObj) : undefined
  })
}

/** list() with each object read by `read` (readPort, readAgent...), once per answer. */
export function readList<T>(ev: NetworkEvidence, path: string, key: string, read: (o: Obj) => T): T[] | undefined {
  const r = record(ev, path)
  const items = list(ev, path, key)
  return r && items ? memo(r, read, () => items.map(read)) : undefined
}

/** How many hosts, ports or agents a finding names one by one; the rest are counted. */
export const LISTED_MAX = 20

/** `a, b, c` of at most LISTED_MAX names, then `and N more`. */
export function someOf(names: readonly string[], total = names.length): string {
  const shown = names.slice(0, LISTED_MAX)
  return `${shown.join(', ')}${total > shown.length ? ` and ${total - shown.length} more` : ''}`
}

/**
 * Evidence lines of a long answer: all of them up to LISTED_MAX + 1, else the first LISTED_MAX, the
 * lines of this host (`mine`, by index) that are not among them, and how many more the answer holds.
 */
export function someLines(count: number, line: (i: number) => string, mine: readonly number[], what: string): string[] {
  if (count <= LISTED_MAX + 1) return Array.from({length: count}, (_, i) => line(i))
  const later = mine.filter((i) => i >= LISTED_MAX)
  const shown = LISTED_MAX + later.length
  return [...Array.from({length: LISTED_MAX}, (_, i) => line(i)), ...later.map(line), `... and ${count - shown} more ${what} in the answer`]
}

export const readSubnet = (s: Obj): Subnet => ({
  cidr: text(s.cidr, 64),
  enable_dhcp: s.enable_dhcp === true,
  gateway_ip: s.gateway_ip === null ? null : typeof s.gateway_ip === 'string' ? text(s.gateway_ip, 64) : undefined,
  id: id(s.id),
  ip_version: typeof s.ip_version === 'number' ? s.ip_version : Number(s.ip_version),
  name: optText(s.name),
})
export const readPort = (p: Obj): Port => ({
  'binding:host_id': optText(p['binding:host_id']),
  device_owner: optText(p.device_owner),
  fixed_ips: (Array.isArray(p.fixed_ips) ? p.fixed_ips : []).filter(isObj).map((f) => ({ip_address: text(f.ip_address, 64), subnet_id: id(f.subnet_id)})),
  id: id(p.id),
})
export const readAgent = (a: Obj): Agent => ({
  admin_state_up: typeof a.admin_state_up === 'boolean' ? a.admin_state_up : undefined,
  agent_type: optText(a.agent_type),
  alive: a.alive === true,
  host: text(a.host, 100),
})

/** The API paths collect records for every network, whichever chain serves it (a chain adds its own: ChainModule.apiPaths). */
export const NEUTRON_PATHS = {
  network: (n: string) => `/networks/${n}`,
  ports: (n: string) => `/ports?network_id=${n}`,
  subnets: (n: string) => `/subnets?network_id=${n}`,
}

/** The list `key` of a 200 answer (the operator's, not a snapshot's), or a QmError (exit 3) saying what came instead. */
export function answerList(r: ApiRecord, key: string, what: string): Obj[] {
  const doc = parseJson(r.body)
  const items = isObj(doc) ? doc[key] : undefined
  if (!Array.isArray(items))
    throw cannotError('api-bad-answer', `${what}: GET ${r.path} answered HTTP 200 with ${describeJson(r.body, doc)}, not a "${key}" list`)
  return items.filter(isObj)
}

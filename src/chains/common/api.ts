/**
 * What the Neutron API said about a network, as the evidence recorded it (collect --api, or the
 * operator's answers with --hosts-from-api): the answers by path, and the objects every chain reads.
 */
import {cannotError} from '../../errors.js'
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

/** The objects of a 200 answer's list `key`; undefined when there is no such list. */
export function list(ev: NetworkEvidence, path: string, key: string): Obj[] | undefined {
  const r = record(ev, path)
  if (r?.status !== 200 || typeof r.body !== 'string') return undefined
  let doc: unknown
  try {
    doc = JSON.parse(r.body)
  } catch {
    return undefined
  }
  const items = isObj(doc) ? doc[key] : undefined
  return Array.isArray(items) ? items.filter(isObj) : undefined
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

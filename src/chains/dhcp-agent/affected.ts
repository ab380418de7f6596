/**
 * The instances a broken host affects (issue 11): the leases dnsmasq handed out on this host
 * (STATE/dhcp/NET/leases), each mapped through the API's ports of the network (the
 * `GET /ports?network_id=` answer this host recorded) by MAC to its port and device (the instance).
 * Both are untrusted: the lease file is parsed defensively (parse/leases.ts), every API string is
 * read with its type checked and through serverText.
 */
import type {NetworkEvidence} from '../../evidence/evidence.js'
import {list, record} from '../common/api.js'
import {memo} from '../../evidence/api-records.js'
import {P} from './api.js'
import {isUuid, serverText} from '../../openstack/server-text.js'
import {parseLeases} from '../../parse/leases.js'
import type {AffectedInstance} from '../types.js'

const optText = (v: unknown, max = 100): string | undefined => (typeof v === 'string' && v !== '' ? serverText(v, max) : undefined)

/**
 * The leases of `ev`, each with its port and device when the API listed a port of that MAC; undefined
 * without a lease file. A lease whose end is before `takenAt` (when the evidence was taken) is marked
 * expired: dnsmasq rewrites the file only on a change, so a stopped instance's lease can linger there.
 */
export function affectedInstances(ev: NetworkEvidence, takenAt?: string): AffectedInstance[] | undefined {
  const at = takenAt === undefined ? Number.NaN : Date.parse(takenAt)
  const content = ev.leases?.state === 'present' ? ev.leases.content : undefined
  if (content === undefined) return undefined
  const r = record(ev, P.ports(ev.network))
  // once per answer: every broken host handed the same ports list (--hosts-from-api) shares it
  const byMac = r ? memo(r, affectedInstances, () => portsByMac(ev)) : new Map<string, PortOfMac>()
  return parseLeases(content).leases.map((l) => {
    const a: AffectedInstance = {ip: l.ip, mac: l.mac}
    if (l.hostname) a.hostname = l.hostname
    if (l.expiry > 0 && Number.isFinite(at) && l.expiry * 1000 < at) a.expired = true
    const port = byMac.get(l.mac)
    if (port?.port) a.port = port.port
    if (port?.device) a.device = port.device
    if (port?.deviceOwner) a.deviceOwner = port.deviceOwner
    return a
  })
}

interface PortOfMac {
  port?: string
  device?: string
  deviceOwner?: string
}

/** The API's ports of the network by MAC (the first port of each MAC). */
function portsByMac(ev: NetworkEvidence): Map<string, PortOfMac> {
  const byMac = new Map<string, PortOfMac>()
  for (const p of list(ev, P.ports(ev.network), 'ports') ?? []) {
    if (typeof p.mac_address !== 'string') continue
    const mac = p.mac_address.toLowerCase()
    if (byMac.has(mac)) continue
    byMac.set(mac, {device: optText(p.device_id, 120), deviceOwner: optText(p.device_owner, 60), port: isUuid(p.id) ? p.id.toLowerCase() : undefined})
  }
  return byMac
}

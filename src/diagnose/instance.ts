/**
 * `diagnose --server/--port/--ip`: the instance marked in the result (issue 19, item 3). Pure: from the
 * port the API named and the evidence each host gave for its network, the `instance` of the --json
 * document and its one line in the table: which host's DHCP leases file (evidence `leases`) holds the
 * instance's MAC, the line quoted.
 */
import type {NetworkEvidence} from '../evidence/evidence.js'
import type {Instance} from '../openstack/instance.js'
import {splitLines} from '../parse/ip-util.js'
import {parseLeases} from '../parse/leases.js'
import {printable} from '../render/findings.js'
import type {DiagnoseResult, InstanceJson} from './result.js'

/** A host's evidence for a network. */
export interface HeldEvidence {
  host: string
  ev: NetworkEvidence
}

/** The longest lease line quoted (a client id is at most 764 characters). */
const LINE_MAX = 300

/** The lines of `ev`'s leases file that lease to `mac`; undefined when no leases file was read. */
export function leaseLines(ev: NetworkEvidence, mac: string): string[] | undefined {
  const content = ev.leases?.state === 'present' ? ev.leases.content : undefined
  if (content === undefined) return undefined
  const lines = splitLines(content)
  return parseLeases(content)
    .leases.filter((l) => l.mac === mac)
    .map((l) => printable(lines[l.line - 1] ?? '', LINE_MAX).trim())
}

/**
 * The instance as --json shows it. `lease`: each host whose leases file for the network holds the MAC,
 * with its line; empty when leases files were read and none holds it; absent when none was read (another
 * chain, no MAC, no host reached).
 */
export function instanceJson(inst: Instance, held: readonly HeldEvidence[]): InstanceJson {
  const out: InstanceJson = {network: inst.network, port: inst.port}
  if (inst.ip !== undefined) out.ip = inst.ip
  if (inst.mac !== undefined) out.mac = inst.mac
  if (inst.server !== undefined) out.server = inst.server
  if (inst.host !== undefined) out.host = inst.host
  if (inst.mac === undefined) return out
  let read = false
  const lease: NonNullable<InstanceJson['lease']> = []
  for (const {host, ev} of held) {
    if (ev.network !== inst.network) continue
    const lines = leaseLines(ev, inst.mac)
    if (lines === undefined) continue
    read = true
    for (const line of lines) lease.push({host, line})
  }
  if (read) out.lease = lease
  return out
}

/** The result with `instance` in its --json document (a result of one network: this node's, a file's, the hosts'). */
export function withInstance(result: DiagnoseResult, inst: Instance, held: readonly HeldEvidence[]): DiagnoseResult {
  const instance = instanceJson(inst, held)
  switch (result.kind) {
    case 'network': {
      const {host, takenAt, tool, ...report} = result.json
      const from = host === undefined ? {} : {host, takenAt, tool}
      return {...result, json: {...from, instance, ...report}}
    }
    case 'fleet':
      return {...result, json: {instance, ...result.json}}
    default:
      return result
  }
}

/** The instance's one line under the heading of the table (and the reports). */
export function instanceLine(i: InstanceJson): string {
  const what = [`port ${i.port}`, ...(i.server ? [`server ${i.server}`] : []), ...(i.ip ? [i.ip] : []), ...(i.mac ? [i.mac] : [])].join(', ')
  const bound = i.host ? `, bound to ${printable(i.host, 100)}` : ''
  const lease =
    i.lease === undefined
      ? ''
      : i.lease.length === 0
        ? `; no DHCP lease of ${i.mac} in the leases file`
        : `; ${i.lease.map((l) => `leased on ${printable(l.host, 100)}: ${l.line}`).join('; ')}`
  return `instance: ${what}${bound}${lease}`
}

/**
 * diagnose: evidence (live or from a snapshot) -> pure checks -> findings.
 */
import {healthy, runChecks} from '../checks/run.js'
import type {Finding} from '../checks/types.js'
import {usageError} from '../errors.js'
import type {LayoutName} from '../layout.js'
import {parseProcCmdline} from '../parse/processes.js'
import {readUserFile, SNAPSHOT_MAX_BYTES} from '../system/read-file.js'
import {type NetworkEvidence, type Snapshot, SNAPSHOT_FORMAT} from '../evidence/evidence.js'

export interface NetworkReport {
  network: string
  layout: LayoutName
  healthy: boolean
  findings: Finding[]
}

/** A node's layout can be told from the proxy it runs, whatever the paths say. */
export function refineLayout(ev: NetworkEvidence): NetworkEvidence {
  const proxy = ev.processes.find((p) => p.role === 'proxy' && p.alive)
  const args = proxy?.cmdline ? parseProcCmdline(proxy.cmdline).join(' ') : proxy?.ps ?? ''
  if (/quantum-ns-metadata-proxy/.test(args)) return {...ev, layout: 'quantum'}
  if (/haproxy|neutron-ns-metadata-proxy/.test(args)) return {...ev, layout: 'neutron'}
  return ev
}

export function diagnoseEvidence(ev: NetworkEvidence, opts: {probe: boolean; only?: string[]}): NetworkReport {
  const e = refineLayout(ev)
  const findings = runChecks(e, {probe: opts.probe}, opts.only)
  return {findings, healthy: healthy(findings), layout: e.layout, network: e.network}
}

export async function readSnapshot(path: string): Promise<Snapshot> {
  // regular files only (a FIFO would block forever), at most SNAPSHOT_MAX_BYTES
  const text = await readUserFile(path, {maxBytes: SNAPSHOT_MAX_BYTES, unreadableCode: 'snapshot-unreadable'})
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    throw usageError('snapshot-invalid', `${path}: not JSON, so not a quantum-meta snapshot`)
  }
  if ((doc as Partial<Snapshot> | null)?.format !== SNAPSHOT_FORMAT) {
    throw usageError('snapshot-invalid', `${path}: not a ${SNAPSHOT_FORMAT} document`)
  }
  // the whole document against one schema: a wrong field is exit 2 naming it, never a crash in a check
  const {checkSnapshot} = await import('../evidence/snapshot-schema.js')
  const checked = checkSnapshot(doc)
  if (!checked.ok) throw usageError('snapshot-invalid', `${path}: ${checked.field}: ${checked.problem}`)
  return checked.snapshot
}

/**
 * The networks of a snapshot to diagnose: the one asked for, else all of them. Asking for a network
 * the snapshot does not hold, or a snapshot of none, is bad input (exit 2) that says what it holds.
 */
export function pickNetworks(path: string, snap: Snapshot, netId: string | undefined): NetworkEvidence[] {
  const held = snap.networks.map((n) => n.network)
  if (held.length === 0) throw usageError('not-in-snapshot', `${path} holds no network (its networks list is empty): nothing to diagnose`)
  if (netId === undefined) return snap.networks
  const picked = snap.networks.filter((n) => n.network === netId)
  if (picked.length === 0) {
    const list = held.length > 5 ? `${held.slice(0, 5).join(', ')} and ${held.length - 5} more` : held.join(', ')
    throw usageError('not-in-snapshot', `${path} holds network${held.length > 1 ? 's' : ''} ${list}, not ${netId}`)
  }
  return picked
}

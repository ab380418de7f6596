/**
 * diagnose: evidence (live or from a snapshot) -> pure checks -> findings.
 */
import {healthy, runChecks} from '../checks/run.js'
import type {Finding} from '../checks/types.js'
import {usageError} from '../errors.js'
import type {LayoutName} from '../layout.js'
import {parseProcCmdline} from '../parse/processes.js'
import {readUserFile, SNAPSHOT_MAX_BYTES} from '../system/read-file.js'
import {type NetworkEvidence, type Snapshot, SNAPSHOT_FORMAT} from './evidence.js'

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
  let doc: Snapshot
  try {
    doc = JSON.parse(text) as Snapshot
  } catch {
    throw usageError('snapshot-invalid', `${path}: not JSON, so not a quantum-meta snapshot`)
  }
  if (doc?.format !== SNAPSHOT_FORMAT || !Array.isArray(doc.networks)) {
    throw usageError('snapshot-invalid', `${path}: not a ${SNAPSHOT_FORMAT} document`)
  }
  return doc
}

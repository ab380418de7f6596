/**
 * diagnose: evidence (live or from a snapshot) -> pure checks -> findings.
 */
import {backendOf, chainFor} from '../chains/registry.js'
import {type CheckObserver, runChecks, verdictOf} from '../chains/run.js'
import type {Finding, NetworkReport} from '../chains/types.js'
import {usageError} from '../errors.js'
import {type NetworkEvidence, type Snapshot, SNAPSHOT_FORMAT} from '../evidence/evidence.js'
import {layoutOfEvidence} from '../layout.js'
import {debug, debugEnabled} from '../output.js'
import {evidenceYield} from './evidence-debug.js'
import {printable} from '../render/findings.js'
import {readUserFile, SNAPSHOT_MAX_BYTES} from '../system/read-file.js'

import type {LiveRequest} from './live.js'

export type {NetworkReport} from '../chains/types.js'

export interface LiveDiagnoseRequest {
  /** one network (a checked UUID); undefined: every network this node serves (--all) */
  network?: string
  only?: string[]
  probe: boolean
  /** how to collect on this node (paths, API) */
  live: Omit<LiveRequest, 'network' | 'probe'>
}

/** `diagnose` of this node: its networks (one, or every one with --all) collected and judged; `host` its hostname, `takenAt` now. */
export async function diagnoseLive(req: LiveDiagnoseRequest): Promise<{reports: NetworkReport[]; host: string; takenAt: string; networks: NetworkEvidence[]}> {
  const {collectLive} = await import('./live.js')
  const snap = await collectLive({...req.live, network: req.network, probe: req.probe})
  const judging = {live: true, noApi: req.live.api === false, only: req.only, probe: req.probe}
  return {host: snap.host, networks: snap.networks, reports: snap.networks.map((ev) => diagnoseEvidence(ev, judging)), takenAt: snap.takenAt}
}

export function diagnoseEvidence(
  ev: NetworkEvidence,
  opts: {probe: boolean; only?: string[]; noApi?: boolean; live?: boolean; peers?: readonly NetworkEvidence[]},
): NetworkReport {
  const layout = layoutOfEvidence(ev)
  const e = layout === ev.layout ? ev : {...ev, layout}
  const chain = chainFor(backendOf(e))
  if (!chain)
    throw usageError('no-chain', `network ${e.network}: its evidence is of the ${backendOf(e)} backend, which this version of quantum-meta has no checks for`)
  const findings = runChecks(
    e,
    {live: opts.live, noApi: opts.noApi, peers: opts.peers, probe: opts.probe},
    opts.only,
    chain.checks,
    debugEnabled() ? debugJudging(e, chain.backend) : undefined,
  )
  const unjudged = findings.filter((f) => f.unjudged).map((f) => f.id)
  const subset = opts.only !== undefined && findings.length < chain.checks.length
  const verdict = verdictOf(findings, subset)
  return {
    backend: chain.backend,
    findings,
    healthy: verdict === 'healthy',
    layout: e.layout,
    network: e.network,
    verdict,
    ...(unjudged.length > 0 ? {unjudged} : {}),
    ...(subset ? {ran: {checks: findings.length, of: chain.checks.length}} : {}),
    ...(e.container || e.stateOnHost !== undefined || (e.deployment !== undefined && e.deployment !== 'packages')
      ? {
          deployment: {
            name: e.deployment ?? 'packages',
            ...(e.deploymentFrom !== undefined ? {from: e.deploymentFrom} : {}),
            ...(e.container ? {container: e.container} : {}),
            ...(e.stateOnHost !== undefined ? {stateOnHost: e.stateOnHost} : {}),
          },
        }
      : {}),
  }
}

/** What kind of skip a finding is, in words (--debug): not judged, not asked, not this node's, or moot after a failure. */
function skipKind(f: Finding): string {
  if (f.unjudged) return 'not judged'
  return f.skipped === 'not-asked'
    ? 'not asked'
    : f.skipped === 'not-here'
      ? "not this node's"
      : f.skipped === 'warn-only'
        ? 'cannot be told, warns only'
        : f.skipped === 'not-told'
          ? 'cannot be told from the evidence'
          : 'moot'
}

/**
 * --debug: what the network's evidence yielded, then one line per check as it is judged, its outcome
 * and why (a summary, never evidence or a fix: those are the table's), and how long it took.
 */
function debugJudging(ev: NetworkEvidence, backend: string): CheckObserver {
  debug(`judging network ${printable(ev.network, 80)} (${backend} chain); its evidence:`)
  for (const line of evidenceYield(ev)) debug(`  ${line}`)
  return (f, ms) => {
    const why = f.status === 'pass' ? '' : f.status === 'skip' ? ` (${skipKind(f)}: ${printable(f.summary, 160)})` : ` (${printable(f.summary, 160)})`
    debug(`check ${f.id}: ${f.status}${why} in ${ms.toFixed(2)} ms`)
  }
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
  const {checkSnapshot} = await import('../chains/snapshot.js')
  const checked = checkSnapshot(doc)
  if (!checked.ok) throw usageError('snapshot-invalid', `${path}: ${checked.field}: ${checked.problem}`)
  const {redactSnapshot} = await import('../chains/redact.js')
  return redactSnapshot(checked.snapshot)
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

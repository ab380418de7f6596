import type {Check, CheckContext, Finding, ServedElsewhere, Verdict} from './types.js'
import type {NetworkEvidence} from '../evidence/evidence.js'
import {namespaceListHas} from './common/evidence.js'
import {shq} from './common/text.js'
import {backendOf, CHAINS, chainFor} from './registry.js'

function checksOf(ev: NetworkEvidence): readonly Check[] {
  const chain = chainFor(backendOf(ev))
  if (!chain) throw new Error(`no chain for backend ${backendOf(ev)}`)
  return chain.checks
}

/**
 * The chain that serves the network on this node instead of the evidence's own: its own namespace is
 * not in the node's list and another chain's namespace of the network is.
 */
function servedElsewhere(ev: NetworkEvidence): ServedElsewhere | undefined {
  const listed = (ns: string) => namespaceListHas(ev, ns)
  if (listed(ev.namespace)) return undefined
  for (const chain of CHAINS) {
    if (chain.backend === backendOf(ev) || !chain.servesInstead) continue
    const namespace = chain.namespaceOf(ev.network)
    if (namespace !== undefined && listed(namespace)) return {...chain.servesInstead, namespace}
  }
  return undefined
}

/** Told of each check as it is judged, with how long it took (--debug): the runner's, never a check's. */
export type CheckObserver = (finding: Finding, ms: number) => void

/**
 * Run the checks of the evidence's chain (its backend's) in chain order. A check whose prerequisite failed (or was skipped) is skipped
 * naming it; a check that throws becomes one failing finding, never a crash of the command. `observe` hears every check run
 * (those --check left out of the result too, when others need them).
 */
export function runChecks(
  ev: NetworkEvidence,
  ctx: CheckContext,
  only?: readonly string[],
  checks: readonly Check[] = checksOf(ev),
  observe?: CheckObserver,
): Finding[] {
  const context: CheckContext = {servedElsewhere, ...ctx}
  const byId = new Map<string, Finding>()
  const out: Finding[] = []
  for (const check of checks) {
    const started = observe ? performance.now() : 0
    let finding: Finding
    const blocker = check.needs.map((n) => byId.get(n)).find((f) => f && (f.status === 'fail' || f.status === 'skip'))
    if (blocker) {
      // a link after a failed one is moot (the failure is the verdict); after a skip, it is skipped the same way
      const kind = blocker.status === 'fail' ? {} : blocker.skipped ? {skipped: blocker.skipped} : {unjudged: true as const}
      finding = {evidence: [], id: check.id, status: 'skip', summary: `skipped: ${blocker.id} ${blocker.status === 'fail' ? 'failed' : 'was skipped'}`, ...kind}
    } else {
      try {
        finding = {id: check.id, ...check.run(ev, context)}
        if (check.warnOnly && finding.status === 'skip' && finding.unjudged) {
          const {unjudged: _, ...rest} = finding
          finding = {...rest, skipped: 'warn-only'}
        }
      } catch (error) {
        finding = {
          evidence: [],
          fix: {
            command: `quantum-meta collect ${shq(ev.network)} -o /tmp/qm-evidence.json`,
            why: 'a bug of quantum-meta: report it with this snapshot (taken on the node, as root)',
          },
          id: check.id,
          status: 'fail',
          summary: `check crashed: ${error instanceof Error ? error.message : String(error)}`,
        }
      }
    }
    byId.set(check.id, finding)
    if (observe) observe(finding, performance.now() - started)
    if (!only || only.includes(check.id)) out.push(finding)
  }
  return out
}

/** No link failed (links not judged aside: see verdictOf). */
export const healthy = (findings: readonly Finding[]) => !findings.some((f) => f.status === 'fail')

/**
 * The verdict on a network's findings: broken when a link failed; else not judged when a link was
 * left unjudged; else healthy, or with --check (a subset) `checks-pass`, which says nothing of the rest.
 */
/** Several verdicts as one: broken over not judged over checks-pass over healthy. */
export function worstVerdict(verdicts: readonly Verdict[]): Verdict {
  for (const v of ['broken', 'not-judged', 'checks-pass'] as const) if (verdicts.includes(v)) return v
  return 'healthy'
}

export function verdictOf(findings: readonly Finding[], subset: boolean): Verdict {
  if (findings.some((f) => f.status === 'fail')) return 'broken'
  if (findings.some((f) => f.unjudged)) return 'not-judged'
  return subset ? 'checks-pass' : 'healthy'
}

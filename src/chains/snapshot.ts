/** The snapshot format as the chains extend it: the whole document checked against every chain's part, and redacted. */
import {redactEvidence} from '../config/secrets.js'
import type {NetworkEvidence} from '../evidence/evidence.js'
import {type SnapshotCheck, snapshotChecker} from '../evidence/snapshot-schema.js'
import {CHAINS, DEFAULT_CHAIN} from './registry.js'

export type {SnapshotCheck} from '../evidence/snapshot-schema.js'

let checker: ((doc: unknown) => SnapshotCheck) | undefined

/**
 * Validate a parsed JSON document as a snapshot: the snapshot (ids lower-cased), or the first problem.
 * A snapshot is a file someone handed over: a wrong type anywhere is bad input (exit 2 naming the
 * field), never a crash in a check.
 */
export function checkSnapshot(doc: unknown): SnapshotCheck {
  checker ??= snapshotChecker(CHAINS, DEFAULT_CHAIN.backend)
  return checker(doc)
}

/** Every secret out of a network's evidence, in place: the common fields, then each chain's part (records shared between networks once per `seen`). */
export function redactNetwork(ev: NetworkEvidence, seen: WeakSet<object> = new WeakSet()): void {
  redactEvidence(ev, seen)
  for (const chain of CHAINS) chain.redact?.(ev, seen)
}

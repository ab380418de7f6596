/** The snapshot format as the chains extend it: the whole document checked against every chain's part. */
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

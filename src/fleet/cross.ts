/**
 * Findings only several hosts of one network reveal (ids `cross.*`), from their evidence alone.
 * FIRST COMMIT: the interface only; the findings follow in the next commits.
 */
import type {Finding} from '../checks/types.js'

import type {HostEvidence} from './fleet.js'

export function crossFindings(_network: string, _hosts: HostEvidence[]): Finding[] {
  return []
}

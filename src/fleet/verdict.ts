/**
 * The verdict on one network over several hosts, one rule for fleet.ts (its `healthy`), exit.ts and
 * the table: broken when a reachable host has a broken link or a cross-host check fails; not judged
 * when a host could not be inspected or left a link unjudged; healthy only when neither.
 */
import type {FleetReport} from './types.js'

type Judged = Pick<FleetReport, 'cross' | 'hosts'>

export const fleetBroken = (r: Judged): boolean => r.hosts.some((h) => h.reachable && h.verdict === 'broken') || r.cross.some((f) => f.status === 'fail')

export const fleetNotJudged = (r: Judged): boolean => r.hosts.some((h) => !h.reachable || h.verdict === 'not-judged')

export const fleetHealthy = (r: Judged): boolean => !fleetBroken(r) && !fleetNotJudged(r)

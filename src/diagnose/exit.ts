/**
 * The exit code of every `diagnose` result, one rule for all of them: 1 when a link is broken (on a
 * host, or across hosts), else 3 when a link or a host could not be judged, else 0.
 */
import type {NetworkReport} from '../chains/types.js'
import {EXIT, type ExitCode} from '../errors.js'
import type {FleetAllReport, FleetReport} from '../fleet/types.js'

import {fleetBroken, fleetNotJudged} from '../fleet/verdict.js'

import type {DiagnoseResult} from './result.js'

const verdict = (broken: boolean, notJudged: boolean): ExitCode => (broken ? EXIT.FAILED : notJudged ? EXIT.CANNOT : EXIT.OK)

export function exitCodeOf(result: DiagnoseResult): ExitCode {
  switch (result.kind) {
    case 'checks':
      return EXIT.OK
    case 'network':
    case 'networks':
      return reportsExitCode(result.reports)
    case 'fleet':
      return fleetExitCode(result.json)
    case 'fleet-all':
      return fleetAllExitCode(result.json)
  }
}

/** One host's networks: links not judged (no credentials, a sosreport without a plugin) are 3. */
export function reportsExitCode(reports: NetworkReport[]): ExitCode {
  return verdict(
    reports.some((r) => r.verdict === 'broken'),
    reports.some((r) => r.verdict === 'not-judged'),
  )
}

/** Several hosts of one network: a host not inspected, or whose evidence left links unjudged, is 3. */
export function fleetExitCode(report: FleetReport): ExitCode {
  return verdict(fleetBroken(report), fleetNotJudged(report))
}

/** Every network over several hosts: the worst network; with no network at all, 3 when a host could not be inspected. */
export function fleetAllExitCode(report: FleetAllReport): ExitCode {
  const codes = report.networks.map((n) => fleetExitCode(n))
  return verdict(codes.includes(EXIT.FAILED), codes.includes(EXIT.CANNOT) || report.hosts.some((h) => !h.reachable))
}

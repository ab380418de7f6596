/**
 * The exit code of every `diagnose` result, one rule for all of them: 1 when a link is broken (on a
 * host, or across hosts), else 3 when a link or a host could not be judged, else 0.
 */
import type {NetworkReport} from '../chains/types.js'
import {EXIT, type ExitCode} from '../errors.js'
import type {FleetAllReport, FleetReport} from '../fleet/types.js'

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

/** One host's networks: links the evidence did not let us judge (a sosreport without a plugin) are 3. */
export function reportsExitCode(reports: NetworkReport[]): ExitCode {
  return verdict(
    reports.some((r) => !r.healthy),
    reports.some((r) => r.unjudged && r.unjudged.length > 0),
  )
}

/** Several hosts of one network: a host not inspected, or whose evidence left links unjudged, is 3. */
export function fleetExitCode(report: FleetReport): ExitCode {
  return verdict(
    report.hosts.some((h) => h.reachable && h.healthy === false) || report.cross.some((f) => f.status === 'fail'),
    report.hosts.some((h) => !h.reachable || (h.unjudged && h.unjudged.length > 0)),
  )
}

/** Every network over several hosts: the worst network; with no network at all, 3 when a host could not be inspected. */
export function fleetAllExitCode(report: FleetAllReport): ExitCode {
  const codes = report.networks.map((n) => fleetExitCode(n))
  return verdict(codes.includes(EXIT.FAILED), codes.includes(EXIT.CANNOT) || report.hosts.some((h) => !h.reachable))
}

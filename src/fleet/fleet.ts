/**
 * Judging several hosts of one network (issue 11): each reachable host's evidence for the network goes
 * through the same chain as a single-host diagnose (diagnoseEvidence); a host without evidence is a row
 * with its error; findings only several hosts reveal come from cross.ts.
 */
import type {Finding} from '../checks/types.js'
import {EXIT, type ExitCode} from '../errors.js'
import type {NetworkEvidence} from '../evidence/evidence.js'
import {diagnoseEvidence} from '../diagnose/service.js'

import {affectedInstances} from './affected.js'
import {crossFindings} from './cross.js'
import type {FleetReport, HostInput, HostReport} from './types.js'

/** A host's evidence for `network`, and the host it came from (only hosts that have some). */
export interface HostEvidence {
  host: string
  ev: NetworkEvidence
}

export function judgeFleet(network: string, inputs: HostInput[], opts: {probe: boolean; only?: string[]}): FleetReport {
  const hosts: HostReport[] = []
  const evidence: HostEvidence[] = []
  for (const input of inputs) {
    if (!input.snapshot) {
      hosts.push({error: input.error ?? 'no evidence from this host', findings: [], host: input.host, reachable: false})
      continue
    }
    const ev = input.snapshot.networks.find((n) => n.network === network)
    if (!ev) {
      const held = input.snapshot.networks.map((n) => n.network)
      const error = held.length === 0 ? 'its snapshot holds no network' : `its snapshot holds ${held.join(', ')}, not ${network}`
      hosts.push({error, findings: [], host: input.host, reachable: false})
      continue
    }
    try {
      const r = diagnoseEvidence(ev, opts)
      const h: HostReport = {backend: r.backend, findings: r.findings, healthy: r.healthy, host: input.host, layout: r.layout, reachable: true}
      if (!r.healthy) {
        const affected = affectedInstances(ev)
        if (affected) h.affected = affected
      }
      hosts.push(h)
      evidence.push({ev, host: input.host})
    } catch (error) {
      // e.g. evidence of a backend this version has no chain for: this host cannot be judged
      hosts.push({error: error instanceof Error ? error.message : String(error), findings: [], host: input.host, reachable: false})
    }
  }
  // --check narrows the chain to some links; the cross-host findings are not links, so --check drops them
  const cross: Finding[] = opts.only ? [] : crossFindings(network, evidence)
  const healthy = hosts.every((h) => !h.reachable || h.healthy === true) && !cross.some((f) => f.status === 'fail')
  return {cross, healthy, hosts, network}
}

/** 1 when a reachable host has a broken link or a cross finding fails; 3 when a host could not be inspected (and none is broken); else 0. */
export function fleetExitCode(report: FleetReport): ExitCode {
  if (report.hosts.some((h) => h.reachable && h.healthy === false) || report.cross.some((f) => f.status === 'fail')) return EXIT.FAILED
  if (report.hosts.some((h) => !h.reachable)) return EXIT.CANNOT
  return EXIT.OK
}

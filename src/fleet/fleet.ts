/**
 * Judging several hosts of one network (issue 11): each reachable host's evidence for the network goes
 * through the same chain as a single-host diagnose (diagnoseEvidence); a host without evidence is a row
 * with its error; findings only several hosts reveal come from each chain's crossChecks.
 */
import type {Finding} from '../chains/types.js'
import {EXIT, type ExitCode} from '../errors.js'
import {diagnoseEvidence} from '../diagnose/service.js'
import {backendOf, CHAINS, chainFor} from '../chains/registry.js'

import type {FleetReport, HostEvidence, HostInput, HostReport} from './types.js'

export function judgeFleet(network: string, inputs: HostInput[], opts: {probe: boolean; only?: string[]}): FleetReport {
  const hosts: HostReport[] = []
  const evidence: HostEvidence[] = []
  for (const input of inputs) {
    const listed = input.listed ? {listed: input.listed} : {}
    if (!input.snapshot) {
      hosts.push({error: input.error ?? 'no evidence from this host', findings: [], host: input.host, reachable: false, ...listed})
      continue
    }
    const ev = input.snapshot.networks.find((n) => n.network === network)
    if (!ev) {
      const held = input.snapshot.networks.map((n) => n.network)
      const error = held.length === 0 ? 'its snapshot holds no network' : `its snapshot holds ${held.join(', ')}, not ${network}`
      hosts.push({error, findings: [], host: input.host, reachable: false, ...listed})
      continue
    }
    try {
      const r = diagnoseEvidence(ev, opts)
      const h: HostReport = {
        backend: r.backend,
        findings: r.findings,
        healthy: r.healthy,
        host: input.host,
        layout: r.layout,
        reachable: true,
        ...listed,
        ...(r.unjudged ? {unjudged: r.unjudged} : {}),
      }
      if (!r.healthy) {
        const affected = chainFor(r.backend)?.affected?.(ev, input.snapshot.takenAt)
        if (affected) h.affected = affected
      }
      hosts.push(h)
      evidence.push({ev, host: input.host})
    } catch (error) {
      // e.g. evidence of a backend this version has no chain for: this host cannot be judged
      hosts.push({error: error instanceof Error ? error.message : String(error), findings: [], host: input.host, reachable: false, ...listed})
    }
  }
  // --check narrows the chain to some links; the cross-host findings are not links, so --check drops them
  // each chain compares its own hosts (a network may be served by several chains on several hosts)
  const cross: Finding[] = opts.only
    ? []
    : CHAINS.flatMap((c) => {
        const mine = evidence.filter((h) => backendOf(h.ev) === c.backend)
        return c.crossChecks && mine.length > 0 ? c.crossChecks(network, mine) : []
      })
  const healthy = hosts.every((h) => !h.reachable || h.healthy === true) && !cross.some((f) => f.status === 'fail')
  return {cross, healthy, hosts, network}
}

/** 1 when a reachable host has a broken link or a cross finding fails; 3 when a host could not be inspected (and none is broken); else 0. */
export function fleetExitCode(report: FleetReport): ExitCode {
  if (report.hosts.some((h) => h.reachable && h.healthy === false) || report.cross.some((f) => f.status === 'fail')) return EXIT.FAILED
  // a host not inspected, or one whose evidence left links unjudged (a sosreport without a plugin)
  if (report.hosts.some((h) => !h.reachable || (h.unjudged && h.unjudged.length > 0))) return EXIT.CANNOT
  return EXIT.OK
}

/** What one host gave to `diagnose --all --host`: reachable or not, and the networks its snapshot holds. */
export interface FleetHostSummary {
  host: string
  reachable: boolean
  error?: string
  networks: string[]
}

/** `diagnose --all` over several hosts: one FleetReport per network any host holds, in network-id order. */
export interface FleetAllReport {
  /** every network's report is healthy */
  healthy: boolean
  networks: FleetReport[]
  /** each host as given: so a host holding no network at all, or none answering, is still shown */
  hosts: FleetHostSummary[]
}

/**
 * Every network any host's snapshot holds, each judged with judgeFleet over the hosts that hold it
 * plus every host that gave no snapshot (an unreachable host is a row in every network's table).
 * A host whose snapshot lacks a network is no row for that network.
 */
export function judgeFleetAll(inputs: HostInput[], opts: {probe: boolean; only?: string[]}): FleetAllReport {
  const ids = [...new Set(inputs.flatMap((i) => i.snapshot?.networks.map((n) => n.network) ?? []))].sort()
  const networks = ids.map((id) =>
    judgeFleet(
      id,
      inputs.filter((i) => !i.snapshot || i.snapshot.networks.some((n) => n.network === id)),
      opts,
    ),
  )
  const hosts = inputs.map(
    (i): FleetHostSummary =>
      i.snapshot
        ? {host: i.host, networks: i.snapshot.networks.map((n) => n.network), reachable: true}
        : {error: i.error ?? 'no evidence from this host', host: i.host, networks: [], reachable: false},
  )
  return {healthy: networks.every((n) => n.healthy), hosts, networks}
}

/** The worst over the networks (1 before 3, as fleetExitCode); with no network at all, 3 when a host could not be inspected, else 0. */
export function fleetAllExitCode(report: FleetAllReport): ExitCode {
  const codes = report.networks.map((n) => fleetExitCode(n))
  if (codes.includes(EXIT.FAILED)) return EXIT.FAILED
  if (codes.includes(EXIT.CANNOT) || report.hosts.some((h) => !h.reachable)) return EXIT.CANNOT
  return EXIT.OK
}

/**
 * Judging several hosts of one network (issue 11): each reachable host's evidence for the network goes
 * through the same chain as a single-host diagnose (diagnoseEvidence); a host without evidence is a row
 * with its error; findings only several hosts reveal come from each chain's crossChecks.
 */
import type {Finding} from '../chains/types.js'
import {diagnoseEvidence} from '../diagnose/service.js'
import {backendOf, CHAINS, chainFor} from '../chains/registry.js'
import {fleetHealthy} from './verdict.js'

import type {FleetAllReport, FleetHostSummary, FleetReport, HostEvidence, HostInput, HostReport} from './types.js'

export type {FleetAllReport, FleetHostSummary} from './types.js'

export function judgeFleet(network: string, inputs: HostInput[], opts: {probe: boolean; only?: string[]; noApi?: boolean}): FleetReport {
  const hosts: HostReport[] = []
  const evidence: HostEvidence[] = []
  // every host's evidence of the network, for the links one host alone cannot settle (CheckContext.peers)
  const all = inputs.flatMap((i) => i.snapshot?.networks.filter((n) => n.network === network) ?? [])
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
      const r = diagnoseEvidence(ev, {...opts, peers: all.filter((p) => p !== ev)})
      const h: HostReport = {
        backend: r.backend,
        findings: r.findings,
        healthy: r.healthy,
        verdict: r.verdict,
        host: input.host,
        layout: r.layout,
        reachable: true,
        ...listed,
        ...(r.unjudged ? {unjudged: r.unjudged} : {}),
      }
      if (r.verdict === 'broken') {
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
  const healthy = fleetHealthy({cross, hosts})
  return {cross, healthy, hosts, network}
}

/** The exit codes of a fleet's verdicts: one rule for every diagnose result, in diagnose/exit.ts. */
export {fleetAllExitCode, fleetExitCode} from '../diagnose/exit.js'

/**
 * Every network any host's snapshot holds, each judged with judgeFleet over the hosts that hold it
 * plus every host that gave no snapshot (an unreachable host is a row in every network's table).
 * A host whose snapshot lacks a network is no row for that network.
 */
export function judgeFleetAll(inputs: HostInput[], opts: {probe: boolean; only?: string[]; noApi?: boolean}): FleetAllReport {
  // the hosts holding each network (by index, in the order given), found in one pass, not a pass
  // over every host per network; a host without a snapshot joins every network's list
  const holding = new Map<string, number[]>()
  const none: number[] = []
  for (const [i, input] of inputs.entries()) {
    if (!input.snapshot) none.push(i)
    for (const n of input.snapshot?.networks ?? []) {
      const l = holding.get(n.network)
      if (l === undefined) holding.set(n.network, [i])
      else if (l.at(-1) !== i) l.push(i)
    }
  }
  const ids = [...holding.keys()].sort()
  const networks = ids.map((id) =>
    judgeFleet(
      id,
      mergeSorted(holding.get(id)!, none).map((i) => inputs[i]),
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

/** Two ascending lists of indexes as one ascending list. */
function mergeSorted(a: number[], b: number[]): number[] {
  const out: number[] = []
  let i = 0
  let j = 0
  while (i < a.length || j < b.length) out.push(j >= b.length || (i < a.length && a[i] < b[j]) ? a[i++] : b[j++])
  return out
}

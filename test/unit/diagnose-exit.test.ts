// One exit code for every diagnose result (src/diagnose/exit.ts): 1 a link broken, else 3 something not
// judged, else 0; on per-host snapshots derived from the real Zed node (test/helpers/fleet-snapshots.ts).
import {describe, expect, it} from 'vitest'

import {worstVerdict} from '../../src/chains/run.js'
import {diagnoseEvidence} from '../../src/diagnose/service.js'
import {exitCodeOf} from '../../src/diagnose/exit.js'
import type {DiagnoseResult} from '../../src/diagnose/run.js'
import {judgeFleet, judgeFleetAll} from '../../src/fleet/fleet.js'
import {hostSnapshot, ZED_NET} from '../helpers/fleet-snapshots.js'

const healthy = () => hostSnapshot({host: 'net1', ip: '198.51.100.1'})
const broken = () => {
  const s = hostSnapshot({host: 'net2', ip: '198.51.100.2'})
  s.networks[0].upstreamSocket.connect = 'ECONNREFUSED'
  return s
}
/** a sosreport without the networking plugin: the namespace links cannot be judged */
const unjudged = () => {
  const s = hostSnapshot({host: 'net3', ip: '198.51.100.3'})
  s.networks[0].namespaces = {...s.networks[0].namespaces, notCollected: 'not in the sosreport: its networking plugin did not run'}
  return s
}
const oneHost = (snap: ReturnType<typeof healthy>, many = false): DiagnoseResult => {
  const reports = snap.networks.map((ev) => diagnoseEvidence(ev, {noApi: true, probe: false}))
  return many
    ? {
        host: snap.host,
        json: {healthy: reports.every((r) => r.healthy), networks: reports, verdict: worstVerdict(reports.map((r) => r.verdict))},
        kind: 'networks',
        reports,
        takenAt: snap.takenAt,
        tool: snap.tool,
      }
    : {host: snap.host, json: reports[0], kind: 'network', reports, takenAt: snap.takenAt, tool: snap.tool}
}

describe('exitCodeOf', () => {
  it('one network: 0 healthy, 1 a link broken, 3 links not judged', () => {
    expect(exitCodeOf(oneHost(healthy()))).toBe(0)
    expect(exitCodeOf(oneHost(broken()))).toBe(1)
    const u = oneHost(unjudged())
    expect(u.kind === 'network' && [u.json.healthy, u.json.verdict, u.json.unjudged?.length !== undefined]).toEqual([false, 'not-judged', true])
    expect(exitCodeOf(u)).toBe(3)
  })

  it('several networks of one host: a broken one wins over one not judged', () => {
    const two = healthy()
    two.networks.push(...broken().networks, ...unjudged().networks)
    expect(exitCodeOf(oneHost(two, true))).toBe(1)
    const notJudged = healthy()
    notJudged.networks.push(...unjudged().networks)
    expect(exitCodeOf(oneHost(notJudged, true))).toBe(3)
  })

  it('a fleet: 1 a host broken, 3 a host unreachable, 0 all healthy; --all: the worst network', () => {
    const fleet = (...inputs: Parameters<typeof judgeFleet>[1]): DiagnoseResult => ({
      json: judgeFleet(ZED_NET, inputs, {noApi: true, probe: false}),
      kind: 'fleet',
    })
    expect(exitCodeOf(fleet({host: 'net1', snapshot: healthy()}))).toBe(0)
    expect(exitCodeOf(fleet({host: 'net1', snapshot: healthy()}, {host: 'net2', snapshot: broken()}, {error: 'refused', host: 'net9'}))).toBe(1)
    expect(exitCodeOf(fleet({host: 'net1', snapshot: healthy()}, {error: 'refused', host: 'net9'}))).toBe(3)
    const all = (...inputs: Parameters<typeof judgeFleetAll>[0]): DiagnoseResult => ({
      json: judgeFleetAll(inputs, {noApi: true, probe: false}),
      kind: 'fleet-all',
    })
    expect(exitCodeOf(all({host: 'net1', snapshot: healthy()}, {host: 'net2', snapshot: broken()}))).toBe(1)
    expect(exitCodeOf(all({error: 'refused', host: 'net9'}))).toBe(3)
    expect(exitCodeOf(all({host: 'net1', snapshot: healthy()}))).toBe(0)
  })

  it('--list-checks: 0', () => {
    expect(exitCodeOf({json: {checks: []}, kind: 'checks'})).toBe(0)
  })
})

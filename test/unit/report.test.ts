// diagnose --report FILE.md (src/render/report.ts) on the derived Zed fleet snapshots: the chain drawn
// with the broken link marked, the fix in a code block, and text from the evidence unable to break out
// of the Markdown (a code fence, a pipe in a table cell, a control character).
import {describe, expect, it} from 'vitest'

import {diagnoseEvidence} from '../../src/diagnose/service.js'
import {judgeFleet} from '../../src/fleet/fleet.js'
import {chainPicture, reportOfFleet, reportOfNetworks} from '../../src/render/report.js'
import {hostSnapshot, ZED_NET} from '../helpers/fleet-snapshots.js'

const HEAD = {collectedBy: 'quantum-meta/0.1.0', host: 'net1', judgedBy: 'quantum-meta/0.1.0', takenAt: '2026-11-22T17:33:10Z'}
const judged = (edit?: (s: ReturnType<typeof hostSnapshot>) => void) => {
  const s = hostSnapshot({host: 'net1', ip: '198.51.100.1'})
  edit?.(s)
  return diagnoseEvidence(s.networks[0], {noApi: true, probe: false})
}

describe('--report (Markdown)', () => {
  it('healthy: whose node and when, the verdict, every link drawn from the instance to Nova, no broken mark', () => {
    const md = reportOfNetworks(HEAD, [judged()])
    expect(md).toContain('- host: `net1`')
    expect(md).toContain('- evidence taken: 2026-11-22T17:33:10Z by quantum-meta/0.1.0')
    expect(md).toContain('**healthy**: every link of the chain was judged, none is broken')
    expect(md).toMatch(/instance: GET http:\/\/169\.254\.169\.254\//)
    expect(md).toMatch(/Nova metadata API/)
    expect(md).not.toContain('BROKEN')
    expect(md.match(/^\| ✔ pass \|/gm)?.length).toBeGreaterThan(8)
  })

  it('broken: the first broken link marked in the picture, its evidence, and its fix as a shell block', () => {
    const r = judged((s) => {
      s.networks[0].upstreamSocket.connect = 'ECONNREFUSED'
    })
    expect(r.verdict).toBe('broken')
    const pic = chainPicture(r)
    const broken = pic.findIndex((l) => l.includes('◀── BROKEN'))
    expect(pic[broken]).toMatch(/^ {2}\[✘\] proxy\.upstream/)
    // the links after it hang off a dotted line
    expect(pic[broken + 1]).toBe('      ┆')
    const md = reportOfNetworks(HEAD, [r])
    expect(md).toContain('### The broken link: `proxy.upstream`')
    const fix = md.split('```sh\n')[1].split('\n```')[0].split('\n')
    expect(fix[0]).not.toMatch(/^#/)
    expect(fix[1]).toMatch(/^# /)
  })

  it('evidence text cannot break the Markdown: no fence closes early, no pipe splits a cell, no escape reaches it', () => {
    const r = judged((s) => {
      s.networks[0].upstreamSocket.connect = 'ECONNREFUSED'
    })
    const f = r.findings.find((x) => x.id === 'proxy.upstream')!
    f.summary = 'a | b ```\u001b[31m'
    f.evidence = ['```\n# injected heading']
    const md = reportOfNetworks(HEAD, [r])
    const fences = md.split('\n').filter((l) => l.startsWith('```'))
    expect(fences.length % 2).toBe(0)
    expect(md).not.toContain('\u001b')
    expect(md).toContain('a \\| b')
    expect(md).not.toMatch(/^# injected heading/m)
  })

  it('several hosts: a row per host, the broken host in full with the instances that leased from it', () => {
    const bad = hostSnapshot({
      api: {
        agents: ['net1', 'net2'],
        instances: [{device: 'b7c1a2d3-0000-4000-8000-000000000001', ip: '198.51.100.149', mac: 'fa:16:3e:00:00:01'}],
        ports: [{host: 'net2', ip: '198.51.100.2'}],
      },
      host: 'net2',
      ip: '198.51.100.2',
      leases: '1700000000 fa:16:3e:00:00:01 198.51.100.149 host-198-51-100-149 *\n',
    })
    bad.networks[0].upstreamSocket.connect = 'ECONNREFUSED'
    const fleet = judgeFleet(
      ZED_NET,
      [
        {host: 'net1', snapshot: hostSnapshot({host: 'net1', ip: '198.51.100.1'})},
        {host: 'net2', snapshot: bad},
        {error: 'Connection refused', host: 'net3'},
      ],
      {noApi: true, probe: false},
    )
    const md = reportOfFleet({...HEAD, host: 'net1, net2, net3'}, fleet)
    expect(md).toContain(`## Network \`${ZED_NET}\` on 3 hosts: **broken**`)
    expect(md).toContain('| `net3` | not inspected | Connection refused |')
    expect(md).toContain('### Host `net2`')
    expect(md).toMatch(/\| fa:16:3e:00:00:01 \| 198\.51\.100\.149 \|/)
  })
})

// The ML2/OVN chain on snapshots `quantum-meta collect` took on the repository's real OVN chassis
// (scripts/harness/ovn/ovn-capture-snapshots.sh; test/fixtures/ovn/snapshots/SOURCES.md), diagnosed
// through the built CLI. Judged in-process: test/unit/ovn-checks.test.ts.
import {mkdtempSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import type {Finding} from '../../src/chains/types.js'
import type {NetworkEvidence, Snapshot} from '../../src/evidence/evidence.js'
import {diagnoseEvidence} from '../../src/diagnose/service.js'
import {cli} from '../helpers/cli.js'

const file = (name: string) => new URL(`../fixtures/ovn/snapshots/${name}.json`, import.meta.url)
const snap = (name: string): Snapshot => JSON.parse(readFileSync(file(name), 'utf8'))
const healthy = (): NetworkEvidence => snap('healthy').networks[0]
const judge = (ev: NetworkEvidence) => diagnoseEvidence(ev, {probe: false})
const byId = (fs: Finding[], id: string) => fs.find((f) => f.id === id)!
const firstBroken = (fs: Finding[]) => fs.find((f) => f.status === 'fail')

describe('OVN snapshots from a real chassis, judged anywhere', () => {
  it('healthy: every link passes but the probe (not asked for); exit 0 through the CLI', () => {
    const fs = judge(healthy()).findings
    // the agent's log: not in these snapshots (recorded before logs were collected), a skip no verdict waits on;
    // and IPv6 metadata: this snapshot predates the release in the evidence, so it is not told (no verdict rests on it)
    expect(fs.filter((f) => f.status !== 'pass').map((f) => f.id)).toEqual([
      'ovn.metadata-v6',
      'ovn.agent-log',
      'ovn.probe',
      'ovn.probe6',
      'nova.config',
      'nova.reach',
      'nova.answer',
    ])
    expect(byId(fs, 'ovn.metadata-v6').skipped).toBe('not-told')
    const r = cli(['diagnose', '--snapshot', file('healthy').pathname])
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(/^host [^\n]+\nnetwork [0-9a-f-]{36} \(ML2\/OVN\)/)
    expect(byId(fs, 'ovn.agent-config').evidence).toContainEqual(
      expect.stringMatching(
        /^metadata_proxy_shared_secret: set \(value not shown\) \(\/etc\/qm-ovn\/neutron_ovn_metadata_agent\.ini:\d+ \[DEFAULT\] metadata_proxy_shared_secret\)$/,
      ),
    )
  })
})

describe('OVN faults, one piece of the real healthy evidence changed', () => {
  it('the SB unreachable, or answering garbage: ovn.chassis fails saying which, nothing crashes, exit 1', () => {
    const down = healthy()
    Object.assign(down.ovn!.sb, {exitCode: 1, stderr: 'ovn-sbctl: tcp:127.0.0.1:6652: database connection failed (Connection refused)\n', stdout: ''})
    let f = firstBroken(judge(down).findings)!
    expect(f.id).toBe('ovn.chassis')
    expect(f.summary).toContain('database connection failed (Connection refused)')

    const garbage = healthy()
    garbage.ovn!.sb.stdout = '{"data":[[["set"]]],"headings":["x"]}\n\u001b[31mnot json\n'
    f = firstBroken(judge(garbage).findings)!
    expect(f.id).toBe('ovn.chassis')
    expect(f.summary).toMatch(/not ovsdb --format=json output/)
    expect(judge(garbage).findings.some((x) => x.summary.startsWith('check crashed'))).toBe(false)

    const dir = mkdtempSync(join(tmpdir(), 'qm-ovn-'))
    const doc = snap('healthy')
    doc.networks[0] = garbage
    writeFileSync(join(dir, 's.json'), JSON.stringify(doc))
    const r = cli(['diagnose', '--snapshot', join(dir, 's.json'), '--json'])
    expect(r.status).toBe(1)
    expect(r.json.findings.find((x: Finding) => x.id === 'ovn.chassis').status).toBe('fail')
  })
})

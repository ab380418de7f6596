// The seed's third mode, the metadata network (enable_metadata_network = True in the DHCP agent,
// enable_metadata_proxy = False in the L3 agent), judged by the L3 agent's chain on snapshots that
// `collect` took of the harness's real agents (test/fixtures/seed-modes/, SOURCES.md): the router
// routes 169.254.169.254 to its 169.254.0.0/16 network, where the DHCP agent's router-keyed haproxy
// answers in that network's qdhcp namespace. Before src/chains/l3-agent/mdnet.ts the chain failed
// l3.config ("enable_metadata_proxy is off") while the instance's curl got 200.
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {metadataNetworkPort} from '../../src/chains/l3-agent/mdnet.js'
import {checkSnapshot} from '../../src/chains/snapshot.js'
import type {Finding} from '../../src/chains/types.js'
import {diagnoseEvidence} from '../../src/diagnose/service.js'
import type {NetworkEvidence} from '../../src/evidence/evidence.js'

function snapshot(name: string): NetworkEvidence {
  const doc = checkSnapshot(JSON.parse(readFileSync(new URL(`../fixtures/seed-modes/${name}.json`, import.meta.url), 'utf8')))
  if (!doc.ok) throw new Error(`${name}: ${doc.field}: ${doc.problem}`)
  return doc.snapshot.networks[0]
}
const byId = (fs: Finding[], id: string) => fs.find((f) => f.id === id)!
const statuses = (fs: Finding[]) => Object.fromEntries(fs.map((f) => [f.id, f.status]))

describe('the metadata network mode (a real snapshot of the harness: enable_metadata_network)', () => {
  it('healthy: the chain passes; no redirect is expected, the proxy is the router-keyed one on port 80 outside the router namespace', () => {
    const ev = snapshot('mdnet-healthy')
    expect(metadataNetworkPort(ev)).toEqual({cidr: '169.254.0.1/16', ifname: expect.stringMatching(/^qr-/)})
    const r = diagnoseEvidence(ev, {probe: false})
    expect(r.healthy).toBe(true)
    expect(statuses(r.findings)).toMatchObject({
      'l3.accept': 'skip',
      'l3.config': 'pass',
      'l3.listener': 'pass',
      'l3.proxy': 'pass',
      'l3.proxy-config': 'pass',
      'l3.redirect': 'skip',
      'l3.upstream': 'pass',
    })
    expect(byId(r.findings, 'l3.config').summary).toMatch(/^enable_metadata_proxy is off, as a metadata network wants/)
    expect(byId(r.findings, 'l3.proxy-config').summary).toMatch(/^the proxy binds port 80, sends X-Neutron-Router-ID /)
    expect(byId(r.findings, 'l3.listener').summary).toContain("169.254.169.254:80 in the metadata network's qdhcp namespace")
  })

  it('the router-keyed proxy killed: l3.proxy fails first, and its fix is the DHCP agent (whose proxy it is), not the L3 agent', () => {
    const r = diagnoseEvidence(snapshot('mdnet-proxy-killed'), {probe: false})
    expect(r.healthy).toBe(false)
    const first = r.findings.find((f) => f.status === 'fail')!
    expect(first.id).toBe('l3.proxy')
    expect(first.summary).toMatch(/is not running: it died/)
    expect(JSON.stringify(first.fix)).toMatch(/neutron-dhcp-agent/)
    expect(JSON.stringify(first.fix)).not.toMatch(/neutron-l3-agent/)
  })

  it('without the 169.254 port the same settings are a broken router: enable_metadata_proxy = False fails l3.config', () => {
    const ev = snapshot('mdnet-healthy')
    ev.addresses = {...ev.addresses!, stdout: ev.addresses!.stdout.replaceAll('169.254.0.1', '10.254.0.1')}
    expect(metadataNetworkPort(ev)).toBeUndefined()
    const first = diagnoseEvidence(ev, {probe: false}).findings.find((f) => f.status === 'fail')!
    expect(first.id).toBe('l3.config')
    expect(first.summary).toMatch(/^enable_metadata_proxy is off/)
  })
})

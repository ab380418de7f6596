// The ML2/OVN chain on snapshots `quantum-meta collect` took on the repository's real OVN chassis
// (scripts/harness/ovn/ovn-capture-snapshots.sh; test/fixtures/ovn/snapshots/SOURCES.md), judged offline, and on
// the healthy one changed one piece at a time the way a fault (or a hostile file) changes it. Through
// the built CLI: test/cli/ovn-checks.test.ts.
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import type {Finding} from '../../src/chains/types.js'
import type {NetworkEvidence, Snapshot} from '../../src/evidence/evidence.js'
import {diagnoseEvidence} from '../../src/diagnose/service.js'
import {fixCommand} from '../helpers/fix.js'

const file = (name: string) => new URL(`../fixtures/ovn/snapshots/${name}.json`, import.meta.url)
const snap = (name: string): Snapshot => JSON.parse(readFileSync(file(name), 'utf8'))
const healthy = (): NetworkEvidence => snap('healthy').networks[0]
const judge = (ev: NetworkEvidence) => diagnoseEvidence(ev, {probe: false})
const byId = (fs: Finding[], id: string) => fs.find((f) => f.id === id)!
const firstBroken = (fs: Finding[]) => fs.find((f) => f.status === 'fail')

/** Change the rows of table `index` of a ctl record's --format=json output (one JSON table per line). */
function editTable(rec: {stdout: string}, index: number, edit: (t: {headings: string[]; data: unknown[][]}) => void): void {
  const lines = rec.stdout.split('\n').filter((l) => l.trim() !== '')
  const t = JSON.parse(lines[index])
  edit(t)
  lines[index] = JSON.stringify(t)
  rec.stdout = lines.join('\n') + '\n'
}
const col = (t: {headings: string[]}, name: string) => t.headings.indexOf(name)
/** `["map",[[k,v],...]]` with k set to v */
const setKey = (cell: unknown, k: string, v: string) => {
  const pairs = (cell as [string, [string, string][]])[1].filter(([key]) => key !== k)
  return ['map', [...pairs, [k, v]]]
}
const SB_PORTS = 3 // Chassis, Chassis_Private, SB_Global, then the network's Port_Bindings
const isMetadataPort = (t: {headings: string[]}, row: unknown[]) => row[col(t, 'type')] === 'localport'

describe('OVN snapshots from a real chassis, judged anywhere', () => {
  it('no snapshot holds the harness secret, a config line beyond the keys the checks read, or a database password', () => {
    for (const name of ['healthy', 'agent-stopped', 'namespace-deleted-haproxy-alive', 'no-local-vif']) {
      const text = readFileSync(file(name), 'utf8')
      expect(text).not.toContain('qmovnsecret')
      expect(text).not.toMatch(/mysql\+pymysql:\/\/[^*<]*:[^*<]*@/)
      expect(text).not.toContain('connection = mysql')
    }
  })

  it('agent stopped: first broken link ovn.agent-running (503 from haproxy), and the socket behind haproxy refuses', () => {
    const fs = judge(snap('agent-stopped').networks[0]).findings
    expect(firstBroken(fs)!.id).toBe('ovn.agent-running')
    expect(fixCommand(firstBroken(fs))).toBe('systemctl start neutron-ovn-metadata-agent')
    expect(byId(fs, 'ovn.upstream-socket')).toMatchObject({status: 'fail'})
    // where the connections came from when no agent runs: the running parts, said so
    expect(byId(fs, 'ovn.agent-config').evidence.join('\n')).toMatch(
      /ovsdb_connection = unix:\/run\/qm-ovn\/openvswitch\/db\.sock \(.*ovn-controller pid \d+ command line, as no agent runs\)/,
    )
  })

  it('namespace deleted under a live haproxy: a warning naming the orphan pid (it still answers), not a failure; the links in it not judged', () => {
    const r = judge(snap('namespace-deleted-haproxy-alive').networks[0])
    // the links inside the namespace cannot be judged without it: no failure, and no "healthy" either
    expect(r.unjudged).toEqual([
      'ovn.namespace-addresses',
      'ovn.haproxy',
      'ovn.haproxy-config',
      'ovn.haproxy-listening',
      'ovn.metadata-v6',
      'ovn.probe',
      'ovn.probe6',
    ])
    expect(r.verdict).toBe('not-judged')
    const ns = byId(r.findings, 'ovn.namespace')
    expect(ns.status).toBe('warn')
    expect(fixCommand(ns)).toMatch(/^kill \d+; systemctl restart neutron-ovn-metadata-agent$/)
    expect(byId(r.findings, 'ovn.haproxy').status).toBe('skip')
  })

  it('no VM here: ovn.local-vif and everything after it skip with the reason; healthy', () => {
    const r = judge(snap('no-local-vif').networks[0])
    expect(r.healthy).toBe(true)
    expect(byId(r.findings, 'ovn.local-vif').summary).toMatch(/^no VM port of network .* is bound to chassis qm-ovn-chassis/)
    expect(r.findings.slice(r.findings.findIndex((f) => f.id === 'ovn.local-vif')).every((f) => f.status === 'skip')).toBe(true)
  })
})

describe('OVN faults, one piece of the real healthy evidence changed', () => {
  it('two metadata ports: ovn.metadata-port fails naming both', () => {
    const ev = healthy()
    editTable(ev.ovn!.sb, SB_PORTS, (t) => {
      const md = t.data.find((r) => isMetadataPort(t, r))!
      const twin = [...md]
      twin[col(t, '_uuid')] = ['uuid', '00000000-0000-4000-8000-000000000001']
      twin[col(t, 'logical_port')] = '00000000-0000-4000-8000-000000000002'
      t.data.push(twin)
    })
    const f = firstBroken(judge(ev).findings)!
    expect(f.id).toBe('ovn.metadata-port')
    expect(f.summary).toContain('has 2 metadata ports')
    expect(f.evidence).toHaveLength(2)
  })

  it('a metadata port without an IPv4 address: the agent cannot build the namespace', () => {
    const ev = healthy()
    editTable(ev.ovn!.sb, SB_PORTS, (t) => {
      const md = t.data.find((r) => isMetadataPort(t, r))!
      md[col(t, 'external_ids')] = setKey(md[col(t, 'external_ids')], 'neutron:cidrs', '2001:db8::2/64')
    })
    const f = firstBroken(judge(ev).findings)!
    expect([f.id, f.summary]).toEqual(['ovn.metadata-port', expect.stringContaining('has no IPv4 address')])
  })

  it('option 121 without the metadata route: ovn.dhcp-route fails quoting the NB row', () => {
    const ev = healthy()
    editTable(ev.ovn!.nb!, 1, (t) => {
      for (const r of t.data) r[col(t, 'options')] = setKey(r[col(t, 'options')], 'classless_static_route', '{0.0.0.0/0,198.51.100.254}')
    })
    const f = firstBroken(judge(ev).findings)!
    expect(f.id).toBe('ovn.dhcp-route')
    expect(f.evidence[0]).toContain('classless_static_route={0.0.0.0/0,198.51.100.254}')
  })

  it('an agent that runs but stopped following the SB (nb_cfg far ahead of its sb-cfg): ovn.agent-registered fails', () => {
    const ev = healthy()
    editTable(ev.ovn!.sb, 1, (t) => {
      const row = t.data[0]
      row[col(t, 'external_ids')] = setKey(row[col(t, 'external_ids')], 'neutron:ovn-metadata-sb-cfg', '1')
    })
    editTable(ev.ovn!.sb, 2, (t) => {
      t.data[0][col(t, 'nb_cfg')] = 40
    })
    const f = firstBroken(judge(ev).findings)!
    expect(f.id).toBe('ovn.agent-registered')
    expect(f.summary).toMatch(/stopped following the SB: it acknowledged nb_cfg 1, the SB is at 40 \(39 behind\)/)
  })

  it('the metadata veth in OVS with an error, or with another MAC than the port: named', () => {
    const ev = healthy()
    editTable(ev.ovn!.ovs, 1, (t) => {
      for (const r of t.data)
        if (JSON.stringify(r[col(t, 'external_ids')]).includes('iface-id')) r[col(t, 'error')] = 'could not open network device tapx (No such device)'
    })
    // the VM's own port carries an iface-id too: the metadata port's is the one judged
    const f = byId(judge(ev).findings, 'ovn.br-int-port')
    expect(f.status).toBe('fail')
    expect(f.summary).toContain('No such device')

    const mac = healthy()
    mac.addresses!.stdout = mac.addresses!.stdout.replace(/"address":"fa:16:3e:[0-9a-f:]{8}"/, '"address":"02:00:00:00:00:01"')
    const g = byId(judge(mac).findings, 'ovn.namespace-addresses')
    expect(g.status).toBe('fail')
    expect(g.summary).toMatch(/has MAC 02:00:00:00:00:01, the metadata port .* has fa:16:3e/)
  })

  it('2025.2 on, neutron-ovn-agent serves metadata only with [agent] extensions = metadata', () => {
    const ev = healthy()
    for (const a of ev.ovn!.agents) a.cmdline = a.cmdline.replaceAll('neutron-ovn-metadata-agent', 'neutron-ovn-agent')
    let f = byId(judge(ev).findings, 'ovn.agent-config')
    expect(f.status).toBe('fail')
    expect(f.summary).toMatch(/^neutron-ovn-agent runs without its metadata extension \(\[agent\] extensions = \(unset\)\)/)
    expect(f.fix).toMatchObject({section: 'agent', set: 'extensions = metadata', why: expect.stringMatching(/then systemctl restart neutron-ovn-agent$/)})
    const ini = ev.ovn!.configs.at(-1)!
    ini.content += '\n[agent]\nextensions = qos, metadata\n'
    f = byId(judge(ev).findings, 'ovn.agent-config')
    expect(f.status).toBe('pass')
    expect(byId(judge(ev).findings, 'ovn.agent-running').summary).toMatch(/^neutron-ovn-agent runs/)
  })
})

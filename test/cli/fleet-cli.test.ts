// `quantum-meta diagnose NET --snapshot a.json --snapshot b.json` through the built binary, on
// per-host snapshots derived from the real Zed node (test/helpers/fleet-snapshots.ts).
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import type {Snapshot} from '../../src/evidence/evidence.js'
import {cli} from '../helpers/cli.js'
import {type HostSpec, hostSnapshot, ZED_NET} from '../helpers/fleet-snapshots.js'

const dir = mkdtempSync(join(tmpdir(), 'qm-fleet-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))
let n = 0
const file = (snap: Snapshot | string) => {
  const p = join(dir, `s${n++}.json`)
  writeFileSync(p, typeof snap === 'string' ? snap : JSON.stringify(snap))
  return p
}
const host = (spec: HostSpec) => file(hostSnapshot(spec))
const args = (...paths: string[]) => paths.flatMap((p) => ['--snapshot', p])
/** the table's data rows: [host, status, text] */
const rows = (out: string) =>
  out
    .split('\n')
    .filter((l) => /^│ \S/.test(l) && !/^│ host /.test(l))
    .map((l) =>
      l
        .split('│')
        .slice(1, 4)
        .map((c) => c.trim()),
    )

describe('diagnose NET with several --snapshot files', () => {
  it('two healthy hosts: one row each, exit 0', () => {
    // --wide: each line whole, for the line matches below (test/cli/table-width-cli.test.ts: the widths)
    const r = cli(['diagnose', ZED_NET, '--wide', ...args(host({host: 'net1', ip: '198.51.100.1'}), host({host: 'net2', ip: '198.51.100.2'}))])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    expect(r.stdout).toMatch(new RegExp(`^network ${ZED_NET} on 2 hosts\n`))
    expect(rows(r.stdout)).toEqual([
      ['net1', 'ok', 'healthy'],
      ['net2', 'ok', 'healthy'],
    ])
    expect(r.stdout).toMatch(/^ok cross\.opts-own-port: each of the 2 hosts routes 169\.254\.169\.254 via its own DHCP port$/m)
    expect(r.stdout).toMatch(/^2 hosts, 0 broken$/m)
  })

  it('one broken host of three: its row names the link and the fix, the others stay healthy; exit 1', () => {
    const broken = hostSnapshot({host: 'net2', ip: '198.51.100.2'})
    broken.networks[0].upstreamSocket.connect = 'ECONNREFUSED'
    const r = cli(['diagnose', ZED_NET, '--wide', ...args(host({host: 'net1', ip: '198.51.100.1'}), file(broken), host({host: 'net3', ip: '198.51.100.3'}))])
    expect(r.status).toBe(1)
    const t = rows(r.stdout)
    // a row may wrap onto more lines (host and status cells empty there)
    expect(t.filter((x) => x[0] !== '').map((x) => [x[0], x[1]])).toEqual([
      ['net1', 'ok'],
      ['net2', 'FAIL'],
      ['net3', 'ok'],
    ])
    const net2 = r.stdout.slice(r.stdout.indexOf('│ net2'), r.stdout.indexOf('│ net3'))
    expect(net2).toContain('proxy.upstream: nothing accepts connections on /var/lib/neutron/metadata_proxy (ECONNREFUSED)')
    // the fix, whole and on one line below the table, for net2 only
    expect(r.stdout).toMatch(/^fix:\n# on net2:\nsystemctl restart neutron-metadata-agent\n# it creates .*\n\n/m)
    expect(r.stdout).toMatch(/^3 hosts, 1 broken$/m)
  })

  it('a copied opts route: the cross-host failure names both hosts; exit 1', () => {
    const r = cli([
      'diagnose',
      ZED_NET,
      '--wide',
      ...args(host({host: 'net1', ip: '198.51.100.1'}), host({host: 'net2', ip: '198.51.100.2', optsVia: '198.51.100.1'})),
    ])
    expect(r.status).toBe(1)
    expect(r.stdout).toMatch(/^FAIL cross\.opts-own-port: net2 routes 169\.254\.169\.254 via 198\.51\.100\.1, the DHCP port of net1: copied or stale opts/m)
    expect(r.stdout).toMatch(/^fix:\nssh net2 'systemctl restart neutron-dhcp-agent'\n# on net2: the agent rewrites opts from its own port$/m)
  })

  it('--json: {network, healthy, hosts: [{host, reachable, layout, backend, healthy, findings}], cross}', () => {
    const r = cli([
      'diagnose',
      ZED_NET,
      '--json',
      ...args(host({host: 'net1', ip: '198.51.100.1'}), host({host: 'net2', ip: '198.51.100.2', optsVia: '198.51.100.1'})),
    ])
    expect(r.status).toBe(1)
    expect(r.stderr).toBe('')
    expect(Object.keys(r.json).sort()).toEqual(['cross', 'healthy', 'hosts', 'network'])
    expect(r.json).toMatchObject({healthy: false, network: ZED_NET})
    expect(r.json.hosts).toHaveLength(2)
    expect(r.json.hosts[0]).toMatchObject({backend: 'dhcp-agent', healthy: true, host: 'net1', layout: 'neutron', reachable: true})
    expect(r.json.hosts[1]).toMatchObject({healthy: false, host: 'net2', reachable: true})
    expect(r.json.hosts[1].findings.find((f: {status: string}) => f.status === 'fail').id).toBe('opts.metadata-route')
    expect(r.json.cross.map((f: {id: string; status: string}) => [f.id, f.status])).toEqual([
      ['cross.opts-own-port', 'fail'],
      ['cross.ipv6-metadata', 'skip'],
    ])
  })

  it.each([
    ['garbage', 'this is not json {', /: not JSON, so not a quantum-meta snapshot$/],
    ['another document', '{"format": "something-else/1"}', /: not a quantum-meta-snapshot\/1 document$/],
  ])('a %s file among several: exit 2, one line on stderr naming it', (_what, text, message) => {
    const bad = file(text)
    const r = cli(['diagnose', ZED_NET, ...args(host({host: 'net1', ip: '198.51.100.1'}), bad, host({host: 'net3', ip: '198.51.100.3'}))])
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
    const lines = r.stderr.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(bad)
    expect(lines[0]).toMatch(message)
    const j = cli(['diagnose', ZED_NET, '--json', ...args(host({host: 'net1', ip: '198.51.100.1'}), bad)])
    expect(j.status).toBe(2)
    expect(j.json.error.code).toBe('snapshot-invalid')
  })

  it('a missing file among several: exit 3 (cannot inspect, as with one --snapshot), one line', () => {
    const r = cli(['diagnose', ZED_NET, ...args(host({host: 'net1', ip: '198.51.100.1'}), join(dir, 'no-such.json'))])
    expect(r.status).toBe(3)
    expect(r.stderr.trim().split('\n')).toHaveLength(1)
    expect(r.stderr).toContain('no-such.json')
  })

  it('two files of the same host: exit 2 naming both', () => {
    const a = host({host: 'net1', ip: '198.51.100.1'})
    const b = host({host: 'net1', ip: '198.51.100.2'})
    const r = cli(['diagnose', ZED_NET, ...args(a, b)])
    expect(r.status).toBe(2)
    expect(r.stderr.trim()).toMatch(new RegExp(`${b} and ${a} are both snapshots of host "net1": give one file per host$`))
  })

  it('a file without the network asked for, or no network id at all: exit 2', () => {
    const other = hostSnapshot({host: 'net2', ip: '198.51.100.2'})
    other.networks[0].network = '11111111-2222-4333-8444-555555555555'
    other.networks[0].namespace = 'qdhcp-11111111-2222-4333-8444-555555555555'
    const p = file(other)
    const r = cli(['diagnose', ZED_NET, ...args(host({host: 'net1', ip: '198.51.100.1'}), p)])
    expect(r.status).toBe(2)
    expect(r.stderr.trim()).toMatch(new RegExp(`${p} holds network 11111111-2222-4333-8444-555555555555, not ${ZED_NET}$`))
    const none = cli(['diagnose', ...args(host({host: 'net1', ip: '198.51.100.1'}), host({host: 'net2', ip: '198.51.100.2'}))])
    expect(none.status).toBe(2)
    expect(none.stderr).toMatch(/give its network id/)
  })

  it('the network id may come after the --snapshot flags', () => {
    const r = cli(['diagnose', ...args(host({host: 'net1', ip: '198.51.100.1'}), host({host: 'net2', ip: '198.51.100.2'})), ZED_NET, '--json'])
    expect(r.status).toBe(0)
    expect(r.json.hosts.map((h: {host: string}) => h.host)).toEqual(['net1', 'net2'])
  })

  it('one --snapshot keeps the single-host report', () => {
    const r = cli(['diagnose', ZED_NET, '--json', ...args(host({host: 'net1', ip: '198.51.100.1'}))])
    expect(r.status).toBe(0)
    // and whose node, when, by what (the snapshot's own)
    expect(Object.keys(r.json).sort()).toEqual(['backend', 'findings', 'healthy', 'host', 'layout', 'network', 'takenAt', 'tool', 'verdict'])
  })
})

// `diagnose NET --snapshot a --snapshot b ... --format junit` (and --junit FILE) through the built
// binary: one testsuite per host, the cross-host findings a suite of their own, validated with
// xmllint against junit-10.xsd (see junit.test.ts). Snapshots derived from the real Zed node
// (test/helpers/fleet-snapshots.ts).
import {spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import type {Snapshot} from '../../src/evidence/evidence.js'
import {ROOT, cli} from '../helpers/cli.js'
import {hostSnapshot, ZED_NET} from '../helpers/fleet-snapshots.js'

const XSD = `${ROOT}test/fixtures/junit/junit-10.xsd`
const dir = mkdtempSync(join(tmpdir(), 'qm-junit-fleet-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))
let n = 0
const file = (snap: Snapshot) => {
  const p = join(dir, `s${n++}.json`)
  writeFileSync(p, JSON.stringify(snap))
  return p
}

function validate(xml: string): boolean {
  const r = spawnSync('xmllint', ['--noout', '--schema', XSD, '-'], {encoding: 'utf8', input: xml})
  if (r.error) throw new Error(`xmllint: ${r.error.message} (install libxml2-utils: scripts/install-test-deps.sh)`)
  return r.status === 0
}

function xpath(xml: string, expr: string): string {
  const r = spawnSync('xmllint', ['--xpath', `string(${expr})`, '-'], {encoding: 'utf8', input: xml})
  if (r.status !== 0) throw new Error(`xmllint --xpath ${expr}: ${r.stderr}`)
  return r.stdout.replace(/\n$/, '')
}

describe('diagnose NET with several --snapshot files, as JUnit', () => {
  const net1 = () => file(hostSnapshot({host: 'net1', ip: '198.51.100.1'}))
  const broken = hostSnapshot({host: 'net2', ip: '198.51.100.2', optsVia: '198.51.100.1'})
  broken.networks[0].upstreamSocket.connect = 'ECONNREFUSED'

  it('one suite per host and one for the cross-host findings; the broken host and the copied route are the failures; exit 1', () => {
    const net3 = file(hostSnapshot({host: 'net3', ip: '198.51.100.3'}))
    const r = cli(['diagnose', ZED_NET, '--snapshot', net1(), '--snapshot', file(broken), '--snapshot', net3, '--format', 'junit'])
    expect(r.status).toBe(1)
    expect(r.stderr).toBe('')
    expect(validate(r.stdout)).toBe(true)
    const suites = Number(xpath(r.stdout, 'count(//testsuite)'))
    expect(suites).toBe(4)
    expect([1, 2, 3, 4].map((i) => xpath(r.stdout, `//testsuite[${i}]/@name`))).toEqual([
      `quantum-meta net1 ${ZED_NET}`,
      `quantum-meta net2 ${ZED_NET}`,
      `quantum-meta net3 ${ZED_NET}`,
      `quantum-meta (all hosts) ${ZED_NET}`,
    ])
    expect([1, 3].map((i) => xpath(r.stdout, `//testsuite[${i}]/@failures`))).toEqual(['0', '0'])
    // net2: its own opts route goes via net1's address, and its proxy's upstream refuses
    expect(xpath(r.stdout, `count(//testcase[@classname="net2.${ZED_NET}"][failure])`)).toBe('2')
    expect(xpath(r.stdout, `//testcase[@classname="net2.${ZED_NET}"][@name="opts.metadata-route"]/failure/@message`)).toMatch(/198\.51\.100\.1/)
    expect(xpath(r.stdout, `//testcase[@classname="net2.${ZED_NET}"][@name="proxy.upstream"]/failure/@message`)).toMatch(/ECONNREFUSED/)
    expect(xpath(r.stdout, `//testcase[@classname="cross.${ZED_NET}"][failure]/@name`)).toBe('cross.opts-own-port')
    expect(xpath(r.stdout, `//testcase[@classname="cross.${ZED_NET}"]/failure/@message`)).toMatch(
      /^net2 routes 169\.254\.169\.254 via 198\.51\.100\.1, the DHCP port of net1/,
    )
    // totals: the sums of the suites
    const sum = (a: string) => [1, 2, 3, 4].reduce((s, i) => s + Number(xpath(r.stdout, `//testsuite[${i}]/@${a}`)), 0)
    expect(Number(xpath(r.stdout, '/testsuites/@tests'))).toBe(sum('tests'))
    expect(Number(xpath(r.stdout, '/testsuites/@failures'))).toBe(sum('failures'))
    expect(Number(xpath(r.stdout, 'count(//failure)'))).toBe(sum('failures'))
    expect(Number(xpath(r.stdout, 'count(//testcase)'))).toBe(sum('tests'))
  })

  it('--junit FILE beside the fleet table (or --json): the same verdict in the file', () => {
    const f = join(dir, 'fleet.xml')
    const r = cli(['diagnose', ZED_NET, '--snapshot', net1(), '--snapshot', file(broken), '--junit', f])
    expect(r.status).toBe(1)
    expect(r.stdout).toMatch(new RegExp(`^network ${ZED_NET} on 2 hosts\n`))
    const xml = readFileSync(f, 'utf8')
    expect(validate(xml)).toBe(true)
    expect(xpath(xml, 'count(//testsuite)')).toBe('3')
    const j = cli(['diagnose', ZED_NET, '--snapshot', net1(), '--snapshot', file(hostSnapshot({host: 'net2', ip: '198.51.100.2'})), '--junit', f, '--json'])
    expect(j.status).toBe(0)
    expect(j.json).toMatchObject({healthy: true, network: ZED_NET})
    expect(xpath(readFileSync(f, 'utf8'), '/testsuites/@failures')).toBe('0')
  })

  it("--host over ssh: a host that cannot be reached is one failing host.reachable with ssh's own message; exit 3", async () => {
    // a loopback port nothing listens on: bind one, note it, close it
    const {createServer} = await import('node:net')
    const srv = createServer()
    await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve))
    const port = (srv.address() as {port: number}).port
    await new Promise((resolve) => srv.close(resolve))
    const home = join(dir, 'home')
    const r = cli(
      [
        'diagnose',
        ZED_NET,
        '--host',
        '127.0.0.1',
        '--ssh-option',
        `Port=${port}`,
        '--ssh-option',
        'UserKnownHostsFile=/dev/null',
        '--connect-timeout',
        '5',
        '--format',
        'junit',
      ],
      {env: {HOME: home}},
    )
    expect(r.status).toBe(3)
    expect(validate(r.stdout)).toBe(true)
    expect(xpath(r.stdout, '//testsuite/@name')).toBe(`quantum-meta 127.0.0.1 ${ZED_NET}`)
    expect(xpath(r.stdout, 'count(//testcase)')).toBe('1')
    expect(xpath(r.stdout, '//testcase/@name')).toBe('host.reachable')
    expect(xpath(r.stdout, '//testcase/failure/@type')).toBe('not inspected')
    expect(xpath(r.stdout, '//testcase/failure/@message')).toBe(`ssh: connect to host 127.0.0.1 port ${port}: Connection refused`)
    expect([xpath(r.stdout, '/testsuites/@tests'), xpath(r.stdout, '/testsuites/@failures')]).toEqual(['1', '1'])
  })

  it('a bad --junit path is refused before the snapshots are read (exit 2 for a directory)', () => {
    const r = cli(['diagnose', ZED_NET, '--snapshot', net1(), '--snapshot', join(dir, 'missing.json'), '--junit', dir])
    expect(r.status).toBe(2)
    expect(r.stderr).toMatch(/--junit \S+: is a directory/)
  })
})

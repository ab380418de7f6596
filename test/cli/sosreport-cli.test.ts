// `quantum-meta diagnose --sosreport DIR` through the built binary (npm run build first), on the real
// sos 4.0 reports of test/fixtures/sosreport/ (SOURCES.md there) and hostile copies of them.
import {execFileSync} from 'node:child_process'
import {cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, truncateSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {readSosreport} from '../../src/fleet/sosreport.js'
import {cli} from '../helpers/cli.js'

const FIXTURES = join(__dirname, '..', 'fixtures', 'sosreport')
const HEALTHY = join(FIXTURES, 'healthy')
const DEAD = join(FIXTURES, 'haproxy-dead')
const NET = '43c92583-885a-40f5-962a-0e0539782df0'
const OTHER_NET = '01cce415-8e2b-4096-92b5-7acc67163d79'

const tmp = mkdtempSync(join(tmpdir(), 'qm-sos-cli-'))
afterAll(() => rmSync(tmp, {force: true, recursive: true}))
let n = 0
const copy = (from = HEALTHY) => {
  const dir = join(tmp, `sos${n++}`)
  cpSync(from, dir, {recursive: true, verbatimSymlinks: true})
  return dir
}
/** the fleet table's data rows: [host, status, text] */
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
/** one line on stderr, nothing on stdout */
const oneLine = (r: {stderr: string; stdout: string}) => {
  expect(r.stdout).toBe('')
  expect(r.stderr.trim().split('\n')).toHaveLength(1)
  return r.stderr.trim()
}

describe('diagnose --sosreport DIR', () => {
  it('the healthy node: its one network, exit 0', () => {
    const r = cli(['diagnose', '--sosreport', HEALTHY])
    expect(r.stderr).toBe('')
    expect(r.status).toBe(0)
    // whose node and when: the sosreport's own hostname and time
    expect(r.stdout).toMatch(new RegExp(`^host net1, evidence taken [^\n]+\nnetwork ${NET} \\(neutron layout\\)\n`))
    expect(r.stdout).toMatch(/│ ok {3}│ proxy\.running +│ haproxy pid 92 runs for this network/)
    expect(r.stdout).toContain('healthy: every link of the metadata chain was judged, none is broken')
  })

  it('a sosreport without the networking plugin is no verdict of health: exit 3, the links not judged named, --json unjudged', () => {
    const dir = copy()
    rmSync(join(dir, 'sos_commands', 'networking'), {force: true, recursive: true})
    const r = cli(['diagnose', NET, '--sosreport', dir, '--wide'])
    expect(r.status).toBe(3)
    expect(r.stdout).not.toContain('healthy:')
    expect(r.stdout).toMatch(/not judged: namespace\.exists, [^\n]*: no link found broken, but the chain is not known to work\n {2}namespace\.exists: /)
    const j = cli(['diagnose', NET, '--sosreport', dir, '--json'])
    expect(j.status).toBe(3)
    expect(j.json).toMatchObject({healthy: false, verdict: 'not-judged'})
    expect(j.json.unjudged[0]).toBe('namespace.exists')
    // beside a full one, as a fleet: that host's row says not judged, exit 3 (no host broken)
    writeFileSync(join(dir, 'hostname'), 'net9\n')
    const f = cli(['diagnose', NET, '--sosreport', HEALTHY, '--sosreport', dir])
    expect(f.status).toBe(3)
    expect(f.stdout).toMatch(/2 hosts, 0 broken, 1 not judged/)
  })

  it('haproxy dead and no openstack_neutron plugin (no pid files): proxy.running is not judged, never called healthy', () => {
    const dir = copy(DEAD)
    rmSync(join(dir, 'etc'), {force: true, recursive: true})
    rmSync(join(dir, 'var'), {force: true, recursive: true})
    const j = cli(['diagnose', NET, '--sosreport', dir, '--json'])
    // exit 1, not 3: what the sosreport does hold, net2's `ip address show`, has fe80::a9fe:a9fe dadfailed
    // (read alone, nothing says the holder is net1's DHCP port)
    expect(j.status).toBe(1)
    expect(j.json.findings.filter((f: {status: string}) => f.status === 'fail').map((f: {id: string}) => f.id)).toEqual(['namespace.metadata-v6'])
    expect(j.json.unjudged).toContain('proxy.running')
    expect(j.json.findings.find((f: {id: string}) => f.id === 'proxy.running')).toMatchObject({status: 'skip', unjudged: true})
  })

  it('the node whose haproxy died: exit 1 naming the link and the fix', () => {
    const r = cli(['diagnose', NET, '--sosreport', DEAD, '--wide'])
    expect(r.status).toBe(1)
    expect(r.stdout).toContain('first broken link: proxy.running\n')
    expect(r.stdout).toContain(`  the metadata proxy pid 92 (from /var/lib/neutron/external/pids/${NET}.pid.haproxy) is not running: it died\n`)
    expect(r.stdout).toMatch(/^fix:\nsystemctl restart neutron-dhcp-agent\n# a running agent respawns /m)
  })

  it('--json: the same report a snapshot gives, with the broken finding', () => {
    const r = cli(['diagnose', '--sosreport', DEAD, '--json'])
    expect(r.status).toBe(1)
    expect(r.json).toMatchObject({backend: 'dhcp-agent', healthy: false, layout: 'neutron', network: NET})
    expect(r.json.findings.find((f: {id: string}) => f.id === 'proxy.running')).toMatchObject({status: 'fail'})
    expect(JSON.stringify(r.json)).not.toContain('qmt-rig-secret')
  })

  it('two directories: the fleet table, one row per sosreport host, the cross-host findings; exit 1', () => {
    const r = cli(['diagnose', NET, '--sosreport', HEALTHY, '--sosreport', DEAD, '--wide'])
    expect(r.status).toBe(1)
    expect(r.stdout).toMatch(new RegExp(`^network ${NET} on 2 hosts\n`))
    expect(
      rows(r.stdout)
        .filter((x) => x[0] !== '')
        .map((x) => [x[0], x[1]]),
    ).toEqual([
      ['net1', 'WARN'],
      ['net2', 'FAIL'],
    ])
    expect(r.stdout).toMatch(/^ok cross\.opts-own-port: each of the 2 hosts routes 169\.254\.169\.254 via its own DHCP port$/m)
    // the dead host's leases name the instance that got its route from it
    expect(r.stdout).toMatch(/^ {4}1 instance leased from this host:\n {6}fa:16:3e:\S+ 198\.51\.100\.(\d+) host-198-51-100-\1$/m)
    expect(r.stdout).toMatch(/^2 hosts, 1 broken$/m)
  })

  it('--format junit: one testsuite per sosreport host (and the cross-host one), the dead proxy a failing testcase on net2', () => {
    const r = cli(['diagnose', NET, '--sosreport', HEALTHY, '--sosreport', DEAD, '--format', 'junit'])
    expect(r.status).toBe(1)
    expect(r.stdout).toMatch(/^<\?xml /)
    expect([...r.stdout.matchAll(/<testsuite [^>]*hostname="([^"]*)"[^>]*failures="(\d+)"/g)].map((m) => [m[1], m[2]])).toEqual([
      ['net1', '0'],
      ['net2', '1'],
      ['(all hosts)', '0'],
    ])
    expect(r.stdout).toMatch(new RegExp(`<testcase name="proxy\\.running" classname="net2\\.${NET}" time="0">\\s*<failure `))
  })

  it('two directories, --json: the fleet report shape', () => {
    const r = cli(['diagnose', NET, '--sosreport', HEALTHY, '--sosreport', DEAD, '--json'])
    expect(r.status).toBe(1)
    expect(Object.keys(r.json).sort()).toEqual(['cross', 'healthy', 'hosts', 'network'])
    expect(r.json.hosts.map((h: {host: string; reachable: boolean; healthy: boolean}) => [h.host, h.reachable, h.healthy])).toEqual([
      ['net1', true, true],
      ['net2', true, false],
    ])
  })

  it('a sosreport and a snapshot file together: each one host', async () => {
    const {snapshot} = await readSosreport(HEALTHY, {tool: 'test'})
    const file = join(tmp, 'net3.json')
    writeFileSync(file, JSON.stringify({...snapshot, host: 'net3'}))
    const r = cli(['diagnose', NET, '--sosreport', DEAD, '--snapshot', file, '--json'])
    expect(r.status).toBe(1)
    expect(r.json.hosts.map((h: {host: string}) => h.host)).toEqual(['net3', 'net2'])
  })

  it('the same host twice, a network it does not show, several without a network id: exit 2, one line', () => {
    const twice = cli(['diagnose', NET, '--sosreport', HEALTHY, '--sosreport', copy()])
    expect(twice.status).toBe(2)
    expect(oneLine(twice)).toMatch(/are both of host "net1": give one file or sosreport per host$/)
    const other = cli(['diagnose', OTHER_NET, '--sosreport', HEALTHY])
    expect(other.status).toBe(2)
    expect(oneLine(other)).toBe(`quantum-meta: ${HEALTHY} holds network ${NET}, not ${OTHER_NET}`)
    const noNet = cli(['diagnose', '--sosreport', HEALTHY, '--sosreport', DEAD])
    expect(noNet.status).toBe(2)
    expect(oneLine(noNet)).toBe('quantum-meta: several snapshots and sosreports are several hosts of one network: give its network id')
  })

  it('with --host, --all or --probe: exit 2, one line', () => {
    const probe = cli(['diagnose', '--sosreport', HEALTHY, '--probe'])
    expect(probe.status).toBe(2)
    expect(oneLine(probe)).toBe('quantum-meta: --probe sends a GET from inside the namespace on this node: a sosreport has none to send from (drop --probe)')
    const all = cli(['diagnose', '--all', '--sosreport', HEALTHY])
    expect(all.status).toBe(2)
    expect(oneLine(all)).toBe(
      'quantum-meta: --sosreport reads sosreports, not this node or hosts over ssh: drop --all (one directory gives every network it shows)',
    )
    const host = cli(['diagnose', NET, '--host', 'net1', '--sosreport', HEALTHY, '--json'])
    expect(host.status).toBe(2)
    expect(host.json.error).toMatchObject({code: 'usage', exit: 2})
  })
})

describe('diagnose --sosreport on bad input', () => {
  it('not a sosreport, a tarball: exit 2 naming it (also under --json)', () => {
    const empty = join(tmp, 'empty')
    mkdirSync(empty)
    const r = cli(['diagnose', '--sosreport', empty])
    expect(r.status).toBe(2)
    expect(oneLine(r)).toBe(
      `quantum-meta: ${empty} is not a sosreport: it has no sos_commands/ (give the sosreport-HOST-... directory \`sos report\` made, extracted)`,
    )
    const tarball = join(tmp, 'sosreport-net1-2026-11-24-abcdef.tar.xz')
    writeFileSync(tarball, '')
    const t = cli(['diagnose', '--sosreport', tarball, '--json'])
    expect(t.status).toBe(2)
    expect(t.json.error).toEqual({
      code: 'sosreport-tarball',
      exit: 2,
      message: `${tarball} is a sosreport tarball: extract it first (tar xf ${tarball}) and give the directory it makes`,
    })
  })

  it('a sosreport showing no network: exit 2', () => {
    const dir = copy()
    for (const d of ['var', 'sos_commands/networking']) rmSync(join(dir, d), {recursive: true})
    const r = cli(['diagnose', '--sosreport', dir])
    expect(r.status).toBe(2)
    expect(oneLine(r)).toMatch(/the sosreport shows no DHCP network .*: nothing to diagnose$/)
  })

  it('a symlink out of DIR, a FIFO, a huge file: exit 2 naming the file, nothing read from outside', () => {
    const secret = join(tmp, 'outside-secret.ini')
    writeFileSync(secret, '[DEFAULT]\nenable_isolated_metadata = True\n')
    const link = copy()
    rmSync(join(link, 'etc/neutron/metadata_agent.ini'))
    symlinkSync(secret, join(link, 'etc/neutron/metadata_agent.ini'))
    const l = cli(['diagnose', '--sosreport', link])
    expect(l.status).toBe(2)
    expect(oneLine(l)).toBe(
      `quantum-meta: ${join(link, 'etc/neutron/metadata_agent.ini')} leads out of the sosreport (to ${secret}): refused, a sosreport is read only inside itself`,
    )

    const fifo = copy()
    rmSync(join(fifo, 'sos_commands/process/ps_auxwww'))
    execFileSync('mkfifo', [join(fifo, 'sos_commands/process/ps_auxwww')])
    const f = cli(['diagnose', '--sosreport', fifo])
    expect(f.status).toBe(2)
    expect(oneLine(f)).toBe(`quantum-meta: ${join(fifo, 'sos_commands/process/ps_auxwww')}: is a FIFO, not a regular file`)

    const huge = copy()
    truncateSync(join(huge, `var/lib/neutron/dhcp/${NET}/leases`), 64 * 1024 * 1024)
    const h = cli(['diagnose', '--sosreport', huge])
    expect(h.status).toBe(2)
    expect(oneLine(h)).toBe(`quantum-meta: ${join(huge, `var/lib/neutron/dhcp/${NET}/leases`)}: larger than 4 MiB, the most read from such a file`)
  })

  it('a directory that does not exist: exit 3', () => {
    const r = cli(['diagnose', '--sosreport', join(tmp, 'gone')])
    expect(r.status).toBe(3)
    expect(oneLine(r)).toBe(`quantum-meta: ${join(tmp, 'gone')}: no such file or directory`)
  })
})

// diagnose's JUnit XML (--format junit, --junit FILE) and the FleetReport renderer, validated with
// Debian's xmllint against the Jenkins xunit plugin's junit-10.xsd (test/fixtures/junit/SOURCES.md).
// xmllint comes from libxml2-utils (scripts/install-test-deps.sh): without it these tests fail.
import {spawnSync} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import type {Finding} from '../../src/chains/types.js'
import type {FleetReport} from '../../src/fleet/types.js'
import {escAttr, escText, junitOfFleet, junitOfReports, MAX_TEXT, renderJunit} from '../../src/render/junit.js'
import {ROOT, cli} from '../helpers/cli.js'

const XSD = `${ROOT}test/fixtures/junit/junit-10.xsd`
const SNAP = `${ROOT}examples/grizzly-seed.snapshot.json`
const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'
const NET2 = '5f0e6a36-3c5b-4d0e-9d1c-2b8f0a6e7c11'
const HOSTILE = 'a<b>&c"d\'e ]]> f\u0001g\u0007h\u001B[31mi\uD800j\uFFFEk\r\nl\tm'

const dir = mkdtempSync(join(tmpdir(), 'qm-junit-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))

/** xmllint --schema on the text: status 0 and "- validates" when it is valid JUnit */
function validate(xml: string): {ok: boolean; out: string} {
  const r = spawnSync('xmllint', ['--noout', '--schema', XSD, '-'], {encoding: 'utf8', input: xml})
  if (r.error) throw new Error(`xmllint: ${r.error.message} (install libxml2-utils: scripts/install-test-deps.sh)`)
  return {ok: r.status === 0, out: `${r.stdout}${r.stderr}`}
}

/** what an XML parser reads at an XPath (xmllint --xpath string(...)); an empty answer is an empty string */
function xpath(xml: string, expr: string): string {
  const r = spawnSync('xmllint', ['--xpath', `string(${expr})`, '-'], {encoding: 'utf8', input: xml})
  if (r.status !== 0) throw new Error(`xmllint --xpath ${expr}: ${r.stderr}`)
  return r.stdout.replace(/\n$/, '') // xmllint ends its answer with a newline
}

const count = (xml: string, expr: string) => Number(xpath(xml, `count(${expr})`))
const attr = (xml: string, expr: string) => xpath(xml, expr)

function snapshotWith(edit: (s: any) => void, name: string): string {
  const snap = JSON.parse(readFileSync(SNAP, 'utf8'))
  edit(snap)
  const p = join(dir, name)
  writeFileSync(p, JSON.stringify(snap))
  return p
}

const broken = snapshotWith((s) => (s.networks[0].opts.content = 'tag:tag0,option:router'), 'broken.json')

describe('the schema is really checked', () => {
  it('xmllint rejects what junit-10.xsd does not allow (so a pass below means something)', () => {
    expect(validate('<testsuites><testsuite name="x"/></testsuites>').ok).toBe(false) // tests, failures, errors required
    expect(validate('<testsuites skipped="1"></testsuites>').ok).toBe(false) // no skipped on testsuites
    expect(validate('<testsuites><testsuite name="x" tests="1" failures="0" errors="0"><testcase/></testsuite></testsuites>').ok).toBe(false)
    expect(validate('<testsuites><testsuite name="x" tests="1" failures="0" errors="0"><testcase name="a"/></testsuite></testsuites>').ok).toBe(true)
  })
})

describe('diagnose --format junit (the built binary)', () => {
  it('the seed snapshot: valid JUnit, one suite named for the snapshot host and network, 22 tests, 0 failures, 14 skipped', () => {
    const r = cli(['diagnose', NET, '--snapshot', SNAP, '--format', 'junit'])
    expect(r.status).toBe(3) // no failure; what the transcript did not record is not judged
    expect(r.stderr).toBe('')
    expect(validate(r.stdout)).toMatchObject({ok: true})
    expect(count(r.stdout, '//testsuite')).toBe(1)
    expect(attr(r.stdout, '//testsuite/@name')).toBe(`quantum-meta netnode ${NET}`)
    expect(attr(r.stdout, '//testsuite/@hostname')).toBe('netnode')
    expect(attr(r.stdout, '//testsuite/@timestamp')).toBe('2013-06-01T17:47:00Z')
    expect([attr(r.stdout, '//testsuite/@tests'), attr(r.stdout, '//testsuite/@failures'), attr(r.stdout, '//testsuite/@skipped')]).toEqual(['22', '0', '14'])
    expect([attr(r.stdout, '/testsuites/@tests'), attr(r.stdout, '/testsuites/@failures')]).toEqual(['22', '0'])
    expect(count(r.stdout, '//testcase')).toBe(22)
    expect(count(r.stdout, '//testcase/skipped')).toBe(14)
    expect(count(r.stdout, `//testcase[@classname="netnode.${NET}"]`)).toBe(22)
    expect(attr(r.stdout, '//testcase[1]/@name')).toBe('config.metadata-enabled')
    expect(attr(r.stdout, '//testcase[@name="probe.http"]/skipped/@message')).toMatch(/add --probe/)
  })

  it('a broken snapshot: exit 1, the broken link a <failure> with its summary, evidence and fix', () => {
    const r = cli(['diagnose', NET, '--snapshot', broken, '--format', 'junit'])
    expect(r.status).toBe(1)
    expect(validate(r.stdout)).toMatchObject({ok: true})
    expect([attr(r.stdout, '//testsuite/@tests'), attr(r.stdout, '//testsuite/@failures'), attr(r.stdout, '/testsuites/@failures')]).toEqual(['22', '1', '1'])
    expect(count(r.stdout, '//failure')).toBe(1)
    expect(attr(r.stdout, '//failure/../@name')).toBe('opts.metadata-route')
    expect(attr(r.stdout, '//failure/@message')).toBe('no classless-static-route (121) line in opts: instances get no route to 169.254.169.254')
    const text = xpath(r.stdout, '//failure')
    expect(text).toMatch(/opts:1: tag:tag0,option:router\n/)
    expect(text).toMatch(/\nfix: \S*( \S+)? ?restart\S*( \S+)?\nwhy: the agent rewrites opts with the route; /)
    expect(text).toMatch(
      /\nor: printf '\\n%s' 'tag:tag0,option:classless-static-route,169\.254\.169\.254\/32,172\.17\.17\.1' >> \S+\/opts && kill -HUP 27348\nwhy: or by hand, keeping every other route of /,
    )
  })

  it('a warning passes, with WARN and the summary in <system-out>', () => {
    const out = renderJunit([
      {findings: [{evidence: ['e1'], fix: {command: 'do x', why: 'because'}, id: 'a.b', status: 'warn', summary: 'careful'}], host: 'h', network: NET},
    ])
    expect(validate(out)).toMatchObject({ok: true})
    expect(count(out, '//failure')).toBe(0)
    expect(attr(out, '//testsuite/@failures')).toBe('0')
    expect(xpath(out, '//testcase/system-out')).toBe('WARN: careful\ne1\nfix: do x\nwhy: because')
  })

  it('untrusted text (<, &, ]]>, quotes, \\u0001, ESC, a lone surrogate, U+FFFE) in the host and the evidence: still valid, read back exactly less the forbidden characters', () => {
    const p = snapshotWith((s) => {
      s.host = HOSTILE
      s.networks[0].opts.content = `tag:tag0,option:router,${HOSTILE}`
    }, 'hostile.json')
    const r = cli(['diagnose', '--snapshot', p, '--format', 'junit'])
    expect(r.status).toBe(1)
    expect(validate(r.stdout)).toMatchObject({ok: true})
    expect(r.stdout).not.toMatch(/[\u0001\u0007\u001B\uFFFE]/)
    // XML-forbidden characters dropped, CR, LF and tab kept (as character references in attributes)
    const clean = 'a<b>&c"d\'e ]]> fgh[31mijk\r\nl\tm'
    expect(attr(r.stdout, '//testsuite/@hostname')).toBe(clean)
    expect(attr(r.stdout, '//testcase[1]/@classname')).toBe(`${clean}.${NET}`)
    expect(xpath(r.stdout, '//failure')).toContain('tag:tag0,option:router,a<b>&c"d\'e ]]> fgh[31mijk')
  })

  it('every network of a snapshot (no net-id): one suite each, totals summed', () => {
    const p = snapshotWith((s) => {
      // the same network under another id (the schema checks ids, paths and namespace agree)
      const second = JSON.parse(JSON.stringify(s.networks[0]).replaceAll(NET, NET2))
      second.opts.content = 'tag:tag0,option:router'
      s.networks.push(second)
    }, 'two.json')
    const r = cli(['diagnose', '--snapshot', p, '--format', 'junit'])
    expect(r.status).toBe(1)
    expect(validate(r.stdout)).toMatchObject({ok: true})
    expect(count(r.stdout, '//testsuite')).toBe(2)
    expect(attr(r.stdout, '//testsuite[2]/@name')).toBe(`quantum-meta netnode ${NET2}`)
    expect([attr(r.stdout, '/testsuites/@tests'), attr(r.stdout, '/testsuites/@failures')]).toEqual(['44', '1'])
    expect(count(r.stdout, `//testcase[@classname="netnode.${NET2}"]/failure`)).toBe(1)
  })

  it('live: the suite is named for this node (hostname); --all is a valid document too', () => {
    const state = join(dir, 'state')
    mkdirSync(state, {recursive: true})
    writeFileSync(join(state, 'dhcp_agent.ini'), '[DEFAULT]\n')
    const live = ['--state-path', state, '--config-file', join(state, 'dhcp_agent.ini'), '--no-api', '--backend', 'dhcp-agent']
    const net = randomUUID() // no namespace of another test run on this machine has it
    const one = cli(['diagnose', net, ...live, '--format', 'junit'])
    expect(one.status).toBe(1)
    expect(validate(one.stdout)).toMatchObject({ok: true})
    expect(attr(one.stdout, '//testsuite/@name')).toBe(`quantum-meta ${hostname()} ${net}`)
    expect(attr(one.stdout, '//testcase[@name="config.metadata-enabled"]/failure/@message')).toMatch(/enable_isolated_metadata is not set/)
    expect(attr(one.stdout, '//testcase[@name="namespace.exists"]/failure/@message')).toMatch(/^no namespace qdhcp-/)
    // --all: whatever qdhcp namespaces this machine has now (other suites make some), each a suite of this host
    const all = cli(['diagnose', '--all', ...live, '--format', 'junit'])
    expect([0, 1, 3]).toContain(all.status)
    expect(validate(all.stdout)).toMatchObject({ok: true})
    expect(count(all.stdout, '//testsuite')).toBe(count(all.stdout, `//testsuite[@hostname="${hostname()}"]`))
  })

  it('--format junit with --json, or with --list-checks, is exit 2 in one line; an unknown format is exit 2', () => {
    const j = cli(['diagnose', NET, '--snapshot', SNAP, '--format', 'junit', '--json'])
    expect(j.status).toBe(2)
    expect(j.json.error.message).toMatch(/--format junit and --json/)
    const l = cli(['diagnose', '--list-checks', '--format', 'junit'])
    expect(l.status).toBe(2)
    expect(l.stderr.trim().split('\n')).toHaveLength(1)
    expect(cli(['diagnose', NET, '--snapshot', SNAP, '--format', 'xml']).status).toBe(2)
  })
})

describe('diagnose --junit FILE', () => {
  it('writes the XML and still prints the table (or the --json document); replaces an old report atomically, no temp file left', () => {
    const out = join(dir, 'out')
    mkdirSync(out)
    const f = join(out, 'report.xml')
    writeFileSync(f, 'old')
    const r = cli(['diagnose', NET, '--snapshot', broken, '--junit', f])
    expect(r.status).toBe(1)
    expect(r.stdout).toMatch(/first broken link: opts\.metadata-route/)
    const xml = readFileSync(f, 'utf8')
    expect(validate(xml)).toMatchObject({ok: true})
    expect(attr(xml, '//testsuite/@failures')).toBe('1')
    expect(readdirSync(out)).toEqual(['report.xml'])

    const j = cli(['diagnose', NET, '--snapshot', SNAP, '--junit', f, '--json'])
    expect(j.status).toBe(3)
    expect(j.json).toMatchObject({network: NET, verdict: 'not-judged'})
    expect(attr(readFileSync(f, 'utf8'), '//testsuite/@failures')).toBe('0')
    expect(readdirSync(out)).toEqual(['report.xml'])
  })

  it('--format junit --junit FILE: the same document on stdout and in the file', () => {
    const f = join(dir, 'same.xml')
    const r = cli(['diagnose', NET, '--snapshot', SNAP, '--format', 'junit', '--junit', f])
    expect(r.status).toBe(3)
    expect(readFileSync(f, 'utf8')).toBe(r.stdout)
  })

  it('a symlink is followed: its target replaced, the link kept', () => {
    const target = join(dir, 'target.xml')
    writeFileSync(target, 'old')
    const link = join(dir, 'link.xml')
    symlinkSync(target, link)
    expect(cli(['diagnose', NET, '--snapshot', SNAP, '--junit', link]).status).toBe(3)
    expect(lstatSync(link).isSymbolicLink()).toBe(true)
    expect(readlinkSync(link)).toBe(target)
    expect(validate(readFileSync(target, 'utf8'))).toMatchObject({ok: true})
  })

  it('a FIFO or a directory is exit 2 in one line, at once (never blocks on the FIFO), before anything is diagnosed', () => {
    const fifo = join(dir, 'fifo')
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0)
    const t0 = Date.now()
    const r = cli(['diagnose', NET, '--snapshot', SNAP, '--junit', fifo])
    expect(Date.now() - t0).toBeLessThan(20_000)
    expect(r.status).toBe(2)
    expect(r.stdout).toBe('')
    expect(r.stderr).toBe(`quantum-meta: --junit ${fifo}: is a FIFO, not a regular file (give a file path)\n`)
    const d = cli(['diagnose', NET, '--snapshot', SNAP, '--junit', dir, '--json'])
    expect(d.status).toBe(2)
    expect(d.json.error).toMatchObject({code: 'report-not-regular', exit: 2})
    expect(d.json.error.message).toMatch(/is a directory/)
    expect(lstatSync(fifo).isFIFO()).toBe(true)
  })

  it('a missing or unwritable directory is exit 3 in one line; an empty path exit 2', () => {
    const missing = cli(['diagnose', NET, '--snapshot', SNAP, '--junit', join(dir, 'nope', 'r.xml')])
    expect(missing.status).toBe(3)
    expect(missing.stderr).toMatch(/^quantum-meta: --junit \S+: cannot write in \S+nope: no such file or directory\n$/)
    expect(cli(['diagnose', NET, '--snapshot', SNAP, '--junit', '']).status).toBe(2)
    if (process.getuid?.() === 0) {
      // root writes anywhere: run as nobody against a directory only root may write
      const ro = join(dir, 'ro')
      mkdirSync(ro, {mode: 0o755})
      chmodSync(dir, 0o755)
      const r = cli(['diagnose', NET, '--snapshot', SNAP, '--junit', join(ro, 'r.xml')], {gid: 65534, uid: 65534, cwd: '/'})
      expect(r.status).toBe(3)
      expect(r.stderr).toMatch(/cannot write in \S+ro: permission denied\n$/)
      expect(existsSync(join(ro, 'r.xml'))).toBe(false)
    }
  })
})

describe('the renderer on its own', () => {
  it('escapes for both places and drops what XML 1.0 cannot carry', () => {
    expect(escText(HOSTILE)).toBe('a&lt;b&gt;&amp;c"d\'e ]]&gt; fgh[31mijk&#13;\nl\tm')
    expect(escAttr(HOSTILE)).toBe("a&lt;b&gt;&amp;c&quot;d'e ]]&gt; fgh[31mijk&#13;&#10;l&#9;m")
    expect(escText('x'.repeat(MAX_TEXT + 10))).toBe(`${'x'.repeat(MAX_TEXT)}… (cut, ${MAX_TEXT + 10} characters)`)
  })

  it('junitOfReports: one suite per network, classname host.network', () => {
    const f: Finding[] = [
      {evidence: [], id: 'a.one', status: 'pass', summary: 'fine'},
      {evidence: ['x'], fix: {command: 'f', why: 'w'}, id: 'a.two', status: 'fail', summary: 'bad'},
      {evidence: [], id: 'a.three', status: 'skip', summary: 'skipped: a.two failed'},
    ]
    const xml = junitOfReports(
      'n1',
      [{backend: 'dhcp-agent', findings: f, healthy: false, layout: 'neutron', network: NET, verdict: 'broken'}],
      '2026-01-01T00:00:00Z',
    )
    expect(validate(xml)).toMatchObject({ok: true})
    expect([attr(xml, '//testsuite/@tests'), attr(xml, '//testsuite/@failures'), attr(xml, '//testsuite/@skipped')]).toEqual(['3', '1', '1'])
    expect(attr(xml, '//testcase[3]/@classname')).toBe(`n1.${NET}`)
  })

  it('a FleetReport: one suite per host, an unreachable host one failing host.reachable testcase, cross-host findings a suite of their own', () => {
    const ok: Finding[] = [
      {evidence: [], id: 'namespace.exists', status: 'pass', summary: 'qdhcp-x exists'},
      {evidence: [], id: 'probe.http', status: 'skip', summary: 'not run'},
    ]
    const bad: Finding[] = [
      {evidence: [], id: 'namespace.exists', status: 'pass', summary: 'qdhcp-x exists'},
      {
        evidence: ['ps: no haproxy <defunct> & co'],
        fix: {command: 'systemctl restart neutron-dhcp-agent', why: 'it respawns the proxy'},
        id: 'proxy.running',
        status: 'fail',
        summary: 'no proxy',
      },
    ]
    const fleet: FleetReport = {
      cross: [
        {
          evidence: ['net2 opts: via 198.51.100.3'],
          fix: {file: '/etc/neutron/dhcp_agent.ini', section: 'DEFAULT', set: 'enable_isolated_metadata = True', why: 'then restart'},
          id: 'cross.opts-route-host',
          status: 'fail',
          summary: "net2's route goes via net1's port IP",
        },
      ],
      healthy: false,
      hosts: [
        {backend: 'dhcp-agent', findings: ok, healthy: true, host: 'net1', layout: 'neutron', reachable: true},
        {backend: 'dhcp-agent', findings: bad, healthy: false, host: 'net2', layout: 'neutron', reachable: true},
        {error: 'ssh: connect to host net3 port 22: Connection refused\u0001', findings: [], host: 'net3', reachable: false},
      ],
      network: NET,
    }
    const xml = junitOfFleet(fleet)
    expect(validate(xml)).toMatchObject({ok: true})
    expect(count(xml, '//testsuite')).toBe(4)
    expect([1, 2, 3].map((i) => attr(xml, `//testsuite[${i}]/@name`))).toEqual([
      `quantum-meta net1 ${NET}`,
      `quantum-meta net2 ${NET}`,
      `quantum-meta net3 ${NET}`,
    ])
    expect(attr(xml, '//testsuite[3]/testcase/@name')).toBe('host.reachable')
    expect(attr(xml, '//testsuite[3]/testcase/@classname')).toBe(`net3.${NET}`)
    expect(attr(xml, '//testsuite[3]/testcase/failure/@message')).toBe('ssh: connect to host net3 port 22: Connection refused')
    expect([attr(xml, '//testsuite[3]/@tests'), attr(xml, '//testsuite[3]/@failures')]).toEqual(['1', '1'])
    expect(attr(xml, '//testsuite[4]/testcase/@classname')).toBe(`cross.${NET}`)
    expect([attr(xml, '/testsuites/@tests'), attr(xml, '/testsuites/@failures')]).toEqual(['6', '3'])
    expect(xpath(xml, '//testsuite[2]//failure')).toBe('ps: no haproxy <defunct> & co\nfix: systemctl restart neutron-dhcp-agent\nwhy: it respawns the proxy')
    // several networks (diagnose --all across hosts): the suites of each, in order
    const two = junitOfFleet([fleet, {...fleet, cross: [], network: NET2}])
    expect(validate(two)).toMatchObject({ok: true})
    expect(count(two, '//testsuite')).toBe(7)
    expect(attr(two, '//testsuite[7]/@name')).toBe(`quantum-meta net3 ${NET2}`)
  })
})

/**
 * Agentless hosts (issue 19, item 1), the pure parts: the framed stream a host's script prints, read
 * on hostile input (garbage, a stream cut short, forged records inside a payload, too much, secrets);
 * the view over it answering as the live view does; the script itself (no value in its text, only
 * reads). Against real sshd hosts with node hidden: test/fleet/agentless.test.ts.
 */
import {describe, expect, it} from 'vitest'

import {agentlessScript, agentlessWords, snapshotOfBundle} from '../../src/fleet/agentless.js'
import {type Bundle, parseBundle} from '../../src/sources/agentless/frame.js'
import {BUNDLE_END, BUNDLE_MAGIC, remoteScript} from '../../src/sources/agentless/script.js'
import {AgentlessView} from '../../src/sources/agentless/view.js'
import {b64lines, type FrameRecord, frame} from '../helpers/agentless-frame.js'

const NET = '01cce415-8e2b-4096-92b5-7acc67163d79'

type Rec = FrameRecord

function parsed(recs: Rec[]): Bundle {
  const r = parseBundle(frame(recs))
  if (!r.ok) throw new Error(r.error)
  return r.bundle
}

const enc = (s: string) => `~${Buffer.from(s).toString('base64')}`

describe('the agentless frame, on hostile input', () => {
  it('garbage, nothing, or a snapshot instead of the frame: one line, naming what came', () => {
    expect(parseBundle(Buffer.from(''))).toEqual({error: 'printed nothing', ok: false})
    expect(parseBundle(Buffer.from('{"format": "quantum-meta-snapshot/1"}\n'))).toEqual({
      error: 'printed no agentless evidence: "{\\"format\\": \\"quantum-meta-snapshot/1\\"}"',
      ok: false,
    })
    const r = parseBundle(Buffer.from('\u001b[31mWelcome to node1\u0007\nmotd\n'))
    expect(r).toEqual({error: 'printed no agentless evidence: "?[31mWelcome to node1?"', ok: false})
  })

  it('a stream that stops before its end line is refused whole, not half a snapshot', () => {
    const cut = frame([{head: 'R host net1'}, {head: 'R file /etc/neutron/dhcp_agent.ini file read', payload: '[DEFAULT]\n'}], {end: false})
    const r = parseBundle(cut)
    expect(r.ok).toBe(false)
    expect(!r.ok && r.error).toBe('stopped before the end of its evidence (6 lines, no QM-AGENTLESS-END)')
    // cut inside a payload: the same
    const mid = frame([{head: 'R file /etc/x file read', payload: 'a'.repeat(300)}]).subarray(0, 60)
    expect(parseBundle(mid).ok).toBe(false)
  })

  it('a line that is no part of the frame names its line number; nothing of it is kept', () => {
    const text = frame([{head: 'R host net1'}])
      .toString()
      .replace('. 0', 'oops: this is not base64!\n. 0')
    expect(parseBundle(Buffer.from(text))).toEqual({error: 'line 3 of its evidence: not base64 inside a record: "oops: this is not base64!"', ok: false})
    const unknown = parseBundle(frame([{head: 'R exec rm -rf /'}]))
    expect(unknown).toEqual({error: 'line 2 of its evidence: a record of unknown type "exec"', ok: false})
    const noEnd = Buffer.from(`${BUNDLE_MAGIC}\nR host net1\nQUJD\n${BUNDLE_END}\n`)
    expect(parseBundle(noEnd)).toEqual({error: 'line 4 of its evidence: a record without its end', ok: false})
  })

  it("a file holding the frame's own words cannot forge a record: its content stays content", () => {
    const forged = `R file /etc/shadow file read\n${b64lines('root:x:0:0')}\n. 0\n${BUNDLE_END}\n`
    const b = parsed([{head: `R file /var/lib/neutron/dhcp/${NET}/opts file read`, payload: forged}])
    expect([...b.files.keys()]).toEqual([`/var/lib/neutron/dhcp/${NET}/opts`])
    expect(b.files.get(`/var/lib/neutron/dhcp/${NET}/opts`)?.content).toBe(forged)
  })

  it('too much: a record over the per-file cap, or too many records, is one line', () => {
    const big = parseBundle(frame([{head: 'R file /etc/big file read', payload: Buffer.alloc(2000, 65)}]), {fileCap: 1000, maxRecords: 10})
    expect(big).toEqual({error: 'line 20 of its evidence: a record of more than 1000 bytes', ok: false})
    const many = parseBundle(frame(Array.from({length: 11}, (_, i) => ({head: `R link /proc/${i}/ns/net`}))), {fileCap: 1000, maxRecords: 10})
    expect(many).toEqual({error: 'line 22 of its evidence: more than 10 records', ok: false})
    // one byte over the cap (the script reads cap + 1): kept as "too large", its content dropped
    const over = parsed([{head: 'R file /etc/neutron/dhcp_agent.ini file read', payload: Buffer.alloc(4 * 1024 * 1024 + 1, 65)}])
    expect(over.files.get('/etc/neutron/dhcp_agent.ini')).toEqual({read: 'toolarge', type: 'file'})
  })

  it('names with blanks, newlines and control characters arrive base64; a hostname is made printable', () => {
    const weird = '/etc/neutron/my conf\nR file /etc/shadow'
    const b = parsed([{head: `R host ${enc('evil\u001b]0;owned\u0007')}`}, {head: `R file ${enc(weird)} file read`, payload: 'x = 1\n'}])
    expect(b.host).toBe('evil?]0;owned?')
    expect([...b.files.keys()]).toEqual([weird])
    expect(parseBundle(frame([{head: 'R file ~not*base64 missing'}])).ok).toBe(false)
  })

  it('secrets are redacted as they arrive: ini values, a command line, a log line, a URL password', () => {
    const b = parsed([
      {
        head: 'R file /etc/neutron/metadata_agent.ini file read',
        payload: '[DEFAULT]\nmetadata_proxy_shared_secret = s3cr3t-value\nnova_metadata_host = 10.0.0.5\n',
      },
      {
        head: 'R procs -',
        payload: '42/cmdline:/usr/bin/python3\u000042/cmdline:/usr/bin/neutron-dhcp-agent\u000042/cmdline:--os-password\u000042/cmdline:hunter2xyz\u0000',
      },
      {head: 'R tail /var/log/neutron/neutron-metadata-agent.log read 100 1796000000.5', payload: 'ERROR connect failed password=topsecret1 url\n'},
      {head: `R cmd netns-addresses qdhcp-${NET} json`, payload: 'see https://admin:pa55word@keystone:5000/v3\n'},
    ])
    const text = JSON.stringify({cmd: [...b.commands.values()], files: [...b.files.values()], procs: b.procs, tails: [...b.tails.values()]})
    for (const secret of ['s3cr3t-value', 'hunter2xyz', 'topsecret1', 'pa55word']) expect(text).not.toContain(secret)
    expect(b.files.get('/etc/neutron/metadata_agent.ini')?.content).toContain('nova_metadata_host = 10.0.0.5')
    expect(b.procs).toEqual([{cmdline: '/usr/bin/python3\u0000/usr/bin/neutron-dhcp-agent\u0000--os-password\u0000<redacted>\u0000', pid: 42}])
  })

  it("the script's own processes (sh -c SCRIPT and what ran it) are not in the node's process list", () => {
    const b = parsed([{head: 'R procs -', payload: `7/cmdline:sh\u00007/cmdline:-c\u00007/cmdline:x; printf ${BUNDLE_MAGIC}\u00008/cmdline:dnsmasq\u0000`}])
    expect(b.procs?.map((p) => p.pid)).toEqual([8])
  })
})

describe('the agentless view answers as the live view does', () => {
  const state = '/var/lib/neutron'
  const bundle = parsed([
    {head: 'R host net1'},
    {head: 'R clock 1796000100.250000000', payload: '100.00 150.00\n'},
    {head: `R file ${state}/dhcp/${NET}/pid file read`, payload: '300\n'},
    {head: `R file ${state}/dhcp/${NET}/opts missing`},
    {head: 'R file /run/fifo other notregular fifo'},
  ])
  const view = new AgentlessView(bundle, 'net1')

  it('a file the script read, one it found missing, one it never read (not collected: the check skips)', async () => {
    expect(await view.readFile(`${state}/dhcp/${NET}/pid`)).toEqual({content: '300\n', path: `${state}/dhcp/${NET}/pid`, state: 'present', type: 'file'})
    expect(await view.readFile(`${state}/dhcp/${NET}/opts`)).toEqual({path: `${state}/dhcp/${NET}/opts`, state: 'missing'})
    expect(await view.readFile('/etc/elsewhere.ini')).toMatchObject({path: '/etc/elsewhere.ini', state: 'not-collected'})
    expect(await view.readFile('/run/fifo')).toEqual({error: 'is a FIFO, not a regular file', path: '/run/fifo', state: 'error', type: 'other'})
  })

  it('a pid not in the process list is not alive; without a process list it cannot be told', async () => {
    const withProcs = new AgentlessView(
      parsed([
        {head: 'R procs -', payload: '300/cmdline:dnsmasq\u0000300/cmdline:--no-hosts\u0000'},
        {head: 'R link /proc/300/ns/net', payload: 'net:[4026532999]\n'},
        {head: 'R fds 300', payload: 'socket:[1]\nsocket:[2]\n'},
      ]),
      'net1',
    )
    expect(await withProcs.process(300, 'proxy', 'pidfile', {sockets: true})).toEqual({
      alive: true,
      cmdline: 'dnsmasq\u0000--no-hosts\u0000',
      fdLinks: ['socket:[1]', 'socket:[2]'],
      from: 'pidfile',
      netns: 'net:[4026532999]',
      pid: 300,
      role: 'proxy',
    })
    expect(await withProcs.process(301, 'dnsmasq', 'pidfile', {sockets: false})).toEqual({alive: false, from: 'pidfile', pid: 301, role: 'dnsmasq'})
    expect(await view.process(300, 'dnsmasq', 'pidfile', {sockets: false})).toEqual({notCollected: 'net1 sent no process list (pid 300)'})
  })

  it("a log's end that began inside a line keeps the next whole line on, with its offset", async () => {
    const v = new AgentlessView(parsed([{head: 'R tail /var/log/a.log read 1000 1796000000.5', payload: 'tial line\nwhole one\n'}]), 'net1')
    expect(await v.readTail('/var/log/a.log')).toEqual({
      mtime: new Date(1796000000_500).toISOString(),
      offset: 990,
      size: 1000,
      state: 'present',
      text: 'whole one\n',
    })
    expect(await v.readTail('/var/log/other.log')).toMatchObject({state: 'not-collected'})
  })

  it("an agent's start time comes from the host's clock and uptime, not this machine's", async () => {
    const v = new AgentlessView(
      parsed([
        {head: 'R clock 1796000100.000000000', payload: '100.00 150.00\n'},
        {head: 'R file /proc/55/stat file read', payload: `55 (neutron-dhcp-a) S 1 55 55 0 -1 4194560 ${'0 '.repeat(12)}2500 0\n`},
        {head: 'R link /proc/self/ns/mnt', payload: 'mnt:[1]\n'},
        {head: 'R link /proc/55/ns/mnt', payload: 'mnt:[2]\n'},
      ]),
      'net1',
    )
    // boot = 1796000100 - 100 s; started 2500 ticks (25 s) after boot
    expect(await v.processDetails(55)).toEqual({sameMountNamespace: false, startedAt: new Date(1796000025_000).toISOString()})
  })
})

describe("a systemd host's journal of the metadata agent", () => {
  it('answers journalctl -u UNIT.service by its unit, its lines redacted as a log is; another unit is not collected', async () => {
    const v = new AgentlessView(
      parsed([{head: 'R cmd journal neutron-metadata-agent -', payload: '2026-12-01T10:00:00+0000 n1 agent[5]: ERROR token=abc123secret failed\n'}]),
      'net1',
    )
    const argv = (u: string) => ['journalctl', '-u', `${u}.service`, '-n', '2000', '-o', 'short-iso', '--no-pager']
    const got = await v.command('journal', argv('neutron-metadata-agent'))
    expect(got?.exitCode).toBe(0)
    expect(got?.stdout).toContain('ERROR token=<redacted> failed')
    expect((await v.command('journal', argv('edpm_neutron_metadata_agent')))?.notCollected).toMatch(/^not read by the agentless script/)
  })
})

describe('--probe: the GET the script sent from inside a namespace', () => {
  const ns = `qdhcp-${NET}`
  it('its answer as node/probe.ts records it; a hostile answer keeps only the fields it may have', async () => {
    const v = new AgentlessView(
      parsed([
        {head: `R probe ${ns} v4`, payload: JSON.stringify({body: '1.0\nlatest\n', ms: 12, status: 200})},
        {head: `R probe ${ns} v6 eth0`, payload: JSON.stringify({error: 'refused\u001b[2J', evil: 'x', ms: -4, status: 'nope'})},
      ]),
      'net1',
    )
    expect(await v.probe(ns)).toEqual({
      argv: ['ip', 'netns', 'exec', ns, 'GET', 'http://169.254.169.254/'],
      body: '1.0\nlatest\n',
      ms: 12,
      status: 200,
      url: 'http://169.254.169.254/',
    })
    expect(await v.probe(ns, 'eth0')).toEqual({
      argv: ['ip', 'netns', 'exec', ns, 'GET', 'http://[fe80::a9fe:a9fe%eth0]/'],
      error: 'refused??2J',
      url: 'http://[fe80::a9fe:a9fe%eth0]/',
    })
    expect((await v.probe(ns, 'tap9')).error).toBe('not sent by the agentless script (fe80::a9fe:a9fe was not usable on tap9 there)')
    expect(parseBundle(frame([{head: `R probe ${ns} v4`, payload: 'not json'}]))).toEqual({
      error: 'line 2 of its evidence: a probe answer that is not JSON',
      ok: false,
    })
    expect(parseBundle(frame([{head: `R probe ${ns} v6 ../../x`, payload: '{}'}])).ok).toBe(false)
  })

  it('a host without python3 says so, once per namespace', async () => {
    const v = new AgentlessView(parsed([{head: `R probe ${ns} nopython`}]), 'net1')
    expect((await v.probe(ns)).error).toBe('net1 has no python3 to send the probe with')
  })
})

describe('the agentless script', () => {
  it('holds no network id: the ids are arguments, after the script, and sudo -n only for a login that is not root', () => {
    const script = agentlessScript()
    expect(script).not.toContain(NET)
    expect(agentlessWords(NET, 'root')).toEqual(['sh', '-c', script, 'qm-agentless', NET])
    expect(agentlessWords(undefined, 'ops')).toEqual(['sudo', '-n', 'sh', '-c', script, 'qm-agentless', '--all'])
    expect(agentlessWords(NET, 'root', true)).toEqual(['sh', '-c', script, 'qm-agentless', '--probe', NET])
  })

  it('only reads: no redirection into a file, no rm, mv, tee, touch, mkdir or ip that changes anything', () => {
    const all = agentlessScript()
    // the two python3 programs first (single-quoted assignments), then the sh
    const at = all.indexOf('\n# quantum-meta agentless evidence')
    const [python, script] = [all.slice(0, at), all.slice(at)]
    expect(python).toMatch(/^PYCONNECT='[^']*'\nPYPROBE='[^']*'$/)
    expect(python).not.toMatch(/open\([^)]*["'][wax+]|os\.(remove|unlink|rename|mkdir|write|system)|subprocess|shutil/)
    // every > goes to a file descriptor or /dev/null
    for (const m of script.matchAll(/\d?>(?!&)\s*(\S+)/g)) expect(m[1], m[0]).toMatch(/^\/dev\/null\b/)
    expect(script).not.toMatch(/\b(rm|mv|tee|touch|mkdir|mktemp|dd|chmod|chown|kill)\s/)
    // iproute2 only lists: every `ip` the script runs is one of these
    const ips = [...script.matchAll(/\bip [^;|<\n]*/g)].map((m) => m[0].trim().replace(/ 2>\/dev\/null$/, ''))
    expect(ips.length).toBeGreaterThan(2)
    for (const ip of ips)
      expect(ip).toMatch(
        /^ip (netns list|-j -n "\$ns" addr show|netns exec "\$ns" ip addr show|addr show|netns exec "\$ns" python3 -I -B -c "\$PYPROBE" "\$ns")$/,
      )
    expect(script).toContain('python3 -I -B -c')
  })

  it('refuses to generate a glob it could not pass unquoted', () => {
    const needs = {
      agentPatterns: ['dhcp-agent'],
      environNames: ['SNAP'],
      fileCap: 10,
      files: [],
      journalLines: 10,
      journalUnits: [],
      layouts: [{agentConfig: '/etc/neutron/dhcp_agent.ini', configDir: '/etc/neutron', name: 'neutron', statePath: '/var/lib/neutron'}],
      lists: [{dir: '/usr/lib/$(reboot)', glob: '*'}],
      logPrograms: [],
      logs: [],
      markers: [],
      procsCap: 10,
      tailCap: 10,
    }
    expect(() => remoteScript(needs)).toThrow(/unsafe glob/)
  })

  it('a bundle of a node without the network still makes a snapshot the chain judges (namespace missing)', async () => {
    const b = parsed([
      {head: 'R host net9'},
      {head: 'R clock 1796000100.0', payload: '100.00 1.00\n'},
      {head: 'R exists -', payload: '/etc/neutron\u0000/etc/neutron/dhcp_agent.ini\u0000'},
      {
        head: 'R file /etc/neutron/dhcp_agent.ini file read m=1796000000.0 r=/etc/neutron/dhcp_agent.ini',
        payload: '[DEFAULT]\nenable_isolated_metadata = True\n',
      },
      {head: 'R cmd netns-list - -', payload: 'qrouter-x\n'},
      {head: 'R procs -', payload: '1/cmdline:init\u0000'},
    ])
    const snap = await snapshotOfBundle(b, 'net9', NET, 'qm-test')
    expect(snap.host).toBe('net9')
    expect(snap.takenAt).toBe(new Date(1796000100_000).toISOString())
    expect(snap.networks.map((n) => [n.network, n.namespace, n.config.state, n.namespaces.stdout])).toEqual([[NET, `qdhcp-${NET}`, 'present', 'qrouter-x\n']])
    // what the script did not read is "not collected", never "missing"
    expect(snap.networks[0].opts.state).toBe('not-collected')
  })
})

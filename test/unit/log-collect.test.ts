// The collector of the metadata agent's and Nova's log ends (src/chains/common/log-collect.ts), reading
// a node tree under a temp root through a RootedView, with a process list the test gives (no process
// runs): where the agent logs, what is refused, what a huge or binary file gives, redaction on arrival.
import {appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {collectLogs} from '../../src/chains/common/log-collect.js'
import {runChecks} from '../../src/chains/run.js'
import {LiveView} from '../../src/sources/live.js'
import {RootedView} from '../../src/sources/rooted.js'
import type {NodeView, ProcessList} from '../../src/sources/view.js'
import {copy, HEALTHY, read} from '../helpers/sosreport-copies.js'

const fx = (f: string) => readFileSync(new URL(`../fixtures/metadata-log/${f}`, import.meta.url), 'utf8')
const NOVA_LOG = '/var/log/nova/nova-api-metadata.log'

const dirs: string[] = []
afterAll(() => {
  for (const d of dirs) rmSync(d, {force: true, recursive: true})
})

/** A node's files under a temp root, and a process list given by the test (no process runs). */
function node(entries: {pid: number; cmdline: string}[]): {root: string; view: NodeView; put: (p: string, text: string) => string} {
  const root = mkdtempSync(join(tmpdir(), 'qm-logs-'))
  dirs.push(root)
  const base = new RootedView(root, new LiveView())
  const view: NodeView = Object.assign(Object.create(base), {
    kind: 'rooted',
    processDetails: async () => ({}),
    processes: async (): Promise<ProcessList> => ({entries}),
  })
  const put = (p: string, text: string) => {
    mkdirSync(join(root, p, '..'), {recursive: true})
    writeFileSync(join(root, p), text)
    return join(root, p)
  }
  return {put, root, view}
}

const AGENT = (args: string) => ({cmdline: `neutron-metadata-agent (/usr/bin/python3 /usr/bin/neutron-metadata-agent ${args})`, pid: 812})

describe('collectLogs', () => {
  it("the agent's own --log-file; Nova's packages path recorded as missing", async () => {
    const {put, view} = node([AGENT('--config-file /etc/neutron/neutron.conf --log-file=/srv/logs/agent.log')])
    put('/srv/logs/agent.log', fx('zed-agent.log'))
    const logs = await collectLogs(view, {layout: 'neutron'}, 'metadata-agent')
    expect(logs.map((l) => [l.path, l.state, l.from])).toEqual([
      ['/srv/logs/agent.log', 'present', '--log-file of pid 812'],
      [NOVA_LOG, 'missing', 'the packages default'],
    ])
    expect(logs[0]).toMatchObject({firstLine: 1, offset: 0})
    expect(logs[0].tail).toContain('status: 403  len: 300')
  })

  it('log_dir + log_file of its config files (later files win); else --log-dir/<program>.log', async () => {
    const {put, view} = node([AGENT('--config-file /etc/neutron/neutron.conf --config-dir /etc/neutron/conf.d')])
    put('/etc/neutron/neutron.conf', '[DEFAULT]\nlog_dir = /var/log/old\nlog_file = first.log\n')
    put('/etc/neutron/conf.d/10-log.conf', '[DEFAULT]\nlog_dir = /var/log/custom\n')
    put('/var/log/custom/first.log', 'x\n')
    const logs = await collectLogs(view, {layout: 'neutron'}, 'metadata-agent')
    expect(logs[0]).toMatchObject({path: '/var/log/custom/first.log', state: 'present'})
    expect(logs[0].from).toMatch(/^log_dir and log_file at \/etc\/neutron\/conf\.d\/10-log\.conf:2, \/etc\/neutron\/neutron\.conf:3 \(pid 812\)$/)
    const two = node([AGENT('--log-dir /var/log/mine')])
    two.put('/var/log/mine/neutron-metadata-agent.log', 'y\n')
    expect((await collectLogs(two.view, {layout: 'neutron'}, 'metadata-agent'))[0]).toMatchObject({
      path: '/var/log/mine/neutron-metadata-agent.log',
      state: 'present',
    })
  })

  it("no agent running: the deployment's paths (TripleO's, then the OVN agent's on packages)", async () => {
    const {put, view} = node([])
    put('/var/log/containers/neutron/metadata-agent.log', 'z\n')
    const logs = await collectLogs(view, {deployment: 'tripleo', layout: 'neutron'}, 'metadata-agent')
    expect(logs.map((l) => [l.path, l.state])).toEqual([
      ['/var/log/containers/neutron/metadata-agent.log', 'present'],
      ['/var/log/containers/nova/nova-metadata-api.log', 'missing'],
    ])
    const ovn = await collectLogs(view, {layout: 'neutron'}, 'ovn-metadata-agent')
    expect(ovn[0]).toMatchObject({from: 'the packages default', path: '/var/log/neutron/neutron-ovn-metadata-agent.log', state: 'missing'})
  })

  it('a symlink at the log path (to /etc/shadow) is not followed; a directory is refused', async () => {
    const {put, root, view} = node([AGENT('--log-file /var/log/neutron/a.log'), {...AGENT('--log-file /var/log/neutron/b.log'), pid: 813}])
    put('/etc/shadow', 'root:QMLEAK2Z:19000:0:99999:7:::\n')
    mkdirSync(join(root, 'var/log/neutron/b.log'), {recursive: true})
    symlinkSync('/etc/shadow', join(root, 'var/log/neutron/a.log'))
    const logs = await collectLogs(view, {layout: 'neutron'}, 'metadata-agent')
    expect(logs[0]).toMatchObject({error: 'is a symlink: not followed (a log is a regular file)', path: '/var/log/neutron/a.log', state: 'error'})
    expect(logs[1]).toMatchObject({error: 'is a directory, not a regular file', state: 'error'})
    expect(JSON.stringify(logs)).not.toContain('QMLEAK2Z')
  })

  it('a 2 GB sparse file: only its end is read, from a line start; all NULs: binary, not kept', async () => {
    const {put, root, view} = node([AGENT('--log-file /var/log/neutron/big.log'), {...AGENT('--log-file /var/log/neutron/holes.log'), pid: 813}])
    const big = put('/var/log/neutron/big.log', '')
    truncateSync(big, 2 * 1024 ** 3)
    appendFileSync(big, `\n${fx('zed-agent.log')}`)
    truncateSync(put('/var/log/neutron/holes.log', ''), 2 * 1024 ** 3)
    const logs = await collectLogs(view, {layout: 'neutron'}, 'metadata-agent')
    expect(logs[0].state).toBe('present')
    expect(logs[0].firstLine).toBeUndefined()
    expect(logs[0].offset).toBeGreaterThan(2 * 1024 ** 3 - 256 * 1024)
    expect(logs[0].tail?.endsWith('status: 404  len: 297 time: 0.0103939')).toBe(true)
    expect(logs[1]).toMatchObject({error: 'holds binary data (NUL or undecodable bytes), not a text log: not kept', state: 'error'})
    void root
  })

  it('a 10 MB line and a colour reset: the window holds no partial line, Nova lines come clean', async () => {
    const {put, view} = node([AGENT('--log-file /var/log/neutron/long.log')])
    put(
      '/var/log/neutron/long.log',
      `${'A'.repeat(10 * 1024 * 1024)}\n2026-11-30 10:00:00.000 1 WARNING nova.api.metadata.handler [-] X-Instance-ID present in request headers. The 'service_metadata_proxy' option must be enabled to process this header.\x1b[00m\n`,
    )
    const [log] = await collectLogs(view, {layout: 'neutron'}, 'metadata-agent')
    expect(log.tail).toBe(
      "2026-11-30 10:00:00.000 1 WARNING nova.api.metadata.handler [-] X-Instance-ID present in request headers. The 'service_metadata_proxy' option must be enabled to process this header.",
    )
  })

  it('secrets in log lines are redacted as they arrive', async () => {
    const {put, view} = node([AGENT('--log-file /var/log/neutron/s.log')])
    put('/var/log/neutron/s.log', 'DEBUG x [-] transport_url = rabbit://neutron:QMLEAK3Z@10.0.0.5:5672/ password = QMLEAK4Z\n')
    const [log] = await collectLogs(view, {layout: 'neutron'}, 'metadata-agent')
    expect(log.tail).toBe('DEBUG x [-] transport_url = rabbit://neutron:<redacted>@10.0.0.5:5672/ password = <redacted>')
  })
})

describe('collectLogs on other sources', () => {
  it("a sosreport's copy of /var/log/neutron is read like the node's (a copy of the real sos 4.0 report)", async () => {
    const dir = copy()
    mkdirSync(join(dir, 'var/log/neutron'), {recursive: true})
    writeFileSync(join(dir, 'var/log/neutron/neutron-metadata-agent.log'), fx('zed-agent.log'))
    const {snapshot} = await read(dir)
    const logs = snapshot.networks[0].logs!
    expect(logs.map((l) => [l.path, l.state, l.error])).toEqual([
      ['/var/log/neutron/neutron-metadata-agent.log', 'present', undefined],
      // a network node's report: sos's openstack_nova plugin did not run there
      [NOVA_LOG, 'not-collected', 'not in the sosreport: its openstack_nova plugin did not run'],
    ])
    expect(runChecks(snapshot.networks[0], {probe: false}).find((f) => f.id === 'metadata-agent.log')?.status).toBe('warn')
  })

  it('the real sos 4.0 report as it is (no log copied): where it looked, no verdict held', async () => {
    const {snapshot} = await read(HEALTHY)
    const f = runChecks(snapshot.networks[0], {probe: false}).find((x) => x.id === 'metadata-agent.log')!
    expect(f).toMatchObject({skipped: 'warn-only', status: 'skip'})
    expect(f.summary).toMatch(/^no log of the metadata agent read: looked at \/var\/log\/neutron\/neutron-metadata-agent\.log \(/)
  })

  it("a journal-only deployment (EDPM): the unit's journal, read-only, its lines judged the same", async () => {
    const asked: string[][] = []
    const journal =
      '2026-12-07T19:24:01+0000 compute-0 neutron-ovn-metadata-agent[812]: 2026-12-07 19:24:01.100 812 WARNING neutron.agent.ovn.metadata.server [-] The remote metadata server responded with Forbidden. This response usually occurs when shared secrets do not match.\n'
    const view = {
      command: async (_key: string, argv: string[]) => {
        asked.push(argv)
        return {argv, exitCode: 0, stderr: '', stdout: journal}
      },
      kind: 'live',
      list: async () => [],
      processes: async () => ({entries: []}),
      readFile: async (path: string) => ({path, state: 'missing'}),
      stat: async () => ({type: 'directory'}),
    } as unknown as NodeView
    const logs = await collectLogs(view, {deployment: 'edpm', layout: 'neutron'}, 'ovn-metadata-agent')
    expect(asked).toEqual([['journalctl', '-u', 'edpm_ovn_metadata_agent.service', '-n', '2000', '-o', 'short-iso', '--no-pager']])
    expect(logs).toEqual([
      {
        argv: asked[0],
        from: 'the EDPM default',
        path: 'journal:edpm_ovn_metadata_agent.service',
        service: 'ovn-metadata-agent',
        state: 'present',
        tail: journal.trimEnd(),
      },
    ])
  })
})

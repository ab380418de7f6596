// The log check of each chain (src/chains/common/logs.ts) on the real Zed node's evidence with the
// verbatim log lines of test/fixtures/metadata-log/ attached as the collector records them.
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {DHCP_AGENT_CHECKS} from '../../src/chains/dhcp-agent/chain.js'
import {L3_AGENT_CHECKS} from '../../src/chains/l3-agent/chain.js'
import {OVN_CHECKS} from '../../src/chains/ovn/chain.js'
import {latestLogCase} from '../../src/chains/common/logs.js'
import {runChecks} from '../../src/chains/run.js'
import {redactSnapshot} from '../../src/chains/redact.js'
import {checkSnapshot} from '../../src/chains/snapshot.js'
import {sparseSnapshot} from '../../src/evidence/sparse.js'
import type {Finding} from '../../src/chains/types.js'
import type {LogRecord, NetworkEvidence} from '../../src/evidence/evidence.js'
import {fixCommand} from '../helpers/fix.js'
import {zed} from '../helpers/zed-evidence.js'

const fx = (f: string) => readFileSync(new URL(`../fixtures/metadata-log/${f}`, import.meta.url), 'utf8')
const AGENT_LOG = '/var/log/neutron/neutron-metadata-agent.log'
const NOVA_LOG = '/var/log/nova/nova-api-metadata.log'

const rec = (tail: string, over: Partial<LogRecord> = {}): LogRecord => ({
  firstLine: 1,
  from: '--log-file of pid 812',
  offset: 0,
  path: AGENT_LOG,
  service: 'metadata-agent',
  size: tail.length,
  state: 'present',
  tail,
  ...over,
})
const withLogs = (logs: LogRecord[] | undefined): NetworkEvidence => ({...zed(), logs})
const logFinding = (ev: NetworkEvidence): Finding => runChecks(ev, {probe: false}).find((f) => f.id === 'metadata-agent.log')!

/** The lab's lines as logged: `DATE TIME PID LINE`, Nova's with oslo's colour reset gone (the collector strips it). */
const lab = (pick: (c: string, log: string, line: string) => boolean, second = 0) =>
  fx('lab-lines.tsv')
    .trimEnd()
    .split('\n')
    .map((l) => l.split('\t'))
    .filter(([c, log, line]) => pick(c, log, line))
    .map(([, , line], i) => `2026-11-30 10:00:${String(second + i).padStart(2, '0')}.123 4242 ${line}`)
    .join('\n')

describe('the log check on the real Zed node', () => {
  it('is in each chain, after the agent links and before the probe, warning only', () => {
    for (const [checks, id] of [
      [DHCP_AGENT_CHECKS, 'metadata-agent.log'],
      [L3_AGENT_CHECKS, 'l3.metadata-log'],
      [OVN_CHECKS, 'ovn.agent-log'],
    ] as const) {
      const i = checks.findIndex((c) => c.id === id)
      // right before the chain's own probe (the IPv4 one; the IPv6 probe and the Nova checks come after)
      expect(checks[i + 1].id).toMatch(/^(probe\.http|l3\.probe|ovn\.probe)$/)
      expect(checks[i].warnOnly).toBe(true)
    }
  })

  it('an older snapshot (no logs): skipped, and the network is still healthy or not as before', () => {
    const f = logFinding(withLogs(undefined))
    expect(f).toMatchObject({skipped: 'warn-only', status: 'skip'})
    expect(f.summary).toMatch(/not collected/)
    expect(f.unjudged).toBeUndefined()
  })

  it('no log found: skipped, naming each place looked at and why', () => {
    const f = logFinding(withLogs([{from: 'the packages default', path: AGENT_LOG, service: 'metadata-agent', state: 'missing'}]))
    expect(f.status).toBe('skip')
    expect(f.summary).toBe(`no log of the metadata agent read: looked at ${AGENT_LOG} (no such file; the packages default)`)
  })

  it('only healthy answers: passes, counting them', () => {
    const f = logFinding(withLogs([rec(fx('harness-agent.log'))]))
    expect(f.status).toBe('pass')
    expect(f.summary).toBe("no known failure in the logs' window; the agent answered 5 x 200, 2 x 404")
  })

  it('the real Zed log: the latest failure is the ECONNREFUSED, cited by file:line, with a curl of the address it names', () => {
    const f = logFinding(withLogs([rec(fx('zed-agent.log'))]))
    expect(f.status).toBe('warn')
    expect(f.summary).toMatch(
      new RegExp(
        `^logged at 2026-11-22T17:43:40\\.400 \\(${AGENT_LOG}:5\\): the agent could not connect to Nova at 127\\.0\\.0\\.1:8775 \\(connection refused\\)`,
      ),
    )
    // the 500 right after is that request's own answer; the 404 after it is another client's
    expect(f.summary).toMatch(/since then the agent answered 1 x 404$/)
    expect(f.evidence[0]).toMatch(new RegExp(`^${AGENT_LOG}:5: 2026-11-22 17:43:40.400 ERROR neutron.agent.metadata.agent \\[-\\] Unexpected error.: `))
    expect(fixCommand(f)).toBe("curl -sS -m 5 -o /dev/null -w '%{http_code}\\n' http://127.0.0.1:8775/")
  })

  it("a 403: both config files' secrets compared by digest, neither printed", () => {
    const f = logFinding(withLogs([rec(lab((c, log) => c === 'secret-mismatch' && log === 'agent'))]))
    expect(f.status).toBe('warn')
    expect(f.summary).toMatch(/the agent's metadata_proxy_shared_secret differs from Nova's \[neutron\] one; instances get 403$/)
    const command = fixCommand(f)
    expect(command).toContain('for f in /etc/neutron/metadata_agent.ini /etc/nova/nova.conf; do')
    expect(command).toContain('| sha256sum; done')
  })

  it("a Zed 404 note is replaced by Nova's reason from Nova's log on this node, the agent's line kept beside it", () => {
    const agent = rec(lab((c, _log, line) => c === 'instance-gone' && line.includes('666666666602'), 20))
    const nova = rec(
      lab((c, log) => c === 'project-mismatch' && log === 'nova', 10),
      {path: NOVA_LOG, service: 'nova-metadata'},
    )
    const ev = withLogs([agent, nova])
    const latest = latestLogCase(ev)!
    expect(latest).toMatchObject({case: 'project-mismatch', cite: `${NOVA_LOG}:1`, file: NOVA_LOG, line: 1})
    expect(latest.also?.case).toBe('instance-gone')
    const f = logFinding(ev)
    expect(f.summary).toMatch(/the port's project \(labproject\) is not the project of instance 22222222-3333-4444-8555-666666666602/)
    expect(fixCommand(f)).toBe(
      'openstack server show 22222222-3333-4444-8555-666666666602 -c project_id -f value && openstack port list --device-id 22222222-3333-4444-8555-666666666602 --long',
    )
    expect(f.evidence[1]).toMatch(/The instance: 22222222-3333-4444-8555-666666666602 is not present anymore/)
    expect(f.evidence[0]).toMatch(new RegExp(`^${NOVA_LOG}:1: `))
  })

  it("the real harness pair: the agent's latest failure, and Nova's reason for a 404 the agent only noted", () => {
    const agent = rec(fx('harness-nova-cases-agent.log'))
    const nova = rec(fx('harness-nova-api-metadata.log'), {path: NOVA_LOG, service: 'nova-metadata'})
    // the whole excerpts: the certificate failure is the last thing that happened
    expect(latestLogCase({logs: [agent, nova]})).toMatchObject({case: 'nova-unreachable', cite: `${AGENT_LOG}:188`, file: AGENT_LOG})
    // cut after the first 404's note (Nova's retry not yet logged): Nova's line before the note is cited, the note beside it
    const first = rec(fx('harness-nova-cases-agent.log').split('\n').slice(0, 2).join('\n'))
    const novaFirst = rec(fx('harness-nova-api-metadata.log').split('\n').slice(0, 6).join('\n'), {path: NOVA_LOG, service: 'nova-metadata'})
    const latest = latestLogCase({logs: [first, novaFirst]})!
    expect(latest).toMatchObject({at: '2026-12-07T19:33:59.207', case: 'project-mismatch', cite: `${NOVA_LOG}:5`})
    expect(latest.also).toMatchObject({case: 'instance-gone', cite: `${AGENT_LOG}:1`})
  })

  it("Nova's service_metadata_proxy off: the nova.conf line to set", () => {
    const nova = rec(
      lab((c, log) => c === 'proxy-off' && log === 'nova'),
      {path: NOVA_LOG, service: 'nova-metadata'},
    )
    const f = logFinding(withLogs([rec(fx('harness-agent.log')), nova]))
    expect(f.fix).toMatchObject({file: '/etc/nova/nova.conf', section: 'neutron', set: 'service_metadata_proxy = true'})
  })

  it("the OVN agent's 'No port found' for 169.254.169.254 is quantum-meta's own probe, not a failure", () => {
    const ovn = rec(fx('harness-ovn-agent.log'), {service: 'ovn-metadata-agent'})
    expect(latestLogCase({logs: [ovn]})).toBeUndefined()
  })

  it('a tail that starts inside the file is cited by its line in the window, not a made-up file line', () => {
    const r = rec(
      lab((c, log) => c === 'secret-mismatch' && log === 'agent'),
      {firstLine: undefined, offset: 9000},
    )
    expect(latestLogCase({logs: [r]})?.cite).toBe(`${AGENT_LOG} (line 1 of its last 256 KiB)`)
  })

  it('the latest by time across logs; a line with a garbage date loses to a dated one', () => {
    const a = rec(`9999-99-99 99:99:99.000 1 ${lab((c, log) => c === 'secret-mismatch' && log === 'agent').slice(29)}`)
    const b = rec(
      lab((c) => c === 'nova-unreachable:refused'),
      {path: '/var/log/neutron/other.log'},
    )
    expect(latestLogCase({logs: [a, b]})?.case).toBe('nova-unreachable')
  })

  it('a hostile snapshot: a secret in a log tail is redacted when read, control characters never printed', () => {
    const ev = withLogs([
      rec('2026-11-30 10:00:00.000 1 WARNING x [-] The remote metadata server responded with Forbidden. password=QMLEAK1Z \x1b]0;pwned\x07'),
    ])
    const doc = {format: 'quantum-meta-snapshot/1', host: 'h', networks: [ev], takenAt: '2026-11-30T10:00:00Z', tool: 't'}
    const checked = checkSnapshot(JSON.parse(JSON.stringify(doc)))
    if (!checked.ok) throw new Error(checked.problem)
    const f = logFinding(redactSnapshot(checked.snapshot).networks[0])
    expect(JSON.stringify(f)).not.toContain('QMLEAK1Z')
    expect(JSON.stringify(f)).not.toMatch(/\\u001b|\\u0007/)
  })
})

describe('logs in a snapshot of many networks', () => {
  it('written once (later networks name the first), read back into every network; a bad reference is bad input', () => {
    const logs = [rec(fx('zed-agent.log'))]
    const a = {...zed(), logs}
    const b = {...zed(), logs, network: '5e2a7c11-0d4b-4e6a-9c3f-2b1d8e7f6a90', namespace: 'qdhcp-5e2a7c11-0d4b-4e6a-9c3f-2b1d8e7f6a90'}
    const doc = sparseSnapshot({format: 'quantum-meta-snapshot/1', host: 'h', networks: [a, b], takenAt: '2026-11-30T10:00:00Z', tool: 't'})
    const text = JSON.stringify(doc)
    expect(text.split('status: 403').length - 1).toBe(1)
    expect((doc.networks[1] as {logsSameAs?: number}).logsSameAs).toBe(0)
    const back = checkSnapshot(JSON.parse(text))
    if (!back.ok) throw new Error(back.problem)
    expect(back.snapshot.networks[1].logs).toEqual(logs)
    expect(logFinding(back.snapshot.networks[1]).summary).toBe(logFinding(a).summary)
    const bad = JSON.parse(text)
    bad.networks[1].logsSameAs = 1
    expect(checkSnapshot(bad)).toMatchObject({field: 'networks[1].logsSameAs', ok: false})
  })
})

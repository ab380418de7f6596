// Verdicts that could be wrong (issue 10, section 9): the OVN hint's unit name, the reading of a 503
// from inside the namespace, and config.agent-restarted's clock. The evidence is the real Zed node's
// (test/fixtures/node/zed/basic-isolated/, see test/fixtures/node/SOURCES.md), changed one piece at a
// time the way the fault changes a node; the probe bodies are verbatim (test/fixtures/probe/SOURCES.md).
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import type {Finding} from '../../src/chains/types.js'
import {diagnoseEvidence} from '../../src/diagnose/service.js'
import {ZED_NET, zed} from '../helpers/zed-evidence.js'
import {bootTimeMs, parseUptime, readBootTimeMs, startedAtMs} from '../../src/node/proc-clock.js'
import {procStartTicks} from '../../src/parse/agent.js'
import {fixAlternative, fixCommand, fixText} from '../helpers/fix.js'

const byId = (fs: Finding[], id: string) => fs.find((f) => f.id === id)!

describe('ML2/OVN hint', () => {
  it('names the real units: neutron-ovn-metadata-agent, and neutron-ovn-agent from 2025.2', () => {
    const ev = zed()
    ev.namespaces.stdout = `ovnmeta-${ev.network} (id: 3)\n`
    const f = byId(diagnoseEvidence(ev, {probe: false}).findings, 'namespace.exists')
    expect(f.status).toBe('fail')
    expect(f.summary).toBe(
      `no qdhcp-${ZED_NET}, but ovnmeta-${ZED_NET}: this is ML2/OVN, where neutron-ovn-metadata-agent (2025.2 on: neutron-ovn-agent with the metadata extension) serves metadata and the DHCP agent's isolated metadata does not apply`,
    )
    expect(fixCommand(f)).toBe('systemctl status neutron-ovn-metadata-agent')
    expect(fixAlternative(f)).toBe('systemctl status neutron-ovn-agent')
    expect(f.fix!.why).toMatch(/the qdhcp checks do not apply to OVN$/)
    // no bare `ovn-metadata-agent` (a unit no distribution ships) anywhere in the finding
    expect(`${f.summary} ${fixText(f)}`.replaceAll('neutron-ovn-metadata-agent', '')).not.toMatch(/ovn-metadata-agent/)
  })
})

// config.agent-restarted compares the judged file's mtime with the agent's start. The start used to
// come from /proc/stat `btime`, the boot time truncated to whole seconds: every start came out early
// by the fraction of a second in the machine's real boot instant (fixed per boot, 0 to 999 ms), so an
// agent started right after a config write (what `enable --restart` does) was judged "has not read
// that change". On the machine these tests were written on the fraction was 0.16 s (boot instant
// now - /proc/uptime = …169.16, btime …169): the old method put a process forked 2 ms after a write
// about 150 ms before it, and the real-process tests (test/cli/verdicts.test.ts) failed on a5a34f4
// (see the commit).
describe('config.agent-restarted: when the agent started', () => {
  const STAT = readFileSync(new URL('../fixtures/node/harness/proc-neutron-dhcp-agent-stat', import.meta.url), 'utf8') // starttime 803485 ticks
  const AGENT_CMDLINE = readFileSync(new URL('../fixtures/node/harness/proc-neutron-dhcp-agent-cmdline', import.meta.url), 'utf8')

  it('clock: start = now - (uptime - starttime / 100), to the 10 ms /proc gives', () => {
    // now 21:34:09.520, uptime 8060.52 s: boot 19:19:49.000; 803485 ticks = 8034.85 s later: 21:33:43.850
    const now = Date.parse('2026-11-23T21:34:09.520Z')
    const boot = bootTimeMs('8060.52 15843.07\n', now)!
    expect(new Date(boot).toISOString()).toBe('2026-11-23T19:19:49.000Z')
    expect(new Date(startedAtMs(boot, procStartTicks(STAT)!)).toISOString()).toBe('2026-11-23T21:33:43.850Z')
    // a boot instant with a fraction is kept (btime would have cut .73 off every start)
    expect(new Date(startedAtMs(bootTimeMs('8060.52 1.00\n', now + 730)!, 803485)).toISOString()).toBe('2026-11-23T21:33:44.580Z')
    expect(parseUptime('350735.47 234388.90\n')).toBe(350735.47)
    expect(parseUptime('')).toBeUndefined()
    expect(parseUptime('garbage')).toBeUndefined()
    expect(
      readBootTimeMs(
        () => '100.25 3.00\n',
        () => 1_000_000,
      ),
    ).toBe(1_000_000 - 100_250)
    expect(
      readBootTimeMs(
        () => {
          throw new Error('ENOENT')
        },
        () => 0,
      ),
    ).toBeUndefined()
  })

  const withAgentStartedAt = (startedAt: string, mtime: string) => {
    const ev = zed()
    ev.agents = [{cmdline: AGENT_CMDLINE, pid: 4904, sameMountNamespace: true, startedAt}]
    ev.config = {...ev.config, mtime}
    return byId(diagnoseEvidence(ev, {probe: false}).findings, 'config.agent-restarted')
  }

  it("a start up to 50 ms before the write is within the clocks' error: the agent has read the file", () => {
    const f = withAgentStartedAt('2026-11-23T21:33:43.720Z', '2026-11-23T21:33:43.750Z')
    expect(f.status).toBe('pass')
    expect(f.summary).toBe(
      'neutron-dhcp-agent (pid 4904) reads /etc/neutron/dhcp_agent.ini and started with its last change (30 ms before it, within the 50 ms the two clocks can differ)',
    )
    expect(withAgentStartedAt('2026-11-23T21:33:43.700Z', '2026-11-23T21:33:43.750Z').status).toBe('pass') // exactly 50 ms
    expect(withAgentStartedAt('2026-11-23T21:33:43.800Z', '2026-11-23T21:33:43.750Z')).toMatchObject({
      status: 'pass',
      summary: 'neutron-dhcp-agent (pid 4904) reads /etc/neutron/dhcp_agent.ini and started after its last change',
    })
  })

  it('a start more than 50 ms before the write is still "has not read that change"', () => {
    const f = withAgentStartedAt('2026-11-23T21:33:43.699Z', '2026-11-23T21:33:43.750Z')
    expect(f.status).toBe('warn')
    expect(f.summary).toMatch(
      /changed at 2026-11-23T21:33:43\.750Z, after the DHCP agent \(pid 4904\) started at 2026-11-23T21:33:43\.699Z: the running agent has not read that change$/,
    )
    expect(fixCommand(f)).toBe('systemctl restart neutron-dhcp-agent')
  })
})

// probe.http used to read every 503 as "haproxy has no server". Since Neutron 24.0.1 (2024.1) and
// 25.0.0 (2024.2) the metadata agent itself answers 503 when it cannot reach Nova. The bodies below
// are what a GET through the real haproxy 2.6 got (test/fixtures/probe/SOURCES.md).
describe('probe.http: whose 503 it is', () => {
  const answer = (f: string) => JSON.parse(readFileSync(new URL(`../fixtures/probe/${f}`, import.meta.url), 'utf8')) as {status: number; body: string}
  const MD_INI = readFileSync(new URL('../fixtures/node/harness/metadata_agent.ini', import.meta.url), 'utf8')
  const probeWith = (p: {status?: number; body?: string; error?: string}, md = true) => {
    const ev = zed()
    if (md) ev.metadataAgentConfig = {content: MD_INI, path: '/etc/neutron/metadata_agent.ini', state: 'present'}
    // as collect records it: the first 500 characters of the body
    ev.probe = {
      argv: ['ip', 'netns', 'exec', ev.namespace, 'GET', 'http://169.254.169.254/'],
      ms: 4,
      url: 'http://169.254.169.254/',
      ...p,
      body: p.body?.slice(0, 500),
    }
    return byId(diagnoseEvidence(ev, {probe: true}).findings, 'probe.http')
  }
  const NS = `qdhcp-${ZED_NET}`

  it("haproxy's own 503 (No server is available): the proxy cannot reach the metadata agent's socket", () => {
    const f = probeWith(answer('haproxy-no-server-503.json'))
    expect(f.status).toBe('fail')
    expect(f.summary).toBe(
      `GET http://169.254.169.254/ from inside ${NS}: 503: haproxy has no server: the proxy cannot reach the metadata agent's socket (the agent is down or its socket path differs)`,
    )
    expect(f.evidence).toContain('body: "503 Service Unavailable No server is available to handle this request."')
    expect(f.fix).toEqual({
      command: 'systemctl restart neutron-metadata-agent',
      why: 'the agent re-creates its socket; and see proxy.upstream and metadata-agent.config: the socket haproxy forwards to must be the one the agent listens on',
    })
  })

  it.each(['agent-nova-unreachable-503-neutron-25.json', 'agent-nova-unreachable-503-neutron-27.json'])(
    "the metadata agent's own 503 (%s): the agent is up, Nova's metadata API is unreachable",
    (fixture) => {
      const f = probeWith(answer(fixture))
      expect(f.status).toBe('fail')
      expect(f.summary).toBe(
        `GET http://169.254.169.254/ from inside ${NS}: 503: the metadata agent answers but cannot reach Nova's metadata API at http://127.0.0.1:8775 (nova_metadata_host / nova_metadata_port; Neutron 24.0.1 on)`,
      )
      expect(f.evidence.join('\n')).toMatch(/body: ".*The remote metadata server is temporarily unavailable\. Please try again later\./)
      expect(f.fix).toEqual({
        command: 'curl -sS -m 5 http://127.0.0.1:8775/',
        why: "Nova's metadata API (nova_metadata_host / nova_metadata_port in [DEFAULT] of /etc/neutron/metadata_agent.ini) must answer from this node: nova-api-metadata (or nova-api with metadata in enabled_apis) runs there; after a change to /etc/neutron/metadata_agent.ini: systemctl restart neutron-metadata-agent",
      })
    },
  )

  it('a 503 with any other body, or none recorded: both readings, neither claimed', () => {
    for (const body of [undefined, '<html>Service Unavailable</html>']) {
      const f = probeWith({body, status: 503}, false)
      expect(f.status).toBe('fail')
      expect(f.summary).toBe(
        `GET http://169.254.169.254/ from inside ${NS}: 503: ${body === undefined ? 'no body recorded' : "a body neither haproxy's nor the metadata agent's"}: either haproxy has no server (the metadata agent is down or its socket path differs), or the metadata agent (Neutron 24.0.1 on) cannot reach Nova's metadata API (nova_metadata_host / nova_metadata_port) or passes on Nova's own 503`,
      )
    }
  })

  it('the 500 reading is kept for older releases (Grizzly proxy, agents before 24.0.1)', () => {
    expect(probeWith({status: 500}).summary).toMatch(
      /: 500: the metadata agent cannot reach Nova \(nova_metadata_host \/ a leftover nova_metadata_ip\), or the Grizzly proxy cannot reach the agent$/,
    )
  })

  it('control characters and escapes in a body do not reach the evidence', () => {
    const f = probeWith({body: '\u001b[31mNo server is available to handle this request.\u001b[0m\r\n', status: 503})
    for (const line of f.evidence) expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/)
    expect(f.evidence).toContain('body: "No server is available to handle this request."')
    expect(f.summary).toMatch(/haproxy has no server/)
  })
})

describe('metadata-agent.config: what instances get when the agent cannot reach Nova', () => {
  it('a leftover nova_metadata_ip names 500 (before Neutron 24.0.1) and 503 (from it on)', () => {
    const MD_INI = readFileSync(new URL('../fixtures/node/harness/metadata_agent.ini', import.meta.url), 'utf8')
    const ev = zed()
    ev.metadataAgentConfig = {
      content: MD_INI.replace('nova_metadata_host = 127.0.0.1', 'nova_metadata_ip = 192.0.2.10'),
      path: '/etc/neutron/metadata_agent.ini',
      state: 'present',
    }
    const f = byId(diagnoseEvidence(ev, {probe: false}).findings, 'metadata-agent.config')
    expect(f.status).toBe('warn')
    expect(f.summary).toMatch(
      /^nova_metadata_ip = 192\.0\.2\.10 is ignored since Queens \(12\.0\.0\): the agent asks Nova at 127\.0\.0\.1 \(instances get 500, or 503 from Neutron 24\.0\.1 on, unless Nova runs here\)/,
    )
  })
})

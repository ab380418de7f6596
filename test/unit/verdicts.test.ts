// Verdicts that could be wrong (issue 10, section 9): the OVN hint's unit name, the reading of a 503
// from inside the namespace, and config.agent-restarted's clock. The evidence is the real Zed node's
// (test/fixtures/node/zed/basic-isolated/, see test/fixtures/node/SOURCES.md), changed one piece at a
// time the way the fault changes a node; the probe bodies are verbatim (test/fixtures/probe/SOURCES.md).
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import type {Finding} from '../../src/checks/types.js'
import type {NetworkEvidence} from '../../src/diagnose/evidence.js'
import {diagnoseEvidence} from '../../src/diagnose/service.js'

const ZED_NET = 'debe22fb-0d6c-4b70-9763-b422a9442bb1'
const zedFile = (f: string) => readFileSync(new URL(`../fixtures/node/zed/basic-isolated/${f}`, import.meta.url), 'utf8')

/** The real Zed node's evidence, in the shape a hand-made snapshot has (ps and netstat text). */
function zed(): NetworkEvidence {
  const ns = `qdhcp-${ZED_NET}`
  const state = '/var/lib/neutron'
  const cmd = (argv: string[], stdout: string) => ({argv, exitCode: 0, stderr: '', stdout})
  const dnsmasqPs = zedFile('ps-f-dnsmasq.txt')
  const haproxyPs = zedFile('ps-f-haproxy.txt')
  const pidIn = (ps: string) => Number(ps.split('\n')[1].trim().split(/\s+/)[1])
  return {
    addresses: cmd(['ip', 'netns', 'exec', ns, 'ip', '-4', 'a'], zedFile('ip-4-a.txt')),
    config: {content: '[DEFAULT]\ninterface_driver = linuxbridge\nenable_isolated_metadata = True\nforce_metadata = False\n', path: '/etc/neutron/dhcp_agent.ini', state: 'present'},
    dnsmasqPidFile: {path: `${state}/dhcp/${ZED_NET}/pid`, state: 'not-collected'},
    haproxyConfig: {content: zedFile('haproxy.conf'), path: `${state}/ns-metadata-proxy/${ZED_NET}.conf`, state: 'present'},
    haproxyPidFile: {path: `${state}/external/pids/${ZED_NET}.pid.haproxy`, state: 'not-collected'},
    layout: 'neutron',
    namespace: ns,
    namespaces: cmd(['ip', 'netns'], zedFile('ip-netns.txt')),
    network: ZED_NET,
    opts: {content: zedFile('opts'), path: `${state}/dhcp/${ZED_NET}/opts`, state: 'present'},
    processes: [
      {alive: true, from: 'ps', pid: pidIn(dnsmasqPs), ps: dnsmasqPs, role: 'dnsmasq'},
      {alive: true, from: 'ps', pid: pidIn(haproxyPs), ps: haproxyPs, role: 'proxy'},
    ],
    proxyPidFile: {path: `${state}/external/pids/${ZED_NET}.pid`, state: 'not-collected'},
    sockets: cmd(['ip', 'netns', 'exec', ns, 'netstat', '-4', '-anpt'], zedFile('netstat-4-anpt.txt')),
    statePath: state,
    upstreamSocket: {connect: 'ok', path: `${state}/metadata_proxy`, state: 'present', type: 'socket'},
  }
}

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
    expect(f.fix).toBe('systemctl status neutron-ovn-metadata-agent    (2025.2 on: systemctl status neutron-ovn-agent; the qdhcp checks do not apply to OVN)')
    // no bare `ovn-metadata-agent` (a unit no distribution ships) anywhere in the finding
    expect(`${f.summary} ${f.fix}`.replaceAll('neutron-ovn-metadata-agent', '')).not.toMatch(/ovn-metadata-agent/)
  })
})

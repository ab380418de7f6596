// The real Neutron Zed node's evidence (test/fixtures/node/zed/basic-isolated/, see
// test/fixtures/node/SOURCES.md), in the shape a hand-made snapshot has, for the pure checks' tests.
import {readFileSync} from 'node:fs'

import type {NetworkEvidence} from '../../src/evidence/evidence.js'

export const zedFile = (f: string) => readFileSync(new URL(`../fixtures/node/zed/basic-isolated/${f}`, import.meta.url), 'utf8')

export const ZED_NET = 'debe22fb-0d6c-4b70-9763-b422a9442bb1'
/** The real Zed node's evidence, in the shape a hand-made snapshot has (ps and netstat text). */
export function zed(): NetworkEvidence {
  const ns = `qdhcp-${ZED_NET}`
  const state = '/var/lib/neutron'
  const cmd = (argv: string[], stdout: string) => ({argv, exitCode: 0, stderr: '', stdout})
  const dnsmasqPs = zedFile('ps-f-dnsmasq.txt')
  const haproxyPs = zedFile('ps-f-haproxy.txt')
  const pidIn = (ps: string) => Number(ps.split('\n')[1].trim().split(/\s+/)[1])
  return {
    addresses: cmd(['ip', 'netns', 'exec', ns, 'ip', '-4', 'a'], zedFile('ip-4-a.txt')),
    config: {
      content: '[DEFAULT]\ninterface_driver = linuxbridge\nenable_isolated_metadata = True\nforce_metadata = False\n',
      path: '/etc/neutron/dhcp_agent.ini',
      state: 'present',
    },
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

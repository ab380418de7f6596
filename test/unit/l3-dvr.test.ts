// DVR (distributed routers) on the L3 agent's chain. DVR needs the Open vSwitch agent's distributed
// routing (the linuxbridge agent has none: ../shared/lab/README.md "Limits"), so neither the lab nor
// the harness can run one, and ../shared/reference/ has no DVR capture. This test is therefore built
// from the recorded legacy router of test/fixtures/router/ (SOURCES.md), changed only where Neutron's
// code says a DVR router differs on a compute host (agent_mode = dvr):
//   - its interface port's device_owner is `network:router_interface_distributed`, with no
//     binding:host_id (neutron-lib DEVICE_OWNER_DVR_INTERFACE; the port is bound per host, in
//     ml2_distributed_port_bindings, not on the port);
//   - GET /routers/R says `distributed: true`, and GET /routers/R/l3-agents lists every compute
//     host's L3 agent (agent_mode dvr) with an instance of the network, beside the dvr_snat one;
//   - every such host has its own qrouter-R whose qr- device holds the same gateway IP, and the
//     metadata driver (neutron/agent/metadata/driver.py after_router_added: every router type) adds
//     the same redirect to 9697 and starts the same router-keyed haproxy there.
// What must hold: the chain passes on each instance host from its own namespace (no HA, no master),
// a host holding no namespace of it fails l3.namespace only if the API says it hosts the router,
// and --hosts-from-api asks every instance host (l3AgentHosts).
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {l3AgentHosts} from '../../src/chains/l3-agent/api-hosts.js'
import type {Finding} from '../../src/chains/types.js'
import {diagnoseEvidence} from '../../src/diagnose/service.js'
import type {CommandRecord, NetworkEvidence} from '../../src/evidence/evidence.js'

const fx = (f: string) => readFileSync(new URL(`../fixtures/router/${f}`, import.meta.url), 'utf8')
const NET = '0336ad3e-f396-4d62-b4e3-df4b4820a7f0'
const ROUTER = '7f81dddf-f7cf-4161-bbae-551f6b32b521'
const SUBNET = '16eb271c-258b-450b-ba0a-9e964019b73f'
const NS = `qrouter-${ROUTER}`
const STATE = '/var/lib/neutron'
const HOSTS = ['compute-1', 'compute-2']
const cmd = (argv: string[], stdout: string): CommandRecord => ({argv, exitCode: 0, stderr: '', stdout})
const haproxyCmdline = () => `${fx('ps-haproxy.txt').split('\n')[1].split(' 2026 ')[1].trim().split(' ').join('\0')}\0`

/** the API's answers for the distributed router: its interface port, two instances, the router, its agents */
function answers() {
  const ports = JSON.parse(fx('api-ports-device_id.json')) as {ports: Record<string, unknown>[]}
  const iface = {...ports.ports[0], 'binding:host_id': '', device_owner: 'network:router_interface_distributed'}
  const vm = (i: number) => ({
    'binding:host_id': HOSTS[i],
    device_id: `00000000-0000-4000-8000-00000000000${i}`,
    device_owner: 'compute:nova',
    fixed_ips: [{ip_address: `198.18.77.${10 + i}`, subnet_id: SUBNET}],
    id: `aaaaaaaa-0000-4000-8000-00000000000${i}`,
    mac_address: `fa:16:3e:00:00:0${i}`,
    network_id: NET,
  })
  const router = JSON.parse(fx('api-router.json'))
  router.router.distributed = true
  const agents = JSON.parse(fx('api-router-l3-agents.json')) as {agents: Record<string, unknown>[]}
  const agent = agents.agents[0]
  const mode = (host: string, m: string) => ({...agent, configurations: {...(agent.configurations as object), agent_mode: m}, host, id: `${host}-l3`})
  return {
    agents: JSON.stringify({agents: [mode('network-1', 'dvr_snat'), ...HOSTS.map((h) => mode(h, 'dvr'))]}),
    ports: JSON.stringify({ports: [iface, vm(0), vm(1)]}),
    router: JSON.stringify(router),
    subnets: JSON.stringify({subnets: [{cidr: '198.18.77.0/24', enable_dhcp: true, gateway_ip: '198.18.77.1', id: SUBNET, ip_version: 4}]}),
  }
}

/** the evidence `collect` takes on one compute host: its own qrouter-R (the recorded router's artifacts) */
function onHost(host: string): NetworkEvidence {
  const a = answers()
  const l3ini = `${fx('l3_agent.ini.active-lines')}\nagent_mode = dvr\n`
  return {
    addresses: cmd(['ip', 'netns', 'exec', NS, 'ip', '-4', 'addr'], fx('qrouter-ip-4-addr.txt')),
    api: {
      host,
      hostFrom: 'host in /etc/neutron/neutron.conf',
      records: [
        {body: a.subnets, method: 'GET', path: `/subnets?network_id=${NET}`, status: 200},
        {body: a.ports, method: 'GET', path: `/ports?network_id=${NET}`, status: 200},
        {body: a.router, method: 'GET', path: `/routers/${ROUTER}`, status: 200},
        {body: a.agents, method: 'GET', path: `/routers/${ROUTER}/l3-agents`, status: 200},
      ],
    },
    backend: 'l3-agent',
    config: {content: l3ini, mtime: '2026-12-07T05:10:51.000Z', path: '/etc/neutron/l3_agent.ini', state: 'present'},
    dnsmasqPidFile: {path: `${STATE}/dhcp/${NET}/pid`, state: 'not-collected'},
    haproxyConfig: {content: fx('haproxy.conf'), path: `${STATE}/ns-metadata-proxy/${ROUTER}.conf`, state: 'present'},
    haproxyPidFile: {content: fx('haproxy.pid'), path: `${STATE}/external/pids/${ROUTER}.pid.haproxy`, state: 'present'},
    layout: 'neutron',
    namespace: NS,
    namespaceInode: 'net:[4026532517]',
    namespaces: cmd(['ip', 'netns'], fx('ip-netns.txt')),
    network: NET,
    opts: {path: `${STATE}/dhcp/${NET}/opts`, state: 'missing'},
    processes: [
      {alive: true, cmdline: haproxyCmdline(), from: `${STATE}/external/pids/${ROUTER}.pid.haproxy`, netns: 'net:[4026532517]', pid: 2661, role: 'proxy'},
    ],
    proxyPidFile: {path: `${STATE}/external/pids/${ROUTER}.pid`, state: 'missing'},
    router: {
      agents: [
        {
          cmdline: 'neutron-l3-agent\0--config-file\0/etc/neutron/neutron.conf\0--config-file\0/etc/neutron/l3_agent.ini\0',
          pid: 1323,
          sameMountNamespace: true,
          startedAt: '2026-12-07T05:10:58.000Z',
        },
      ],
      configs: [{content: l3ini, mtime: '2026-12-07T05:10:51.000Z', path: '/etc/neutron/l3_agent.ini', state: 'present'}],
      found: [`GET /v2.0/ports?network_id=${NET}: port eab24fb2-dd4c-452d-b4f5-014bcf514434 (network:router_interface_distributed) of router ${ROUTER}`],
      foundBy: 'api',
      haState: {path: `${STATE}/ha_confs/${ROUTER}/state`, state: 'missing'},
      id: ROUTER,
      keepalived: {path: `${STATE}/ha_confs/${ROUTER}/keepalived.conf`, state: 'missing'},
      rules: [cmd(['ip', 'netns', 'exec', NS, 'iptables-save', '-c'], fx('iptables-save-c.txt'))],
    },
    sockets: cmd(['ip', 'netns', 'exec', NS, 'ss', '-ltnp'], fx('qrouter-ss-ltnp.txt')),
    statePath: STATE,
    upstreamSocket: {connect: 'ok', path: `${STATE}/metadata_proxy`, state: 'present', type: 'socket'},
  }
}

const byId = (fs: Finding[], id: string) => fs.find((f) => f.id === id)!
const notPassing = (fs: Finding[]) => fs.filter((f) => f.status !== 'pass').map((f) => `${f.id} ${f.status}`)

describe('DVR: a distributed router serves each instance host from its own qrouter namespace', () => {
  for (const host of HOSTS) {
    it(`${host}: the router found by its distributed interface port, not HA, every link of its own namespace passes`, () => {
      const r = diagnoseEvidence(onHost(host), {probe: false})
      expect(notPassing(r.findings)).toEqual(['l3.metadata-log skip', 'l3.probe skip', 'nova.config skip', 'nova.reach skip', 'nova.answer skip'])
      expect(r.healthy).toBe(true)
      expect(byId(r.findings, 'l3.router').summary).toBe(`router ${ROUTER} serves this network (its interface holds the gateway 198.18.77.1)`)
      expect(byId(r.findings, 'l3.router').evidence.join('\n')).toContain('network:router_interface_distributed')
      expect(byId(r.findings, 'l3.ha').summary).toMatch(/is not an HA router here/)
      expect(byId(r.findings, 'l3.gateway-device').summary).toBe('qr-eab24fb2-dd holds the gateway 198.18.77.1/24')
    })
  }

  it("an instance host whose namespace is gone: l3.namespace fails (the API lists this host's agent for the router), with the agent restart", () => {
    const ev = onHost('compute-2')
    Object.assign(ev, {namespaceInode: undefined, namespaces: cmd(['ip', 'netns'], fx('ip-netns.txt').replace(/^qrouter-.*\n/m, ''))})
    const first = diagnoseEvidence(ev, {probe: false}).findings.find((f) => f.status === 'fail')!
    expect(first.id).toBe('l3.namespace')
    expect(first.summary).toBe(`no namespace ${NS} on this node: the router is not set up here`)
    expect(JSON.stringify(first.fix)).toContain('neutron-l3-agent')
  })

  it('--hosts-from-api: the L3 agents of the router and each instance host (DVR), so each host is diagnosed', () => {
    const a = answers()
    const recs = new Map([
      [`/routers/${ROUTER}`, {body: a.router, method: 'GET', path: `/routers/${ROUTER}`, status: 200}],
      [`/routers/${ROUTER}/l3-agents`, {body: a.agents, method: 'GET', path: `/routers/${ROUTER}/l3-agents`, status: 200}],
    ])
    const ports = (JSON.parse(a.ports).ports as Record<string, unknown>[]).map((raw) => ({port: {id: raw.id as string}, raw}))
    const got = l3AgentHosts.hosts(NET, {get: (p) => recs.get(p) as never, ports: ports as never})
    expect(got.serves).toBe(true)
    const dvr = got.hosts.filter((h) => h.why.startsWith('DVR router'))
    expect(dvr.map((h) => h.name)).toEqual(HOSTS)
    expect(got.hosts.map((h) => h.name)).toEqual(expect.arrayContaining(['network-1', ...HOSTS]))
  })
})

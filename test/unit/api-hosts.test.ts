// `diagnose NET --hosts-from-api`: which hosts the API says serve a network. The pure part on real
// Neutron answers (test/fixtures/api/SOURCES.md), hostile names and answers; the built CLI against a
// server on 127.0.0.1: test/cli/api-hosts.test.ts. Against a real neutron-server: test/openstack/ and
// test/ovn/.
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {P} from '../../src/chains/dhcp-agent/api.js'
import type {Snapshot} from '../../src/evidence/evidence.js'
import {followUpPaths, hostsFromAgents, hostsFromAnswers, withApiAnswers} from '../../src/fleet/api-hosts.js'
import type {ApiRecord} from '../../src/openstack/neutron.js'
import {LISTED_SHOWN, renderFleet} from '../../src/render/fleet.js'

const fixture = (f: string) => readFileSync(new URL(`../fixtures/api/${f}`, import.meta.url), 'utf8')
// the real Zed network of the fixtures (SOURCES.md): one DHCP agent on lab-host, its DHCP port, a VM port
const NET = 'debe22fb-0d6c-4b70-9763-b422a9442bb1'
const AGENTS = fixture('zed-basic-dhcp-agents.json')
const DHCP_PORTS = fixture('zed-basic-dhcp-port.json')
const VM_PORT = JSON.parse(fixture('zed-vm1-port.json')).port

const rec = (path: string, status: number, body: unknown): ApiRecord => ({
  body: typeof body === 'string' ? body : JSON.stringify(body),
  method: 'GET',
  path,
  status,
})
const answers = (o: {network?: [number, unknown]; ports?: [number, unknown]; agents?: [number, unknown]} = {}): ApiRecord[] => [
  rec(P.network(NET), ...(o.network ?? [200, {network: {id: NET, name: 'qm-isolated'}}])),
  rec(P.subnets(NET), 200, {subnets: []}),
  rec(P.ports(NET), ...(o.ports ?? [200, DHCP_PORTS])),
  rec(P.agents(NET), ...(o.agents ?? [200, AGENTS])),
]
const agent = (host: unknown, extra: Record<string, unknown> = {}) => ({
  agent_type: 'DHCP agent',
  alive: true,
  host,
  id: '11111111-2222-4333-8444-555555555555',
  ...extra,
})

describe('hostsFromAnswers', () => {
  it("real Zed answers: the DHCP agent's host, alive, with its agent id; not OVN", () => {
    const r = hostsFromAnswers(NET, answers())
    expect(r.hosts).toEqual([{host: 'lab-host', why: ['DHCP agent 326bd479-b75d-4e96-a826-5dff90f3687a (alive)']}])
    expect(r.ovn).toBe(false)
    expect(r.refused).toEqual([])
    expect(r.records.map((x) => x.path)).toEqual([P.network(NET), P.subnets(NET), P.ports(NET), P.agents(NET)])
  })

  it('two agents, one dead and admin down: both asked, in the API order, each saying so', () => {
    const r = hostsFromAnswers(NET, answers({agents: [200, {agents: [agent('net2', {alive: false, admin_state_up: false}), agent('net1')]}]}))
    expect(r.hosts.map((h) => [h.host, h.why])).toEqual([
      ['net2', ['DHCP agent 11111111-2222-4333-8444-555555555555 (not alive, admin down)']],
      ['net1', ['DHCP agent 11111111-2222-4333-8444-555555555555 (alive)']],
    ])
  })

  it('ML2/OVN (a network:distributed port): the chassis of the VM ports, not of network:* ports; no DHCP agent scheduler (404) is fine', () => {
    const ports = {
      ports: [
        {...VM_PORT, 'binding:host_id': 'compute2'},
        {...VM_PORT, 'binding:host_id': 'compute1', id: 'aaaaaaaa-2222-4333-8444-555555555555'},
        {...VM_PORT, 'binding:host_id': 'compute1', id: 'bbbbbbbb-2222-4333-8444-555555555555'},
        {...VM_PORT, 'binding:host_id': '', device_owner: 'network:distributed', id: 'cccccccc-2222-4333-8444-555555555555'},
        {...VM_PORT, 'binding:host_id': 'gateway9', device_owner: 'network:router_interface', id: 'dddddddd-2222-4333-8444-555555555555'},
        {...VM_PORT, 'binding:host_id': '', id: 'eeeeeeee-2222-4333-8444-555555555555'},
      ],
    }
    const r = hostsFromAnswers(
      NET,
      answers({agents: [404, '{"NeutronError": {"type": "HTTPNotFound", "message": "The resource could not be found.", "detail": ""}}'], ports: [200, ports]}),
    )
    expect(r.ovn).toBe(true)
    expect(r.hosts.map((h) => h.host)).toEqual(['compute1', 'compute2'])
    expect(r.hosts[0].why).toEqual([
      'chassis of port aaaaaaaa-2222-4333-8444-555555555555 (compute:nova)',
      'chassis of port bbbbbbbb-2222-4333-8444-555555555555 (compute:nova)',
    ])
  })

  it('a host name that is not a plain name never reaches ssh: an option, user@, blanks, escapes; it is a row saying why', () => {
    const names = ['-oProxyCommand=touch /tmp/pwned', 'root@evil', 'a b', '\u001b[31mred', 'x'.repeat(300), 'ok-host.example.org']
    const r = hostsFromAnswers(NET, answers({agents: [200, {agents: names.map((n) => agent(n))}]}))
    expect(r.hosts.map((h) => h.host)).toEqual(['ok-host.example.org'])
    expect(r.refused).toHaveLength(5)
    for (const x of r.refused) {
      expect(x.error).toMatch(/^the API names host ".*", which is not a plain host name: not asked over ssh$/)
      expect(x.error).not.toMatch(/\u001b/)
    }
  })

  it('bad answers: an unknown network is exit 2; a list that is not one, an error status, no host at all are exit 3', () => {
    const err = (o: Parameters<typeof answers>[0]) => {
      try {
        hostsFromAnswers(NET, answers(o))
      } catch (error) {
        return error as {exit: number; message: string}
      }
      throw new Error('no error')
    }
    expect(err({network: [404, '{"NeutronError": {"type": "NetworkNotFound", "message": "Network x could not be found.", "detail": ""}}']})).toMatchObject({
      exit: 2,
      message: `the API has no network ${NET} (GET /networks/${NET}: HTTP 404: NetworkNotFound: Network x could not be found.)`,
    })
    expect(err({agents: [200, '<html>gateway timeout</html>']}).exit).toBe(3)
    expect(err({agents: [200, {agents: 'lab-host'}]}).message).toMatch(/not a "agents" list$/)
    expect(err({ports: [500, 'oops']}).exit).toBe(3)
    expect(err({agents: [403, '{"NeutronError": {"message": "rule:get_dhcp-agents is disallowed by policy"}}']}).message).toMatch(
      /^authentication\/authorization failed: .*HTTP 403/,
    )
    expect(err({agents: [200, {agents: []}]})).toMatchObject({
      exit: 3,
      message: `the API lists no DHCP agent hosting network ${NET}: no host serves its metadata`,
    })
    expect(err({agents: [404, '']})).toMatchObject({
      exit: 3,
      message: `the API lists no DHCP agent hosting network ${NET} (no DHCP agent scheduler here): no host serves its metadata`,
    })
  })
})

describe('hostsFromAgents (diagnose --all --hosts-from-api)', () => {
  const agents = (body: unknown, status = 200) => rec('/agents', status, body)
  it('real answers: the OVN chassis by its metadata agent (not ovn-controller), the DHCP agent host by its agent', () => {
    const ovn = hostsFromAgents(agents(readFileSync(new URL('../fixtures/ovn/api-agents.json', import.meta.url), 'utf8')))
    expect(ovn.hosts).toEqual([{host: 'qm-ovn-host', why: [expect.stringMatching(/^OVN Metadata agent [0-9a-f-]{36} \(alive\)$/)]}])
    // the per-network list holds the same agent objects as GET /agents
    expect(hostsFromAgents(agents(AGENTS)).hosts.map((h) => h.host)).toEqual(['lab-host'])
  })
  it('linuxbridge agents are not asked, L3 agents are (their routers serve routed networks); hosts sorted and merged; a hostile name is refused; none at all is exit 3', () => {
    const r = hostsFromAgents(
      agents({
        agents: [
          {...agent('net2'), binary: 'neutron-dhcp-agent'},
          {...agent('net1'), binary: 'neutron-linuxbridge-agent', agent_type: 'Linux bridge agent'},
          {...agent('net1'), binary: 'neutron-dhcp-agent', alive: false},
          {...agent('net0'), binary: 'quantum-dhcp-agent'},
          {...agent('$(reboot)'), binary: 'neutron-dhcp-agent'},
        ],
      }),
    )
    expect(r.hosts.map((h) => [h.host, h.why.length])).toEqual([
      ['net0', 1],
      ['net1', 1],
      ['net2', 1],
    ])
    expect(r.hosts[1].why[0]).toMatch(/^DHCP agent .* \(not alive\)$/)
    expect(r.refused.map((x) => x.host)).toEqual(['"$(reboot)"'])
    expect(hostsFromAgents(agents({agents: [{...agent('net1'), agent_type: 'L3 agent', binary: 'neutron-l3-agent'}]})).hosts.map((h) => h.host)).toEqual([
      'net1',
    ])
    expect(() => hostsFromAgents(agents({agents: [{...agent('net1'), binary: 'neutron-linuxbridge-agent'}]}))).toThrow(
      'the API lists no DHCP agent, no OVN metadata agent and no L3 agent: no host serves metadata',
    )
    expect(() => hostsFromAgents(agents('[]'))).toThrow(/not a "agents" list/)
  })
})

describe('the table', () => {
  it('says why the API lists each host, at most LISTED_SHOWN reasons (a chassis of a big OVN network has one per VM), then how many more', () => {
    const why = Array.from({length: LISTED_SHOWN + 4}, (_, i) => `chassis of port ${i}`)
    const text = renderFleet(
      {
        cross: [],
        healthy: false,
        hosts: [
          {error: 'ssh: timeout', findings: [], host: 'compute1', listed: why, reachable: false},
          {error: 'x', findings: [], host: 'net9', reachable: false},
        ],
        network: NET,
      },
      Number.POSITIVE_INFINITY,
    )
    expect(text).toContain(`the API lists:\n  compute1: chassis of port 0; chassis of port 1; chassis of port 2; and 4 more\n`)
    expect(text).not.toMatch(/ {2}net9:/)
  })
})

describe('withApiAnswers', () => {
  const snap = (host: string, api?: unknown): Snapshot =>
    ({
      format: 'quantum-meta-snapshot/1',
      host,
      networks: [{network: NET, ...(api ? {api} : {})} as never],
      takenAt: '2026-11-24T00:00:00Z',
      tool: 't',
    }) as Snapshot

  it("a listed host without API answers gets the operator's, a host's own answers are kept, a refused name is a row", () => {
    const api = hostsFromAnswers(NET, answers({agents: [200, {agents: [agent('net1'), agent('net2'), agent('bad host')]}]}))
    const own = {host: 'net2', hostFrom: 'host in /etc/neutron/neutron.conf', records: []}
    const out = withApiAnswers(
      [
        {host: 'net1', snapshot: snap('net1')},
        {host: 'net2', snapshot: snap('net2', own)},
        {error: 'ssh: timeout', host: 'extra'},
      ],
      api,
    )
    expect(out.map((i) => [i.host, i.listed?.length ?? 0, i.error ?? null])).toEqual([
      ['net1', 1, null],
      ['net2', 1, null],
      ['extra', 0, 'ssh: timeout'],
      ['"bad host"', 0, 'the API names host "bad host", which is not a plain host name: not asked over ssh'],
    ])
    expect(out[0].snapshot!.networks[0].api).toMatchObject({host: 'net1', records: api.records})
    expect(out[0].snapshot!.networks[0].api!.hostFrom).toMatch(/^the API: DHCP agent .* \(alive\) \(--hosts-from-api\)$/)
    expect(out[1].snapshot!.networks[0].api).toBe(own)
  })
})

describe('hostsFromAnswers on a routed network (the L3 agent chain: the routers of its interface ports)', () => {
  const rfx = (f: string) => readFileSync(new URL(`../fixtures/router/${f}`, import.meta.url), 'utf8')
  // the real Zed router of test/fixtures/router (SOURCES.md): qm-router 7f81dddf-… on lab-host, its interface port
  const RNET = '0336ad3e-f396-4d62-b4e3-df4b4820a7f0'
  const ROUTER = '7f81dddf-f7cf-4161-bbae-551f6b32b521'
  const PORTS = JSON.parse(rfx('api-ports-device_id.json'))
  const first = (ports: unknown = PORTS): ApiRecord[] => [
    rec(P.network(RNET), 200, {network: {id: RNET, name: 'qm-routed'}}),
    rec(P.subnets(RNET), 200, {subnets: []}),
    rec(P.ports(RNET), 200, ports),
    rec(P.agents(RNET), 200, {agents: []}),
  ]
  const routerRec = (router: Record<string, unknown> = {}) => {
    const doc = JSON.parse(rfx('api-router.json'))
    return rec(`/routers/${ROUTER}`, 200, {router: {...doc.router, ...router}})
  }

  it('the second round asks the router and its L3 agents, once', () => {
    expect(followUpPaths(RNET, first())).toEqual([`/routers/${ROUTER}`, `/routers/${ROUTER}/l3-agents`])
    expect(followUpPaths(RNET, [...first(), routerRec(), rec(`/routers/${ROUTER}/l3-agents`, 200, {agents: []})])).toEqual([])
  })

  it('real answers: the L3 agent hosting the router is the host to ask; the DHCP chain names none', () => {
    const r = hostsFromAnswers(RNET, [...first(), routerRec(), rec(`/routers/${ROUTER}/l3-agents`, 200, rfx('api-router-l3-agents.json'))])
    expect(r.hosts).toEqual([{host: 'lab-host', why: [`L3 agent 9b1dd2cc-93ea-45fe-99ab-eacf2b195315 of router ${ROUTER} (alive)`]}])
    expect(r['l3-agent']).toBe(true)
    expect(r['dhcp-agent']).toBe(false)
  })

  it('an HA router: every L3 agent hosting it is asked, each with its ha_state', () => {
    const r = hostsFromAnswers(RNET, [...first(), routerRec({ha: true}), rec(`/routers/${ROUTER}/l3-agents`, 200, rfx('ha-api-router-l3-agents.json'))])
    expect(r.hosts.map((h) => [h.host, h.why[0].replace(/^L3 agent \S+ of router \S+ /, '')])).toEqual([
      ['lab-host2', '(alive, HA standby)'],
      ['lab-host', '(alive, HA active)'],
    ])
  })

  it('a distributed (DVR) router: the hosts of the instances too, each serving its own', () => {
    const vm = {...VM_PORT, 'binding:host_id': 'compute-7', network_id: RNET}
    const ports = {ports: [...PORTS.ports, vm]}
    const r = hostsFromAnswers(RNET, [...first(ports), routerRec({distributed: true}), rec(`/routers/${ROUTER}/l3-agents`, 200, {agents: []})])
    expect(r.hosts).toEqual([{host: 'compute-7', why: [`DVR router ${ROUTER}: instance port ${VM_PORT.id}`]}])
  })

  it("a role that may not list a router's agents (403) and no other host: exit 3 saying so", () => {
    expect(() => hostsFromAnswers(RNET, [...first(), routerRec(), rec(`/routers/${ROUTER}/l3-agents`, 403, {NeutronError: {message: 'no'}})])).toThrow(
      /no L3 agent hosting router 7f81dddf-f7cf-4161-bbae-551f6b32b521 .*may need the admin role/,
    )
  })
})

// Judging one network on several hosts (src/fleet/): per-host snapshots derived from the real Zed
// node's evidence and API answers (test/helpers/fleet-snapshots.ts), one piece changed per host.
import {describe, expect, it} from 'vitest'

import type {Finding} from '../../src/chains/types.js'
import {fleetAllExitCode, fleetExitCode, judgeFleet, judgeFleetAll} from '../../src/fleet/fleet.js'
import type {HostInput} from '../../src/fleet/types.js'
import {parseIpAddr} from '../../src/parse/ip-addr.js'
import {renderFleetAll} from '../../src/render/fleet.js'
import {type HostSpec, hostSnapshot, ZED_NET} from '../helpers/fleet-snapshots.js'

const input = (spec: HostSpec): HostInput => ({host: spec.host, snapshot: hostSnapshot(spec)})
const cross = (fs: Finding[], id: string) => {
  const f = fs.find((x) => x.id === id)
  if (!f) throw new Error(`no ${id} in ${fs.map((x) => x.id).join(', ')}`)
  return f
}
// hosts that recorded no API answers are judged as `--no-api` judges them
const noApi = (inputs: HostInput[]) => inputs.every((i) => !i.snapshot?.networks.some((n) => n.api))
const judge = (...inputs: HostInput[]) => judgeFleet(ZED_NET, inputs, {noApi: noApi(inputs), probe: false})
const API = {
  agents: ['net1', 'net2'],
  ports: [
    {host: 'net1', ip: '198.51.100.1'},
    {host: 'net2', ip: '198.51.100.2'},
  ],
}

describe('judgeFleet', () => {
  it('two healthy agents, each routing via its own DHCP port: healthy, exit 0', () => {
    const r = judge(input({host: 'net1', ip: '198.51.100.1'}), input({host: 'net2', ip: '198.51.100.2'}))
    expect(r.hosts.map((h) => [h.host, h.reachable, h.healthy, h.layout, h.backend])).toEqual([
      ['net1', true, true, 'neutron', 'dhcp-agent'],
      ['net2', true, true, 'neutron', 'dhcp-agent'],
    ])
    expect(cross(r.cross, 'cross.opts-own-port')).toMatchObject({status: 'pass', summary: 'each of the 2 hosts routes 169.254.169.254 via its own DHCP port'})
    // `ip -4 a` evidence says nothing about IPv6: skipped, saying why
    expect(cross(r.cross, 'cross.ipv6-metadata').status).toBe('skip')
    expect(r.healthy).toBe(true)
    expect(fleetExitCode(r)).toBe(0)
  })

  it('one broken host of three: only that host is unhealthy, its first broken link named; exit 1', () => {
    const broken = hostSnapshot({host: 'net3', ip: '198.51.100.3'})
    broken.networks[0].upstreamSocket.connect = 'ECONNREFUSED'
    const r = judge(input({host: 'net1', ip: '198.51.100.1'}), input({host: 'net2', ip: '198.51.100.2'}), {host: 'net3', snapshot: broken})
    expect(r.hosts.map((h) => h.healthy)).toEqual([true, true, false])
    expect(r.hosts[2].findings.find((f) => f.status === 'fail')?.id).toBe('proxy.upstream')
    expect(r.healthy).toBe(false)
    expect(fleetExitCode(r)).toBe(1)
  })

  it('a host that gave no evidence is a row with its error: exit 3 when no other is broken, 1 when one is', () => {
    const gone: HostInput = {error: 'ssh: connect to host net3 port 22: Connection refused', host: 'net3'}
    const r = judge(input({host: 'net1', ip: '198.51.100.1'}), gone)
    expect(r.hosts[1]).toEqual({error: gone.error, findings: [], host: 'net3', reachable: false})
    // not "healthy": a host of the network was never looked at
    expect(r.healthy).toBe(false)
    expect(fleetExitCode(r)).toBe(3)
    const bad = hostSnapshot({host: 'net2', ip: '198.51.100.2'})
    bad.networks[0].upstreamSocket.connect = 'ECONNREFUSED'
    expect(fleetExitCode(judge(input({host: 'net1', ip: '198.51.100.1'}), {host: 'net2', snapshot: bad}, gone))).toBe(1)
  })

  it('a snapshot without the network is a host that could not be inspected, saying what it holds', () => {
    const other = hostSnapshot({host: 'net2', ip: '198.51.100.2'})
    other.networks[0].network = '11111111-2222-4333-8444-555555555555'
    const r = judge(input({host: 'net1', ip: '198.51.100.1'}), {host: 'net2', snapshot: other})
    expect(r.hosts[1]).toMatchObject({error: `its snapshot holds 11111111-2222-4333-8444-555555555555, not ${ZED_NET}`, reachable: false})
    expect(fleetExitCode(r)).toBe(3)
  })

  it('--check narrows every host to those links, and leaves out the cross-host findings', () => {
    const r = judgeFleet(ZED_NET, [input({host: 'net1', ip: '198.51.100.1'}), input({host: 'net2', ip: '198.51.100.2', optsVia: '198.51.100.1'})], {
      only: ['proxy.running'],
      probe: false,
    })
    expect(r.hosts.map((h) => h.findings.map((f) => f.id))).toEqual([['proxy.running'], ['proxy.running']])
    expect(r.cross).toEqual([])
  })
})

describe('cross.opts-own-port', () => {
  it('opts copied from net1 to net2: a failure naming both hosts, the fix on net2', () => {
    const r = judge(input({host: 'net1', ip: '198.51.100.1'}), input({host: 'net2', ip: '198.51.100.2', optsVia: '198.51.100.1'}))
    const f = cross(r.cross, 'cross.opts-own-port')
    expect(f.status).toBe('fail')
    expect(f.summary).toMatch(/^net2 routes 169\.254\.169\.254 via 198\.51\.100\.1, the DHCP port of net1: copied or stale opts/)
    expect(f.fix).toEqual({command: "ssh net2 'systemctl restart neutron-dhcp-agent'", why: 'on net2: the agent rewrites opts from its own port'})
    expect(f.evidence).toContain(
      'net2: DHCP port IP 198.51.100.2; /var/lib/neutron/dhcp/debe22fb-0d6c-4b70-9763-b422a9442bb1/opts: 169.254.169.254/32 via 198.51.100.1',
    )
    expect(fleetExitCode(r)).toBe(1)
  })

  it("the API ports name the owner of a next hop no inspected namespace holds (the agent host name mapped to the operator's)", () => {
    // net3 is not inspected; its port is in the API. net2's opts still point at it (the port moved)
    const api = {agents: ['net1', 'net2'], ports: [...API.ports, {host: 'net3', ip: '198.51.100.3'}]}
    const r = judge(input({api, host: 'net1', ip: '198.51.100.1'}), input({api, host: 'net2', ip: '198.51.100.2', optsVia: '198.51.100.3'}))
    const f = cross(r.cross, 'cross.opts-own-port')
    expect(f.status).toBe('fail')
    expect(f.summary).toMatch(/^net2 routes 169\.254\.169\.254 via 198\.51\.100\.3, the DHCP port of net3:/)
    expect(f.evidence).toContain('API: DHCP port cdca02dc-a83e-410a-b71e-0a67211c5d92 on net3: 198.51.100.3')
  })

  it("a next hop nobody holds is left to the host's own opts check (not a cross-host finding)", () => {
    const r = judge(input({host: 'net1', ip: '198.51.100.1'}), input({host: 'net2', ip: '198.51.100.2', optsVia: '198.51.100.9'}))
    expect(cross(r.cross, 'cross.opts-own-port').status).toBe('pass')
    expect(r.hosts[1].findings.find((f) => f.status === 'fail')?.id).toBe('opts.metadata-route')
  })
})

describe('cross.agents-api', () => {
  it('the API lists both agents and both have the namespace: pass', () => {
    const r = judge(input({api: API, host: 'net1', ip: '198.51.100.1'}), input({api: API, host: 'net2', ip: '198.51.100.2'}))
    expect(cross(r.cross, 'cross.agents-api')).toMatchObject({status: 'pass', summary: 'the 2 DHCP agents the API lists are the hosts with the namespace'})
    expect(r.healthy).toBe(true)
  })

  it('a listed host without the namespace, and a namespace on a host the API does not list', () => {
    const api = {agents: ['net1', 'net2'], ports: API.ports}
    const r = judge(
      input({api, host: 'net1', ip: '198.51.100.1'}),
      input({api, host: 'net2', ip: '198.51.100.2', noNamespace: true}),
      input({host: 'net3', ip: '198.51.100.3'}),
    )
    const f = cross(r.cross, 'cross.agents-api')
    expect(f.status).toBe('fail')
    expect(f.summary).toContain('the API lists net2 as hosting the network, but it has no qdhcp-debe22fb-0d6c-4b70-9763-b422a9442bb1')
    expect(f.summary).toContain(
      "net3 has qdhcp-debe22fb-0d6c-4b70-9763-b422a9442bb1, but the API does not list it among the network's DHCP agents: a stale namespace",
    )
    expect(f.fix).toMatchObject({
      command: "ssh net2 'systemctl restart neutron-dhcp-agent'; ssh net3 'ip netns pids qdhcp-debe22fb-0d6c-4b70-9763-b422a9442bb1'",
      why: expect.stringMatching(
        /^net2: the agent resyncs .*; net3: what runs in the stale namespace; .*ip netns delete qdhcp-debe22fb-0d6c-4b70-9763-b422a9442bb1/,
      ),
    })
  })

  it('an agent the API lists that was not inspected is a warning naming it', () => {
    const api = {agents: ['net1', 'net2', 'net9'], ports: API.ports}
    const r = judge(input({api, host: 'net1', ip: '198.51.100.1'}), input({api, host: 'net2', ip: '198.51.100.2'}))
    expect(cross(r.cross, 'cross.agents-api')).toMatchObject({status: 'warn', summary: 'the API also lists net9, not inspected here'})
    expect(fleetExitCode(r)).toBe(0)
  })

  it('no API answers recorded: no such finding', () => {
    expect(judge(input({host: 'net1', ip: '198.51.100.1'}), input({host: 'net2', ip: '198.51.100.2'})).cross.map((f) => f.id)).not.toContain('cross.agents-api')
  })
})

describe('cross.ipv6-metadata', () => {
  it('one host holds fe80::a9fe:a9fe, the other failed DAD: a pass that says it is expected', () => {
    const r = judge(input({host: 'net1', ip: '198.51.100.1', ipv6: 'holds'}), input({host: 'net2', ip: '198.51.100.2', ipv6: 'dadfailed'}))
    const f = cross(r.cross, 'cross.ipv6-metadata')
    expect(f.status).toBe('pass')
    expect(f.summary).toBe(
      'net1 holds fe80::a9fe:a9fe; net2 failed duplicate address detection for it and serves metadata over IPv4 only: expected with several DHCP agents',
    )
    expect(fleetExitCode(r)).toBe(0)
  })

  it('two hosts holding it: their ports do not share a working link', () => {
    const r = judge(input({host: 'net1', ip: '198.51.100.1', ipv6: 'holds'}), input({host: 'net2', ip: '198.51.100.2', ipv6: 'holds'}))
    expect(cross(r.cross, 'cross.ipv6-metadata')).toMatchObject({status: 'fail', summary: expect.stringMatching(/^net1, net2 all hold fe80::a9fe:a9fe/)})
  })

  it('nobody holds it while the API shows an IPv6 subnet: a failure', () => {
    const api = (host: string) => ({...API, host})
    const a = hostSnapshot({api: api('net1'), host: 'net1', ip: '198.51.100.1', ipv6: 'dadfailed'})
    const b = hostSnapshot({api: api('net2'), host: 'net2', ip: '198.51.100.2', ipv6: 'dadfailed'})
    // without an IPv6 subnet, nobody holding it is fine
    expect(cross(judge({host: 'net1', snapshot: a}, {host: 'net2', snapshot: b}).cross, 'cross.ipv6-metadata').status).toBe('pass')
    const subnets = a.networks[0].api!.records[1]
    const doc = JSON.parse(subnets.body)
    doc.subnets.push({...doc.subnets[0], cidr: '2001:db8::/64', gateway_ip: null, id: '6ee0d3ad-8a2e-4d2b-9d6c-5c3f0f1b2a10', ip_version: 6})
    subnets.body = JSON.stringify(doc)
    const f = cross(judge({host: 'net1', snapshot: a}, {host: 'net2', snapshot: b}).cross, 'cross.ipv6-metadata')
    expect(f.status).toBe('fail')
    expect(f.summary).toBe(
      'the network has an IPv6 subnet (2001:db8::/64, from the API) but no host holds fe80::a9fe:a9fe: IPv6-only instances get no metadata',
    )
  })

  it('the ip parsers record dadfailed from text and JSON', () => {
    const text = parseIpAddr('2: tap1: <UP> mtu 1500\n    inet6 fe80::a9fe:a9fe/64 scope link dadfailed tentative \n')
    expect(text[0].addresses[0]).toMatchObject({dadfailed: true, local: 'fe80::a9fe:a9fe'})
    const json = parseIpAddr(
      JSON.stringify([
        {addr_info: [{dadfailed: true, family: 'inet6', local: 'fe80::a9fe:a9fe', prefixlen: 64, scope: 'link', tentative: true}], ifname: 'tap1'},
      ]),
    )
    expect(json[0].addresses[0].dadfailed).toBe(true)
    expect(parseIpAddr('2: tap1: <UP> mtu 1500\n    inet6 fe80::a9fe:a9fe/64 scope link \n')[0].addresses[0].dadfailed).toBeUndefined()
  })
})

describe('judgeFleetAll (diagnose --all --host)', () => {
  const OTHER = '11111111-2222-4333-8444-555555555555'
  // net1 also holds a second network: a copy of its Zed evidence under another id, whose ps line still
  // names the Zed network, so that network's proxy.running fails (a stale pid file) on net1
  const withOther = (spec: HostSpec) => {
    const snap = hostSnapshot(spec)
    const ev = structuredClone(snap.networks[0])
    ev.network = OTHER
    snap.networks.push(ev)
    return {host: spec.host, snapshot: snap}
  }
  const gone: HostInput = {error: 'ssh: connect to host net4 port 22: Connection refused', host: 'net4'}

  it('one report per network in id order; a host without a network is no row of it; an unreachable host is a row of each', () => {
    const r = judgeFleetAll([withOther({host: 'net1', ip: '198.51.100.1'}), input({host: 'net2', ip: '198.51.100.2'}), gone], {noApi: true, probe: false})
    expect(r.networks.map((n) => n.network)).toEqual([OTHER, ZED_NET].sort())
    const byNet = Object.fromEntries(r.networks.map((n) => [n.network, n.hosts.map((h) => [h.host, h.reachable])]))
    expect(byNet[OTHER]).toEqual([
      ['net1', true],
      ['net4', false],
    ])
    expect(byNet[ZED_NET]).toEqual([
      ['net1', true],
      ['net2', true],
      ['net4', false],
    ])
    expect(r.hosts.map((h) => [h.host, h.reachable, h.networks.length])).toEqual([
      ['net1', true, 2],
      ['net2', true, 1],
      ['net4', false, 0],
    ])
  })

  it('exit: the worst over the networks (1 over 3); healthy only when every network is', () => {
    const r = judgeFleetAll([withOther({host: 'net1', ip: '198.51.100.1'}), input({host: 'net2', ip: '198.51.100.2'}), gone], {noApi: true, probe: false})
    const other = r.networks.find((n) => n.network === OTHER)!
    expect(other.healthy).toBe(false)
    expect(other.hosts[0].findings.find((f) => f.status === 'fail')?.id).toBe('proxy.running')
    // net2 healthy, but the unreachable host left it not judged
    expect(r.networks.find((n) => n.network === ZED_NET)!.healthy).toBe(false)
    expect(fleetExitCode(r.networks.find((n) => n.network === ZED_NET)!)).toBe(3)
    expect(r.healthy).toBe(false)
    expect(fleetAllExitCode(r)).toBe(1)
    const up = judgeFleetAll([input({host: 'net1', ip: '198.51.100.1'}), input({host: 'net2', ip: '198.51.100.2'})], {noApi: true, probe: false})
    expect([up.healthy, fleetAllExitCode(up)]).toEqual([true, 0])
    const partly = judgeFleetAll([input({host: 'net1', ip: '198.51.100.1'}), input({host: 'net2', ip: '198.51.100.2'}), gone], {noApi: true, probe: false})
    expect([partly.healthy, fleetAllExitCode(partly)]).toEqual([false, 3])
  })

  it('no network on any host: no report; exit 3 when a host did not answer, else 0', () => {
    const empty = hostSnapshot({host: 'net1', ip: '198.51.100.1'})
    empty.networks = []
    const none = judgeFleetAll([{host: 'net1', snapshot: empty}], {noApi: true, probe: false})
    expect(none).toMatchObject({healthy: true, hosts: [{host: 'net1', networks: [], reachable: true}], networks: []})
    expect(fleetAllExitCode(none)).toBe(0)
    const dead = judgeFleetAll([{error: 'refused', host: 'net1'}], {noApi: true, probe: false})
    expect(dead.networks).toEqual([])
    expect(fleetAllExitCode(dead)).toBe(3)
  })
})

describe('renderFleetAll', () => {
  const OTHER = '11111111-2222-4333-8444-555555555555'
  it('one table per network in id order, an unreachable host in each, a host holding no network named, the total line', () => {
    const snap = hostSnapshot({host: 'net1', ip: '198.51.100.1'})
    const ev = structuredClone(snap.networks[0])
    ev.network = OTHER
    snap.networks.push(ev)
    const empty = hostSnapshot({host: 'net3', ip: '198.51.100.3'})
    empty.networks = []
    const r = judgeFleetAll(
      [{host: 'net1', snapshot: snap}, input({host: 'net2', ip: '198.51.100.2'}), {host: 'net3', snapshot: empty}, {error: 'Connection refused', host: 'net4'}],
      {probe: false},
    )
    const text = renderFleetAll(r, Number.POSITIVE_INFINITY)
    const heads = text.split('\n').filter((l) => l.startsWith('network '))
    expect(heads).toEqual([`network ${OTHER} on 2 hosts`, `network ${ZED_NET} on 3 hosts`])
    expect(text.match(/could not inspect: Connection refused/g)).toHaveLength(2)
    expect(text).toContain('net3: its snapshot holds no network')
    expect(text).toMatch(/2 networks, 1 broken, 1 not judged\n$/)
  })

  it('no network on any host: says so and lists the hosts that did not answer', () => {
    const text = renderFleetAll(judgeFleetAll([{error: 'Host key verification failed.', host: 'net1'}], {noApi: true, probe: false}), Number.POSITIVE_INFINITY)
    expect(text).toMatch(/^no network on any of the 1 host\n/)
    expect(text).toContain('net1: could not inspect: Host key verification failed.')
  })
})

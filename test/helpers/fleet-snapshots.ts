// Per-host snapshots of one network for the fleet tests, DERIVED from the real Zed node's evidence
// (test/fixtures/node/zed/basic-isolated/ via zed-evidence.ts) and the real Zed API answers
// (test/fixtures/api/zed-basic-dhcp-port.json, zed-basic-dhcp-agents.json,
// zed-basic-subnet-create-201.json; see test/fixtures/node/SOURCES.md "Derived per-host snapshots").
// Only what differs between the agents of one network is changed, one piece per host, the way a
// real fleet differs: the host name, the DHCP port IP (198.51.100.1 on the real node), the opts next
// hop, whether the port kept fe80::a9fe:a9fe, the agent host names and port bindings in the API.
import {readFileSync} from 'node:fs'

import type {NetworkEvidence, Snapshot} from '../../src/evidence/evidence.js'
import {ZED_NET, zed, zedFile} from './zed-evidence.js'

const REAL_IP = '198.51.100.1'
const apiFixture = (f: string) => readFileSync(new URL(`../fixtures/api/${f}`, import.meta.url), 'utf8')
const harnessFile = (f: string) => readFileSync(new URL(`../fixtures/node/harness/${f}`, import.meta.url), 'utf8')

export interface HostSpec {
  host: string
  /** this host's DHCP port IP */
  ip: string
  /** the opts route's next hop (default: the host's own IP) */
  optsVia?: string
  /** IPv6 addresses in the evidence: the real `ip -6 a` (holds fe80::a9fe:a9fe), that address failed DAD, or no IPv6 shown (`ip -4 a` only, default) */
  ipv6?: 'holds' | 'dadfailed' | 'absent'
  /** the API answers this host recorded: the agents hosting the network and the DHCP ports (host, ip) */
  api?: {agents: string[]; ports: {host: string; ip: string}[]; instances?: {mac: string; ip: string; device: string}[]}
  /** the lease file STATE/dhcp/NET/leases held (verbatim text) */
  leases?: string
  /** no qdhcp namespace in `ip netns` */
  noNamespace?: boolean
}

/** The real node's evidence with this host's differences. */
export function hostEvidence(spec: HostSpec): NetworkEvidence {
  const ev = zed()
  const swap = (t: string) => t.replaceAll(REAL_IP, spec.ip)
  let addrs = swap(ev.addresses!.stdout)
  if (spec.ipv6 === 'holds' || spec.ipv6 === 'dadfailed') {
    // `ip -4 a` then `ip -6 a` of the same namespace, as one hand-made record (`ip a` shows both)
    let v6 = zedFile('ip-6-a.txt')
    if (spec.ipv6 === 'dadfailed') v6 = v6.replace('inet6 fe80::a9fe:a9fe/64 scope link ', 'inet6 fe80::a9fe:a9fe/64 scope link dadfailed tentative ')
    addrs = `${addrs.trimEnd()}\n${v6}`
    ev.addresses!.argv = ['ip', 'netns', 'exec', ev.namespace, 'ip', 'a']
  }
  ev.addresses!.stdout = addrs
  // what the Zed capture predates, from the harness node of the same release (SOURCES.md section 4): its
  // running agent (started after its dhcp_agent.ini changed) and metadata_agent.ini, so a healthy host is
  // judged on every link
  ev.agents = [{cmdline: harnessFile('proc-neutron-dhcp-agent-cmdline'), pid: 4904, startedAt: '2026-11-23T21:33:43.850Z'}]
  ev.config = {...ev.config, mtime: '2026-11-23T20:56:13.265Z'}
  ev.metadataAgentConfig = {content: harnessFile('metadata_agent.ini'), path: '/etc/neutron/metadata_agent.ini', state: 'present'}
  ev.sockets!.stdout = swap(ev.sockets!.stdout)
  ev.opts.content = ev.opts.content!.replaceAll(`/32,${REAL_IP}`, `/32,${spec.optsVia ?? spec.ip}`)
  if (spec.noNamespace)
    ev.namespaces.stdout = ev.namespaces.stdout
      .split('\n')
      .filter((l) => !l.startsWith(ev.namespace))
      .join('\n')
  if (spec.leases !== undefined) ev.leases = {content: spec.leases, path: `${ev.statePath}/dhcp/${ZED_NET}/leases`, state: 'present', type: 'file'}
  if (spec.api) {
    const ports = JSON.parse(apiFixture('zed-basic-dhcp-port.json'))
    const real = ports.ports[0]
    ports.ports = spec.api.ports.map((p, i) => ({
      ...real,
      'binding:host_id': p.host,
      fixed_ips: [{...real.fixed_ips[0], ip_address: p.ip}],
      id: real.id.replace(/.$/, String(i)),
    }))
    // instance ports: the real lab-vm1 compute:nova port (zed-vm1-port.json) with this instance's MAC, IP and device id
    const vm = JSON.parse(apiFixture('zed-vm1-port.json')).port
    for (const [i, inst] of (spec.api.instances ?? []).entries()) {
      ports.ports.push({
        ...vm,
        device_id: inst.device,
        fixed_ips: [{...vm.fixed_ips[0], ip_address: inst.ip}],
        id: vm.id.replace(/.$/, String(i)),
        mac_address: inst.mac,
        network_id: ZED_NET,
      })
    }
    const agents = JSON.parse(apiFixture('zed-basic-dhcp-agents.json'))
    const agent = agents.agents[0]
    agents.agents = spec.api.agents.map((host, i) => ({...agent, host, id: agent.id.replace(/.$/, String(i))}))
    const subnet = JSON.parse(apiFixture('zed-basic-subnet-create-201.json')).subnet
    const rec = (path: string, body: string) => ({body, method: 'GET', path, status: 200})
    ev.api = {
      host: spec.host,
      hostFrom: 'the DHCP agent config (host)',
      records: [
        rec(`/networks/${ZED_NET}`, JSON.stringify({network: {admin_state_up: true, id: ZED_NET, name: 'qm-isolated', status: 'ACTIVE'}})),
        rec(`/subnets?network_id=${ZED_NET}`, JSON.stringify({subnets: [subnet]})),
        rec(`/ports?network_id=${ZED_NET}`, JSON.stringify(ports)),
        rec(`/networks/${ZED_NET}/dhcp-agents`, JSON.stringify(agents)),
      ],
    }
  }
  return ev
}

export function hostSnapshot(spec: HostSpec): Snapshot {
  return {
    format: 'quantum-meta-snapshot/1',
    host: spec.host,
    networks: [hostEvidence(spec)],
    note: 'derived from the real Zed node evidence (test/helpers/fleet-snapshots.ts)',
    takenAt: '2026-11-22T17:33:10Z',
    tool: 'quantum-meta/test',
  }
}

/**
 * Host net2 of the network, broken (its proxy's upstream socket refuses), with one instance that
 * leased from it and the API's port of that instance: a broken host and whom it affects.
 */
export function brokenHostWithLease(): Snapshot {
  const s = hostSnapshot({
    api: {
      agents: ['net1', 'net2'],
      instances: [{device: 'b7c1a2d3-0000-4000-8000-000000000001', ip: '198.51.100.149', mac: 'fa:16:3e:00:00:01'}],
      ports: [{host: 'net2', ip: '198.51.100.2'}],
    },
    host: 'net2',
    ip: '198.51.100.2',
    leases: '1700000000 fa:16:3e:00:00:01 198.51.100.149 host-198-51-100-149 *\n',
  })
  s.networks[0].upstreamSocket.connect = 'ECONNREFUSED'
  return s
}

export {ZED_NET}

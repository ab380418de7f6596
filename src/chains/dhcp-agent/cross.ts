/**
 * Findings only several hosts of one network reveal (ids `cross.*`), from their evidence alone (what
 * each host's snapshot holds, including the API answers it recorded). The fleet judge hands this
 * chain its own hosts only (ChainModule.crossChecks): on ML2/OVN each chassis serves its own
 * namespace through a localport, so no two chassis compete for an address.
 *
 *   cross.opts-own-port   each host's option 121 goes via that host's own DHCP port IP
 *   cross.agents-api      the DHCP agents the API lists for the network are the hosts with its namespace
 *   cross.ipv6-metadata   at most one host holds fe80::a9fe:a9fe (the others fail DAD), and one does
 *                         when the network has an IPv6 subnet
 */
import {dhcpDevice, metadataHops, restartAgent} from './facts.js'
import {interfaces, namespaceList, namespaceListHas} from '../common/evidence.js'
import {onHost, plural, shq} from '../common/text.js'
import {type Finding, type Fix, type Status, cmd} from '../types.js'
import {type Agent, type Port, readAgent, readList, readPort, readSubnet, record} from '../common/api.js'
import {P} from './api.js'
import {isClasslessRoute, parseOpts} from '../../parse/opts.js'
import {serverText} from '../../openstack/server-text.js'

import type {HostEvidence} from '../types.js'

export const IPV6_METADATA_IP = 'fe80::a9fe:a9fe'

const finding = (id: string, status: Status, summary: string, evidence: string[], fix?: Fix): Finding =>
  fix === undefined ? {evidence, id, status, summary} : {evidence, fix, id, status, summary}

/** A host name from a snapshot, as printed (control characters and length bounded). */
const name = (h: string) => serverText(h, 100)

/** The DHCP agent hosts of one network, compared. */
export function crossFindings(network: string, hosts: HostEvidence[]): Finding[] {
  if (hosts.length === 0) return []
  const out = [optsOwnPort(hosts), agentsApi(network, hosts), ipv6Metadata(hosts)]
  return out.filter((f): f is Finding => f !== undefined)
}

/** The DHCP ports the API answers recorded on any host (the same network: any host's answer will do, all are merged by port id). */
function apiDhcpPorts(hosts: HostEvidence[]): Port[] {
  const byId = new Map<string, Port>()
  // hosts handed the same answer (--hosts-from-api) share its record: each answer is read once
  const read = new Set<object>()
  for (const {ev} of hosts) {
    const r = record(ev, P.ports(ev.network))
    if (!r || read.has(r)) continue
    read.add(r)
    for (const p of readList(ev, P.ports(ev.network), 'ports', readPort) ?? []) {
      if (p.device_owner === 'network:dhcp' && !byId.has(p.id)) byId.set(p.id, p)
    }
  }
  return [...byId.values()]
}

/** The name the API knows a host by (its DHCP agent's `host`), when its snapshot recorded one. */
const apiName = (h: HostEvidence) => (h.ev.api?.host ? h.ev.api.host : undefined)

// (a) Each dnsmasq hands out option 121 via its own DHCP port IP; opts copied from another host (or
// left stale after the port moved) route an instance's metadata to the other host's proxy, which
// works until that host breaks, then fails only for the instances that leased here.
function optsOwnPort(hosts: HostEvidence[]): Finding | undefined {
  // whose DHCP IP is each address: from each host's own namespace, then from the API's DHCP ports
  const owner = new Map<string, string>()
  const own = new Map<string, string[]>()
  for (const h of hosts) {
    const ips = dhcpDevice(h.ev)?.ipv4.map((a) => a.local) ?? []
    own.set(h.host, ips)
    for (const ip of ips) if (!owner.has(ip)) owner.set(ip, h.host)
  }
  const ports = apiDhcpPorts(hosts)
  // the host each name stands for: the first host whose API name or own name it is
  const byName = new Map<string, string>()
  for (const h of hosts) for (const n of [apiName(h), h.host]) if (n !== undefined && !byName.has(n)) byName.set(n, h.host)
  const apiLines: string[] = []
  for (const p of ports) {
    const bound = p['binding:host_id'] || undefined
    const ips = (p.fixed_ips ?? []).map((f) => f.ip_address)
    apiLines.push(`API: DHCP port ${p.id} on ${bound ?? '?'}: ${ips.join(', ')}`)
    if (!bound) continue
    // the API's host name, mapped to the host as the operator named it when a snapshot says which
    const who = byName.get(bound) ?? bound
    for (const ip of ips) if (!owner.has(ip)) owner.set(ip, who)
    if (own.has(who)) own.set(who, [...new Set([...(own.get(who) ?? []), ...ips])])
  }

  const evidence: string[] = []
  const wrong: {host: string; hop: string; other: string; ev: HostEvidence['ev']}[] = []
  let judged = 0
  for (const h of hosts) {
    if (h.ev.opts.state !== 'present' || h.ev.opts.content === undefined) {
      evidence.push(`${name(h.host)}: no opts file (${h.ev.opts.path}: ${h.ev.opts.state})`)
      continue
    }
    const hops = [...new Set(parseOpts(h.ev.opts.content).filter(isClasslessRoute).flatMap(metadataHops))]
    const mine = own.get(h.host) ?? []
    evidence.push(`${name(h.host)}: DHCP port IP ${mine.join(', ') || '?'}; ${h.ev.opts.path}: 169.254.169.254/32 via ${hops.join(', ') || '(no route)'}`)
    if (hops.length === 0 || mine.length === 0) continue
    judged++
    for (const hop of hops) {
      const other = owner.get(hop)
      if (!mine.includes(hop) && other !== undefined && other !== h.host) wrong.push({ev: h.ev, host: h.host, hop, other})
    }
  }
  evidence.push(...apiLines)
  if (wrong.length > 0) {
    const what = wrong.map((w) => `${name(w.host)} routes 169.254.169.254 via ${w.hop}, the DHCP port of ${name(w.other)}`)
    return finding(
      'cross.opts-own-port',
      'fail',
      `${what.join('; ')}: copied or stale opts (its instances depend on the other host's proxy)`,
      evidence,
      cmd(
        wrong.map((w) => onHost(w.host, restartAgent(w.ev))).join('; '),
        `on ${wrong.map((w) => name(w.host)).join(', ')}: the agent rewrites opts from its own port`,
      ),
    )
  }
  if (judged < 2)
    return finding('cross.opts-own-port', 'skip', `fewer than two hosts have both an opts route and a DHCP port IP to compare (${judged})`, evidence)
  return finding('cross.opts-own-port', 'pass', `each of the ${judged} hosts routes 169.254.169.254 via its own DHCP port`, evidence)
}

// (b) The API's list of DHCP agents hosting the network against the namespaces the hosts have.
function agentsApi(network: string, hosts: HostEvidence[]): Finding | undefined {
  let agents: Agent[] | undefined
  let path = ''
  for (const {ev} of hosts) {
    const r = record(ev, P.agents(ev.network))
    const got = r && r.status === 200 ? readList(ev, P.agents(ev.network), 'agents', readAgent) : undefined
    if (got) {
      agents = got
      path = r!.path
      break
    }
  }
  if (!agents) return undefined
  const evidence = agents.map((a) => `GET /v2.0${path}: ${a.host} alive ${a.alive} admin_state_up ${a.admin_state_up ?? '?'}`)
  const agentHosts = new Set(agents.map((a) => a.host))
  const listed = (h: HostEvidence) => agentHosts.has(h.host) || (apiName(h) !== undefined && agentHosts.has(apiName(h)!))
  const problems: string[] = []
  const fixes: string[] = []
  const fixed: string[] = []
  for (const h of hosts) {
    const nsKnown = namespaceList(h.ev) !== undefined
    const hasNs = nsKnown && namespaceListHas(h.ev, h.ev.namespace)
    evidence.push(
      `${name(h.host)}${apiName(h) && apiName(h) !== h.host ? ` (agent host ${name(apiName(h)!)})` : ''}: ${!nsKnown ? '`ip netns` failed' : hasNs ? `has ${h.ev.namespace}` : `no ${h.ev.namespace}`}`,
    )
    if (!nsKnown) continue
    if (listed(h) && !hasNs) {
      problems.push(`the API lists ${name(h.host)} as hosting the network, but it has no ${h.ev.namespace}`)
      fixes.push(onHost(h.host, restartAgent(h.ev)))
      fixed.push(`${name(h.host)}: the agent resyncs the networks it hosts (its log says why if the namespace does not come back)`)
    }
    if (!listed(h) && hasNs) {
      problems.push(`${name(h.host)} has ${h.ev.namespace}, but the API does not list it among the network's DHCP agents: a stale namespace`)
      fixes.push(onHost(h.host, `ip netns pids ${shq(h.ev.namespace)}`))
      fixed.push(
        `${name(h.host)}: what runs in the stale namespace; stop its dnsmasq and proxy, then ip netns delete ${h.ev.namespace} (or neutron-netns-cleanup)`,
      )
    }
  }
  const inspected = new Set(hosts.flatMap((h) => [h.host, apiName(h)]).filter(Boolean))
  const notHere = agents.filter((a) => !inspected.has(a.host)).map((a) => a.host)
  if (problems.length > 0) return finding('cross.agents-api', 'fail', problems.join('; '), evidence, cmd(fixes.join('; '), fixed.join('; ')))
  if (notHere.length > 0)
    return finding(
      'cross.agents-api',
      'warn',
      `the API also lists ${notHere.join(', ')}, not inspected here`,
      evidence,
      cmd(
        `quantum-meta collect ${shq(network)} -o /tmp/qm-evidence.json`,
        `on ${notHere.join(', ')}, as root: then diagnose again with one --snapshot per host to see every host of ${network}`,
      ),
    )
  return finding('cross.agents-api', 'pass', `the ${plural(agents.length, 'DHCP agent')} the API lists are the hosts with the namespace`, evidence)
}

// (c) Every agent adds fe80::a9fe:a9fe to its DHCP port for IPv6 metadata; on one link only the first
// keeps it, the others fail duplicate address detection and serve metadata over IPv4 only.
function ipv6Metadata(hosts: HostEvidence[]): Finding | undefined {
  const evidence: string[] = []
  const holders: string[] = []
  const dad: string[] = []
  let seen = 0
  for (const h of hosts) {
    const all = interfaces(h.ev)
    const device = dhcpDevice(h.ev)?.iface
    // `ip -4 a` (hand-made snapshots) shows no IPv6: that host says nothing about it
    if (!all?.some((i) => i.addresses.some((a) => a.family === 'inet6'))) {
      evidence.push(`${name(h.host)}: no IPv6 addresses in the evidence (${h.ev.addresses ? h.ev.addresses.argv.join(' ') : 'not collected'})`)
      continue
    }
    seen++
    const addr = device?.addresses.find((a) => a.family === 'inet6' && a.local === IPV6_METADATA_IP)
    if (!addr) evidence.push(`${name(h.host)}: ${device ? device.ifname : 'no DHCP device'}: no ${IPV6_METADATA_IP}`)
    else if (addr.dadfailed) {
      dad.push(h.host)
      evidence.push(`${name(h.host)}: ${device!.ifname}: ${IPV6_METADATA_IP} dadfailed`)
    } else {
      holders.push(h.host)
      evidence.push(`${name(h.host)}: ${device!.ifname}: holds ${IPV6_METADATA_IP}`)
    }
  }
  if (seen === 0) return finding('cross.ipv6-metadata', 'skip', "no host's evidence shows its IPv6 addresses (hand-made `ip -4 a` snapshots)", evidence)
  if (holders.length > 1) {
    // DAD makes this impossible on one working L2 segment: the hosts do not see each other's DHCP ports
    return finding(
      'cross.ipv6-metadata',
      'fail',
      `${holders.map(name).join(', ')} all hold ${IPV6_METADATA_IP}: duplicate address detection did not see the others, so their DHCP ports are not on one working link`,
      evidence,
      cmd(
        `openstack network show ${shq(hosts[0].ev.network)} -c provider:network_type -c provider:segmentation_id`,
        "the network's segment: check its L2 between these hosts (VXLAN/VLAN tunnels, the agents' bridges)",
      ),
    )
  }
  if (holders.length === 1) {
    const others =
      dad.length > 0
        ? `; ${dad.map(name).join(', ')} failed duplicate address detection for it and serve${dad.length === 1 ? 's' : ''} metadata over IPv4 only: expected with several DHCP agents`
        : ''
    return finding('cross.ipv6-metadata', 'pass', `${name(holders[0])} holds ${IPV6_METADATA_IP}${others}`, evidence)
  }
  const v6 = ipv6Subnet(hosts)
  if (v6) {
    return finding(
      'cross.ipv6-metadata',
      'fail',
      `the network has an IPv6 subnet (${v6}) but no host holds ${IPV6_METADATA_IP}: IPv6-only instances get no metadata`,
      evidence,
      cmd(
        onHost(hosts[0].host, restartAgent(hosts[0].ev)),
        `on one DHCP agent host (here ${name(hosts[0].host)}): Victoria and later add the address; each agent that fails DAD removes it`,
      ),
    )
  }
  return finding('cross.ipv6-metadata', 'pass', `no host holds ${IPV6_METADATA_IP}, and the evidence shows no IPv6 subnet`, evidence)
}

/** An IPv6 subnet of the network, named, when the API answers or the hosts' DHCP ports show one. */
function ipv6Subnet(hosts: HostEvidence[]): string | undefined {
  for (const {ev} of hosts) {
    const s = readList(ev, P.subnets(ev.network), 'subnets', readSubnet)?.find((x) => x.ip_version === 6)
    if (s) return `${s.cidr}, from the API`
  }
  for (const h of hosts) {
    const g = dhcpDevice(h.ev)?.iface.addresses.find((a) => a.family === 'inet6' && a.scope === 'global')
    if (g) return `${g.local}/${g.prefixlen} on ${name(h.host)}'s DHCP port`
  }
  return undefined
}

/** What the API says: the network, whether a subnet is isolated, which agents host it, the DHCP port. */
import type {NetworkEvidence} from '../../evidence/evidence.js'
import {metadataVerdict, readSettings} from '../../config/dhcp-agent.js'
import {parseIni} from '../../config/oslo-ini.js'
import {isClasslessRoute, parseOpts} from '../../parse/opts.js'
import {metadataHops, restartAgent} from './facts.js'
import {serverText} from '../../openstack/server-text.js'
import {type Check, fail, pass, skip, warn} from '../types.js'
import {isObj, list, NEUTRON_PATHS, readAgent, readPort, readSubnet, record, type Subnet} from '../common/api.js'

const ROUTER_OWNERS = new Set(['network:router_interface', 'network:ha_router_replicated_interface', 'network:router_interface_distributed'])

const text = (v: unknown, max = 100): string => serverText(v, max)
const optText = (v: unknown, max = 100): string | undefined => (typeof v === 'string' ? serverText(v, max) : undefined)
/** A host name as it may appear in a command to paste: letters, digits, dots, dashes, underscores. */
const HOSTNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/

/** The API paths collect records for a network: Neutron's (../common/api.ts), and the network's DHCP agents. */
export const P = {
  ...NEUTRON_PATHS,
  agents: (n: string) => `/networks/${n}/dhcp-agents`,
}

const noApi = (ev: NetworkEvidence) => (!ev.api ? skip('no API credentials (OS_AUTH_URL, OS_CLOUD, --os-*); --no-api skips these checks') : undefined)

export const apiNetwork: Check = {
  id: 'api.network',
  needs: [],
  title: 'the network exists in the API and is admin_state_up',
  run(ev) {
    const none = noApi(ev)
    if (none) return none
    if (ev.api!.error) return warn(`could not ask the API: ${ev.api!.error}`, [], 'check the OS_* credentials, or pass --no-api')
    const r = record(ev, P.network(ev.network))
    if (!r) return skip('the network was not queried')
    if (r.status === 404)
      return fail(
        `the API has no network ${ev.network}: the namespace is a leftover`,
        [`GET /v2.0${r.path}: 404`],
        `neutron-netns-cleanup, or ip netns delete qdhcp-${ev.network} if nothing runs in it`,
      )
    if (r.status !== 200) return warn(`GET /v2.0${r.path} answered ${r.status}`, [text(r.body, 200)])
    let doc: unknown
    try {
      doc = JSON.parse(r.body)
    } catch {
      doc = undefined
    }
    if (!isObj(doc) || !isObj(doc.network)) return warn(`GET /v2.0${r.path} answered 200 without a network object`, [text(r.body, 200)])
    const raw = doc.network
    const net = {admin_state_up: raw.admin_state_up, name: optText(raw.name), status: optText(raw.status, 40)}
    const line = `GET /v2.0${r.path}: name ${net.name ?? ''}, admin_state_up ${String(net.admin_state_up)}, status ${net.status ?? '?'}`
    if (net.admin_state_up === false)
      return fail(`network ${net.name ?? ev.network} is administratively down`, [line], `openstack network set --enable ${ev.network}`)
    return pass(`network ${net.name || ev.network} exists and is up`, [line])
  },
}

function forceMetadata(ev: NetworkEvidence): boolean {
  try {
    const s = readSettings(parseIni(ev.config.content ?? ''))
    return s.force_metadata.value === true && metadataVerdict(s).valid
  } catch {
    return false
  }
}

export const apiSubnetIsolated: Check = {
  id: 'api.subnet-isolated',
  needs: ['api.network'],
  title: 'a DHCP IPv4 subnet is isolated (Grizzly: no gateway; Juno on: no router port on the gateway), or force_metadata',
  run(ev) {
    const subnets = list(ev, P.subnets(ev.network), 'subnets')?.map(readSubnet)
    const ports = list(ev, P.ports(ev.network), 'ports')?.map(readPort)
    if (!subnets) return skip('the subnets could not be read')
    const dhcp4 = subnets.filter((s) => s.enable_dhcp && s.ip_version === 4)
    if (dhcp4.length === 0)
      return fail(
        'the network has no DHCP-enabled IPv4 subnet: there is nothing to serve option 121 on',
        subnets.map((s) => `${s.cidr} enable_dhcp ${s.enable_dhcp}`),
        `quantum-meta subnet create ${ev.network} <CIDR>`,
      )
    const routerIps = new Set(
      (ports ?? []).filter((p) => ROUTER_OWNERS.has(p.device_owner ?? '')).flatMap((p) => (p.fixed_ips ?? []).map((f) => `${f.subnet_id} ${f.ip_address}`)),
    )
    const grizzly = ev.layout === 'quantum'
    // Grizzly/Havana: isolated = no gateway. Juno on: no router port holds the gateway IP.
    const isolated = (s: Subnet) => (grizzly ? s.gateway_ip === null : s.gateway_ip === null || !routerIps.has(`${s.id} ${s.gateway_ip}`))
    const evidence = dhcp4.map(
      (s) =>
        `${s.cidr} (${s.id}): gateway_ip ${s.gateway_ip === undefined ? 'missing' : (s.gateway_ip ?? 'null')}${s.gateway_ip && routerIps.has(`${s.id} ${s.gateway_ip}`) ? ', held by a router interface' : ''}`,
    )
    const good = dhcp4.filter(isolated)
    if (good.length > 0)
      return pass(
        `${good.map((s) => s.cidr).join(', ')} ${good.length === 1 ? 'is' : 'are'} isolated (${grizzly ? 'no gateway' : 'no router port on the gateway'})`,
        evidence,
      )
    if (forceMetadata(ev)) return pass('no subnet is isolated, but force_metadata = True serves metadata anyway', evidence)
    return fail(
      grizzly
        ? 'every DHCP subnet has a gateway: Grizzly serves metadata only on subnets without one'
        : 'a router holds the gateway of every DHCP subnet: the router serves metadata, not the DHCP agent',
      evidence,
      grizzly
        ? `quantum-meta subnet create ${ev.network} <CIDR>   (a gateway-less subnet)`
        : "use the router's metadata proxy, detach the router, or set force_metadata: quantum-meta enable --force-metadata --restart",
    )
  },
}

export const apiDhcpAgents: Check = {
  id: 'api.dhcp-agents',
  needs: ['api.network'],
  title: 'this host is among the live DHCP agents hosting the network (admin API)',
  run(ev) {
    const r = record(ev, P.agents(ev.network))
    if (!r) return skip('the DHCP agents were not queried')
    if (typeof r.body !== 'string') return skip('the DHCP agents answer was not recorded')
    if (r.status === 403 || r.status === 401) return skip(`listing a network's DHCP agents needs an admin role (HTTP ${r.status})`)
    if (r.status === 404) return skip('the API has no dhcp_agent_scheduler extension')
    const agents = list(ev, P.agents(ev.network), 'agents')?.map(readAgent)
    if (!agents) return warn(`GET /v2.0${r.path} answered ${r.status}${r.status === 200 ? ' without an agents list' : ''}`, [text(r.body, 200)])
    const host = ev.api!.host
    const evidence = agents.map((a) => `GET /v2.0${r.path}: ${a.host} alive ${a.alive} admin_state_up ${a.admin_state_up ?? '?'}`)
    const mine = agents.find((a) => a.host === host)
    const others = agents.filter((a) => a.host !== host && a.alive).map((a) => a.host)
    const elsewhere = others.length > 0 ? `; also hosted by ${others.join(', ')}: run diagnose there too (each VM uses the agent that answered its DHCP)` : ''
    if (!mine) {
      return fail(
        `the network is not hosted by the DHCP agent on ${host} (${ev.api!.hostFrom})${others.length > 0 ? `; it is on ${others.join(', ')}` : '; no agent hosts it'}`,
        evidence,
        others.length > 0
          ? `run quantum-meta diagnose ${ev.network} on ${HOSTNAME.test(others[0]) ? others[0] : 'the host that hosts it'}`
          : `openstack network agent add network --dhcp <agent-id> ${ev.network}`,
      )
    }
    if (!mine.alive)
      return fail(
        `the DHCP agent on ${host} is not alive (no report to the server)`,
        evidence,
        `${restartAgent(ev.layout)}; check its connection to the message queue`,
      )
    return pass(`hosted by the live DHCP agent on ${host}${elsewhere}`, evidence)
  },
}

export const apiDhcpPort: Check = {
  id: 'api.dhcp-port',
  needs: ['api.network', 'opts.metadata-route'],
  title: "the DHCP port's IP on this host is the next hop of the opts route",
  run(ev) {
    const ports = list(ev, P.ports(ev.network), 'ports')?.map(readPort)
    if (!ports) return skip('the ports could not be read')
    const dhcp = ports.filter((p) => p.device_owner === 'network:dhcp')
    const here = dhcp.filter((p) => !p['binding:host_id'] || p['binding:host_id'] === ev.api!.host)
    const ips = (here.length > 0 ? here : dhcp).flatMap((p) => (p.fixed_ips ?? []).map((f) => f.ip_address))
    const hops = parseOpts(ev.opts.content ?? '')
      .filter(isClasslessRoute)
      .flatMap(metadataHops)
    const evidence = [
      ...dhcp.map((p) => `DHCP port ${p.id} on ${p['binding:host_id'] || '?'}: ${(p.fixed_ips ?? []).map((f) => f.ip_address).join(', ')}`),
      `opts next hop: ${hops.join(', ')}`,
    ]
    if (dhcp.length === 0) return fail('the API has no DHCP port on this network', evidence, restartAgent(ev.layout))
    if (hops.some((h) => ips.includes(h))) return pass(`the opts next hop ${hops.find((h) => ips.includes(h))} is this host's DHCP port`, evidence)
    return fail(
      `the opts route points at ${hops.join(', ')}, but the DHCP port here has ${ips.join(', ')}: stale opts`,
      evidence,
      `${restartAgent(ev.layout)}   (it rewrites opts from the port)`,
    )
  },
}

/** What the API says: the network, whether a subnet is isolated, which agents host it, the DHCP port. */
import {memo} from '../../evidence/api-records.js'
import type {NetworkEvidence} from '../../evidence/evidence.js'
import {isClasslessRoute, parseOpts} from '../../parse/opts.js'
import {forceMetadata, metadataHops, restartAgent} from './facts.js'
import {serverText} from '../../openstack/server-text.js'
import {type Check, type CheckContext, cmd, fail, notAsked, notHere, pass, skip, warn} from '../types.js'
import {shq} from '../common/text.js'
import {
  type Agent,
  isObj,
  LISTED_MAX,
  NEUTRON_PATHS,
  type Port,
  readAgent,
  readList,
  readPort,
  readSubnet,
  record,
  someLines,
  someOf,
  type Subnet,
} from '../common/api.js'

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

// The api.* checks hold the node's links against the control plane's view; the links themselves are
// judged on the node, so without credentials they are not run (said so), not left unjudged.
const noApi = (ev: NetworkEvidence, ctx: CheckContext) =>
  ev.api
    ? undefined
    : notAsked(
        ctx.noApi
          ? 'not asked (--no-api)'
          : ctx.live
            ? 'not run: no API credentials (OS_AUTH_URL, OS_CLOUD, --os-*); give them to hold the node against the API'
            : 'not run: the evidence holds no API answers (collected without credentials, or with --no-api); collect it with OS_* or --os-cloud set to hold the node against the API',
      )

export const apiNetwork: Check = {
  id: 'api.network',
  needs: [],
  title: 'the network exists in the API and is admin_state_up',
  run(ev, ctx) {
    const none = noApi(ev, ctx)
    if (none) return none
    if (ev.api!.error)
      return warn(
        `could not ask the API: ${ev.api!.error}`,
        [],
        cmd('openstack token issue', 'checks the OS_* credentials (OS_CLOUD or OS_AUTH_URL...); or pass --no-api to skip the API checks'),
      )
    const r = record(ev, P.network(ev.network))
    if (!r) return skip('the network was not queried')
    if (r.status === 404)
      return fail(
        `the API has no network ${ev.network}: the namespace is a leftover`,
        [`GET /v2.0${r.path}: 404`],
        cmd(`ip netns pids ${shq(`qdhcp-${ev.network}`)}`, 'what still runs in the leftover namespace: stop it (kill those pids), then delete the namespace', {
          command: `ip netns delete ${shq(`qdhcp-${ev.network}`)}`,
          why: 'once nothing runs in it (neutron-netns-cleanup removes every such leftover)',
        }),
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
      return fail(
        `network ${net.name ?? ev.network} is administratively down`,
        [line],
        cmd(`openstack network set --enable ${shq(ev.network)}`, 'the network is admin_state_up false'),
      )
    return pass(`network ${net.name || ev.network} exists and is up`, [line])
  },
}

export const apiSubnetIsolated: Check = {
  id: 'api.subnet-isolated',
  needs: ['api.network'],
  title: 'a DHCP IPv4 subnet is isolated (Grizzly: no gateway; Juno on: no router port on the gateway), or force_metadata',
  run(ev) {
    const subnets = readList(ev, P.subnets(ev.network), 'subnets', readSubnet)
    const ports = readList(ev, P.ports(ev.network), 'ports', readPort)
    if (!subnets) return skip('the subnets could not be read')
    const dhcp4 = subnets.filter((s) => s.enable_dhcp && s.ip_version === 4)
    if (dhcp4.length === 0)
      return fail(
        'the network has no DHCP-enabled IPv4 subnet: there is nothing to serve option 121 on',
        subnets.map((s) => `${s.cidr} enable_dhcp ${s.enable_dhcp}`),
        dhcpOff(ev, subnets),
      )
    // once per answer: each of N hosts handed the same ports list reads it in constant time
    const routerIps = ports ? memo(record(ev, P.ports(ev.network))!, routerAddresses, () => routerAddresses(ports)) : new Set<string>()
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
        ? cmd(
            `openstack subnet list --network ${shq(ev.network)}`,
            `the network's ranges: add a gateway-less DHCP subnet on a free one with quantum-meta subnet create ${shq(ev.network)} CIDR (gateway_ip null)`,
          )
        : cmd(
            `quantum-meta diagnose ${shq(ev.network)} --backend l3-agent`,
            "the router's metadata proxy serves these subnets: judge it on the router's node",
            {command: 'quantum-meta enable --force-metadata --restart', why: 'or serve metadata from the DHCP port anyway (force_metadata)'},
          ),
    )
  },
}

/** The fix for a network without a DHCP IPv4 subnet: turn DHCP on in its IPv4 subnet, else list the ranges for a new one. */
function dhcpOff(ev: NetworkEvidence, subnets: Subnet[]) {
  const v4 = subnets.find((s) => s.ip_version === 4)
  // an id that is not a UUID is shown quoted and never put in a fix (../common/api.ts)
  if (v4 && /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(v4.id)) return cmd(`openstack subnet set --dhcp ${shq(v4.id)}`, `turn DHCP on in ${v4.cidr}`)
  return cmd(
    `openstack subnet list --network ${shq(ev.network)}`,
    `the network's ranges: add a DHCP-enabled IPv4 subnet on a free one with quantum-meta subnet create ${shq(ev.network)} CIDR`,
  )
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
    if (r.status === 404) return notHere('the API has no dhcp_agent_scheduler extension: no DHCP agent is scheduled to networks')
    const agents = readList(ev, P.agents(ev.network), 'agents', readAgent)
    if (!agents) return warn(`GET /v2.0${r.path} answered ${r.status}${r.status === 200 ? ' without an agents list' : ''}`, [text(r.body, 200)])
    const host = ev.api!.host
    // by host, once per answer: each of N hosts handed the same answer reads it in constant time
    const index = memo(r, agentIndex, () => agentIndex(agents))
    const own = index.byHost.get(host) ?? []
    const line = (i: number) => `GET /v2.0${r.path}: ${agents[i].host} alive ${agents[i].alive} admin_state_up ${agents[i].admin_state_up ?? '?'}`
    const evidence = someLines(agents.length, line, own, 'agents')
    const mine = own.length > 0 ? agents[own[0]] : undefined
    // the other live agents' hosts: the first LISTED_MAX named, all counted
    const othersCount = index.alive.length - own.filter((i) => agents[i].alive).length
    const others: string[] = []
    for (const i of index.alive) {
      if (others.length === LISTED_MAX) break
      if (agents[i].host !== host) others.push(agents[i].host)
    }
    const elsewhere =
      othersCount > 0 ? `; also hosted by ${someOf(others, othersCount)}: run diagnose there too (each VM uses the agent that answered its DHCP)` : ''
    if (!mine) {
      return fail(
        `the network is not hosted by the DHCP agent on ${host} (${ev.api!.hostFrom})${othersCount > 0 ? `; it is on ${someOf(others, othersCount)}` : '; no agent hosts it'}`,
        evidence,
        others.length > 0
          ? HOSTNAME.test(others[0])
            ? cmd(`quantum-meta diagnose ${shq(ev.network)}`, `on ${others[0]}, which hosts the network`)
            : cmd(`openstack network agent list --network ${shq(ev.network)}`, 'the hosts of the network: run quantum-meta diagnose there')
          : cmd(
              `openstack network agent add network --dhcp "$(openstack network agent list --agent-type dhcp --host ${shq(host)} -f value -c ID)" ${shq(ev.network)}`,
              `no DHCP agent hosts the network: schedule it to the one on ${host}`,
            ),
      )
    }
    if (!mine.alive)
      return fail(
        `the DHCP agent on ${host} is not alive (no report to the server)`,
        evidence,
        cmd(restartAgent(ev), 'if it still reports nothing, check its connection to the message queue in its log'),
      )
    return pass(`hosted by the live DHCP agent on ${host}${elsewhere}`, evidence)
  },
}

export const apiDhcpPort: Check = {
  id: 'api.dhcp-port',
  needs: ['api.network', 'opts.metadata-route'],
  title: "the DHCP port's IP on this host is the next hop of the opts route",
  run(ev) {
    const ports = readList(ev, P.ports(ev.network), 'ports', readPort)
    if (!ports) return skip('the ports could not be read')
    // the DHCP ports by host, once per answer (each of N hosts handed it reads its own in constant time)
    const index = memo(record(ev, P.ports(ev.network))!, dhcpPortIndex, () => dhcpPortIndex(ports))
    const {dhcp} = index
    const here = [...index.unbound, ...(index.byHost.get(ev.api!.host) ?? [])].sort((a, b) => a - b)
    // no port of its own: any DHCP port's address will do (the first LISTED_MAX are named)
    const ipsOf = (i: number) => (dhcp[i].fixed_ips ?? []).map((f) => f.ip_address)
    const ips = here.length > 0 ? here.flatMap(ipsOf) : index.allIps
    const hops = parseOpts(ev.opts.content ?? '')
      .filter(isClasslessRoute)
      .flatMap(metadataHops)
    const line = (i: number) => `DHCP port ${dhcp[i].id} on ${dhcp[i]['binding:host_id'] || '?'}: ${ipsOf(i).join(', ')}`
    const evidence = [...someLines(dhcp.length, line, here, 'DHCP ports'), `opts next hop: ${hops.join(', ')}`]
    if (dhcp.length === 0)
      return fail('the API has no DHCP port on this network', evidence, cmd(restartAgent(ev), 'the agent creates its DHCP port when it sets up the network'))
    const ipSet = here.length > 0 ? new Set(ips) : index.allIpSet
    const hop = hops.find((h) => ipSet.has(h))
    if (hop !== undefined) return pass(`the opts next hop ${hop} is this host's DHCP port`, evidence)
    return fail(
      `the opts route points at ${hops.join(', ')}, but the DHCP port here has ${someOf(ips)}: stale opts`,
      evidence,
      cmd(restartAgent(ev), 'it rewrites opts from the port'),
    )
  },
}

/** The agents of an answer by host (indexes into the list), and the live ones, in the answer's order. */
function agentIndex(agents: Agent[]): {byHost: Map<string, number[]>; alive: number[]} {
  const byHost = new Map<string, number[]>()
  const alive: number[] = []
  agents.forEach((a, i) => {
    const l = byHost.get(a.host)
    if (l) l.push(i)
    else byHost.set(a.host, [i])
    if (a.alive) alive.push(i)
  })
  return {alive, byHost}
}

/** The DHCP ports of an answer, by the host they are bound to (indexes into `dhcp`), and every address. */
function dhcpPortIndex(ports: Port[]): {dhcp: Port[]; byHost: Map<string, number[]>; unbound: number[]; allIps: string[]; allIpSet: Set<string>} {
  const dhcp = ports.filter((p) => p.device_owner === 'network:dhcp')
  const byHost = new Map<string, number[]>()
  const unbound: number[] = []
  dhcp.forEach((p, i) => {
    const h = p['binding:host_id']
    if (!h) unbound.push(i)
    else {
      const l = byHost.get(h)
      if (l) l.push(i)
      else byHost.set(h, [i])
    }
  })
  const allIps = dhcp.flatMap((p) => (p.fixed_ips ?? []).map((f) => f.ip_address))
  return {allIps, allIpSet: new Set(allIps), byHost, dhcp, unbound}
}

/** `SUBNET IP` of every router interface port's address. */
function routerAddresses(ports: Port[]): Set<string> {
  return new Set(ports.filter((p) => ROUTER_OWNERS.has(p.device_owner ?? '')).flatMap((p) => (p.fixed_ips ?? []).map((f) => `${f.subnet_id} ${f.ip_address}`)))
}

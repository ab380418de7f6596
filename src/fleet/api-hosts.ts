/**
 * `diagnose NET --hosts-from-api` (issue 11, section 1): which hosts serve a network, from the API.
 *
 *   DHCP agent: GET /networks/NET/dhcp-agents, each agent's `host` (alive or not: a dead agent's host
 *               is still asked, and its row says what it found)
 *   ML2/OVN:    the network has a `network:distributed` port (the metadata port): every chassis a VM
 *               port of the network is bound to (`binding:host_id` of ports not owned by `network:*`),
 *               since each such chassis serves metadata in its own ovnmeta namespace
 *
 * The four answers are the ones `collect --api` records on a node (P in chains/dhcp-agent/api.ts),
 * so the caller can hand them to hosts whose snapshots recorded none: the API checks and the
 * cross-host findings then work without credentials on the hosts.
 *
 * A host name is the API's, so it is untrusted and becomes an ssh destination: only a plain host
 * name (letters, digits, dots, dashes, underscores, not starting with a dash) is asked; any other is
 * a row saying why it was not.
 */
import {type Agent, type Port, readAgent, readPort} from '../chains/common/api.js'
import {P} from '../chains/dhcp-agent/api.js'
import {cannotError, QmError, usageError} from '../errors.js'
import type {ApiRecord} from '../openstack/neutron.js'
import {errorText} from '../openstack/neutron-errors.js'
import {apiError, describeJson} from '../openstack/neutron.js'
import {parseJson} from '../openstack/http.js'
import {serverText} from '../openstack/server-text.js'
import type {HostInput} from './types.js'

/** A host name that may be handed to ssh as a destination: no option, no user@, no spaces. */
export const PLAIN_HOST = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/

export interface ApiHost {
  /** the API's name for the host: the ssh destination (map it in ~/.ssh/config) */
  host: string
  /** why it is asked: `DHCP agent 5c6b… (alive)`, `chassis of port 3f2a… (compute:nova)` */
  why: string[]
}

export interface ApiHosts {
  network: string
  /** the hosts to ask, DHCP agents first (in the API's order), then OVN chassis (sorted) */
  hosts: ApiHost[]
  /** hosts the API named that are not asked: the name, and why */
  refused: {host: string; error: string}[]
  /** the network's answers (network, subnets, ports, dhcp-agents), as `collect --api` records them */
  records: ApiRecord[]
  /** the network has an OVN metadata port (network:distributed) */
  ovn: boolean
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** The list `key` of a 200 answer, or a QmError (exit 3) saying what came instead. */
function listOf(r: ApiRecord, key: string, what: string): Obj[] {
  const doc = parseJson(r.body)
  const items = isObj(doc) ? doc[key] : undefined
  if (!Array.isArray(items))
    throw cannotError('api-bad-answer', `${what}: GET ${r.path} answered HTTP 200 with ${describeJson(r.body, doc)}, not a "${key}" list`)
  return items.filter(isObj)
}

/**
 * From the four answers to the hosts to ask. Pure (tested on verbatim answers): `records` in any
 * order, each path as P names it. Errors: the network unknown (404) is exit 2; an answer that is not
 * what Neutron sends is exit 3; no host at all is exit 3 (nothing to inspect).
 */
export function hostsFromAnswers(network: string, records: ApiRecord[]): ApiHosts {
  const get = (path: string) => records.find((r) => r.path === path)
  const net = get(P.network(network))
  if (!net) throw cannotError('api-error', `GET ${P.network(network)} was not asked`)
  if (net.status === 404)
    throw usageError(
      'network-not-found',
      `the API has no network ${network} (GET ${P.network(network)}: HTTP 404${errorText(net.body) ? `: ${errorText(net.body)}` : ''})`,
    )
  if (net.status !== 200) throw apiError({status: net.status, text: net.body}, `network ${network}`)

  const ports = get(P.ports(network))
  if (ports?.status !== 200) throw apiError({status: ports?.status ?? 0, text: ports?.body ?? ''}, `the ports of network ${network}`)
  const rawPorts = listOf(ports, 'ports', `the ports of network ${network}`)
  const portList: Port[] = rawPorts.map(readPort)

  // DHCP agents: 404 when the scheduler extension is not loaded (ML2/OVN without DHCP agents)
  const agentsRec = get(P.agents(network))
  let agents: Obj[] = []
  if (agentsRec && agentsRec.status === 200) agents = listOf(agentsRec, 'agents', `the DHCP agents of network ${network}`)
  else if (agentsRec && agentsRec.status !== 404) throw apiError({status: agentsRec.status, text: agentsRec.body}, `the DHCP agents of network ${network}`)

  const hosts = new Map<string, ApiHost>()
  const refused = new Map<string, string>()
  const add = (raw: unknown, why: string) => {
    if (typeof raw !== 'string' || raw === '') return
    if (!PLAIN_HOST.test(raw)) {
      const shown = JSON.stringify(serverText(raw, 100))
      refused.set(shown, `the API names host ${shown}, which is not a plain host name: not asked over ssh`)
      return
    }
    const h = hosts.get(raw) ?? {host: raw, why: []}
    h.why.push(why)
    hosts.set(raw, h)
  }
  for (const obj of agents) {
    const a: Agent = readAgent(obj)
    const id = typeof obj.id === 'string' ? serverText(obj.id, 40) : '?'
    add(obj.host, `DHCP agent ${id} (${a.alive ? 'alive' : 'not alive'}${a.admin_state_up === false ? ', admin down' : ''})`)
  }

  const ovn = portList.some((p) => p.device_owner === 'network:distributed')
  if (ovn) {
    const chassis: [string, string][] = []
    rawPorts.forEach((p, i) => {
      const owner = portList[i].device_owner ?? ''
      if (owner.startsWith('network:')) return
      const raw = p['binding:host_id']
      if (typeof raw === 'string' && raw !== '') chassis.push([raw, `chassis of port ${portList[i].id}${owner ? ` (${owner})` : ''}`])
    })
    chassis.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    for (const [raw, why] of chassis) add(raw, why)
  }

  if (hosts.size === 0 && refused.size === 0) {
    throw cannotError(
      'api-no-hosts',
      ovn
        ? `the API binds no VM port of network ${network} to a chassis (and lists no DHCP agent for it): no host serves its metadata yet`
        : `the API lists no DHCP agent hosting network ${network}${agentsRec?.status === 404 ? ' (no DHCP agent scheduler here)' : ''}: no host serves its metadata`,
    )
  }
  return {hosts: [...hosts.values()], network, ovn, records, refused: [...refused].map(([host, error]) => ({error, host}))}
}

/** Ask the API (the operator's credentials: --os-*, OS_*, clouds.yaml) which hosts serve `network`. */
export async function hostsFromApi(network: string, flags: import('../openstack/credentials.js').OsFlags): Promise<ApiHosts> {
  const {connect} = await import('../openstack/session.js')
  const neutron = await connect(flags)
  const paths = [P.network(network), P.subnets(network), P.ports(network), P.agents(network)]
  const records = await Promise.all(
    paths.map(async (path): Promise<ApiRecord> => {
      const r = await neutron.call('GET', path)
      return {body: r.text, method: 'GET', path, status: r.status}
    }),
  )
  try {
    return hostsFromAnswers(network, records)
  } catch (error) {
    if (error instanceof QmError) throw error
    throw cannotError('api-bad-answer', `the API's answer about network ${network}: ${error instanceof Error ? error.message : String(error)}`)
  }
}

/**
 * The hosts' answers with what the API said: each host it lists carries why (`listed`), and its
 * evidence for the network, when its collect recorded no API answers (no credentials on the host,
 * the usual case), gets the operator's: its API checks and the cross-host findings then run. A
 * host's own answers are kept. The names the API gave that were not asked become rows of their own.
 */
export function withApiAnswers(inputs: HostInput[], api: Omit<ApiHosts, 'network' | 'ovn'> & {network?: string}): HostInput[] {
  const out = inputs.map((input): HostInput => {
    const listed = api.hosts.find((h) => h.host === input.host)
    if (!listed) return input
    // --all: the agents list says which hosts, not what each network's answers are: nothing to add
    if (!input.snapshot || api.network === undefined) return {...input, listed: listed.why}
    const networks = input.snapshot.networks.map((ev) =>
      ev.network === api.network && !ev.api
        ? {...ev, api: {host: listed.host, hostFrom: `the API: ${listed.why.join('; ')} (--hosts-from-api)`, records: api.records}}
        : ev,
    )
    return {...input, listed: listed.why, snapshot: {...input.snapshot, networks}}
  })
  for (const r of api.refused) out.push({error: r.error, host: r.host})
  return out
}

/** The agents whose hosts serve metadata: DHCP agents (Quantum's too), and on ML2/OVN the metadata agents. */
const SERVING_BINARIES = new Set(['neutron-dhcp-agent', 'quantum-dhcp-agent', 'neutron-ovn-metadata-agent', 'neutron-ovn-agent'])

/**
 * `diagnose --all --hosts-from-api`: every host running an agent that serves metadata, from GET
 * /agents (one answer; pure, tested on real answers). Each is asked for every network it serves.
 */
export function hostsFromAgents(answer: ApiRecord): Omit<ApiHosts, 'network' | 'ovn'> {
  if (answer.status !== 200) throw apiError({status: answer.status, text: answer.body}, 'the agents')
  const hosts = new Map<string, ApiHost>()
  const refused = new Map<string, string>()
  for (const obj of listOf(answer, 'agents', 'the agents')) {
    const a = readAgent(obj)
    const binary = typeof obj.binary === 'string' ? obj.binary : ''
    if (!SERVING_BINARIES.has(binary)) continue
    const raw = obj.host
    if (typeof raw !== 'string' || raw === '') continue
    if (!PLAIN_HOST.test(raw)) {
      const shown = JSON.stringify(serverText(raw, 100))
      refused.set(shown, `the API names host ${shown}, which is not a plain host name: not asked over ssh`)
      continue
    }
    const id = typeof obj.id === 'string' ? serverText(obj.id, 40) : '?'
    const h = hosts.get(raw) ?? {host: raw, why: []}
    h.why.push(`${serverText(a.agent_type ?? binary, 40)} ${id} (${a.alive ? 'alive' : 'not alive'}${a.admin_state_up === false ? ', admin down' : ''})`)
    hosts.set(raw, h)
  }
  if (hosts.size === 0 && refused.size === 0)
    throw cannotError('api-no-hosts', 'the API lists no DHCP agent and no OVN metadata agent: no host serves metadata')
  return {
    hosts: [...hosts.values()].sort((x, y) => (x.host < y.host ? -1 : x.host > y.host ? 1 : 0)),
    records: [answer],
    refused: [...refused].map(([host, error]) => ({error, host})),
  }
}

export async function hostsForAll(flags: import('../openstack/credentials.js').OsFlags): Promise<Omit<ApiHosts, 'network' | 'ovn'>> {
  const {connect} = await import('../openstack/session.js')
  const neutron = await connect(flags)
  const r = await neutron.call('GET', '/agents')
  return hostsFromAgents({body: r.text, method: 'GET', path: '/agents', status: r.status})
}

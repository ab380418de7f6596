/**
 * `diagnose NET --hosts-from-api` (issue 11, section 1): which hosts serve a network, from the API.
 * Each chain says which of its hosts the answers name (ChainModule.apiHosts: the DHCP agent's chain
 * its agents' `host`, ML2/OVN the chassis of the network's VM ports), in registry order.
 *
 * The answers are the ones `collect --api` records on a node (chains/registry.ts networkApiPaths),
 * so the caller can hand them to hosts whose snapshots recorded none: the API checks and the
 * cross-host findings then work without credentials on the hosts.
 *
 * A host name is the API's, so it is untrusted and becomes an ssh destination: only a plain host
 * name (letters, digits, dots, dashes, underscores, not starting with a dash) is asked; any other is
 * a row saying why it was not.
 */
import {answerList, NEUTRON_PATHS, readAgent, readPort} from '../chains/common/api.js'
import {CHAINS, DEFAULT_CHAIN, networkApiPaths} from '../chains/registry.js'
import type {BackendName} from '../evidence/evidence.js'
import {cannotError, QmError, usageError} from '../errors.js'
import type {ApiRecord} from '../openstack/neutron.js'
import {errorText} from '../openstack/neutron-errors.js'
import {apiError} from '../openstack/neutron.js'
import {serverText} from '../openstack/server-text.js'
import type {HostInput} from './types.js'

/**
 * The most hosts one run asks over ssh from the API's list: 5,000 take about 10 min at --parallel 16
 * and 2 s a host, and half a GiB here. More (an API listing every chassis of a huge cloud, or 8 MiB of
 * made-up agents) is exit 2 in one line before any ssh: ask them in parts with --host.
 */
export const MAX_API_HOSTS = 5000

function checkFanOut(hosts: number, refused: number, what: string): void {
  if (hosts + refused > MAX_API_HOSTS)
    throw usageError(
      'api-too-many-hosts',
      `the API lists ${hosts + refused} hosts ${what}: more than the ${MAX_API_HOSTS} one run asks over ssh (ask them in parts with --host)`,
    )
}

/** A host "name" the API gave that is not a string (an object, a list, a number): a row saying so, never asked. */
function refuseNonString(refused: Map<string, string>, raw: unknown): void {
  const shown = serverText(raw, 100)
  const kind = Array.isArray(raw) ? 'an array' : typeof raw === 'object' ? 'an object' : `a ${typeof raw}`
  refused.set(shown, `the API names a host that is ${kind} (${shown}), not a host name: not asked over ssh`)
}

/** A host name that may be handed to ssh as a destination: no option, no user@, no spaces. */
export const PLAIN_HOST = /^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/

export interface ApiHost {
  /** the API's name for the host: the ssh destination (map it in ~/.ssh/config) */
  host: string
  /** why it is asked: `DHCP agent 5c6b… (alive)`, `chassis of port 3f2a… (compute:nova)` */
  why: string[]
}

export interface ApiHostsBase {
  /** the hosts to ask, each chain's in registry order (the DHCP agents in the API's order, then the OVN chassis sorted) */
  hosts: ApiHost[]
  /** hosts the API named that are not asked: the name, and why */
  refused: {host: string; error: string}[]
  /** the answers, as `collect --api` records them */
  records: ApiRecord[]
}

/** The hosts of one network, and, under each chain's name, whether the answers say that chain serves it. */
export type ApiHosts = ApiHostsBase & {network: string} & {[backend: BackendName]: unknown}

/**
 * From the answers to the hosts to ask. Pure (tested on verbatim answers): `records` in any order,
 * each path as networkApiPaths names it. Errors: the network unknown (404) is exit 2; an answer that is
 * not what Neutron sends is exit 3; no host at all is exit 3 (nothing to inspect).
 */
export function hostsFromAnswers(network: string, records: ApiRecord[]): ApiHosts {
  const get = (path: string) => records.find((r) => r.path === path)
  const net = get(NEUTRON_PATHS.network(network))
  if (!net) throw cannotError('api-error', `GET ${NEUTRON_PATHS.network(network)} was not asked`)
  if (net.status === 404)
    throw usageError(
      'network-not-found',
      `the API has no network ${network} (GET ${NEUTRON_PATHS.network(network)}: HTTP 404${errorText(net.body) ? `: ${errorText(net.body)}` : ''})`,
    )
  if (net.status !== 200) throw apiError({status: net.status, text: net.body}, `network ${network}`)

  const portsRec = get(NEUTRON_PATHS.ports(network))
  if (portsRec?.status !== 200) throw apiError({status: portsRec?.status ?? 0, text: portsRec?.body ?? ''}, `the ports of network ${network}`)
  const ports = answerList(portsRec, 'ports', `the ports of network ${network}`).map((raw) => ({port: readPort(raw), raw}))

  const hosts = new Map<string, ApiHost>()
  const refused = new Map<string, string>()
  const add = (raw: unknown, why: string) => {
    if (raw === undefined || raw === null || raw === '') return
    if (typeof raw !== 'string') return refuseNonString(refused, raw)
    if (!PLAIN_HOST.test(raw)) {
      const shown = JSON.stringify(serverText(raw, 100))
      refused.set(shown, `the API names host ${shown}, which is not a plain host name: not asked over ssh`)
      return
    }
    const h = hosts.get(raw) ?? {host: raw, why: []}
    h.why.push(why)
    hosts.set(raw, h)
  }
  const serves: Record<BackendName, boolean> = {}
  let none: string | undefined
  for (const chain of CHAINS) {
    if (!chain.apiHosts) continue
    const found = chain.apiHosts.hosts(network, {get, ports})
    for (const h of found.hosts) add(h.name, h.why)
    serves[chain.backend] = found.serves
    if (found.serves || (none === undefined && chain === DEFAULT_CHAIN)) none = found.none
  }

  checkFanOut(hosts.size, refused.size, `serving network ${network}`)
  if (hosts.size === 0 && refused.size === 0) throw cannotError('api-no-hosts', none ?? `the API names no host serving network ${network}`)
  return {...serves, hosts: [...hosts.values()], network, records, refused: [...refused].map(([host, error]) => ({error, host}))}
}

/** `a, b and c` */
const andList = (xs: readonly string[]) => (xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`)

/** The answers the chains ask for once the network's ports are known (ChainModule.apiHosts.followUp), not asked yet. */
export function followUpPaths(network: string, records: readonly ApiRecord[]): string[] {
  const rec = records.find((r) => r.path === NEUTRON_PATHS.ports(network))
  if (rec?.status !== 200) return []
  let ports: {raw: Record<string, unknown>; port: ReturnType<typeof readPort>}[]
  try {
    ports = answerList(rec, 'ports', `the ports of network ${network}`).map((raw) => ({port: readPort(raw), raw}))
  } catch {
    return [] // hostsFromAnswers names the bad answer
  }
  const asked = new Set(records.map((r) => r.path))
  return [...new Set(CHAINS.flatMap((c) => c.apiHosts?.followUp?.(network, ports) ?? []))].filter((p) => !asked.has(p))
}

/** Ask the API (the operator's credentials: --os-*, OS_*, clouds.yaml) which hosts serve `network`. */
export async function hostsFromApi(network: string, flags: import('../openstack/credentials.js').OsFlags): Promise<ApiHosts> {
  const {connect} = await import('../openstack/session.js')
  const neutron = await connect(flags)
  const ask = (paths: readonly string[]) =>
    Promise.all(
      paths.map(async (path): Promise<ApiRecord> => {
        const r = await neutron.call('GET', path)
        return {body: r.text, method: 'GET', path, status: r.status}
      }),
    )
  const records = await ask(networkApiPaths(network))
  // a second round for what the ports name (the routers with an interface on the network)
  records.push(...(await ask(followUpPaths(network, records))))
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
export function withApiAnswers(inputs: HostInput[], api: ApiHostsBase & {network?: string}): HostInput[] {
  const byHost = new Map<string, ApiHost>()
  for (const h of api.hosts) if (!byHost.has(h.host)) byHost.set(h.host, h)
  const out = inputs.map((input): HostInput => {
    const listed = byHost.get(input.host)
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

/** The agents whose hosts serve metadata: each chain's (the DHCP agents, Quantum's too; on ML2/OVN the metadata agents). */
const servingBinaries = () => new Set(CHAINS.flatMap((c) => c.apiHosts?.binaries ?? []))

/**
 * `diagnose --all --hosts-from-api`: every host running an agent that serves metadata, from GET
 * /agents (one answer; pure, tested on real answers). Each is asked for every network it serves.
 */
export function hostsFromAgents(answer: ApiRecord): ApiHostsBase {
  if (answer.status !== 200) throw apiError({status: answer.status, text: answer.body}, 'the agents')
  const hosts = new Map<string, ApiHost>()
  const refused = new Map<string, string>()
  const serving = servingBinaries()
  for (const obj of answerList(answer, 'agents', 'the agents')) {
    const a = readAgent(obj)
    const binary = typeof obj.binary === 'string' ? obj.binary : ''
    if (!serving.has(binary)) continue
    const raw = obj.host
    if (raw === undefined || raw === null || raw === '') continue
    if (typeof raw !== 'string') {
      refuseNonString(refused, raw)
      continue
    }
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
  checkFanOut(hosts.size, refused.size, 'of the agents that serve metadata')
  if (hosts.size === 0 && refused.size === 0)
    throw cannotError(
      'api-no-hosts',
      `the API lists ${andList(CHAINS.flatMap((c) => (c.apiHosts ? [`no ${c.apiHosts.agents}`] : [])))}: no host serves metadata`,
    )
  return {
    hosts: [...hosts.values()].sort((x, y) => (x.host < y.host ? -1 : x.host > y.host ? 1 : 0)),
    records: [answer],
    refused: [...refused].map(([host, error]) => ({error, host})),
  }
}

export async function hostsForAll(flags: import('../openstack/credentials.js').OsFlags): Promise<ApiHostsBase> {
  const {connect} = await import('../openstack/session.js')
  const neutron = await connect(flags)
  const r = await neutron.call('GET', '/agents')
  return hostsFromAgents({body: r.text, method: 'GET', path: '/agents', status: r.status})
}

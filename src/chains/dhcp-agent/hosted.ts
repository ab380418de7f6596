/**
 * `diagnose --all` / `collect --all` with credentials: the networks the API says this host's DHCP
 * agent hosts (`GET /agents?host=H`, then each DHCP agent's `GET /agents/ID/dhcp-networks`), so a
 * network whose namespace and state directory are both gone still gets a row. The node's own list (the
 * qdhcp namespaces, STATE/dhcp/<uuid>) is kept whatever the API says: it only adds.
 */
import {UUID} from '../../evidence/ids.js'
import type {OsFlags} from '../../openstack/credentials.js'
import {debug} from '../../output.js'
import {DHCP_AGENT_PROGRAMS} from '../../parse/agent.js'
import {answerList, isObj} from '../common/api.js'

export interface Hosted {
  /** the network ids the API lists on this host's DHCP agent(s), lower-cased */
  networks: string[]
  /** what was asked, for the operator: `DHCP agent ID on host H` */
  asked: string[]
  /** why the API could not be asked, or its answer not read (the node's own list stands alone) */
  error?: string
}

const MAX_HOSTED = 100_000

/** Ask the API; never throws but for a bad --os-timeout (the command line's fault). */
export async function hostedNetworks(os: OsFlags, host: {host: string; from: string}): Promise<Hosted> {
  try {
    const {connect} = await import('../../openstack/session.js')
    const neutron = await connect(os)
    const get = async (path: string) => {
      const r = await neutron.call('GET', path)
      const rec = {body: r.text, method: 'GET', path, status: r.status}
      if (r.status !== 200) throw new Error(`GET ${path} answered HTTP ${r.status}`)
      return rec
    }
    const agents = answerList(await get(`/agents?host=${encodeURIComponent(host.host)}`), 'agents', `the agents of host ${host.host}`)
    // agent_type "DHCP agent" since Grizzly; the binary names it too (neutron- or quantum-dhcp-agent)
    const dhcp = agents.filter(
      (a) => a.host === host.host && (a.agent_type === 'DHCP agent' || DHCP_AGENT_PROGRAMS.includes(a.binary as (typeof DHCP_AGENT_PROGRAMS)[number])),
    )
    const out = new Set<string>()
    const asked: string[] = []
    for (const a of dhcp) {
      if (typeof a.id !== 'string' || !UUID.test(a.id)) continue
      asked.push(`DHCP agent ${a.id.toLowerCase()} on host ${host.host} (${host.from})`)
      const nets = answerList(await get(`/agents/${a.id.toLowerCase()}/dhcp-networks`), 'networks', `the networks of DHCP agent ${a.id}`)
      for (const n of nets) if (isObj(n) && typeof n.id === 'string' && UUID.test(n.id) && out.size < MAX_HOSTED) out.add(n.id.toLowerCase())
    }
    if (asked.length === 0)
      return {asked, error: `the API lists no DHCP agent on host ${host.host} (${host.from}); give --agent-host if it reports another name`, networks: []}
    debug(`--all: ${asked.join(', ')}: ${out.size} networks`)
    return {asked, networks: [...out]}
  } catch (error) {
    if ((error as {code?: string}).code === 'bad-timeout') throw error
    return {asked: [], error: error instanceof Error ? error.message : String(error), networks: []}
  }
}

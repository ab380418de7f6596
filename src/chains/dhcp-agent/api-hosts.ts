/** --hosts-from-api on the DHCP agent's chain: the network's DHCP agents (GET /networks/NET/dhcp-agents), each one's `host`. */
import {apiError} from '../../openstack/neutron.js'
import {serverText} from '../../openstack/server-text.js'
import {DHCP_AGENT_PROGRAMS} from '../../parse/agent.js'
import {answerList, type Obj, readAgent} from '../common/api.js'
import type {ApiHostsHook} from '../module.js'
import {P} from './api.js'

export const dhcpAgentHosts: ApiHostsHook = {
  agents: 'DHCP agent',
  binaries: DHCP_AGENT_PROGRAMS,
  hosts(network, answers) {
    // 404 when the scheduler extension is not loaded (ML2/OVN without DHCP agents)
    const rec = answers.get(P.agents(network))
    let agents: Obj[] = []
    if (rec && rec.status === 200) agents = answerList(rec, 'agents', `the DHCP agents of network ${network}`)
    else if (rec && rec.status !== 404) throw apiError({status: rec.status, text: rec.body}, `the DHCP agents of network ${network}`)
    // alive or not: a dead agent's host is still asked, and its row says what it found
    const hosts = agents.map((obj) => {
      const a = readAgent(obj)
      const id = typeof obj.id === 'string' ? serverText(obj.id, 40) : '?'
      return {name: obj.host, why: `DHCP agent ${id} (${a.alive ? 'alive' : 'not alive'}${a.admin_state_up === false ? ', admin down' : ''})`}
    })
    return {
      hosts,
      none: `the API lists no DHCP agent hosting network ${network}${rec?.status === 404 ? ' (no DHCP agent scheduler here)' : ''}: no host serves its metadata`,
      serves: agents.length > 0,
    }
  },
}

/**
 * --hosts-from-api on the L3 agent's chain: the routers holding a port on the network (router
 * interface ports), then for each one the L3 agents hosting it (GET /routers/R/l3-agents: an HA
 * router's every agent, each with its ha_state) and, for a distributed (DVR) router, the hosts of the
 * network's instances, each of which serves their metadata from its own qrouter namespace.
 */
import {UUID} from '../../evidence/ids.js'
import {apiError} from '../../openstack/neutron.js'
import {serverText} from '../../openstack/server-text.js'
import {answerList, isObj, readAgent} from '../common/api.js'
import type {ApiHostsHook, NetworkAnswers} from '../module.js'
import {API, ROUTER_OWNERS} from './facts.js'

/** At most this many routers of one network are asked about (a network has one per subnet, rarely more). */
export const MAX_ROUTERS = 20

/** The routers holding an interface port on the network, in id order, at most MAX_ROUTERS. */
function routersOf(ports: NetworkAnswers['ports']): string[] {
  const ids = new Set<string>()
  for (const {raw} of ports) {
    const owner = raw.device_owner
    const id = raw.device_id
    if (typeof owner === 'string' && (ROUTER_OWNERS as readonly string[]).includes(owner) && typeof id === 'string' && UUID.test(id)) ids.add(id.toLowerCase())
  }
  return [...ids].sort().slice(0, MAX_ROUTERS)
}

/** The router object of a 200 answer, else undefined (a 403 or 404: the caller may not see it). */
function routerOf(answers: NetworkAnswers, router: string): Record<string, unknown> | undefined {
  const rec = answers.get(API.router(router))
  if (rec?.status !== 200) return undefined
  try {
    const doc: unknown = JSON.parse(rec.body)
    return isObj(doc) && isObj(doc.router) ? doc.router : undefined
  } catch {
    return undefined
  }
}

export const l3AgentHosts: ApiHostsHook = {
  agents: 'L3 agent',
  binaries: ['neutron-l3-agent', 'quantum-l3-agent'],
  followUp: (_network, ports) => routersOf(ports).flatMap((r) => [API.router(r), API.routerAgents(r)]),
  hosts(network, answers) {
    const routers = routersOf(answers.ports)
    const hosts: {name: unknown; why: string}[] = []
    for (const r of routers) {
      const rec = answers.get(API.routerAgents(r))
      // 403/404: the operator's role may not list a router's agents (admin only by default policy)
      if (rec && rec.status !== 200 && rec.status !== 403 && rec.status !== 404)
        throw apiError({status: rec.status, text: rec.body}, `the L3 agents of router ${r}`)
      for (const obj of rec?.status === 200 ? answerList(rec, 'agents', `the L3 agents of router ${r}`) : []) {
        const a = readAgent(obj)
        const id = typeof obj.id === 'string' ? serverText(obj.id, 40) : '?'
        const ha = typeof obj.ha_state === 'string' ? `, HA ${serverText(obj.ha_state, 20)}` : ''
        hosts.push({
          name: obj.host,
          why: `L3 agent ${id} of router ${r} (${a.alive ? 'alive' : 'not alive'}${a.admin_state_up === false ? ', admin down' : ''}${ha})`,
        })
      }
      // DVR: each compute node with an instance of the network serves it from its own qrouter namespace
      if (routerOf(answers, r)?.distributed === true) {
        for (const {raw, port} of answers.ports) {
          if (typeof raw.device_owner === 'string' && raw.device_owner.startsWith('compute:'))
            hosts.push({name: raw['binding:host_id'], why: `DVR router ${r}: instance port ${port.id}`})
        }
      }
    }
    return {
      hosts,
      none:
        routers.length === 0
          ? `no router has an interface on network ${network}, and no other agent serves it`
          : `the API lists no L3 agent hosting router ${routers.join(', ')} of network ${network} (listing a router's agents may need the admin role): no host serves its metadata`,
      serves: routers.length > 0,
    }
  },
}

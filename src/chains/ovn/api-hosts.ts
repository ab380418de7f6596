/**
 * --hosts-from-api on ML2/OVN: when the network has a `network:distributed` port (the metadata port),
 * every chassis a VM port of the network is bound to (`binding:host_id` of ports not owned by
 * `network:*`), since each such chassis serves metadata in its own ovnmeta namespace.
 */
import type {ApiHostsHook} from '../module.js'
import {OVN_AGENT_PROGRAMS} from './paths.js'

export const ovnHosts: ApiHostsHook = {
  agents: 'OVN metadata agent',
  binaries: OVN_AGENT_PROGRAMS,
  hosts(network, {ports}) {
    const serves = ports.some(({port}) => port.device_owner === 'network:distributed')
    const chassis: [string, string][] = []
    if (serves) {
      for (const {port, raw} of ports) {
        const owner = port.device_owner ?? ''
        if (owner.startsWith('network:')) continue
        const host = raw['binding:host_id']
        if (typeof host === 'string' && host !== '') chassis.push([host, `chassis of port ${port.id}${owner ? ` (${owner})` : ''}`])
      }
      chassis.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    }
    return {
      hosts: chassis.map(([name, why]) => ({name, why})),
      none: `the API binds no VM port of network ${network} to a chassis (and lists no DHCP agent for it): no host serves its metadata yet`,
      serves,
    }
  },
}

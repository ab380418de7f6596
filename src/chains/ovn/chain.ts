/**
 * The ML2/OVN chain (neutron-ovn-metadata-agent, OVN's own DHCP, ovnmeta namespace, haproxy, the
 * agent's socket), in the order of the metadata chain: the first failing link is the first one read.
 * A check carries its own id, title and prerequisites; adding one is its file and one line here.
 */
import {NOVA_CHECKS} from '../common/nova.js'
import {makeLogCheck} from '../common/logs.js'
import type {Check} from '../types.js'
import {ovnAgentConfig, ovnAgentRegistered, ovnAgentRunning, ovnChassis} from './agent.js'
import {ovnHaproxy, ovnHaproxyConfig, ovnHaproxyListening, ovnProbe, ovnUpstream} from './haproxy.js'
import {ovnMetadataV6, ovnProbe6} from './ipv6.js'
import {ovnBridgePort, ovnNamespace, ovnNamespaceAddresses} from './namespace.js'
import {ovnDhcpRoute, ovnLocalVif, ovnMetadataPort} from './port.js'

export const OVN_CHECKS: readonly Check[] = [
  ovnAgentConfig,
  ovnAgentRunning,
  ovnChassis,
  ovnAgentRegistered,
  ovnMetadataPort,
  ovnDhcpRoute,
  ovnLocalVif,
  ovnNamespace,
  ovnNamespaceAddresses,
  ovnBridgePort,
  ovnHaproxy,
  ovnHaproxyConfig,
  ovnHaproxyListening,
  ovnUpstream,
  ovnMetadataV6,
  makeLogCheck({configs: (ev) => ev.ovn?.configs ?? [], id: 'ovn.agent-log', service: 'ovn-metadata-agent'}),
  ovnProbe,
  ovnProbe6,
  ...NOVA_CHECKS,
]

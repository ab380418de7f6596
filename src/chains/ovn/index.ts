/**
 * The ML2/OVN chain (neutron-ovn-metadata-agent, OVN's own DHCP, ovnmeta namespace, haproxy, the
 * agent's socket), in the order of the metadata chain: the first failing link is the first one read.
 * A check carries its own id, title and prerequisites; adding one is its file and one line here.
 */
import {OVN_METADATA} from '../../layout.js'
import {ovnMetadataNamespace} from './paths.js'
import type {Check, ChainModule} from '../types.js'
import {ovnAgentConfig, ovnAgentRegistered, ovnAgentRunning, ovnChassis} from './agent.js'
import {ovnHaproxy, ovnHaproxyConfig, ovnHaproxyListening, ovnProbe, ovnUpstream} from './haproxy.js'
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
  ovnProbe,
]

export const ovn: ChainModule = {
  backend: 'ovn',
  checks: OVN_CHECKS,
  label: 'ML2/OVN',
  namespaceOf: ovnMetadataNamespace,
  servesInstead: {
    look: `systemctl status ${OVN_METADATA.agentService}`,
    note: `2025.2 on: systemctl status ${OVN_METADATA.agentServiceSince2025_2}`,
    short: 'OVN',
    who: `ML2/OVN, where ${OVN_METADATA.agentService} (2025.2 on: ${OVN_METADATA.agentServiceSince2025_2} with the metadata extension) serves metadata`,
  },
  title: 'ovn: ML2/OVN (neutron-ovn-metadata-agent, OVN DHCP, ovnmeta-NET namespace, haproxy)',
}

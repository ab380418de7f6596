/** Every check, in the order of the metadata chain: the first failing link is the first one read. */
import {apiDhcpAgents, apiDhcpPort, apiNetwork, apiSubnetIsolated} from './api.js'
import {configAgentRestarted, configMetadataEnabled} from './config.js'
import {dnsmasqRunning} from './dnsmasq.js'
import {metadataAgentConfig} from './metadata-agent.js'
import {namespaceDhcpAddress, namespaceExists, namespaceMetadataAddress} from './namespace.js'
import {optsMetadataRoute} from './opts.js'
import {probeHttp} from './probe.js'
import {proxyListening, proxyRunning, proxyUpstream} from './proxy.js'
import type {Check} from './types.js'

export const CHECKS: readonly Check[] = [
  configMetadataEnabled,
  configAgentRestarted,
  apiNetwork,
  apiSubnetIsolated,
  apiDhcpAgents,
  namespaceExists,
  namespaceDhcpAddress,
  namespaceMetadataAddress,
  dnsmasqRunning,
  optsMetadataRoute,
  apiDhcpPort,
  proxyRunning,
  proxyListening,
  proxyUpstream,
  metadataAgentConfig,
  probeHttp,
]

export const TITLES: Record<string, string> = {
  'api.dhcp-agents': 'this host is among the live DHCP agents hosting the network (admin API)',
  'api.dhcp-port': "the DHCP port's IP on this host is the next hop of the opts route",
  'api.network': 'the network exists in the API and is admin_state_up',
  'api.subnet-isolated': 'a DHCP IPv4 subnet is isolated (Grizzly: no gateway; Juno on: no router port on the gateway), or force_metadata',
  'config.agent-restarted': 'a running DHCP agent reads this config file and started after its last change (warns only)',
  'config.metadata-enabled': 'enable_isolated_metadata or force_metadata is true in the agent config',
  'dnsmasq.running': "dnsmasq from STATE/dhcp/NET/pid is alive, in the namespace, reading this network's opts",
  'metadata-agent.config': 'metadata_agent.ini: the agent listens where the proxy forwards, names Nova by an option this release reads, has a shared secret',
  'namespace.dhcp-address': 'the DHCP device (tap…/ns-…) is up with an IPv4 address in each DHCP subnet',
  'namespace.exists': 'the qdhcp-NET namespace exists',
  'namespace.metadata-address': '169.254.169.254 is on the DHCP device (/16 up to Ussuri, /32 later)',
  'opts.metadata-route': 'opts has 121 with 169.254.169.254/32 via the DHCP port IP, on a tag dnsmasq serves (and 249 on Neutron)',
  'probe.http': 'with --probe: GET http://169.254.169.254/ from inside the namespace answers',
  'proxy.listening': 'the proxy listens on TCP 80 (0.0.0.0 or 169.254.169.254) in the namespace',
  'proxy.running': "the proxy's pid file points at a live process holding the network id",
  'proxy.upstream': 'the UNIX socket the proxy forwards to exists and accepts connections',
}

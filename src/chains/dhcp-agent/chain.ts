/**
 * The DHCP agent's chain (qdhcp namespace, dnsmasq opts, proxy, metadata agent socket): every check, in
 * the order of the metadata chain, so the first failing link is the first one read. A check carries
 * its own id, title and prerequisites; adding one is its file and one line here.
 */
import {apiDhcpAgents, apiDhcpPort, apiNetwork, apiSubnetIsolated} from './api.js'
import {configAgentRestarted, configMetadataEnabled} from './config.js'
import {dnsmasqRunning} from './dnsmasq.js'
import {namespaceMetadataV6, probeHttp6} from './ipv6.js'
import {metadataAgentConfig} from './metadata-agent.js'
import {namespaceDhcpAddress, namespaceExists, namespaceMetadataAddress} from './namespace.js'
import {optsMetadataRoute} from './opts.js'
import {probeHttp} from './probe.js'
import {proxyListening, proxyRunning, proxyUpstream} from './proxy.js'
import {NOVA_CHECKS} from '../common/nova.js'
import {makeLogCheck} from '../common/logs.js'
import type {Check} from '../types.js'

export const DHCP_AGENT_CHECKS: readonly Check[] = [
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
  namespaceMetadataV6,
  makeLogCheck({configs: (ev) => [ev.metadataAgentConfig], id: 'metadata-agent.log', service: 'metadata-agent'}),
  probeHttp,
  probeHttp6,
  ...NOVA_CHECKS,
]

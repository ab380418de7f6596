/**
 * The DHCP agent's chain (qdhcp namespace, dnsmasq opts, proxy, metadata agent socket): every check, in
 * the order of the metadata chain, so the first failing link is the first one read. A check carries
 * its own id, title and prerequisites; adding one is its file and one line here.
 */
import {LAYOUTS} from '../../layout.js'
import {affectedInstances} from './affected.js'
import {apiDhcpAgents, apiDhcpPort, apiNetwork, apiSubnetIsolated, P} from './api.js'
import {listNamespaces} from '../../node/netns.js'
import {collectMany, qdhcpNetworks, requireInspectable} from './collect.js'
import {DHCP_AGENT_SNAPSHOT, qdhcpNamespace} from './paths.js'
import {configAgentRestarted, configMetadataEnabled} from './config.js'
import {crossFindings} from './cross.js'
import {dnsmasqRunning} from './dnsmasq.js'
import {metadataAgentConfig} from './metadata-agent.js'
import {namespaceDhcpAddress, namespaceExists, namespaceMetadataAddress} from './namespace.js'
import {optsMetadataRoute} from './opts.js'
import {probeHttp} from './probe.js'
import {proxyListening, proxyRunning, proxyUpstream} from './proxy.js'
import type {Check, ChainModule} from '../types.js'

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
  probeHttp,
]

export const dhcpAgent: ChainModule = {
  affected: affectedInstances,
  apiPaths: (network) => [P.agents(network)],
  backend: 'dhcp-agent',
  checks: DHCP_AGENT_CHECKS,
  async collect(req) {
    await requireInspectable(req.paths.statePath)
    const list = req.network === undefined ? await listNamespaces() : undefined
    const networks = list ? qdhcpNetworks(list) : [req.network!]
    return collectMany(networks, {...req.paths, probe: req.probe}, {batch: Boolean(list), listed: list, tool: req.tool})
  },
  crossChecks: crossFindings,
  detect: {
    configFiles: [LAYOUTS.neutron.agentConfig, LAYOUTS.quantum.agentConfig],
    process: /(^|[/ ])(neutron|quantum)-dhcp-agent(\0| |$)/,
  },
  namespaceOf: qdhcpNamespace,
  networks: qdhcpNetworks,
  route: {
    check: 'opts.metadata-route',
    async collect(network, _given, paths) {
      const snap = await collectMany([network], {...paths, probe: false}, {agents: false})
      return snap.networks[0]
    },
    inPlace: ['pass', 'warn'],
    inspectable: (paths) => requireInspectable(paths.statePath),
    waitingFor: (network, paths) => `the metadata route in ${paths.statePath}/dhcp/${network}/opts`,
  },
  snapshot: DHCP_AGENT_SNAPSHOT,
  title: "dhcp-agent: the DHCP agent's isolated metadata (qdhcp-NET namespace, dnsmasq, proxy, metadata agent)",
}

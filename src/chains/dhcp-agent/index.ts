/**
 * The DHCP agent's chain (qdhcp namespace, dnsmasq opts, proxy, metadata agent socket): every check, in
 * the order of the metadata chain, so the first failing link is the first one read. A check carries
 * its own id, title and prerequisites; adding one is its file and one line here.
 */
import {LAYOUTS} from '../../layout.js'
import {affectedInstances} from './affected.js'
import {apiDhcpAgents, apiDhcpPort, apiNetwork, apiSubnetIsolated, P} from './api.js'
import {dhcpAgentHosts} from './api-hosts.js'
import {listNamespaces} from '../../node/netns.js'
import {parseNetnsList} from '../../parse/netns.js'
import {DHCP_AGENT_SNAPSHOT, qdhcpNamespace, qdhcpNetworksIn} from './paths.js'
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
  apiHosts: dhcpAgentHosts,
  apiPaths: (network) => [P.agents(network)],
  backend: 'dhcp-agent',
  checks: DHCP_AGENT_CHECKS,
  async collect(req) {
    // loaded when used: judging a snapshot needs none of the collector
    const {collectMany, requireInspectable} = await import('./collect.js')
    await requireInspectable(req.paths.statePath)
    const list = req.network === undefined ? await listNamespaces() : undefined
    const networks = list ? qdhcpNetworksIn(parseNetnsList(list.stdout)) : [req.network!]
    return collectMany(networks, {...req.paths, probe: req.probe}, {batch: Boolean(list), listed: list, tool: req.tool})
  },
  crossChecks: crossFindings,
  detect: {
    configFiles: [LAYOUTS.neutron.agentConfig, LAYOUTS.quantum.agentConfig],
    process: /(^|[/ ])(neutron|quantum)-dhcp-agent(\0| |$)/,
  },
  help: {
    all: 'qdhcp namespaces',
    backend: 'qdhcp namespaces',
    configFile: "the DHCP agent's [default: /etc/neutron/dhcp_agent.ini, else /etc/quantum/dhcp_agent.ini]",
    namespace: 'qdhcp-<net-id>',
  },
  namespaceOf: qdhcpNamespace,
  networks: qdhcpNetworksIn,
  route: {
    check: 'opts.metadata-route',
    async collect(network, _given, paths) {
      const {collectMany} = await import('./collect.js')
      const snap = await collectMany([network], {...paths, probe: false}, {agents: false})
      return snap.networks[0]
    },
    inPlace: ['pass', 'warn'],
    inspectable: async (paths) => (await import('./collect.js')).requireInspectable(paths.statePath),
    waitingFor: (network, paths) => `the metadata route in ${paths.statePath}/dhcp/${network}/opts`,
  },
  snapshot: DHCP_AGENT_SNAPSHOT,
  title: "dhcp-agent: the DHCP agent's isolated metadata (qdhcp-NET namespace, dnsmasq, proxy, metadata agent)",
}

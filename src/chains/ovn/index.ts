/**
 * The ML2/OVN chain as a plugin (ChainModule, src/chains/module.ts): its checks in chain order
 * (chain.ts), how it is told apart, how it collects, its snapshot part, its route, its API hosts.
 */
import {hostname} from 'node:os'

import {command} from '../../deployments/registry.js'
import {cannotError} from '../../errors.js'
import {SNAPSHOT_FORMAT} from '../../evidence/evidence.js'
import {OVN_METADATA} from '../../layout.js'
import {listNamespaces} from '../../node/netns.js'
import {ovnHosts} from './api-hosts.js'
import {OVN_SNAPSHOT, redactOvnEvidence} from './evidence.js'
import {isOvnAgentConfig, OVN_PATHS, ovnMetadataNamespace} from './paths.js'
import {ovnMetadataWarning} from './subnet.js'
import type {ChainModule} from '../module.js'
import {OVN_CHECKS} from './chain.js'

export const ovn: ChainModule = {
  agentProcesses: (ev) => (ev.ovn ? [...ev.ovn.agents, ...ev.ovn.controllers] : undefined),
  apiHosts: ovnHosts,
  backend: 'ovn',
  checks: OVN_CHECKS,
  // the OVN agent's haproxy adds X-OVN-Network-ID; its agent reads its own --config-file list
  nova: {
    agentConfigs: (ev) => ev.ovn?.configs.map((c) => c.path) ?? [],
    headers: (ev) => ({'X-OVN-Network-ID': ev.network}),
  },
  logService: 'ovn-metadata-agent',
  async collect(req) {
    if (process.getuid?.() !== 0)
      throw cannotError('not-root', "diagnose inspects namespaces and other users' processes: run it as root (or diagnose a snapshot with --snapshot)")
    const given = {configFile: req.given?.configFile, probe: req.probe, statePath: req.given?.statePath}
    // loaded when used: judging a snapshot needs none of the collector
    const {collectOvnMany} = await import('./collect.js')
    const networks = await collectOvnMany(req.network, given, listNamespaces)
    return {format: SNAPSHOT_FORMAT, host: hostname(), networks, takenAt: new Date().toISOString(), tool: req.tool ?? 'quantum-meta'}
  },
  detect: {
    configFile: isOvnAgentConfig,
    configFiles: OVN_PATHS.agentConfigs,
    process: /(^|[/ ])(neutron-ovn-metadata-agent|neutron-ovn-agent|ovn-controller)(\0| |$)/,
  },
  help: {
    all: 'on OVN the ovnmeta namespaces and the networks with a VM bound here',
    backend: "ML2/OVN's ovnmeta namespaces",
    configFile: "on ML2/OVN neutron_ovn_metadata_agent.ini [default: the running agent's own --config-file]",
    namespace: 'on ML2/OVN ovnmeta-<net-id>',
  },
  label: 'ML2/OVN',
  namespaceOf: ovnMetadataNamespace,
  servesInstead: {
    look: (ev) => command(ev, 'status', 'ovn-metadata-agent'),
    note: (ev) => ({command: command(ev, 'status', 'ovn-agent'), why: '2025.2 on, where neutron-ovn-agent serves metadata with its metadata extension'}),
    short: 'OVN',
    who: `ML2/OVN, where ${OVN_METADATA.agentService} (2025.2 on: ${OVN_METADATA.agentServiceSince2025_2} with the metadata extension) serves metadata`,
  },
  redact: redactOvnEvidence,
  // option 121 in the NB DHCP_Options when the NB is readable from this node, else the network's
  // ovnmeta namespace here (ovn.namespace: it appears once a VM binds here)
  route: {
    check: 'ovn.dhcp-route',
    async collect(network, given) {
      const {collectOvnMany} = await import('./collect.js')
      const [ev] = await collectOvnMany(network, {configFile: given.configFile, probe: false, statePath: given.statePath}, listNamespaces)
      return ev
    },
    inPlace: ['pass'],
    async inspectable(_paths, what) {
      if (process.getuid?.() !== 0) throw cannotError('not-root', `${what} inspects this node: run it as root`)
    },
    instead: (route, findings) => (route.status !== 'skip' || !/not readable/.test(route.summary) ? route : findings.find((f) => f.id === 'ovn.namespace')!),
    waitingFor: (network) => `OVN's metadata route of network ${network}`,
  },
  snapshot: OVN_SNAPSHOT,
  subnetWarning: ovnMetadataWarning,
  title: 'ovn: ML2/OVN (neutron-ovn-metadata-agent, OVN DHCP, ovnmeta-NET namespace, haproxy)',
}

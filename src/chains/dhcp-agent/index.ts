/**
 * The DHCP agent's chain as a plugin (ChainModule, src/chains/module.ts): its checks in chain order
 * (chain.ts), how it is told apart, how it collects, its cross-host checks and affected instances, its
 * route, its API hosts.
 */
import {LAYOUTS} from '../../layout.js'
import {affectedInstances} from './affected.js'
import {P} from './api.js'
import {dhcpAgentHosts} from './api-hosts.js'
import {listNamespaces} from '../../node/netns.js'
import {parseNetnsList} from '../../parse/netns.js'
import {DHCP_AGENT_SNAPSHOT, qdhcpNamespace, qdhcpNetworksIn} from './paths.js'
import {crossFindings} from './cross.js'
import {servedByRouter} from './facts.js'
import {optsFormOnly} from './opts.js'
import type {ChainModule, CollectRequest} from '../module.js'
import {DHCP_AGENT_CHECKS} from './chain.js'

/** The networks the API has this host's DHCP agent host (none without credentials or with --no-api); a failure is said on stderr. */
async function apiHosted(req: CollectRequest): Promise<string[]> {
  const {hasCredentials} = await import('../../openstack/credentials.js')
  if (!req.api || !req.os || !hasCredentials(req.os, process.env)) return []
  const [{hostedNetworks}, {agentHost}] = await Promise.all([import('./hosted.js'), import('../../node/api.js')])
  const got = await hostedNetworks(req.os, agentHost(req.paths.configFile, req.agentHost))
  if (got.error) process.stderr.write(`warning: --all lists this node's networks only: ${got.error}\n`)
  return got.networks
}

export const dhcpAgent: ChainModule = {
  affected: affectedInstances,
  agentProcesses: (ev) => ev.agents,
  apiHosts: dhcpAgentHosts,
  apiPaths: (network) => [P.agents(network)],
  backend: 'dhcp-agent',
  checks: DHCP_AGENT_CHECKS,
  // the DHCP agent's haproxy sets X-Neutron-Network-ID (and deletes X-Neutron-Router-ID)
  nova: {
    agentConfigs: (ev) => (ev.metadataAgentConfig ? [ev.metadataAgentConfig.path] : []),
    headers: (ev) => ({'X-Neutron-Network-ID': ev.network}),
  },
  logService: 'metadata-agent',
  async collect(req) {
    // loaded when used: judging a snapshot needs none of the collector
    const [{collectMany, requireInspectable, stateNetworks}, {LiveView}, {containerPlan}] = await Promise.all([
      import('./collect.js'),
      import('../../sources/live.js'),
      import('./container.js'),
    ])
    // the agent in a container (kolla, TripleO, ...): its files through its root, unless the operator named them
    const plan = req.given?.configFile === undefined && req.given?.statePath === undefined ? await containerPlan() : undefined
    if (plan) {
      await requireInspectable(plan.statePath, plan.view)
      const list = req.network === undefined ? await listNamespaces() : undefined
      const networks = list
        ? [...new Set([...qdhcpNetworksIn(parseNetnsList(list.stdout)), ...(await stateNetworks(plan.view, plan.statePath)), ...(await apiHosted(req))])]
        : [req.network!]
      const ctx = {
        configFile: plan.configFile,
        layout: req.paths.layout,
        metadataAgentConfig: plan.metadataAgentConfig,
        probe: req.probe,
        statePath: plan.statePath,
      }
      const snap = await collectMany(networks, ctx, {batch: Boolean(list), listed: list, tool: req.tool, view: plan.view})
      for (const ev of snap.networks) {
        if (plan.kind === 'running') Object.assign(ev, {container: plan.container, hostConfigs: plan.hostConfigs})
        else Object.assign(ev, {stateOnHost: plan.hostStatePath, ...(plan.engine ? {containerEngine: plan.engine} : {})})
      }
      return snap
    }
    await requireInspectable(req.paths.statePath)
    const list = req.network === undefined ? await listNamespaces() : undefined
    // --all: the qdhcp namespaces, the networks whose state is kept without one, and with credentials the
    // networks the API has this host's agent host (a lost namespace shows, even with its state gone)
    const networks = list
      ? [
          ...new Set([
            ...qdhcpNetworksIn(parseNetnsList(list.stdout)),
            ...(await stateNetworks(new LiveView(), req.paths.statePath)),
            ...(await apiHosted(req)),
          ]),
        ]
      : [req.network!]
    return collectMany(networks, {...req.paths, probe: req.probe}, {batch: Boolean(list), listed: list, tool: req.tool})
  },
  crossChecks: crossFindings,
  detect: {
    configFiles: [LAYOUTS.neutron.agentConfig, LAYOUTS.quantum.agentConfig],
    process: /(^|[/ ])(neutron|quantum)-dhcp-agent(\0| |$)/,
  },
  help: {
    all: "qdhcp namespaces, the networks of the state path whose namespace is gone, and with credentials the networks the API has this host's DHCP agent host",
    backend: 'qdhcp namespaces',
    configFile: "the DHCP agent's [default: /etc/neutron/dhcp_agent.ini, else /etc/quantum/dhcp_agent.ini]",
    namespace: 'qdhcp-<net-id>',
  },
  namespaceOf: qdhcpNamespace,
  servedByRouter,
  route: {
    check: 'opts.metadata-route',
    async collect(network, _given, paths) {
      const {collectMany} = await import('./collect.js')
      const snap = await collectMany([network], {...paths, probe: false}, {agents: false})
      return snap.networks[0]
    },
    // the namespace not visible: the opts line's form alone, its next hop not judged (opts.ts)
    instead: (route, _findings, ev) => (route.status === 'skip' ? optsFormOnly(ev, route) : undefined),
    inPlace: ['pass', 'warn'],
    inspectable: async (paths) => (await import('./collect.js')).requireInspectable(paths.statePath),
    waitingFor: (network, paths) => `the metadata route in ${paths.statePath}/dhcp/${network}/opts`,
  },
  snapshot: DHCP_AGENT_SNAPSHOT,
  title: "dhcp-agent: the DHCP agent's isolated metadata (qdhcp-NET namespace, dnsmasq, proxy, metadata agent)",
}

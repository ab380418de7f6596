/**
 * The L3 agent's chain as a plugin (ChainModule, src/chains/module.ts): a routed network's metadata
 * served by its router (the qrouter-ROUTER namespace, the redirect of 169.254.169.254:80, the
 * router's haproxy, the metadata agent's socket). Its checks in chain order are in chain.ts.
 */
import {cannotError} from '../../errors.js'
import {listNamespaces} from '../../node/netns.js'
import type {ChainModule} from '../module.js'
import {l3AgentHosts} from './api-hosts.js'
import {L3_AGENT_CHECKS} from './chain.js'
import {l3CrossFindings} from './cross.js'
import {L3_AGENT_SNAPSHOT, redactRouterEvidence} from './evidence.js'
import {isL3AgentConfig, L3_AGENT_CONFIGS} from './paths.js'

const collectL3 = async (req: Parameters<ChainModule['collect']>[0]) => (await import('./collect.js')).collectL3Live(req, listNamespaces)

export const l3Agent: ChainModule = {
  apiHosts: l3AgentHosts,
  agentProcesses: (ev) => ev.router?.agents,
  backend: 'l3-agent',
  checks: L3_AGENT_CHECKS,
  // the router's haproxy sets X-Neutron-Router-ID (and deletes X-Neutron-Network-ID)
  nova: {
    agentConfigs: (ev) => (ev.metadataAgentConfig ? [ev.metadataAgentConfig.path] : []),
    headers: (ev) => (ev.router?.id ? {'X-Neutron-Router-ID': ev.router.id} : undefined),
  },
  collect: collectL3,
  // one HA router, one keepalived master among the hosts that hold it
  crossChecks: (_network, hosts) => l3CrossFindings(hosts),
  detect: {
    configFile: isL3AgentConfig,
    configFiles: L3_AGENT_CONFIGS,
    process: /(^|[/ ])(neutron|quantum)-l3-agent(\0| |$)/,
  },
  help: {
    all: "on an L3 agent node the networks of its routers' qr- ports",
    backend: "a router's qrouter namespace",
    configFile: 'on an L3 agent node l3_agent.ini',
    namespace: "for a routed network its router's qrouter-<router-id>",
  },
  // the router, not the network, names the namespace: the collector finds it
  namespaceOf: () => undefined,
  fromRecorded: async (view, req) => (await import('./recorded.js')).l3FromView(view, req),
  redact: redactRouterEvidence,
  // a router has no opts file: its metadata "route" is the redirect of 169.254.169.254:80 to the proxy
  route: {
    check: 'l3.redirect',
    async collect(network, given, paths) {
      const snap = await collectL3({given, network, paths, probe: false})
      return snap.networks[0]
    },
    inPlace: ['pass', 'warn'],
    async inspectable(_paths, what) {
      if (process.getuid?.() !== 0) throw cannotError('not-root', `${what} inspects this node: run it as root`)
    },
    waitingFor: (network) => `the router's redirect of 169.254.169.254:80 for network ${network}`,
  },
  servesRouted: true,
  snapshot: L3_AGENT_SNAPSHOT,
  title: "l3-agent: a router's metadata proxy (qrouter-ROUTER namespace, redirect to 9697, haproxy, metadata agent)",
}

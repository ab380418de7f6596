/**
 * The L3 agent's chain (a routed network: the router's qrouter namespace, its redirect of
 * 169.254.169.254:80, its haproxy, the metadata agent's socket), in the order of the metadata chain:
 * the first failing link is the first one read. l3.ha comes right after the namespace: on an HA
 * router's backup the links below are not expected (the master serves), so they are skipped, not failed.
 */
import {NOVA_CHECKS} from '../common/nova.js'
import {makeLogCheck} from '../common/logs.js'
import type {Check} from '../types.js'
import {l3Agent, l3Config} from './agent.js'
import {l3Probe} from './probe.js'
import {l3Listener, l3Proxy, l3ProxyConfig, l3Upstream} from './proxy.js'
import {l3GatewayDevice, l3Ha, l3Namespace, l3Router} from './router.js'
import {l3Accept, l3Redirect} from './rules.js'

export const L3_AGENT_CHECKS: readonly Check[] = [
  l3Agent,
  l3Config,
  l3Router,
  l3Namespace,
  l3Ha,
  l3GatewayDevice,
  l3Redirect,
  l3Accept,
  l3Proxy,
  l3ProxyConfig,
  l3Listener,
  l3Upstream,
  makeLogCheck({configs: (ev) => [ev.metadataAgentConfig], id: 'l3.metadata-log', service: 'metadata-agent'}),
  l3Probe,
  ...NOVA_CHECKS,
]

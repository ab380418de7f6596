/**
 * Where things live on a Quantum (Grizzly) node and on a Neutron node, and which layout (quantum |
 * neutron) a node has. Detection is by what exists; --config-file and --state-path override; the
 * evidence (the proxy that runs) refines it. Which chain serves a network is each chain's to say
 * (src/chains/registry.ts); where a chain keeps its own files is in its folder.
 */
import {existsSync} from 'node:fs'
import {dirname, join} from 'node:path'

import {usageError} from './errors.js'
import type {LayoutName, NetworkEvidence} from './evidence/evidence.js'
import {UUID} from './evidence/ids.js'
import {parseProcCmdline} from './parse/processes.js'

export type {LayoutName} from './evidence/evidence.js'
export {UUID} from './evidence/ids.js'

export interface Layout {
  name: LayoutName
  configDir: string
  agentConfig: string
  statePath: string
}

export const LAYOUTS: Record<LayoutName, Layout> = {
  neutron: {
    agentConfig: '/etc/neutron/dhcp_agent.ini',
    configDir: '/etc/neutron',
    name: 'neutron',
    statePath: '/var/lib/neutron',
  },
  quantum: {
    agentConfig: '/etc/quantum/dhcp_agent.ini',
    configDir: '/etc/quantum',
    name: 'quantum',
    statePath: '/var/lib/quantum',
  },
}

/** ML2/OVN's metadata agent programs: src/deployments/programs.ts (the services and their units: src/deployments/). */
export {OVN_METADATA} from './deployments/programs.js'

/** The agent config to use: the given one, else Neutron's, else Quantum's (Neutron's path when neither exists). */
export function agentConfigPath(given: string | undefined, exists: (p: string) => boolean = existsSync): string {
  if (given !== undefined) return given
  if (exists(LAYOUTS.neutron.agentConfig)) return LAYOUTS.neutron.agentConfig
  if (exists(LAYOUTS.quantum.agentConfig)) return LAYOUTS.quantum.agentConfig
  return LAYOUTS.neutron.agentConfig
}

/** The layout a config path belongs to: anything under a `quantum` directory is Grizzly's. */
export function layoutOfConfig(path: string): LayoutName {
  return /(^|\/)quantum(\/|$)/.test(path) ? 'quantum' : 'neutron'
}

/** An id (from a user, a server or a snapshot) is used only if it is a UUID: never `../..`, never an option. */
export function isUuid(v: unknown): v is string {
  return typeof v === 'string' && UUID.test(v)
}

/** A network id must be a UUID before it becomes a namespace name, a path or an argument. */
export function checkNetId(value: string): string {
  if (!UUID.test(value)) throw usageError('bad-net-id', netIdProblem(value))
  return value.toLowerCase()
}

/** The message of checkNetId's error (diagnose's flag rules name it in their table). */
export const netIdProblem = (value: string) => `network id must be a UUID like 01cce415-8e2b-4096-92b5-7acc67163d79, got ${JSON.stringify(value.slice(0, 80))}`

/** diagnose's and collect's: a name is taken too, looked up in the API, so it needs credentials. */
export const netIdOrNameProblem = (value: string) =>
  `${netIdProblem(value)}: a network name is looked up in the API, which needs credentials (OS_AUTH_URL and the rest, or OS_CLOUD / --os-cloud)`

export interface NodePaths {
  layout: LayoutName
  configFile: string
  statePath: string
  /** the metadata agent's config: --metadata-agent-config, else metadata_agent.ini beside configFile */
  metadataAgentConfig: string
}

/**
 * The layout of this node and its paths: --config-file and --state-path win; otherwise what
 * exists (/etc/neutron before /etc/quantum). A path under a `quantum` directory means Grizzly.
 */
export function nodePaths(
  given: {configFile?: string; statePath?: string; metadataAgentConfig?: string},
  exists: (p: string) => boolean = existsSync,
): NodePaths {
  const configFile = agentConfigPath(given.configFile, exists)
  let layout: LayoutName = layoutOfConfig(configFile)
  if (given.statePath !== undefined && layoutOfConfig(given.statePath) === 'quantum') layout = 'quantum'
  if (given.configFile === undefined && given.statePath === undefined && !exists(LAYOUTS.neutron.configDir) && exists(LAYOUTS.quantum.configDir))
    layout = 'quantum'
  return {
    configFile,
    layout,
    metadataAgentConfig: given.metadataAgentConfig ?? join(dirname(configFile), 'metadata_agent.ini'),
    statePath: given.statePath ?? LAYOUTS[layout].statePath,
  }
}

/** A node's layout can be told from the proxy it runs, whatever the paths say. */
export function layoutOfEvidence(ev: NetworkEvidence): LayoutName {
  const proxy = ev.processes.find((p) => p.role === 'proxy' && p.alive)
  const args = proxy?.cmdline ? parseProcCmdline(proxy.cmdline).join(' ') : (proxy?.ps ?? '')
  if (/quantum-ns-metadata-proxy/.test(args)) return 'quantum'
  if (/haproxy|neutron-ns-metadata-proxy/.test(args)) return 'neutron'
  return ev.layout
}

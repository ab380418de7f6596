/** The live request of `diagnose` and `collect`, built once from the flags they share (chains/flags.ts, openstack/flags.ts). */
import {CHAINS} from '../chains/registry.js'
import {DEPLOYMENT_NAMES} from '../evidence/evidence.js'
import {nodePaths} from '../layout.js'
import type {OsFlags} from '../openstack/credentials.js'

import type {LiveRequest} from './live.js'

export interface LiveFlagValues extends OsFlags {
  'agent-host'?: string
  api: boolean
  backend?: string
  deployment?: string
  'config-file'?: string
  'metadata-agent-config'?: string
  'nova-config'?: string
  'probe-as'?: string
  'state-path'?: string
}

/** What the snapshot records as its maker: quantum-meta/VERSION. */
export const toolName = (config: {version: string}) => `quantum-meta/${config.version}`

/** How to look at this node: its paths, the chain (--backend), the API's credentials; not yet which network. */
export function liveRequest(flags: LiveFlagValues, config: {version: string}): Omit<LiveRequest, 'network' | 'probe'> {
  return {
    agentHost: flags['agent-host'],
    api: flags.api,
    // oclif allows only these (liveFlags' options)
    backend: CHAINS.find((c) => c.backend === flags.backend)?.backend,
    deployment: DEPLOYMENT_NAMES.find((d) => d === flags.deployment),
    given: {configFile: flags['config-file'], statePath: flags['state-path']},
    novaConfig: flags['nova-config'],
    probeAs: flags['probe-as'],
    os: flags,
    paths: nodePaths({configFile: flags['config-file'], metadataAgentConfig: flags['metadata-agent-config'], statePath: flags['state-path']}),
    tool: toolName(config),
  }
}

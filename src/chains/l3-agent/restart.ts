/** The L3 agent's service commands, as the deployment where the evidence was taken names them. */
import {command, restart, type Scope, unitOf} from '../../deployments/registry.js'

export const l3AgentService = (scope: Scope) => unitOf(scope, 'l3-agent')

export const restartL3Agent = (scope: Scope) => restart(scope, 'l3-agent')

export const startL3Agent = (scope: Scope) => command(scope, 'start', 'l3-agent')

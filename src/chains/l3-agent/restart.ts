/**
 * The L3 agent's restart, until the deployment data (packages, kolla, TripleO...) names it: the unit
 * Debian/Ubuntu and RDO packages install (Grizzly: quantum-l3-agent).
 */
import type {LayoutName} from '../../evidence/evidence.js'

export const l3AgentService = (layout: LayoutName) => (layout === 'quantum' ? 'quantum-l3-agent' : 'neutron-l3-agent')

export const restartL3Agent = (layout: LayoutName) => `systemctl restart ${l3AgentService(layout)}`

/**
 * Where ML2/OVN keeps its things on a chassis, and the names it gives them: the agent's config
 * candidates, its programs, its namespace.
 */

/**
 * Where an ML2/OVN chassis keeps things when no running agent says otherwise: the agent's ini as
 * Debian/Ubuntu, TripleO (puppet-generated, host side) and kolla (host side) install it; the state
 * path oslo.config defaults to; the server's ml2_conf.ini (on a controller or an all-in-one).
 */
export const OVN_PATHS = {
  agentConfigs: [
    '/etc/neutron/neutron_ovn_metadata_agent.ini',
    '/etc/neutron/plugins/networking-ovn/networking-ovn-metadata-agent.ini',
    '/var/lib/config-data/puppet-generated/neutron/etc/neutron/plugins/networking-ovn/networking-ovn-metadata-agent.ini',
    '/etc/kolla/neutron-ovn-metadata-agent/neutron_ovn_metadata_agent.ini',
  ],
  ml2Config: '/etc/neutron/plugins/ml2/ml2_conf.ini',
  statePath: '/var/lib/neutron',
} as const

/** An agent config path that belongs to ML2/OVN's metadata agent (by its name). */
export const isOvnAgentConfig = (path: string) => /ovn[-_]metadata[-_]agent|ovn[-_]agent/.test(path.split('/').pop() ?? '')

/** ML2/OVN's metadata namespace of a network (neutron-ovn-metadata-agent makes it). */
export const ovnMetadataNamespace = (network: string) => `ovnmeta-${network}`
/** ML2/OVN's metadata namespace of any network: ovnmeta-<network UUID>. */
export const OVNMETA_NAMESPACE = /^ovnmeta-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** The network ids of the ovnmeta-<uuid> namespaces of a namespace list. */
export const ovnmetaNetworksIn = (names: readonly string[]) =>
  names.filter((n) => OVNMETA_NAMESPACE.test(n)).map((n) => n.slice('ovnmeta-'.length).toLowerCase())

/**
 * ML2/OVN's metadata agent: neutron-ovn-metadata-agent, and from 2025.2 neutron-ovn-agent (the
 * metadata role is its `metadata` extension).
 */
export const OVN_AGENT_PROGRAMS = ['neutron-ovn-metadata-agent', 'neutron-ovn-agent'] as const

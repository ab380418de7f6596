/**
 * The program (console script) of each service, as /proc/PID/cmdline names it, whatever installed it:
 * the release axis (`{project}` neutron, or quantum on Grizzly), not the deployment's.
 */
import type {ServiceName} from './types.js'

export const PROGRAMS: Record<ServiceName, string> = {
  'dhcp-agent': '{project}-dhcp-agent',
  'l3-agent': '{project}-l3-agent',
  'metadata-agent': '{project}-metadata-agent',
  'ovn-agent': 'neutron-ovn-agent',
  'ovn-controller': 'ovn-controller',
  'ovn-metadata-agent': 'neutron-ovn-metadata-agent',
  server: '{project}-server',
}

/**
 * ML2/OVN has no DHCP agent: the agent that makes ovnmeta-NET and its haproxy serves metadata.
 * Its unit is neutron-ovn-metadata-agent (setup.cfg console script of the same name); Neutron
 * 27.0.0 (2025.2) deprecates it for neutron-ovn-agent with the "metadata" extension
 * (openstack/neutron releasenotes/notes/ovn-metadata-agent-deprecation-33d5e5acba902391.yaml).
 */
export const OVN_METADATA = {agentService: 'neutron-ovn-metadata-agent', agentServiceSince2025_2: 'neutron-ovn-agent'} as const

/**
 * Every program whose process tells a deployment apart (its cgroup, environment, path): the agents of
 * both releases, TripleO's and older RDO's networking-ovn-metadata-agent, the server, ovn-controller.
 */
export const SIGN_PROGRAMS = [
  'neutron-dhcp-agent',
  'quantum-dhcp-agent',
  'neutron-metadata-agent',
  'quantum-metadata-agent',
  'neutron-ovn-metadata-agent',
  'networking-ovn-metadata-agent',
  'neutron-ovn-agent',
  'neutron-l3-agent',
  'quantum-l3-agent',
  'neutron-server',
  'quantum-server',
  'ovn-controller',
] as const

import * as Flags from '@oclif/core/flags'

import {DEPLOYMENT_NAMES} from '../evidence/evidence.js'

/** Where the agent's files are on this node: shared by diagnose, collect and opts verify. */
export const nodeFlags = {
  'config-file': Flags.string({
    description:
      "the agent config: the DHCP agent's [default: /etc/neutron/dhcp_agent.ini, else /etc/quantum/dhcp_agent.ini], or on ML2/OVN neutron_ovn_metadata_agent.ini [default: the running agent's own --config-file]",
    helpValue: 'FILE',
  }),
  'state-path': Flags.string({description: "the agent's state_path [default: /var/lib/neutron, else /var/lib/quantum]", helpValue: 'DIR'}),
}

/** diagnose and collect, which inspect the whole chain live: the metadata agent's config and the API */
export const liveFlags = {
  backend: Flags.string({
    description:
      "which chain serves metadata here: dhcp-agent (qdhcp namespaces), ovn (ML2/OVN's ovnmeta namespaces) or l3-agent (a router's qrouter namespace) [default: told from the node]",
    helpValue: 'NAME',
    options: ['dhcp-agent', 'ovn', 'l3-agent'],
  }),
  deployment: Flags.string({
    description:
      "how Neutron is installed on this node, for the paths and the restart commands in fixes: packages (Debian/Ubuntu), rdo (RHEL/RDO), kolla, tripleo, edpm, openstack-ansible, openstack-helm, charms or snap [default: told from the node: the agents' cgroup and environment, marker paths; else packages]",
    helpValue: 'NAME',
    options: [...DEPLOYMENT_NAMES],
  }),
  'agent-host': Flags.string({
    description: "the DHCP agent's host name as the API knows it [default: host in the agent config, else the hostname]",
    helpValue: 'NAME',
  }),
  api: Flags.boolean({allowNo: true, default: true, description: 'with credentials (OS_* or --os-cloud), also ask the API about the network (--no-api skips)'}),
  'metadata-agent-config': Flags.string({description: "the metadata agent's config [default: metadata_agent.ini beside --config-file]", helpValue: 'FILE'}),
}

import * as Flags from '@oclif/core/flags'

import {DEPLOYMENT_NAMES} from '../evidence/evidence.js'
import {CHAINS} from './registry.js'

/** `a, b or c` */
const orList = (xs: readonly string[]) => (xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} or ${xs.at(-1)}`)

/** Where the agent's files are on this node: shared by diagnose, collect and opts verify. */
export const nodeFlags = {
  'config-file': Flags.string({
    description: `the agent config: ${CHAINS.map((c) => c.help.configFile).join(', or ')}`,
    helpValue: 'FILE',
  }),
  'state-path': Flags.string({description: "the agent's state_path [default: /var/lib/neutron, else /var/lib/quantum]", helpValue: 'DIR'}),
}

/** --all of diagnose and collect: what "every network this node serves" is, chain by chain */
export const servedNetworks = () => CHAINS.map((c) => c.help.all).join('; ')

/** diagnose NET-ID: the network's namespace, chain by chain */
export const networkNamespaces = () => CHAINS.map((c) => c.help.namespace).join(', ')

/** diagnose and collect, which inspect the whole chain live: the metadata agent's config and the API */
export const liveFlags = {
  backend: Flags.string({
    description: `which chain serves metadata here: ${orList(CHAINS.map((c) => `${c.backend} (${c.help.backend})`))} [default: told from the node]`,
    helpValue: 'NAME',
    options: CHAINS.map((c) => c.backend),
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
  'probe-as': Flags.string({
    description:
      "as --probe, and ask the metadata agent's socket as the instance with this address would through the proxy (GET /openstack with its X-Forwarded-For and the network's or router's header): the agent finds its port, signs its id and asks Nova; the answer's status and size are read, never its body [--probe alone: an instance port of the network, from the API or the leases]",
    helpValue: 'IP',
  }),
  'nova-config': Flags.string({
    description:
      "Nova's config (nova.conf of the Nova metadata API), to compare with the metadata agent's: service_metadata_proxy, the shared secret (compared here, neither printed) and enable_proxy_headers_parsing [default: the running Nova metadata API's, when one runs here]",
    helpValue: 'FILE',
  }),
  'metadata-agent-config': Flags.string({description: "the metadata agent's config [default: metadata_agent.ini beside --config-file]", helpValue: 'FILE'}),
}

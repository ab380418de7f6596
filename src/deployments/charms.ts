/**
 * Juju charms (neutron-gateway; ovn-chassis as a subordinate of nova-compute): Ubuntu's packages on the
 * host, so the packages' paths and units, but the charm writes /etc/neutron from its config on every
 * hook: a setting lasts only as `juju config`.
 *
 * Sources (../shared/reference/containers-nova.md 1.1, 1.2, 1.5, 1.6): openstack/charm-neutron-gateway
 * e14f1df86a4a hooks/neutron_utils.py (NEUTRON_DHCP_AGENT_CONF and the other paths), canonical/
 * charm-ovn-chassis 24f6ef8209aa src/README.md and src/actions.yaml (restart-services).
 */
import {SYSTEMD} from './common.js'
import {packages} from './packages.js'
import type {Deployment} from './types.js'

export const charms: Deployment = {
  containers: false,
  control: {...SYSTEMD, reconfigure: 'juju config <application> <key>=<value>    (the charm rewrites the file on its next hook)'},
  exec: packages.exec,
  hostStatePath: '/var/lib/neutron',
  label: 'charms',
  metadataSocket: '/var/lib/neutron/metadata_proxy',
  name: 'charms',
  // Ubuntu's nova-api-metadata package (nova-cloud-controller, or every nova-compute unit with OVN)
  novaMetadata: {configs: ['/etc/nova/nova.conf'], logs: ['/var/log/nova/nova-api-metadata.log']},
  services: {
    ...packages.services,
    'ovn-metadata-agent': {
      configs: ['/etc/neutron/neutron.conf', '/etc/neutron/neutron_ovn_metadata_agent.ini'],
      logs: ['/var/log/neutron/neutron-ovn-metadata-agent.log'],
      unit: 'neutron-ovn-metadata-agent',
    },
  },
  signs: [{paths: ['/var/lib/juju']}],
  statePath: '/var/lib/neutron',
  title: 'Juju charms',
  works: true,
}

/**
 * Canonical Sunbeam's openstack-hypervisor snap: the OVN metadata agent and ovn-controller as snap
 * services (systemd units snap.openstack-hypervisor.<app>.service), configs and state under
 * $SNAP_COMMON = /var/snap/openstack-hypervisor/common, the files the snap renders overwritten on each
 * configure (neutron.conf.d is the operator's). No DHCP agent: OVN only. Data only in this version
 * (works: false).
 *
 * Sources (../shared/reference/containers-nova.md 1.1 to 1.6): canonical/snap-openstack-hypervisor
 * da598911b07c snap/snapcraft.yaml (apps neutron-ovn-metadata-agent, ovn-controller),
 * openstack_hypervisor/services.py (the --config-file and --config-dir under $SNAP_COMMON),
 * templates/neutron.conf.j2 (state_path = $SNAP_COMMON/lib, log_file = $SNAP_COMMON/log/neutron.log,
 * use_journal = True; "Use $SNAP_COMMON/etc/neutron/neutron.conf.d for deployment specific configuration"),
 * services.py (ovn-controller's log under $SNAP_COMMON/log/ovn).
 */
import type {Deployment} from './types.js'

const COMMON = '/var/snap/openstack-hypervisor/common'

export const snap: Deployment = {
  containers: false,
  control: {
    reconfigure: 'snap set openstack-hypervisor <key>=<value>    (or sunbeam configure; the snap renders its files again)',
    restart: 'snap restart {unit}',
    start: 'snap start {unit}',
    status: 'snap services {unit}',
  },
  hostStatePath: `${COMMON}/lib`,
  label: 'snap',
  metadataSocket: `${COMMON}/lib/metadata_proxy`,
  name: 'snap',
  // the nova-api-metadata snap service on the hypervisor itself (containers-nova.md 1.7); its log is not recorded here
  novaMetadata: {configs: [`${COMMON}/etc/nova/nova.conf`], logs: []},
  services: {
    'ovn-controller': {configs: [], logs: [`${COMMON}/log/ovn/ovn-controller.log`], unit: 'openstack-hypervisor.ovn-controller'},
    'ovn-metadata-agent': {
      configs: [`${COMMON}/etc/neutron/neutron.conf`, `${COMMON}/etc/neutron/neutron_ovn_metadata_agent.ini`, `${COMMON}/etc/neutron/neutron.conf.d`],
      edit: `${COMMON}/etc/neutron/neutron.conf.d`,
      logs: [`${COMMON}/log/neutron.log`],
      unit: 'openstack-hypervisor.neutron-ovn-metadata-agent',
    },
  },
  signs: [
    {environ: /^SNAP=\/snap\/openstack-hypervisor\//},
    {cgroup: /snap\.openstack-hypervisor\./},
    {cmdline: /\/snap\/openstack-hypervisor\/[^/\0 ]+\//},
    {paths: [`${COMMON}/etc/neutron`]},
  ],
  statePath: `${COMMON}/lib`,
  title: 'Sunbeam (openstack-hypervisor snap)',
  works: false,
}

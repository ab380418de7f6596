/**
 * RHOSO's data plane (EDPM, edpm-ansible): each agent in a podman container run by an edpm_<container>
 * unit (a Quadlet on main, a generated unit on 18-stable), host pid and network namespaces; its
 * config dir on the host bind-mounted live at /etc/neutron.conf.d (no copy), the agent started with no
 * arguments; state at the same path on host and container; haproxy and dnsmasq in sidecar containers;
 * logs in the journal only. The settings come from the data plane's services, applied by a new
 * OpenStackDataPlaneDeployment. Data only in this version (works: false).
 *
 * Sources (../shared/reference/containers-nova.md 1.1 to 1.6): openstack-k8s-operators/edpm-ansible
 * d31a11af1caf roles/edpm_neutron_{dhcp,metadata}/{defaults,files/kolla_config,tasks/configure.yml,
 * handlers/main.yml}, roles/edpm_container_standalone/tasks/quadlet.yml (edpm_<name> units),
 * roles/edpm_container_manage/files/netns-placeholder-service (/run/netns/placeholder), 8e012641 (logs
 * to journald); nova-operator (05-nova-metadata.conf), neutron-operator (10-neutron-metadata.conf).
 */
import {SYSTEMD} from './common.js'
import type {Deployment} from './types.js'

const DIRS = ['/var/lib/openstack/neutron-ovn-metadata-agent', '/var/lib/openstack/neutron-dhcp-agent']

export const edpm: Deployment = {
  containers: true,
  control: {...SYSTEMD, reconfigure: 'oc create -f <a new OpenStackDataPlaneDeployment of the node set>    (run from the control plane)'},
  hostStatePath: '/var/lib/neutron',
  label: 'EDPM',
  metadataSocket: '/var/lib/neutron/metadata_proxy',
  name: 'edpm',
  services: {
    'dhcp-agent': {configs: ['/var/lib/openstack/neutron-dhcp-agent'], logs: ['journal'], unit: 'edpm_neutron_dhcp_agent'},
    'ovn-controller': {configs: [], logs: ['journal'], unit: 'edpm_ovn_controller'},
    'ovn-metadata-agent': {
      // 01-rootwrap.conf, 01-neutron-ovn-metadata-agent.conf, 05-nova-metadata.conf, 10-neutron-metadata.conf
      configs: ['/var/lib/openstack/neutron-ovn-metadata-agent'],
      logs: ['journal'],
      unit: 'edpm_ovn_metadata_agent',
    },
  },
  signs: [{cgroup: /libpod-[0-9a-f]{12}/, paths: DIRS}, {paths: DIRS}],
  statePath: '/var/lib/neutron',
  title: 'EDPM (RHOSO data plane)',
  works: false,
}

/**
 * openstack-ansible: the agents on the host since 17.0.0 (Queens; legacy LXC containers before),
 * systemd units named like the programs, run from a venv under /openstack/venvs/neutron-<tag>;
 * /etc/neutron (for source installs a link into the venv) holds configs the os_neutron role writes
 * from its templates and the *_ini_overrides in /etc/openstack_deploy/user_variables.yml; logs in the
 * journal (use_journal = True). Data only in this version (works: false): the venv paths are read as
 * the packages' (the same /etc/neutron and /var/lib/neutron on metal).
 *
 * Sources (../shared/reference/containers-nova.md 1.1, 1.2, 1.5, 1.6): openstack/openstack-ansible-os_neutron
 * fbbab473993a vars/main.yml (service_name and execstarts per service), defaults/main.yml
 * (neutron_<service>_ini_overrides), templates/neutron.conf.j2 (use_journal = True);
 * openstack/openstack-ansible ff0803744ab5 inventory/env.d/neutron.yml (is_metal).
 */
import {SYSTEMD} from './common.js'
import type {Deployment, ServiceEntry} from './types.js'

const agent = (name: string, files: string[]): ServiceEntry => ({
  configs: files.map((f) => `/etc/neutron/${f}`),
  edit: '/etc/openstack_deploy/user_variables.yml',
  logs: ['journal'],
  unit: `neutron-${name}`,
})

export const openstackAnsible: Deployment = {
  containers: false,
  control: {...SYSTEMD, reconfigure: 'openstack-ansible os-neutron-install.yml    (on the deploy host, after the *_ini_overrides change)'},
  hostStatePath: '/var/lib/neutron',
  label: 'openstack-ansible',
  metadataSocket: '/var/lib/neutron/metadata_proxy',
  name: 'openstack-ansible',
  services: {
    'dhcp-agent': agent('dhcp-agent', ['neutron.conf', 'dhcp_agent.ini']),
    'l3-agent': agent('l3-agent', ['neutron.conf', 'l3_agent.ini']),
    'metadata-agent': agent('metadata-agent', ['neutron.conf', 'metadata_agent.ini']),
    'ovn-controller': {configs: [], logs: ['journal'], unit: 'ovn-controller'},
    'ovn-metadata-agent': agent('ovn-metadata-agent', ['neutron.conf', 'plugins/ml2/ml2_conf.ini', 'neutron_ovn_metadata_agent.ini']),
    server: agent('server', ['neutron.conf', 'plugins/ml2/ml2_conf.ini']),
  },
  signs: [{cmdline: /\/openstack\/venvs\/neutron-[^/\0 ]*\/bin\//}, {paths: ['/openstack/venvs']}],
  statePath: '/var/lib/neutron',
  title: 'openstack-ansible',
  works: false,
}

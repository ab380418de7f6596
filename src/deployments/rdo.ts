/**
 * RHEL, CentOS Stream and Fedora with RDO's openstack-neutron packages: systemd units named like the
 * programs (no SysV scripts), configs under /etc/neutron with per-service conf.d directories and the
 * packaged defaults in /usr/share/neutron/neutron-dist.conf, logs without the neutron- prefix.
 *
 * Sources: rdo-packages/neutron-distgit adee3c8c578e (2024-02-26): neutron-dhcp-agent.service,
 * neutron-metadata-agent.service, neutron-l3-agent.service, neutron-server.service (ExecStart with
 * --config-file /usr/share/neutron/neutron-dist.conf ... --config-dir /etc/neutron/conf.d/<unit>
 * --log-file /var/log/neutron/<name>.log); neutron-ovn-metadata-agent.service (Alias=
 * networking-ovn-metadata-agent.service); neutron-ovn-agent.service (/etc/neutron/plugins/ml2/ovn_agent.ini);
 * openstack-neutron.spec (the networking-ovn-metadata-agent.ini symlink for TripleO's older path);
 * openstack-quantum.spec and quantum-dhcp-agent.service for Grizzly.
 */
import {SYSTEMD} from './common.js'
import type {Deployment} from './types.js'

const DIST = '/usr/share/neutron/neutron-dist.conf'

/** the unit's --config-file and --config-dir in its order: the packaged defaults, `before`, neutron.conf, `after`, the conf.d dirs */
const agent = (unit: string, log: string, files: {before?: string[]; after?: string[]}) => ({
  configs: [
    DIST,
    ...(files.before ?? []),
    '/etc/{project}/{project}.conf',
    ...(files.after ?? []),
    '/etc/{project}/conf.d/common',
    `/etc/{project}/conf.d/${unit}`,
  ],
  logs: [`/var/log/{project}/${log}.log`],
  unit,
})

export const rdo: Deployment = {
  containers: false,
  control: SYSTEMD,
  exec: {
    fallback: {run: {restart: ['service', '{unit}', 'restart']}, script: '/etc/init.d/{unit}'},
    managerRunning: '/run/systemd/system',
    probe: ['systemctl', 'show', '--property=LoadState', '--value', '{unit}.service'],
    run: {restart: ['systemctl', 'restart', '{unit}.service']},
  },
  hostStatePath: '/var/lib/{project}',
  label: 'RDO',
  metadataSocket: '/var/lib/{project}/metadata_proxy',
  name: 'rdo',
  services: {
    'dhcp-agent': agent('{project}-dhcp-agent', 'dhcp-agent', {after: ['/etc/{project}/dhcp_agent.ini']}),
    // /usr/share/neutron/l3_agent holds a link to /etc/neutron/l3_agent.ini
    'l3-agent': agent('{project}-l3-agent', 'l3-agent', {before: ['/usr/share/{project}/l3_agent']}),
    'metadata-agent': agent('{project}-metadata-agent', 'metadata-agent', {after: ['/etc/{project}/metadata_agent.ini']}),
    'ovn-agent': {
      configs: ['/etc/neutron/plugins/ml2/ovn_agent.ini', '/etc/neutron/conf.d/neutron-ovn-agent'],
      logs: ['/var/log/neutron/neutron-ovn-agent.log'],
      unit: 'neutron-ovn-agent',
    },
    'ovn-controller': {configs: [], logs: ['/var/log/ovn/ovn-controller.log'], unit: 'ovn-controller'},
    'ovn-metadata-agent': {
      configs: ['/etc/neutron/neutron_ovn_metadata_agent.ini', '/etc/neutron/conf.d/neutron-ovn-metadata-agent'],
      logs: ['/var/log/neutron/neutron-ovn-metadata-agent.log'],
      unit: 'neutron-ovn-metadata-agent',
    },
    server: agent('{project}-server', 'server', {after: ['/etc/{project}/plugin.ini'], before: ['/usr/share/{project}/server']}),
  },
  // neutron-dist.conf ships only with RDO's packages; /etc/redhat-release marks the family
  signs: [{paths: [DIST]}, {paths: ['/etc/redhat-release']}],
  statePath: '/var/lib/{project}',
  title: 'RHEL/RDO packages',
  works: true,
}

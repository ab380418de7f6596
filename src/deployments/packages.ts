/**
 * Debian and Ubuntu packages (and Grizzly's quantum-* packages): the agents are systemd units (SysV
 * scripts without systemd) named like their programs, configs under /etc/{project}, state under
 * /var/lib/{project}. The default: a node that shows no other deployment's sign, and every snapshot
 * written before deployments were recorded.
 *
 * Sources: Debian bookworm neutron 2:21.0.0-7+deb12u1 and ovn-host 23.03.1-1~deb12u2, read with
 * `apt-get download` and `dpkg -x`: /lib/systemd/system/neutron-{dhcp,metadata,ovn-metadata}-agent.service
 * (ExecStart=/etc/init.d/<unit> systemd-start, no ExecReload), /etc/init.d/<unit> (openstack-pkg-tools:
 * DAEMON_ARGS, PIDFILE=/var/run/${PROJECT_NAME}/${NAME}.pid under SysV, LOGFILE=/var/log/${PROJECT_NAME}/${NAME}.log),
 * ovn-controller.service (PartOf=ovn-host.service); ../shared/reference/containers-nova.md 1.5 (charms
 * and OSA use the same unit names).
 */
import {SYSTEMD} from './common.js'
import type {Deployment} from './types.js'

const agent = (name: string, ini: string) => ({
  configs: ['/etc/{project}/{project}.conf', `/etc/{project}/${ini}`],
  logs: [`/var/log/{project}/{project}-${name}.log`],
  pidFile: `/var/run/{project}/{project}-${name}.pid`,
  unit: `{project}-${name}`,
})

export const packages: Deployment = {
  also: 'kolla',
  containers: false,
  control: SYSTEMD,
  exec: {
    fallback: {run: {restart: ['service', '{unit}', 'restart']}, script: '/etc/init.d/{unit}'},
    managerRunning: '/run/systemd/system',
    probe: ['systemctl', 'show', '--property=LoadState', '--value', '{unit}.service'],
    run: {restart: ['systemctl', 'restart', '{unit}.service']},
  },
  hostStatePath: '/var/lib/{project}',
  label: 'packages',
  metadataSocket: '/var/lib/{project}/metadata_proxy',
  name: 'packages',
  services: {
    'dhcp-agent': agent('dhcp-agent', 'dhcp_agent.ini'),
    'l3-agent': agent('l3-agent', 'l3_agent.ini'),
    'metadata-agent': agent('metadata-agent', 'metadata_agent.ini'),
    'ovn-agent': {
      configs: ['/etc/neutron/neutron.conf', '/etc/neutron/plugins/ml2/ovn_agent.ini'],
      logs: ['/var/log/neutron/neutron-ovn-agent.log'],
      unit: 'neutron-ovn-agent',
    },
    'ovn-controller': {
      configs: ['/etc/default/ovn-host'],
      // Debian's ovn-host.service wants ovn-controller.service (PartOf): starting ovn-controller is enough
      logs: ['/var/log/ovn/ovn-controller.log'],
      unit: 'ovn-controller',
    },
    'ovn-metadata-agent': {
      // the init script puts its CONFIG_FILE first, then DAEMON_ARGS' neutron.conf
      configs: ['/etc/neutron/neutron_ovn_metadata_agent.ini', '/etc/neutron/neutron.conf'],
      logs: ['/var/log/neutron/neutron-ovn-metadata-agent.log'],
      pidFile: '/var/run/neutron/neutron-ovn-metadata-agent.pid',
      unit: 'neutron-ovn-metadata-agent',
    },
    // Debian also packages the API and RPC halves as neutron-api and neutron-rpc-server
    server: agent('server', 'plugins/ml2/ml2_conf.ini'),
  },
  // Debian's nova-api (nova-api-metadata under uwsgi, logto) and Ubuntu's nova-api-metadata package (../shared/lab/README.md, Nova section)
  novaMetadata: {configs: ['/etc/nova/nova.conf'], logs: ['/var/log/nova/nova-api-metadata.log']},
  signs: [],
  statePath: '/var/lib/{project}',
  title: 'Debian/Ubuntu packages',
  works: true,
}

/**
 * kolla-ansible: each agent in its own container (docker or podman, host network), configs generated
 * on the host under /etc/kolla/<service>/ and copied into the container's /etc/neutron at start
 * (COPY_ALWAYS), state in the named volume neutron_metadata_socket mounted at /var/lib/neutron/kolla.
 *
 * Sources (../shared/reference/containers-nova.md 1.1, 1.2, 1.5, 1.6; openstack/kolla-ansible
 * 1a681814e, 2026-08-19): ansible/roles/neutron/defaults/main.yml (container_name per service),
 * ansible/roles/neutron/templates/neutron.conf.j2 (log_dir = /var/log/kolla/neutron, state_path =
 * /var/lib/neutron/kolla), templates/neutron-*-agent.json.j2 (the files copied and the command),
 * ansible/roles/neutron/tasks/config.yml (the operator's overrides under node_custom_config =
 * /etc/kolla/config, merged into the generated files), ansible/roles/ovn-controller/templates/
 * ovn-controller.json.j2 (its log), ansible/module_utils/kolla_systemd_worker.py (16.0.0 on: the unit
 * kolla-<container>-container.service runs `<engine> start -a <container>`), kolla's base image
 * (KOLLA_SERVICE_NAME, KOLLA_CONFIG_STRATEGY in the environment).
 */
import type {Deployment, ServiceEntry} from './types.js'

/** the docker volume's path on the host (podman: /var/lib/containers/storage/volumes/<name>/_data) */
const volume = (name: string) => `/var/lib/docker/volumes/${name}/_data`
/** the same volume under rootful podman (podman-volume-inspect(1): <graphroot>/volumes/<name>/_data) */
const podmanVolume = (name: string) => `/var/lib/containers/storage/volumes/${name}/_data`

/** `files` as the generated dir holds them; the last is where a setting goes, as an override on the deploy host */
const agent = (service: string, container: string, files: string[]): ServiceEntry => ({
  configs: files.map((f) => `/etc/kolla/${service}/${f}`),
  edit: `/etc/kolla/config/neutron/${files.at(-1)}`,
  logs: [`${volume('kolla_logs')}/neutron/${service}.log`],
  unit: container,
})

export const kolla: Deployment = {
  containers: true,
  control: {
    reconfigure: 'kolla-ansible reconfigure -t neutron',
    // {engine}: podman where the agent's cgroup shows it, else docker
    restart: '{engine} restart {unit}',
    start: '{engine} start {unit}',
    status: '{engine} ps --all --filter name={unit}',
  },
  hostStatePath: volume('neutron_metadata_socket'),
  hostStatePathByEngine: {docker: volume('neutron_metadata_socket'), podman: podmanVolume('neutron_metadata_socket')},
  label: 'kolla',
  metadataSocket: '/var/lib/neutron/kolla/metadata_proxy',
  name: 'kolla',
  // the nova_metadata container, 2025.1 on (before: nova_api, /etc/kolla/nova-api/nova.conf); its log is not recorded here
  novaMetadata: {configs: ['/etc/kolla/nova-metadata/nova.conf', '/etc/kolla/nova-api/nova.conf'], logs: []},
  services: {
    'dhcp-agent': agent('neutron-dhcp-agent', 'neutron_dhcp_agent', ['neutron.conf', 'dhcp_agent.ini']),
    'l3-agent': agent('neutron-l3-agent', 'neutron_l3_agent', ['neutron.conf', 'l3_agent.ini']),
    'metadata-agent': agent('neutron-metadata-agent', 'neutron_metadata_agent', ['neutron.conf', 'metadata_agent.ini']),
    'ovn-agent': agent('neutron-ovn-agent', 'neutron_ovn_agent', ['neutron.conf', 'ovn_agent.ini']),
    'ovn-controller': {configs: [], logs: [`${volume('kolla_logs')}/openvswitch/ovn-controller.log`], unit: 'ovn_controller'},
    'ovn-metadata-agent': agent('neutron-ovn-metadata-agent', 'neutron_ovn_metadata_agent', ['neutron.conf', 'neutron_ovn_metadata_agent.ini']),
    server: agent('neutron-server', 'neutron_server', ['neutron.conf', 'ml2_conf.ini']),
  },
  signs: [
    // the container's environment names the service (kolla_container_worker.py sets it from the container name)
    {environ: /^KOLLA_SERVICE_NAME=/},
    // without root the environment is unreadable: a container's cgroup and the generated config dirs
    {
      cgroup: /docker[-/][0-9a-f]{12}|libpod-[0-9a-f]{12}/,
      paths: [
        '/etc/kolla/neutron-dhcp-agent/config.json',
        '/etc/kolla/neutron-metadata-agent/config.json',
        '/etc/kolla/neutron-ovn-metadata-agent/config.json',
        '/etc/kolla/neutron-ovn-agent/config.json',
      ],
    },
    {cmdline: /\/var\/lib\/kolla\/venv\/bin\/(neutron|networking)-/},
    // the agent is down: the generated config of one of its containers
    {
      paths: [
        '/etc/kolla/neutron-dhcp-agent/config.json',
        '/etc/kolla/neutron-metadata-agent/config.json',
        '/etc/kolla/neutron-ovn-metadata-agent/config.json',
        '/etc/kolla/neutron-ovn-agent/config.json',
      ],
    },
  ],
  statePath: '/var/lib/neutron/kolla',
  title: 'kolla-ansible',
  works: true,
}

/**
 * What every deployment shares: neutron's own paths under state_path, and the systemd templates the
 * deployments that run services as units use.
 */

/**
 * neutron's files under state_path, the same whatever installed it (`{state}` the state path as the
 * agent sees it, `{network}` the network id): dhcp_confs = $state_path/dhcp
 * (neutron/conf/agent/dhcp.py); external_pids = $state_path/external/pids, the pid file named
 * <uuid>.pid.<service> (neutron/conf/agent/common.py, neutron/agent/linux/external_process.py); the
 * Grizzly–Ocata python proxy's <uuid>.pid; metadata_proxy_socket = $state_path/metadata_proxy
 * (neutron/conf/agent/metadata/config.py); haproxy's config dirs ns-metadata-proxy and
 * ovn-metadata-proxy (neutron/agent/metadata/driver.py, neutron/agent/ovn/metadata/driver.py).
 */
export const STATE_FILES = {
  dnsmasqPid: '{state}/dhcp/{network}/pid',
  haproxyConfig: '{state}/ns-metadata-proxy/{network}.conf',
  haproxyPid: '{state}/external/pids/{network}.pid.haproxy',
  metadataSocket: '{state}/metadata_proxy',
  ovnHaproxyConfig: '{state}/ovn-metadata-proxy/{network}.conf',
  proxyPid: '{state}/external/pids/{network}.pid',
} as const

/** A service run as a systemd unit (systemctl(1)). */
export const SYSTEMD = {
  restart: 'systemctl restart {unit}',
  start: 'systemctl start {unit}',
  status: 'systemctl status {unit}',
} as const

/**
 * A process in a container, by its /proc/PID/cgroup: docker (systemd driver `docker-<id>.scope`,
 * cgroupfs `/docker/<id>`), podman `libpod-<id>.scope`, Kubernetes `kubepods`, containerd and CRI-O
 * scopes, LXC `lxc.payload.<name>` (older `/lxc/<name>`) (../shared/reference/containers-nova.md 1.6).
 */
export const CONTAINER_CGROUP = /docker[-/][0-9a-f]{12}|libpod-[0-9a-f]{12}|kubepods|cri-containerd-|crio-|lxc\.payload\.|\/lxc\//

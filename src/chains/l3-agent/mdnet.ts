/**
 * The seed's third mode, the metadata network (Quantum's "metadata access network"): the DHCP agent
 * runs with `enable_metadata_network = True` (and `enable_isolated_metadata = True`), a network whose
 * subnet lies in 169.254.0.0/16 is joined to the router, and the L3 agent runs no proxy of its own
 * (`enable_metadata_proxy = False`). The router then has no redirect: it routes 169.254.169.254 over
 * its qr- port on that network, where the DHCP agent holds 169.254.169.254/32 in the network's qdhcp
 * namespace and runs a haproxy keyed by the router (bind 169.254.169.254:80, X-Neutron-Router-ID, pid
 * file STATE/external/pids/ROUTER.pid.haproxy: the same path the L3 agent's own proxy would use).
 * Facts: neutron/agent/dhcp/agent.py enable_isolated_metadata_proxy (Zed), ../shared/reference/
 * real-neutron-zed.md scenario (d), seen again on the harness by test/openstack/seed-modes.test.ts.
 */
import type {NetworkEvidence} from '../../evidence/evidence.js'
import {restart, type Scope} from '../../deployments/registry.js'
import {cmd, type Fix} from '../types.js'
import {qrDevices, settingsOf} from './facts.js'

/** the port the DHCP agent's proxy binds (neutron/agent/linux/dhcp.py METADATA_PORT) */
export const METADATA_NETWORK_PORT = 80

export interface MetadataNetworkPort {
  /** the router's qr- device on the metadata network */
  ifname: string
  /** its address there, `169.254.0.1/16` */
  cidr: string
}

const inLinkLocal = (ip: string) => /^169\.254\.\d{1,3}\.\d{1,3}$/.test(ip)

/**
 * The router's port on a metadata network, when this is how the network's metadata is served: the L3
 * agent's enable_metadata_proxy is off and a qr- device of the router holds an address in
 * 169.254.0.0/16. Undefined otherwise (the L3 agent's own proxy serves, or nothing does).
 */
export function metadataNetworkPort(ev: NetworkEvidence): MetadataNetworkPort | undefined {
  if (settingsOf(ev).enableMetadataProxy.value !== false) return undefined
  for (const dev of qrDevices(ev)) {
    const a = dev.addresses.find((x) => x.family === 'inet' && inLinkLocal(x.local))
    if (a) return {cidr: `${a.local}/${a.prefixlen}`, ifname: dev.ifname}
  }
  return undefined
}

/** how a finding names the mode */
export const viaMetadataNetwork = (p: MetadataNetworkPort) =>
  `the router routes 169.254.169.254 over ${p.ifname} (${p.cidr}) to its metadata network, whose qdhcp namespace holds the DHCP agent's proxy for this router (enable_metadata_network)`

/** the metadata network's proxy is the DHCP agent's: restarting that agent respawns it */
export const restartMetadataNetworkProxy = (scope: Scope): Fix =>
  cmd(
    restart(scope, 'dhcp-agent'),
    "the DHCP agent starts the router's proxy in the metadata network's qdhcp namespace when dhcp_agent.ini has enable_metadata_network = True and enable_isolated_metadata = True",
  )

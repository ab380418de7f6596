/** After `subnet create`: what ML2/OVN needs of a new subnet that Neutron does not say. */
import type {NeutronClient} from '../../openstack/neutron.js'
import type {Subnet} from '../../openstack/subnet.js'

/**
 * On ML2/OVN a subnet without a gateway gets DHCP options only through its network's metadata port
 * (neutron/plugins/ml2/drivers/ovn/mech_driver/ovsdb/ovn_client.py, _get_ovn_dhcpv4_opts: no
 * gateway and no metadata port -> no options at all, so its VMs get no lease). After a gateway-less
 * IPv4 subnet with DHCP is created: a warning when the cloud runs OVN (an `OVN ...` agent is listed)
 * and the network has no network:distributed port with an address in the new subnet. Undefined when
 * all is well, the cloud is not OVN, or the API does not say (the subnet exists either way).
 */
export async function ovnMetadataWarning(neutron: NeutronClient, subnet: Subnet): Promise<string | undefined> {
  if (subnet.gateway_ip !== null || subnet.enable_dhcp === false || subnet.ip_version === 6 || String(subnet.cidr).includes(':')) return undefined
  try {
    const agents = await neutron.getObject('/agents', 'the agent list')
    const list = Array.isArray(agents.agents) ? agents.agents : []
    const ovn = list.some((a) => typeof a === 'object' && a !== null && /^OVN /.test(String((a as Record<string, unknown>).agent_type)))
    if (!ovn) return undefined
    const doc = await neutron.getObject(`/ports?network_id=${subnet.network_id}&device_owner=network%3Adistributed`, 'the metadata port')
    const ports = (Array.isArray(doc.ports) ? doc.ports : []).filter((p): p is Record<string, unknown> => typeof p === 'object' && p !== null)
    if (ports.length === 0) {
      return `network ${subnet.network_id} has no OVN metadata port (device_owner network:distributed; is ovn_metadata_enabled False on the server?): on ML2/OVN this gateway-less subnet gets no DHCP options at all, so its VMs get no DHCP lease`
    }
    const inSubnet = ports.some(
      (p) =>
        Array.isArray(p.fixed_ips) && p.fixed_ips.some((f) => typeof f === 'object' && f !== null && (f as Record<string, unknown>).subnet_id === subnet.id),
    )
    if (!inSubnet)
      return `the OVN metadata port of network ${subnet.network_id} has no address in subnet ${subnet.id}: OVN's DHCP gives that subnet no route to 169.254.169.254`
    return undefined
  } catch {
    // the agent list needs admin on most clouds: no warning rather than a guess
    return undefined
  }
}

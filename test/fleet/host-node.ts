/**
 * Run inside one fleet host (nsenter into its namespaces, then tsx): build a neutron node with the
 * integration rig's buildNode, for the network id and DHCP port IP given, its config and state at
 * the host's own /etc/neutron and /var/lib/neutron (the paths a plain `collect NET` reads), and
 * print it as JSON.
 * Its daemons stay (under the rig's reaper, in the host's PID namespace); the host's PID 1 ending
 * takes them, its namespaces and veths away.
 *
 * usage: tsx test/fleet/host-node.ts NET_ID DHCP_HOST_PART
 */
import {buildNode} from '../integration/rig/node.js'

const [netId, part] = process.argv.slice(2)
const node = await buildNode({
  dhcpHostPart: Number(part),
  etcDir: '/etc/neutron',
  layout: 'neutron',
  netId,
  statePath: '/var/lib/neutron',
  subnet: '198.51.100.0/24',
})
process.stdout.write(JSON.stringify(node) + '\n')
process.exit(0)

import {METADATA_IP, sameSubnet} from '../common/net.js'
import {clip, plural, shq} from '../common/text.js'
import {dhcpDevice, dnsmasqArgs, restartAgent as restart} from './facts.js'
import {devicesShown, namespaceLine, namespaceList, ran} from '../common/evidence.js'
import {type Check, cmd as fixCmd, fail, notJudged, pass, warn} from '../types.js'

export const namespaceExists: Check = {
  id: 'namespace.exists',
  needs: [],
  title: 'the qdhcp-NET namespace exists',
  run(ev, ctx) {
    if (ev.namespaces.notCollected !== undefined) return notJudged(`\`${ran(ev.namespaces)}\`: ${ev.namespaces.notCollected}`)
    const list = namespaceList(ev)
    if (!list)
      return fail(
        `\`${ran(ev.namespaces)}\` failed: ${clip(ev.namespaces.stderr.trim() || ev.namespaces.error || 'no output')}`,
        [],
        fixCmd(`sudo quantum-meta diagnose ${shq(ev.network)}`, 'listing the namespaces needs root: run diagnose as root on the network node'),
      )
    const line = namespaceLine(ev, ev.namespace)
    if (line) return pass(`${ev.namespace} exists`, [`${ran(ev.namespaces)}: ${line.trim()}`])
    // another chain's namespace of this network instead (an ML2/OVN chassis): that chain serves it here
    const other = ctx.servedElsewhere?.(ev)
    if (other) {
      return fail(
        `no ${ev.namespace}, but ${other.namespace}: this is ${other.who} and the DHCP agent's isolated metadata does not apply`,
        [`${ran(ev.namespaces)}: ${other.namespace}`],
        fixCmd(other.look(ev), `${other.who}: look at it; the qdhcp checks do not apply to ${other.short}`, other.note?.(ev)),
      )
    }
    const qdhcp = list.filter((n) => n.startsWith('qdhcp-'))
    return fail(
      `no namespace ${ev.namespace} on this host: its DHCP agent does not serve this network`,
      [`${ran(ev.namespaces)}: ${plural(qdhcp.length, 'qdhcp namespace')}, none for ${ev.network}`],
      fixCmd(
        `openstack network agent list --network ${shq(ev.network)}`,
        `the hosts of the network's DHCP agents: run diagnose there; if one is this host, ${restart(ev)} (it resyncs the networks it hosts)`,
        {command: restart(ev), why: 'when the list names this host: its agent re-creates the namespace'},
      ),
    )
  },
}

export const namespaceDhcpAddress: Check = {
  id: 'namespace.dhcp-address',
  needs: ['namespace.exists'],
  title: 'the DHCP device (tap…/ns-…) is up with an IPv4 address in each DHCP subnet',
  run(ev) {
    if (ev.addresses?.notCollected !== undefined) return notJudged(`\`${ran(ev.addresses)}\`: ${ev.addresses.notCollected}`)
    const dev = dhcpDevice(ev)
    const cmd = ev.addresses ? ran(ev.addresses) : 'ip addr'
    if (!dev)
      return fail(
        `no DHCP device (tap… or ns-…) in ${ev.namespace}`,
        devicesShown(ev.addresses, (t) => clip(t)),
        fixCmd(restart(ev), 'the agent plugs its DHCP port into the namespace when it sets up the network'),
      )
    const evidence = dev.iface.addresses.filter((a) => a.family === 'inet').map((a) => `${cmd}: ${dev.iface.ifname} inet ${a.local}/${a.prefixlen}`)
    if (dev.iface.flags.length > 0 && !dev.iface.up) {
      return fail(
        `${dev.iface.ifname} is down`,
        [`${cmd}: ${dev.iface.ifname} <${dev.iface.flags.join(',')}>`],
        fixCmd(`ip netns exec ${shq(ev.namespace)} ip link set ${shq(dev.iface.ifname)} up`, 'the DHCP device is down', {
          command: restart(ev),
          why: 'the agent sets the device up when it sets up the network',
        }),
      )
    }
    if (dev.ipv4.length === 0)
      return fail(
        `${dev.iface.ifname} has no IPv4 address of the network`,
        evidence,
        fixCmd(restart(ev), 'the agent adds the DHCP port addresses when it sets up the network'),
      )
    // each IPv4 range dnsmasq serves needs an address of that subnet on the device
    const ranges = (dnsmasqArgs(ev)?.ranges ?? []).filter((r) => /^\d+\.\d+\.\d+\.\d+$/.test(r.network))
    const uncovered = ranges.filter((r) => !dev.ipv4.some((a) => sameSubnet(a.local, r.network, a.prefixlen)))
    if (uncovered.length > 0) {
      return fail(
        `${dev.iface.ifname} has no address in ${uncovered.map((r) => r.network).join(', ')}, which dnsmasq serves`,
        [...evidence, ...uncovered.map((r) => `dnsmasq --dhcp-range=${r.raw}`)],
        fixCmd(restart(ev), 'the agent adds an address of each subnet dnsmasq serves'),
      )
    }
    return pass(`${dev.iface.ifname} is up with ${dev.ipv4.map((a) => `${a.local}/${a.prefixlen}`).join(', ')}`, evidence)
  },
}

export const namespaceMetadataAddress: Check = {
  id: 'namespace.metadata-address',
  needs: ['namespace.dhcp-address'],
  title: '169.254.169.254 is on the DHCP device (/16 up to Ussuri, /32 later)',
  run(ev) {
    const dev = dhcpDevice(ev)!
    const cmd = ev.addresses ? ran(ev.addresses) : 'ip addr'
    const prefix = ev.layout === 'quantum' ? 16 : 32
    const add = `ip netns exec ${shq(ev.namespace)} ip addr add ${METADATA_IP}/${prefix} dev ${shq(dev.iface.ifname)}`
    if (!dev.metadata) {
      return fail(
        `${METADATA_IP} is not on ${dev.iface.ifname}: the proxy cannot be reached (haproxy cannot even bind since Stein)`,
        dev.iface.addresses.filter((a) => a.family === 'inet').map((a) => `${cmd}: ${dev.iface.ifname} inet ${a.local}/${a.prefixlen}`),
        fixCmd(restart(ev), 'the agent adds it at start', {command: add, why: 'or by hand, until the agent next sets up the network'}),
      )
    }
    const evidence = [`${cmd}: ${dev.iface.ifname} inet ${METADATA_IP}/${dev.metadata.prefixlen}`]
    if (dev.metadata.prefixlen !== 16 && dev.metadata.prefixlen !== 32) {
      return warn(`${METADATA_IP}/${dev.metadata.prefixlen} on ${dev.iface.ifname}: the agent uses /16 (up to Ussuri) or /32 (Victoria on)`, evidence)
    }
    return pass(`${METADATA_IP}/${dev.metadata.prefixlen} is on ${dev.iface.ifname}`, evidence)
  },
}

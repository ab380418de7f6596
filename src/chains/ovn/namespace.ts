/** The ovnmeta-NET namespace on this chassis: it exists, its veth holds the metadata port's addresses, its peer is on br-int. */
import type {NetworkEvidence, ProcessRecord} from '../../evidence/evidence.js'
import {clip, shq} from '../common/text.js'
import {devicesShown, interfaces, namespaceLine, namespaceList, namespaceListHas, processArgs, ran} from '../common/evidence.js'
import {METADATA_IP} from '../common/net.js'
import {type Check, cmd as fixCmd, fail, pass, skip, warn} from '../types.js'
import {metadataPorts, ovsFacts, portCidrs, portMac, restartOvnAgent, sbFacts} from './facts.js'
import {isSignalablePid} from '../../evidence/ids.js'

/**
 * The network's live haproxys outside its namespace (the pid file's one included): left behind by
 * `ip netns del`, they keep the deleted namespace (and its veth) alive.
 */
export function orphanHaproxies(ev: NetworkEvidence): ProcessRecord[] {
  const listed = namespaceListHas(ev, ev.namespace)
  // a pid no fix may kill (0, 1: see isSignalablePid) is no haproxy of this network's
  const outside = (p: ProcessRecord) =>
    p.alive && isSignalablePid(p.pid) && (!listed || (ev.namespaceInode !== undefined && p.netns !== undefined && p.netns !== ev.namespaceInode))
  const fromPidFile = ev.processes.filter((p) => p.role === 'proxy' && outside(p) && (processArgs(p) ?? []).join(' ').includes(ev.network))
  return [...fromPidFile, ...(ev.ovn?.haproxies ?? []).filter(outside)]
}

/** For the checks inside the namespace: a skip when it is gone (ovn.namespace says why, and may only warn). */
export const namespaceGone = (ev: NetworkEvidence) =>
  namespaceListHas(ev, ev.namespace) ? undefined : skip(`${ev.namespace} does not exist (see ovn.namespace)`)

const showProc = (p: ProcessRecord) => `pid ${p.pid} (${p.netns ?? 'netns ?'}): ${clip((processArgs(p) ?? []).join(' '), 200)}`

export const ovnNamespace: Check = {
  id: 'ovn.namespace',
  needs: ['ovn.local-vif'],
  title: 'the ovnmeta-NET namespace exists (a real namespace, not a stale /run/netns entry)',
  run(ev) {
    const list = namespaceList(ev)
    if (!list)
      return fail(
        `\`${ran(ev.namespaces)}\` failed: ${clip(ev.namespaces.stderr.trim() || ev.namespaces.error || 'no output')}`,
        [],
        fixCmd(`sudo quantum-meta diagnose ${shq(ev.network)}`, 'listing the namespaces needs root: run diagnose as root on the chassis'),
      )
    const line = namespaceLine(ev, ev.namespace)
    const orphans = orphanHaproxies(ev)
    if (!line) {
      if (orphans.length > 0) {
        return warn(
          `${ev.namespace} was deleted, but its haproxy (pid ${orphans.map((p) => p.pid).join(', ')}) lives on in the deleted namespace and still answers instances: at the agent's next restart or resync it re-creates ${ev.namespace} without a haproxy (it sees this one alive), and metadata stops`,
          orphans.map(showProc),
          fixCmd(`kill ${orphans.map((p) => p.pid).join(' ')}; ${restartOvnAgent(ev)}`, `the agent re-creates ${ev.namespace} with a new haproxy`),
        )
      }
      return fail(
        `no ${ev.namespace} on this chassis although a VM of the network is bound here: its instances' metadata requests go unanswered (ARP for the metadata port's address fails)`,
        [`${ran(ev.namespaces)}: no ${ev.namespace}`],
        fixCmd(restartOvnAgent(ev), 'the agent provisions a namespace at start, on a resync, or when a VM port binds here'),
      )
    }
    if (ev.addresses && ev.addresses.exitCode !== 0) {
      return fail(
        `${ev.namespace} is listed but cannot be entered (${clip(ev.addresses.stderr.trim() || ev.addresses.error || 'no output', 120)}): a stale /run/netns entry`,
        [`${ran(ev.addresses)}: exit ${ev.addresses.exitCode}`],
        fixCmd(`ip netns del ${shq(ev.namespace)}; ${restartOvnAgent(ev)}`, 'the stale /run/netns entry goes; the agent provisions the namespace again'),
      )
    }
    return pass(`${ev.namespace} exists`, [`${ran(ev.namespaces)}: ${line.trim()}`])
  },
}

export const ovnNamespaceAddresses: Check = {
  id: 'ovn.namespace-addresses',
  needs: ['ovn.namespace'],
  title: `the namespace's veth is up with ${METADATA_IP}/32, the metadata port's IPv4 addresses and its MAC`,
  run(ev) {
    const gone = namespaceGone(ev)
    if (gone) return gone
    const sb = sbFacts(ev.ovn!)
    if (!sb.ok) return skip('the SB is not readable (see ovn.chassis)')
    const port = metadataPorts(sb.value)[0]
    const want = portCidrs(port).filter((c) => !c.v6)
    const all = interfaces(ev)
    const cmd = ev.addresses ? ran(ev.addresses) : 'ip addr'
    if (!all) return skip(`no address list of ${ev.namespace} in the evidence`)
    const dev =
      all.find((i) => i.ifname !== 'lo' && i.addresses.some((a) => a.local === METADATA_IP)) ??
      all.find((i) => /^tap/.test(i.ifname)) ??
      all.find((i) => i.ifname !== 'lo')
    const fix = fixCmd(restartOvnAgent(ev), 'it re-adds the addresses when it provisions the network')
    if (!dev)
      return fail(
        `no device in ${ev.namespace} but lo: the agent's veth is gone`,
        devicesShown(ev.addresses, (t) => clip(t, 200)),
        fix,
      )
    const has = (ip: string) => dev.addresses.some((a) => a.local === ip)
    const evidence = [`${cmd}: ${dev.ifname} <${dev.flags.join(',')}> ${dev.addresses.map((a) => `${a.local}/${a.prefixlen}`).join(' ')}`]
    if (dev.flags.length > 0 && !dev.up)
      return fail(
        `${dev.ifname} in ${ev.namespace} is down`,
        evidence,
        fixCmd(`ip netns exec ${shq(ev.namespace)} ip link set ${shq(dev.ifname)} up`, 'the device is down', {
          command: restartOvnAgent(ev),
          why: 'the agent sets it up when it provisions the network',
        }),
      )
    const missing = [...(has(METADATA_IP) ? [] : [`${METADATA_IP}/32`]), ...want.filter((c) => !has(c.ip)).map((c) => `${c.ip}/${c.prefixlen}`)]
    if (missing.length > 0)
      return fail(
        `${dev.ifname} in ${ev.namespace} lacks ${missing.join(', ')}: ${has(METADATA_IP) ? 'instances cannot reach the metadata port' : 'haproxy cannot bind, or nothing answers on the metadata address'}`,
        evidence,
        fix,
      )
    const mac = portMac(port)
    if (mac && dev.mac && dev.mac !== mac) {
      return fail(
        `${dev.ifname} has MAC ${dev.mac}, the metadata port ${port.logicalPort} has ${mac}: instances' frames to the port's MAC never reach it`,
        [...evidence, `${cmd}: ${dev.ifname} link/ether ${dev.mac}`],
        fix,
      )
    }
    return pass(`${dev.ifname} holds ${METADATA_IP} and ${want.map((c) => c.ip).join(', ')}`, evidence)
  },
}

export const ovnBridgePort: Check = {
  id: 'ovn.br-int-port',
  needs: ['ovn.namespace'],
  title: "the veth's peer is an OVS interface with external_ids:iface-id = the metadata port, without error",
  run(ev) {
    const o = ovsFacts(ev.ovn!)
    const sb = sbFacts(ev.ovn!)
    if (!o.ok || !sb.ok) return skip('the OVSDB rows are not readable (see ovn.chassis)')
    const port = metadataPorts(sb.value)[0]
    const ifaces = o.value.interfaces.filter((i) => i.ifaceId === port.logicalPort)
    const name = `tap${ev.network.slice(0, 10)}0`
    const fix = fixCmd(restartOvnAgent(ev), `it plugs ${name} into ${o.value.ovnBridge} with iface-id=${port.logicalPort}`)
    if (ifaces.length === 0) {
      return fail(
        `no OVS interface carries iface-id=${port.logicalPort} (the metadata port): the namespace is cut off from ${o.value.ovnBridge}`,
        [`ovs-vsctl list Interface: ${o.value.interfaces.length} interfaces, none with that iface-id`],
        fix,
      )
    }
    const i = ifaces[0]
    const evidence = ifaces.map(
      (x) => `Interface ${x.name}: iface-id=${x.ifaceId} ofport=${x.ofport ?? '?'} link_state=${x.linkState ?? '?'} error=${x.error ?? '[]'}`,
    )
    if (i.error || (i.ofport !== undefined && i.ofport < 0)) return fail(`OVS cannot use ${i.name}: ${i.error ?? `ofport ${i.ofport}`}`, evidence, fix)
    if (i.linkState === 'down')
      return fail(
        `${i.name} (the metadata port's veth on ${o.value.ovnBridge}) is down`,
        evidence,
        fixCmd(`ip link set ${shq(i.name)} up`, 'the veth is down', {command: restartOvnAgent(ev), why: 'the agent plugs it again'}),
      )
    const mac = portMac(port)
    if (ifaces.length > 1) return warn(`${ifaces.length} OVS interfaces carry the metadata port's iface-id`, evidence, fix)
    return pass(`${i.name} is on OVS with iface-id ${port.logicalPort}${mac ? ` (port MAC ${mac})` : ''}`, evidence)
  },
}

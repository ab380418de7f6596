/**
 * IPv6 metadata in the ovnmeta namespace (24.0.0+): fe80::a9fe:a9fe/64 on the namespace's veth, usable,
 * haproxy bound to it; and with --probe a GET over IPv6. The judgment is ../common/ipv6.ts's; this file
 * gives it the OVN agent's device, rule and fixes.
 */
import {METADATA_IP} from '../common/net.js'
import {shq} from '../common/text.js'
import {interfaces} from '../common/evidence.js'
import {IPV6_CHECK_TITLE, METADATA_V6_IP, judgeIpv6Metadata, judgeProbe6} from '../common/ipv6.js'
import {type Check, cmd, fail, notAsked, skip} from '../types.js'
import {metadataPorts, portCidrs, restartOvnAgent, sbFacts} from './facts.js'
import {namespaceGone} from './namespace.js'

export const ovnMetadataV6: Check = {
  id: 'ovn.metadata-v6',
  needs: ['ovn.namespace'],
  title: IPV6_CHECK_TITLE,
  run(ev) {
    const gone = namespaceGone(ev)
    if (gone) return gone
    if (ev.addresses?.notCollected !== undefined) return skip(`${METADATA_V6_IP}: the namespace's addresses are not in the evidence`)
    const all = interfaces(ev)
    if (!all) return skip(`no address list of ${ev.namespace} in the evidence`)
    const device =
      all.find((i) => i.ifname !== 'lo' && i.addresses.some((a) => a.local === METADATA_IP)) ??
      all.find((i) => /^tap/.test(i.ifname)) ??
      all.find((i) => i.ifname !== 'lo')
    if (!device) return fail(`no device in ${ev.namespace} but lo (see ovn.namespace-addresses)`, [], cmd(restartOvnAgent(ev), 'it plugs the veth again'))
    const sb = ev.ovn ? sbFacts(ev.ovn) : undefined
    const port = sb?.ok ? metadataPorts(sb.value)[0] : undefined
    const v6 = port ? portCidrs(port).find((c) => c.v6) : undefined
    return judgeIpv6Metadata(ev, {
      agent: 'the OVN metadata agent',
      device,
      findRival: {
        command: `openstack port list --network ${shq(ev.network)} --long`,
        why: "the network's ports: the metadata port is a localport on each chassis, so the other holder is a port on this chassis (an instance or a device configured with the address)",
      },
      proxyCheck: 'ovn.haproxy',
      restart: restartOvnAgent(ev),
      rival: 'another port on the network',
      since: [24, 0, 0],
      v6Subnet: v6 ? `${v6.ip}/${v6.prefixlen} on the metadata port ${port!.logicalPort}` : port ? null : undefined,
    })
  },
}

export const ovnProbe6: Check = {
  id: 'ovn.probe6',
  needs: ['ovn.metadata-v6'],
  title: `with --probe: GET http://[${METADATA_V6_IP}%DEV]/ from inside ovnmeta-NET answers, where ${METADATA_V6_IP} is usable`,
  run(ev, ctx) {
    if (!ctx.probe) return notAsked('not run (add --probe to send one GET over IPv6 from inside the namespace)')
    const judged = judgeProbe6(ev, restartOvnAgent(ev))
    if (judged) return judged
    const usable = interfaces(ev)?.some((i) => i.addresses.some((a) => a.local === METADATA_V6_IP && !a.tentative && !a.dadfailed))
    return usable
      ? skip(`not in the evidence: it was collected without the IPv6 probe (a GET of http://${METADATA_IP}/ only)`)
      : notAsked(`not run: ${METADATA_V6_IP} is not usable in ${ev.namespace} (see ovn.metadata-v6)`)
  },
}

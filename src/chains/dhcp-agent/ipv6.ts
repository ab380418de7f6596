/**
 * IPv6 metadata in the qdhcp namespace (17.0.0+): fe80::a9fe:a9fe/64 on the DHCP port's device, usable,
 * haproxy bound to it; and with --probe a GET over IPv6. The judgment is ../common/ipv6.ts's; this
 * file gives it the DHCP agent's device, rule and fixes.
 */
import {METADATA_IP} from '../common/net.js'
import {shq} from '../common/text.js'
import {readList, readSubnet} from '../common/api.js'
import {interfaces} from '../common/evidence.js'
import {IPV6_CHECK_TITLE, METADATA_V6_IP, atLeast, judgeIpv6Metadata, judgeProbe6, parseVersion} from '../common/ipv6.js'
import {parseOpts} from '../../parse/opts.js'
import type {NetworkEvidence} from '../../evidence/evidence.js'
import {P} from './api.js'
import {dhcpDevice, restartAgent, servedByRouter} from './facts.js'
import {type Check, type CheckContext, notAsked, notHere, skip} from '../types.js'

/** An IPv6 subnet of the network as the evidence shows it: the API's subnets, the DHCP port's global address, the opts' option6 lines. */
function v6Subnet(ev: NetworkEvidence): string | null | undefined {
  const subnets = readList(ev, P.subnets(ev.network), 'subnets', readSubnet)
  const fromApi = subnets?.find((s) => s.ip_version === 6)
  if (fromApi) return `${fromApi.cidr}, from the API`
  const global = dhcpDevice(ev)?.iface.addresses.find((a) => a.family === 'inet6' && a.scope === 'global')
  if (global) return `${global.local}/${global.prefixlen} on the DHCP port`
  if (ev.opts.state === 'present' && parseOpts(ev.opts.content ?? '').some((o) => o.ipv6)) return "option6 lines in the network's opts file"
  return subnets ? null : undefined
}

/** With several DHCP agents only one keeps the address; since 21.1.1 (23.0.0) the others delete theirs. */
function severalAgents(ev: NetworkEvidence): string | undefined {
  const release = parseVersion(ev.neutronRelease?.version)
  const agents = readList(ev, P.agents(ev.network), 'agents', (a) => a)
  if (!release || !atLeast(release, [21, 1, 1]) || !agents || agents.length < 2) return undefined
  return `the network has ${agents.length} DHCP agents and only one keeps ${METADATA_V6_IP} (from 21.1.1 the others delete their copy when DAD fails): diagnose with every host's snapshot, cross.ipv6-metadata names the holder`
}

/** Another host of the network, judged together with this one, whose DHCP port holds a usable fe80::a9fe:a9fe. */
function peerHolds(ctx: CheckContext): string | undefined {
  const holders = (ctx.peers ?? []).filter((p) =>
    dhcpDevice(p)?.iface.addresses.some((a) => a.family === 'inet6' && a.local === METADATA_V6_IP && !a.tentative && !a.dadfailed),
  )
  return holders.length === 1 ? 'the DHCP port of another host judged here (see cross.ipv6-metadata)' : undefined
}

export const namespaceMetadataV6: Check = {
  id: 'namespace.metadata-v6',
  needs: ['namespace.dhcp-address'],
  title: IPV6_CHECK_TITLE,
  run(ev, ctx) {
    if (ev.addresses?.notCollected !== undefined) return skip(`${METADATA_V6_IP}: the namespace's addresses are not in the evidence`)
    if (servedByRouter(ev)) {
      return notHere(
        `the router serves metadata for this network (see opts.metadata-route): its radvd announces ${METADATA_V6_IP}/128 and its proxy answers, not the DHCP port`,
      )
    }
    const device = dhcpDevice(ev)!.iface
    return judgeIpv6Metadata(ev, {
      absentExcuse: severalAgents(ev),
      agent: 'the DHCP agent',
      device,
      findRival: {
        command: `openstack network agent list --network ${shq(ev.network)}`,
        why: "the network's DHCP agents: exactly one should hold a usable copy (diagnose with each host's snapshot: cross.ipv6-metadata names it)",
      },
      peerHolds: peerHolds(ctx),
      proxyCheck: 'proxy.running',
      restart: restartAgent(ev),
      rival: "another host or port on the network (with several DHCP agents, another agent's DHCP port)",
      since: [17, 0, 0],
      v6Subnet: v6Subnet(ev),
    })
  },
}

export const probeHttp6: Check = {
  id: 'probe.http6',
  needs: ['namespace.metadata-v6'],
  title: `with --probe: GET http://[${METADATA_V6_IP}%DEV]/ from inside the namespace answers, where ${METADATA_V6_IP} is usable`,
  run(ev, ctx) {
    if (!ctx.probe) return notAsked('not run (add --probe to send one GET over IPv6 from inside the namespace)')
    const judged = judgeProbe6(ev, restartAgent(ev))
    if (judged) return judged
    // the collector probes only a usable address: none was, or the evidence predates probe6
    const usable = interfaces(ev)?.some((i) => i.addresses.some((a) => a.local === METADATA_V6_IP && !a.tentative && !a.dadfailed))
    return usable
      ? skip(`not in the evidence: it was collected without the IPv6 probe (a GET of http://${METADATA_IP}/ only)`)
      : notAsked(`not run: ${METADATA_V6_IP} is not usable in ${ev.namespace} (see namespace.metadata-v6)`)
  },
}

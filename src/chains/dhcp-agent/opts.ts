import {type OptsLine, isClasslessRoute, isRouterOption, isWin2k3Route, parseOpts, routePairs} from '../../parse/opts.js'
import {METADATA_IP, sameSubnet} from '../common/net.js'
import {clip, shq, sq} from '../common/text.js'
import {dhcpDevice, dnsmasqArgs, forceMetadata, metadataHops, restartAgent, routedMetadata} from './facts.js'
import {notInEvidence, processOf} from '../common/evidence.js'
import {type Check, type CommandFix, type Finding, cmd, fail, notHere, notJudged, pass, skip, warn} from '../types.js'
import type {NetworkEvidence} from '../../evidence/evidence.js'
import {isSignalablePid} from '../../evidence/ids.js'

/** What an opts line may hold for a by-hand edit to quote it: Neutron's own characters (tags, options, addresses). */
const PLAIN_OPTS = /^[A-Za-z0-9:.,/_-]+$/
/** A BRE matching exactly `text` (PLAIN_OPTS characters: only `.` and `/` need it). */
const exactly = (text: string) => `^${text.replaceAll('.', '\\.').replaceAll('/', '\\/')}$`

/**
 * The by-hand edit that routes 169.254.169.254/32 via `ip` for the instances of tag `tag`, keeping every
 * other pair: RFC 3442 has a client that takes option 121 ignore option 3, so a 121 line holding only
 * the metadata pair would take away the default route and the host routes at the next renewal (Neutron
 * writes `0.0.0.0/0,<gateway>` into the same line for that reason). An existing 121 line (and its 249
 * twin) of the tag gets the pair, or its stale metadata next hop replaced, in place (sed, matching the
 * whole line as it was read: a file rewritten since is left alone); without one, a new line carries
 * the metadata pair and the tag's default route. Undefined when the tag or a line holds characters
 * Neutron does not write (then only the agent's restart is offered).
 */
export function metadataRouteEdit(path: string, lines: readonly OptsLine[], tag: string | undefined, ip: string, twin249: boolean): string | undefined {
  if (!/^\d{1,3}(\.\d{1,3}){3}$/.test(ip) || (tag !== undefined && !PLAIN_OPTS.test(tag))) return undefined
  const mine = lines.filter((o) => !o.ipv6 && o.tag === tag)
  const routes = mine.filter((o) => isClasslessRoute(o) || isWin2k3Route(o))
  if (routes.length > 0) {
    if (!routes.every((o) => PLAIN_OPTS.test(o.raw) && o.raw.endsWith(o.values.join(',')) && routePairs(o.values).errors.length === 0)) return undefined
    const edits = routes.map((o) => {
      const {pairs} = routePairs(o.values)
      const stale = pairs.some((p) => p.destination === METADATA_IP && p.prefixlen === 32)
      const rest = o.raw.slice(0, o.raw.length - o.values.join(',').length)
      const values = stale
        ? pairs.map((p) => `${p.destination}/${p.prefixlen},${p.destination === METADATA_IP && p.prefixlen === 32 ? ip : p.nexthop}`).join(',')
        : [...o.values, `${METADATA_IP}/32`, ip].join(',')
      return `-e ${sq(`s/${exactly(o.raw)}/${`${rest}${values}`.replaceAll('/', '\\/')}/`)}`
    })
    return `sed -i ${edits.join(' ')} ${shq(path)}`
  }
  const gateway = mine.find(isRouterOption)?.values[0]
  const pairs = `${METADATA_IP}/32,${ip}${gateway && /^\d{1,3}(\.\d{1,3}){3}$/.test(gateway) ? `,0.0.0.0/0,${gateway}` : ''}`
  const at = tag === undefined ? '' : `tag:${tag},`
  const add = [`${at}option:classless-static-route,${pairs}`, ...(twin249 ? [`${at}249,${pairs}`] : [])]
  return `printf '\\n%s' ${add.map(sq).join(' ')} >> ${shq(path)}`
}

/**
 * `opts verify` where the namespace cannot be seen (opts.metadata-route skipped): the opts file alone.
 * No 121 line with a 169.254.169.254/32 pair fails; one that has it is the right form, but whether its
 * next hop is this network's DHCP port is not judged (a skip: exit 3). Undefined without the file.
 */
export function optsFormOnly(ev: NetworkEvidence, route: Finding): Finding | undefined {
  const file = ev.opts
  if (file.state !== 'present' || file.content === undefined) return undefined
  const lines = parseOpts(file.content).filter((o) => !o.ipv6)
  const quote = (o: OptsLine) => `${file.path}:${o.line}: ${clip(o.raw)}`
  const withMeta = lines.filter((o) => isClasslessRoute(o) && metadataHops(o).length > 0)
  if (withMeta.length === 0) {
    return {
      ...fail(
        `no classless-static-route (121) line in ${file.path} has a ${METADATA_IP}/32 pair: instances get no route to ${METADATA_IP}`,
        lines.length > 0 ? lines.map(quote) : [`${file.path}: no option lines`],
        cmd(restartAgent(ev), 'the agent rewrites opts with the route when enable_isolated_metadata (or force_metadata) is on'),
      ),
      id: route.id,
    }
  }
  const hops = [...new Set(withMeta.flatMap(metadataHops))]
  return {
    ...skip(
      `${file.path} routes ${METADATA_IP}/32 via ${hops.join(', ')}; whether that is this network's DHCP port is not judged (${route.summary})`,
      withMeta.map(quote),
    ),
    id: route.id,
  }
}

export const optsMetadataRoute: Check = {
  id: 'opts.metadata-route',
  needs: ['namespace.dhcp-address'],
  title: 'opts has 121 with 169.254.169.254/32 via the DHCP port IP, on a tag dnsmasq serves (and 249 on Neutron)',
  run(ev) {
    const dev = dhcpDevice(ev)!
    const file = ev.opts
    const restart = restartAgent(ev)
    const dnsmasq = dnsmasqArgs(ev)
    const ranges = (dnsmasq?.ranges ?? []).filter((r) => /^\d+\.\d+\.\d+\.\d+$/.test(r.network))
    const ips = dev.ipv4.map((a) => a.local)
    // the tag of the range each device address serves, for the line to paste
    const tagFor = (ip: string) => ranges.find((r) => sameSubnet(ip, r.network, dev.ipv4.find((a) => a.local === ip)!.prefixlen))?.tag
    const pid = processOf(ev, 'dnsmasq')?.pid
    const hup = isSignalablePid(pid) ? ` && kill -HUP ${pid}` : ''
    // instances keep the lease they have: the new route reaches them at renewal (half the lease time)
    const renew = `running instances get the route when they renew their lease (dhcp_lease_duration: ${ev.layout === 'quantum' ? '120 s by default in Grizzly' : '86400 s by default'}) or reboot`
    // the agent's restart makes Neutron rewrite the line itself; the by-hand edit keeps every other pair
    const byHand = (tag: string | undefined, ip: string): CommandFix | undefined => {
      // without the tag (no dnsmasq command line) an untagged line would reach every subnet's instances
      if (tag === undefined) return undefined
      const edit =
        file.state === 'present' && file.content !== undefined
          ? metadataRouteEdit(file.path, parseOpts(file.content), tag, ip, ev.layout === 'neutron')
          : undefined
      return edit
        ? {command: `${edit}${hup}`, why: `or by hand, keeping every other route of ${file.path}${hup ? ' (and dnsmasq re-reads it on HUP)' : ''}; ${renew}`}
        : undefined
    }
    // Grizzly tags its first subnet tag0; a modern agent's tag is the subnet's id, which only dnsmasq's ranges tell
    const fixLine = cmd(
      restart,
      `the agent rewrites opts with the route; ${renew}`,
      byHand(tagFor(ips[0]) ?? (ev.layout === 'quantum' ? 'tag0' : undefined), ips[0]),
    )

    if (file.state === 'not-collected') return notJudged(notInEvidence(file))
    if (file.state !== 'present' || file.content === undefined) {
      return fail(
        `no opts file ${file.path}`,
        [`${file.path}: ${file.state === 'missing' ? 'no such file' : (file.error ?? file.state)}`],
        cmd(restart, 'the agent writes opts when it sets up the network'),
      )
    }
    const lines = parseOpts(file.content).filter((o) => !o.ipv6)
    const routes = lines.filter(isClasslessRoute)
    const withMeta = routes.filter((o) => metadataHops(o).length > 0)
    const quote = (o: OptsLine) => `${file.path}:${o.line}: ${clip(o.raw)}`
    if (withMeta.length === 0) {
      const seen = lines.length > 0 ? lines.map(quote) : [`${file.path}: no option lines`]
      const routers = lines.filter(isRouterOption)
      if (ev.layout === 'quantum' && routers.length > 0 && routers.every((o) => (o.values[0] ?? '') !== '')) {
        // Grizzly/Havana add the route only to subnets without a gateway (gateway_ip null)
        return fail(
          `no ${METADATA_IP} route: every subnet has a gateway (${routers.map((o) => o.values[0]).join(', ')}), and this release serves isolated metadata only on subnets without one`,
          seen,
          cmd(
            `openstack subnet list --network ${shq(ev.network)}`,
            `the network's subnets: remove the gateway of one (openstack subnet set --gateway none SUBNET), or add a gateway-less DHCP subnet on a free range with quantum-meta subnet create ${shq(ev.network)} CIDR`,
          ),
        )
      }
      return fail(
        routes.length === 0
          ? `no classless-static-route (121) line in opts: instances get no route to ${METADATA_IP}`
          : `the classless-static-route lines have no ${METADATA_IP}/32 pair`,
        seen,
        fixLine,
      )
    }
    const good = withMeta.filter((o) => metadataHops(o).some((h) => ips.includes(h)))
    if (good.length === 0) {
      const hops = [...new Set(withMeta.flatMap(metadataHops))]
      if (routedMetadata(ev)) {
        // Liberty+: a subnet whose gateway a router port holds is not isolated; the agent then
        // routes 169.254.169.254 via that gateway, and the router's metadata proxy answers
        if (!forceMetadata(ev))
          return notHere(
            `${METADATA_IP} goes via the subnet gateway ${hops.join(', ')}: a router holds it, so the subnet is not isolated and no route to this DHCP port is expected (force_metadata is off): the router serves metadata (quantum-meta diagnose ${ev.network} --backend l3-agent)`,
            [...withMeta.map(quote), `${dev.iface.ifname}: ${ips.join(', ')}`],
          )
        return fail(
          `${METADATA_IP} goes via the subnet gateway ${hops.join(', ')}, though force_metadata is on: every network's route should go via this DHCP port (a router holds the gateway, so the router's metadata proxy serves it meanwhile)`,
          [...withMeta.map(quote), `${dev.iface.ifname}: ${ips.join(', ')}`],
          cmd(
            restart,
            "the agent rewrites opts with the route via this DHCP port (before Rocky only at a restart); the router's metadata proxy serves meanwhile",
            {
              command: `quantum-meta diagnose ${shq(ev.network)} --backend l3-agent`,
              why: "or first judge the router's metadata proxy, which serves the network meanwhile",
            },
          ),
        )
      }
      return fail(
        `the route sends ${METADATA_IP} via ${hops.join(', ')}, but the DHCP port here is ${ips.join(', ')}: stale opts, or the subnet is routed (a router serves metadata)`,
        [...withMeta.map(quote), `${dev.iface.ifname}: ${ips.join(', ')}`],
        fixLine,
      )
    }
    const evidence = good.map(quote)
    if (ranges.length > 0) {
      const served = new Set(ranges.map((r) => r.tag))
      const tagged = good.filter((o) => served.has(o.tag))
      if (tagged.length === 0) {
        return fail(
          `the metadata route is on tag ${good.map((o) => o.tag ?? '(none)').join(', ')}, but dnsmasq sets ${[...served].join(', ')}: no client gets it`,
          [...evidence, ...ranges.map((r) => `dnsmasq --dhcp-range=${r.raw}`)],
          cmd(restart, 'the agent writes opts and the dnsmasq ranges together'),
        )
      }
    } else {
      evidence.push('(dnsmasq command line not available: tag not compared with --dhcp-range)')
    }
    // Every IPv4 subnet dnsmasq serves gets its own route (its own tag, via its own DHCP address): one
    // subnet's line does not help the instances of another. The modern agent silently leaves a
    // subnet's route out when that subnet's DHCP address was not on the device as it wrote opts.
    const subnets = ranges.flatMap((r) => {
      const addr = dev.ipv4.find((a) => sameSubnet(a.local, r.network, a.prefixlen))
      if (!addr) return [] // namespace.dhcp-address judges a subnet with no address on the device
      const tagged = lines.filter((o) => o.tag === r.tag)
      const hops = tagged.filter(isClasslessRoute).flatMap(metadataHops)
      const router = tagged.find(isRouterOption)
      // no gateway (an empty option:router) means isolated by every release's rule; on the Ussuri+
      // layout (subnet-<uuid> tags) a routed subnet still gets a route, via its gateway
      const mustHave = router?.values.every((v) => v === '') || r.tag?.startsWith('subnet-') === true
      return [{hops, ip: addr.local, label: `${r.network}/${addr.prefixlen} (tag ${r.tag ?? '(none)'})`, mustHave, tag: r.tag}]
    })
    const missing = subnets.filter((x) => x.mustHave && x.hops.length === 0)
    if (missing.length > 0) {
      const m = missing[0]
      return fail(
        `${missing.map((x) => x.label).join(', ')} ${missing.length === 1 ? 'has' : 'have'} no ${METADATA_IP} route, though ${missing.length === 1 ? 'its DHCP address' : 'their DHCP addresses'} ${missing.map((x) => x.ip).join(', ')} ${missing.length === 1 ? 'is' : 'are'} on ${dev.iface.ifname}: those instances get no metadata route (the agent leaves it out when the address was not on the device as it wrote opts)`,
        [...evidence, ...missing.map((x) => `${file.path}: no classless-static-route with ${METADATA_IP}/32 on tag ${x.tag}`)],
        cmd(restart, `the agent rewrites opts now that the address is up; ${renew}`, byHand(m.tag, m.ip)),
      )
    }
    const served = subnets.filter((x) => x.hops.includes(x.ip))
    const routed = subnets.filter((x) => x.hops.length > 0 && !x.hops.includes(x.ip))
    const notes = routed.map((x) => `tag ${x.tag}: ${METADATA_IP} via ${x.hops.join(', ')} (not this DHCP port: a router serves that subnet's metadata)`)
    const goodTagged = served.length > 0 ? good.filter((o) => served.some((x) => x.tag === o.tag)) : good.slice(0, 1)
    if (ev.layout === 'neutron') {
      const noTwin = goodTagged.filter((g) => !lines.some((o) => isWin2k3Route(o) && o.tag === g.tag && metadataHops(o).some((h) => ips.includes(h))))
      if (noTwin.length > 0) {
        return warn(
          `${METADATA_IP}/32 is served, but the option 249 twin is missing on tag ${noTwin.map((o) => o.tag ?? '(none)').join(', ')} (Windows guests read 249)`,
          [...evidence, ...notes],
          cmd(restart, 'Neutron writes the 249 line with the 121 line'),
        )
      }
    }
    const via = (o: OptsLine) =>
      `${metadataHops(o)
        .filter((h) => ips.includes(h))
        .join(', ')} on tag ${o.tag ?? '(none)'}`
    return pass(
      goodTagged.length === 1
        ? `${METADATA_IP}/32 via ${via(goodTagged[0])}`
        : `${METADATA_IP}/32 on each of ${goodTagged.length} subnets: via ${goodTagged.map(via).join('; ')}`,
      [...evidence, ...notes],
    )
  },
}

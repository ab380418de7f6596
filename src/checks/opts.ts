import {type OptsLine, isClasslessRoute, isWin2k3Route, parseOpts} from '../parse/opts.js'
import {METADATA_IP, clip, dhcpDevice, dnsmasqArgs, metadataHops, processOf, restartAgent, sameSubnet} from './derive.js'
import {type Check, fail, pass, warn} from './types.js'

export const optsMetadataRoute: Check = {
  id: 'opts.metadata-route',
  needs: ['namespace.dhcp-address'],
  run(ev) {
    const dev = dhcpDevice(ev)!
    const file = ev.opts
    const restart = restartAgent(ev.layout)
    const dnsmasq = dnsmasqArgs(ev)
    const ranges = (dnsmasq?.ranges ?? []).filter((r) => /^\d+\.\d+\.\d+\.\d+$/.test(r.network))
    const ips = dev.ipv4.map((a) => a.local)
    // the tag of the range each device address serves, for the line to paste
    const tagFor = (ip: string) => ranges.find((r) => sameSubnet(ip, r.network, dev.ipv4.find((a) => a.local === ip)!.prefixlen))?.tag
    const want = ips.map((ip) => `tag:${tagFor(ip) ?? (ev.layout === 'quantum' ? 'tag0' : 'subnet-<SUBNET-ID>')},option:classless-static-route,${METADATA_IP}/32,${ip}`)
    const pid = processOf(ev, 'dnsmasq')?.pid
    const hup = pid ? ` && kill -HUP ${pid}` : ''
    const fixLine = `printf '\\n%s' '${want[0]}' >> ${file.path}${hup}    (or ${restart}: the agent rewrites opts)`

    if (file.state !== 'present' || file.content === undefined) {
      return fail(`no opts file ${file.path}`, [`${file.path}: ${file.state === 'missing' ? 'no such file' : file.error ?? file.state}`], restart)
    }
    const lines = parseOpts(file.content).filter((o) => !o.ipv6)
    const routes = lines.filter(isClasslessRoute)
    const withMeta = routes.filter((o) => metadataHops(o).length > 0)
    const quote = (o: OptsLine) => `${file.path}:${o.line}: ${clip(o.raw)}`
    if (withMeta.length === 0) {
      const seen = lines.length > 0 ? lines.map(quote) : [`${file.path}: no option lines`]
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
          `${restart}    (the agent writes opts and the dnsmasq ranges together)`,
        )
      }
    } else {
      evidence.push('(dnsmasq command line not available: tag not compared with --dhcp-range)')
    }
    const line = good[0]
    if (ev.layout === 'neutron') {
      const twin = lines.some((o) => isWin2k3Route(o) && o.tag === line.tag && metadataHops(o).some((h) => ips.includes(h)))
      if (!twin) {
        return warn(
          `${METADATA_IP}/32 via ${metadataHops(line).join(', ')} is served, but the option 249 twin is missing (Windows guests read 249)`,
          evidence,
          `${restart}    (Neutron writes the 249 line with the 121 line)`,
        )
      }
    }
    return pass(`${METADATA_IP}/32 via ${metadataHops(line).filter((h) => ips.includes(h)).join(', ')} on tag ${line.tag ?? '(none)'}`, evidence)
  },
}

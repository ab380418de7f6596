import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseIpRoute, parseRouteN, type Route} from '../../../src/parse/routes.js'

const fx = (p: string) => readFileSync(new URL(`../../fixtures/node/${p}`, import.meta.url), 'utf8')
const core = (rs: Route[]) => rs.map(({destination, dev, gateway, prefixlen}) => ({destination, dev, gateway, prefixlen}))

describe('parseRouteN', () => {
  it('reads the Grizzly namespace: the /16 metadata address shows as 169.254.0.0/16 on the tap', () => {
    expect(parseRouteN(fx('grizzly-seed/route-n.txt'))).toEqual([
      {destination: '169.254.0.0', dev: 'tapc2ac4ed4-f3', flags: 'U', gateway: null, prefixlen: 16},
      {destination: '172.17.17.0', dev: 'tapc2ac4ed4-f3', flags: 'U', gateway: null, prefixlen: 24},
    ])
  })

  it('shows no 169.254 route at all in a modern (/32) gateway-less namespace', () => {
    const routes = parseRouteN(fx('zed/basic-isolated/route-n.txt'))
    expect(routes).toEqual([{destination: '198.51.100.0', dev: 'ns-cdca02dc-a8', flags: 'U', gateway: null, prefixlen: 24}])
  })

  it('reads the default route a subnet with a gateway gets even without a router', () => {
    const def = parseRouteN(fx('zed/a-gateway/route-n.txt')).find((r) => r.prefixlen === 0)
    expect(def).toEqual({destination: '0.0.0.0', dev: 'ns-5ade4ae2-36', flags: 'UG', gateway: '203.0.113.1', prefixlen: 0})
  })

  it('reads the VM host route to the metadata IP via the DHCP port (UGH, 255.255.255.255)', () => {
    const md = parseRouteN(fx('zed/vm1/route-n.txt')).find((r) => r.destination === '169.254.169.254')
    expect(md).toEqual({destination: '169.254.169.254', dev: 'eth0', flags: 'UGH', gateway: '198.51.100.1', prefixlen: 32})
  })

  it('synthetic: a non-contiguous genmask, route -n -A inet6 lines and junk are skipped', () => {
    const text = [
      'Kernel IP routing table',
      'Destination     Gateway         Genmask         Flags Metric Ref    Use Iface',
      '10.0.0.0        0.0.0.0         255.0.255.0     U     0      0        0 eth9',
      '::1/128                        ::                         Un   0   2     0 lo',
      'garbage',
      '192.0.2.0       0.0.0.0         255.255.255.128 U     0      0        0 eth0',
    ].join('\n')
    expect(parseRouteN(text)).toEqual([{destination: '192.0.2.0', dev: 'eth0', flags: 'U', gateway: null, prefixlen: 25}])
  })
})

describe('parseIpRoute', () => {
  it('reads `default via` and the kernel on-link route (lines end in a space)', () => {
    expect(parseIpRoute(fx('zed/a-gateway/ip-route.txt'))).toEqual([
      {destination: '0.0.0.0', dev: 'ns-5ade4ae2-36', gateway: '203.0.113.1', prefixlen: 0},
      {destination: '203.0.113.0', dev: 'ns-5ade4ae2-36', gateway: null, prefixlen: 24},
    ])
  })

  it('reads a host route printed without /32 and agrees with route -n of the same VM', () => {
    const ip = parseIpRoute(fx('zed/vm1/ip-route.txt'))
    expect(ip[0]).toEqual({destination: '169.254.169.254', dev: 'eth0', gateway: '198.51.100.1', prefixlen: 32})
    expect(core(ip)).toEqual(core(parseRouteN(fx('zed/vm1/route-n.txt'))))
  })

  it('agrees with route -n on the Zed metadata-network namespace (default via 169.254.0.1)', () => {
    const ip = parseIpRoute(fx('zed/d2-mdnet/ip-route.txt'))
    expect(core(ip)).toEqual(core(parseRouteN(fx('zed/d2-mdnet/route-n.txt'))))
    expect(ip[0].gateway).toBe('169.254.0.1')
  })

  it('reads `ip -j route` JSON the same as the text of the same capture', () => {
    const json = parseIpRoute(fx('buildhost/unshare/ip-j-route.json'))
    expect(json).toEqual(parseIpRoute(fx('buildhost/unshare/ip-route.txt')))
    expect(json[0]).toEqual({destination: '0.0.0.0', dev: 'ns-cdca02dc-a8', gateway: '198.51.100.254', prefixlen: 0})
  })

  it('synthetic: multipath hops, typed routes, IPv6 default and onlink flags', () => {
    const text = [
      'default proto static metric 100 ',
      '\tnexthop via 192.0.2.1 dev eth0 weight 1 ',
      '\tnexthop via 192.0.2.2 dev eth1 weight 1 ',
      'unreachable 10.99.0.0/16 ',
      '169.254.169.254 via 10.0.0.1 dev tap1 onlink ',
      'default via fe80::1 dev eth0 proto ra metric 1024 expires 1798sec pref medium',
      'this is not a route',
    ].join('\n')
    expect(parseIpRoute(text)).toEqual([
      {destination: '0.0.0.0', dev: 'eth0', gateway: '192.0.2.1', prefixlen: 0},
      {destination: '0.0.0.0', dev: 'eth1', gateway: '192.0.2.2', prefixlen: 0},
      {destination: '10.99.0.0', gateway: null, prefixlen: 16},
      {destination: '169.254.169.254', dev: 'tap1', flags: 'onlink', gateway: '10.0.0.1', prefixlen: 32},
      {destination: '::', dev: 'eth0', gateway: 'fe80::1', prefixlen: 0},
    ])
  })

  it('synthetic: JSON multipath and broken JSON', () => {
    const json =
      '[{"dst":"default","protocol":"static","flags":[],"nexthops":[{"gateway":"192.0.2.1","dev":"eth0","weight":1,"flags":[]},{"gateway":"192.0.2.2","dev":"eth1","weight":1,"flags":["onlink"]}]}]'
    expect(parseIpRoute(json)).toEqual([
      {destination: '0.0.0.0', dev: 'eth0', gateway: '192.0.2.1', prefixlen: 0},
      {destination: '0.0.0.0', dev: 'eth1', flags: 'onlink', gateway: '192.0.2.2', prefixlen: 0},
    ])
    expect(parseIpRoute('[{"dst": ')).toEqual([])
  })
})

import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseIpAddr} from '../../../src/parse/ip-addr.js'

const fx = (p: string) => readFileSync(new URL(`../../fixtures/node/${p}`, import.meta.url), 'utf8')
const cidrs = (text: string, ifname: string) =>
  parseIpAddr(text)
    .find((i) => i.ifname === ifname)
    ?.addresses.map((a) => `${a.local}/${a.prefixlen}`)

describe('parseIpAddr: text form', () => {
  it('reads the Grizzly seed, whose lines lost their indentation: /16 metadata IP on the tap', () => {
    const itfs = parseIpAddr(fx('grizzly-seed/ip-4-a.txt'))
    expect(itfs.map((i) => i.ifname)).toEqual(['lo', 'tapc2ac4ed4-f3'])
    const tap = itfs[1]
    expect(tap).toMatchObject({ifindex: 23, state: 'UNKNOWN', up: true})
    expect(tap.flags).toContain('PROMISC')
    expect(tap.addresses).toEqual([
      {family: 'inet', label: 'tapc2ac4ed4-f3', local: '172.17.17.1', prefixlen: 24, scope: 'global'},
      {family: 'inet', label: 'tapc2ac4ed4-f3', local: '169.254.169.254', prefixlen: 16, scope: 'global'},
    ])
    expect(cidrs(fx('grizzly-seed/ip-4-a.txt'), 'lo')).toEqual(['127.0.0.1/8'])
  })

  it('strips the @ifN peer suffix and finds the Zed /32 metadata address on the ns- device', () => {
    const itfs = parseIpAddr(fx('zed/basic-isolated/ip-4-a.txt'))
    const ns = itfs.find((i) => i.ifname === 'ns-cdca02dc-a8')
    expect(ns).toMatchObject({ifindex: 2, state: 'UP', up: true})
    expect(ns?.addresses.map((a) => `${a.local}/${a.prefixlen}`)).toEqual(['198.51.100.1/24', '169.254.169.254/32'])
    expect(itfs.some((i) => i.ifname.includes('@'))).toBe(false)
  })

  it('reads the IPv6 twin fe80::a9fe:a9fe/64 (lines end in a space after `scope link`)', () => {
    const ns = parseIpAddr(fx('zed/basic-isolated/ip-6-a.txt')).find((i) => i.ifname === 'ns-cdca02dc-a8')
    expect(ns?.addresses[0]).toEqual({family: 'inet6', local: 'fe80::a9fe:a9fe', prefixlen: 64, scope: 'link'})
    expect(ns?.addresses).toHaveLength(2)
  })

  it('shows the metadata address gone after enable_isolated_metadata=False (scenario b)', () => {
    expect(cidrs(fx('zed/b-after-isolated/ip-4-a.txt'), 'ns-cdca02dc-a8')).toEqual(['198.51.100.1/24'])
  })

  it('keeps both addresses of a 169.254.0.0/16 metadata network (scenario d2)', () => {
    expect(cidrs(fx('zed/d2-mdnet/ip-4-a.txt'), 'ns-5435036c-6e')).toEqual(['169.254.169.254/32', '169.254.0.2/16'])
  })

  it('reads the fake VM: eth0@if79 is eth0 with its DHCP address', () => {
    const eth0 = parseIpAddr(fx('zed/vm1/ip-4-a.txt')).find((i) => i.ifname === 'eth0')
    expect(eth0).toMatchObject({ifindex: 78, up: true})
    expect(eth0?.addresses.map((a) => a.local)).toEqual(['198.51.100.149'])
  })

  it('reads full `ip a` with link/ether and both families (build machine)', () => {
    const ns = parseIpAddr(fx('buildhost/unshare/ip-a.txt')).find((i) => i.ifname === 'ns-cdca02dc-a8')
    expect(ns?.ifindex).toBe(3)
    expect(ns?.addresses.map((a) => `${a.family} ${a.local}/${a.prefixlen}`)).toEqual([
      'inet 198.51.100.1/24',
      'inet 169.254.169.254/32',
      'inet6 fe80::a9fe:a9fe/64',
      'inet6 fe80::9459:8aff:fe1b:2335/64',
    ])
  })

  it('synthetic: a DOWN device is not up; secondary and peer addresses are read', () => {
    const text = [
      '7: tapdead-00: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default qlen 1000',
      '    inet 10.9.0.1/24 brd 10.9.0.255 scope global tapdead-00',
      '    inet 10.9.0.7/24 scope global secondary tapdead-00:1',
      '8: ppp0: <POINTOPOINT,UP,LOWER_UP> mtu 1400 qdisc fq state UNKNOWN',
      '    inet 10.64.0.1 peer 10.64.0.2/32 scope global ppp0',
    ].join('\n')
    const [tap, ppp] = parseIpAddr(text)
    expect(tap).toMatchObject({ifname: 'tapdead-00', state: 'DOWN', up: false})
    expect(tap.addresses[1]).toMatchObject({label: 'tapdead-00:1', local: '10.9.0.7', prefixlen: 24})
    expect(ppp.addresses[0]).toMatchObject({local: '10.64.0.1', prefixlen: 32})
  })

  it('synthetic: address lines before any interface and noise are skipped, not thrown on', () => {
    expect(parseIpAddr('    inet 10.0.0.1/8 scope global x\nCannot find device "foo"\n')).toEqual([])
    expect(parseIpAddr('')).toEqual([])
  })
})

describe('parseIpAddr: one-line form (ip -o)', () => {
  it('reads the Zed lab output (valid_lft tail cut by the lab) and marks flags unknown', () => {
    const itfs = parseIpAddr(fx('zed/basic-isolated/ip-4-o-addr-show.txt'))
    expect(itfs.map((i) => i.ifname)).toEqual(['lo', 'ns-cdca02dc-a8'])
    expect(cidrs(fx('zed/basic-isolated/ip-4-o-addr-show.txt'), 'ns-cdca02dc-a8')).toEqual(['198.51.100.1/24', '169.254.169.254/32'])
    // ip -o addr prints no link flags: empty flags, so `up` says nothing
    expect(itfs[1].flags).toEqual([])
    expect(itfs[1].up).toBe(false)
  })

  it('reads the real `\\    valid_lft` tail without gluing it to the label', () => {
    const itfs = parseIpAddr(fx('buildhost/unshare/ip-o-a.txt'))
    const ns = itfs.find((i) => i.ifname === 'ns-cdca02dc-a8')
    expect(ns?.addresses.map((a) => a.label)).toEqual(['ns-cdca02dc-a8', 'ns-cdca02dc-a8', undefined, undefined])
    expect(ns?.addresses[2]).toEqual({family: 'inet6', local: 'fe80::a9fe:a9fe', prefixlen: 64, scope: 'link'})
    expect(itfs.find((i) => i.ifname === 'lo')?.addresses[0].label).toBe('lo')
  })

  it('gives the same addresses as the multi-line form of the same capture', () => {
    const strip = (t: string) => parseIpAddr(t).map((i) => ({addresses: i.addresses, ifname: i.ifname}))
    expect(strip(fx('buildhost/unshare/ip-o-a.txt'))).toEqual(strip(fx('buildhost/unshare/ip-a.txt')))
  })
})

describe('parseIpAddr: JSON form (ip -j addr)', () => {
  it('reads flags, operstate and addresses, and agrees with `ip a` of the same capture', () => {
    const json = parseIpAddr(fx('buildhost/unshare/ip-j-addr.json'))
    const text = parseIpAddr(fx('buildhost/unshare/ip-a.txt'))
    expect(json).toEqual(text)
    expect(json.find((i) => i.ifname === 'ns-cdca02dc-a8')).toMatchObject({ifindex: 3, state: 'UP', up: true})
  })

  it('synthetic: JSON without flags falls back to operstate; broken JSON gives [] instead of throwing', () => {
    const itfs = parseIpAddr('[{"ifname":"eth0@if12","operstate":"DOWN","addr_info":[{"family":"inet","local":"192.0.2.9","prefixlen":24}]}]')
    expect(itfs).toEqual([{addresses: [{family: 'inet', local: '192.0.2.9', prefixlen: 24}], flags: [], ifname: 'eth0', state: 'DOWN', up: false}])
    expect(parseIpAddr('[{"ifname": "eth0", ')).toEqual([])
    expect(parseIpAddr('[1, null, {"ifname": 3}]')).toEqual([])
  })
})

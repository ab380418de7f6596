import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseDnsmasqArgs} from '../../../src/parse/dnsmasq.js'
import {parseOpts} from '../../../src/parse/opts.js'
import {parsePsF} from '../../../src/parse/processes.js'

const fx = (p: string) => readFileSync(new URL(`../../fixtures/node/${p}`, import.meta.url), 'utf8')
const argsOf = (p: string) => parsePsF(fx(p))[0].args

describe('parseDnsmasqArgs', () => {
  it('reads the Grizzly command line: --interface, --bind-interfaces, tag0 range with a 120 s lease', () => {
    const d = parseDnsmasqArgs(argsOf('grizzly-seed/ps-f-dnsmasq-fold.txt'))
    expect(d).toEqual({
      bindDynamic: false,
      bindInterfaces: true,
      confFile: '/etc/quantum/dnsmasq.conf',
      hostsFile: '/var/lib/quantum/dhcp/01cce415-8e2b-4096-92b5-7acc67163d79/host',
      interface: 'tapc2ac4ed4-f3',
      localService: false,
      optsFile: '/var/lib/quantum/dhcp/01cce415-8e2b-4096-92b5-7acc67163d79/opts',
      pidFile: '/var/lib/quantum/dhcp/01cce415-8e2b-4096-92b5-7acc67163d79/pid',
      ranges: [{lease: '120s', mode: 'static', network: '172.17.17.0', raw: 'set:tag0,172.17.17.0,static,120s', tag: 'tag0'}],
    })
  })

  it('reads the Zed command line: no --interface, --local-service --bind-dynamic, subnet- tag, netmask', () => {
    const d = parseDnsmasqArgs(argsOf('zed/basic-isolated/ps-f-dnsmasq.txt'))
    expect(d.interface).toBeUndefined()
    expect(d).toMatchObject({bindDynamic: true, bindInterfaces: false, confFile: '/dev/null', localService: true})
    expect(d.ranges).toEqual([
      {
        lease: '86400s',
        mode: 'static',
        netmask: '255.255.255.0',
        network: '198.51.100.0',
        raw: 'set:subnet-366aea06-40b3-4962-8342-b8b7c326e34d,198.51.100.0,static,255.255.255.0,86400s',
        tag: 'subnet-366aea06-40b3-4962-8342-b8b7c326e34d',
      },
    ])
    expect(d.optsFile).toBe('/var/lib/neutron/dhcp/debe22fb-0d6c-4b70-9763-b422a9442bb1/opts')
  })

  it('gives the range tag that the opts file of the same network uses', () => {
    for (const [ps, opts] of [
      ['grizzly-seed/ps-f-dnsmasq-fold.txt', 'grizzly-seed/opts'],
      ['zed/a-gateway/ps-f-dnsmasq.txt', 'zed/a-gateway/opts'],
      ['zed/d2-mdnet/ps-f-dnsmasq.txt', 'zed/d2-mdnet/opts'],
    ]) {
      const tags = parseDnsmasqArgs(argsOf(ps)).ranges.map((r) => r.tag)
      expect(tags).toContain(parseOpts(fx(opts))[0].tag)
    }
  })

  it('reads the /16 metadata network range (d2)', () => {
    expect(parseDnsmasqArgs(argsOf('zed/d2-mdnet/ps-f-dnsmasq.txt')).ranges[0]).toMatchObject({netmask: '255.255.0.0', network: '169.254.0.0'})
  })

  it('synthetic: `--opt value` form, dnsmasq < 2.59 bare tag, empty --conf-file=, IPv6 range, short options', () => {
    const d = parseDnsmasqArgs([
      '/usr/sbin/dnsmasq',
      '--no-hosts',
      '--interface',
      'ns-12345678-9a',
      '--dhcp-optsfile',
      '/s/opts',
      '--dhcp-range=tag0,10.0.0.0,static,120s',
      '--dhcp-range',
      'set:subnet-b,2001:db8::,static,64,86400s',
      '--conf-file=',
      '-x',
      '/s/pid',
      '--bogus',
    ])
    expect(d.interface).toBe('ns-12345678-9a')
    expect(d.optsFile).toBe('/s/opts')
    expect(d.pidFile).toBe('/s/pid')
    expect(d.confFile).toBe('')
    expect(d.ranges.map((r) => [r.tag, r.network, r.mode, r.netmask, r.lease])).toEqual([
      ['tag0', '10.0.0.0', 'static', undefined, '120s'],
      ['subnet-b', '2001:db8::', 'static', '64', '86400s'],
    ])
    expect(parseDnsmasqArgs([])).toEqual({bindDynamic: false, bindInterfaces: false, localService: false, ranges: []})
  })
})

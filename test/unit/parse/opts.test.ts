import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {isClasslessRoute, isWin2k3Route, parseOpts, routePairs} from '../../../src/parse/opts.js'

const fx = (p: string) => readFileSync(new URL(`../../fixtures/node/${p}`, import.meta.url), 'utf8')
const metadataHop = (text: string) => {
  const line = parseOpts(text).find((o) => isClasslessRoute(o))
  return line ? routePairs(line.values).pairs.find((p) => p.destination === '169.254.169.254')?.nexthop : undefined
}

describe('parseOpts on real files', () => {
  it('reads the Grizzly line: tag0, option 121 by name, metadata via the DHCP port 172.17.17.1', () => {
    const lines = parseOpts(fx('grizzly-seed/opts'))
    expect(lines).toEqual([
      {
        line: 1,
        option: 'classless-static-route',
        raw: 'tag:tag0,option:classless-static-route,169.254.169.254/32,172.17.17.1',
        tag: 'tag0',
        values: ['169.254.169.254/32', '172.17.17.1'],
      },
    ])
    expect(routePairs(lines[0].values)).toEqual({errors: [], pairs: [{destination: '169.254.169.254', nexthop: '172.17.17.1', prefixlen: 32}]})
    expect(lines.some((l) => isWin2k3Route(l))).toBe(false)
  })

  it('reads the Zed file (no trailing newline): 121 by name, 249 by number, a bare option:router', () => {
    const text = fx('zed/basic-isolated/opts')
    expect(text.endsWith('\n')).toBe(false)
    const lines = parseOpts(text)
    expect(lines.map((l) => [l.line, l.option, l.values.length])).toEqual([
      [1, 'classless-static-route', 2],
      [2, '249', 2],
      [3, 'router', 0],
    ])
    expect(new Set(lines.map((l) => l.tag))).toEqual(new Set(['subnet-366aea06-40b3-4962-8342-b8b7c326e34d']))
    expect(isClasslessRoute(lines[0])).toBe(true)
    expect(isWin2k3Route(lines[1])).toBe(true)
    expect(routePairs(lines[1].values).pairs).toEqual(routePairs(lines[0].values).pairs)
    expect(metadataHop(text)).toBe('198.51.100.1')
  })

  it('reads the gateway case: metadata via the DHCP port .2, then the default route via .1', () => {
    const lines = parseOpts(fx('zed/a-gateway/opts'))
    expect(routePairs(lines[0].values).pairs).toEqual([
      {destination: '169.254.169.254', nexthop: '203.0.113.2', prefixlen: 32},
      {destination: '0.0.0.0', nexthop: '203.0.113.1', prefixlen: 0},
    ])
    expect(lines[2]).toMatchObject({option: 'router', values: ['203.0.113.1']})
  })

  it('shows the metadata route moved to the router (.1) once a router port exists (a2)', () => {
    expect(metadataHop(fx('zed/a2-after-gateway/opts'))).toBe('203.0.113.1')
    expect(metadataHop(fx('zed/d2-mdnet/opts'))).toBe('169.254.0.1')
  })

  it('shows no option 121/249 line after enable_isolated_metadata=False (b)', () => {
    const lines = parseOpts(fx('zed/b-after-isolated/opts'))
    expect(lines.map((l) => l.option)).toEqual(['router'])
    expect(metadataHop(fx('zed/b-after-isolated/opts'))).toBeUndefined()
  })
})

describe('parseOpts, synthetic lines (formats from facts-by-release.md A2)', () => {
  it('reads tags without `tag:` (dnsmasq < 2.59), numeric 121 and option:249, option6, CRLF and comments', () => {
    const text = [
      '# written by hand',
      'tag0,option:router',
      'tag:tag1,121,169.254.169.254/32,10.0.0.2',
      'tag:tag1,option:249,169.254.169.254/32,10.0.0.2',
      '',
      'tag:subnet-aaaa,option6:dns-server,[2001:db8::1]',
      'option:dns-server,8.8.8.8\r',
      'not an option line',
    ].join('\n')
    const lines = parseOpts(text)
    expect(lines.map((l) => [l.line, l.tag, l.option, l.values])).toEqual([
      [2, 'tag0', 'router', []],
      [3, 'tag1', '121', ['169.254.169.254/32', '10.0.0.2']],
      [4, 'tag1', '249', ['169.254.169.254/32', '10.0.0.2']],
      [6, 'subnet-aaaa', 'dns-server', ['[2001:db8::1]']],
      [7, undefined, 'dns-server', ['8.8.8.8']],
    ])
    expect(lines.filter((l) => isClasslessRoute(l)).map((l) => l.line)).toEqual([3])
    expect(lines.filter((l) => isWin2k3Route(l)).map((l) => l.line)).toEqual([4])
    expect(lines[3].ipv6).toBe(true)
  })

  it('routePairs reports an odd count, a bad address and a bad prefix, and keeps the good pairs', () => {
    const r = routePairs(['169.254.169.254/32', '10.0.0.2', '0.0.0.0/0', '10.0.0.300', '10.1.0.0/33', '10.0.0.1', '192.0.2.0/24'])
    expect(r.pairs).toEqual([{destination: '169.254.169.254', nexthop: '10.0.0.2', prefixlen: 32}])
    expect(r.errors).toHaveLength(3)
    expect(r.errors[0]).toMatch(/odd number of values \(7\).*192\.0\.2\.0\/24/)
    expect(r.errors[1]).toMatch(/bad next hop '10\.0\.0\.300'/)
    expect(r.errors[2]).toMatch(/bad destination '10\.1\.0\.0\/33'/)
    expect(routePairs(['169.254.169.254', '10.0.0.2']).errors[0]).toMatch(/bad destination/)
    expect(routePairs([])).toEqual({errors: [], pairs: []})
  })
})

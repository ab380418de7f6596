// fe80::a9fe:a9fe as this machine's iproute2 6.1 printed it in each state of duplicate address detection
// (test/fixtures/ipv6/SOURCES.md): the parsers keep `tentative` and `dadfailed` from every form.
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {parseIpAddr} from '../../../src/parse/ip-addr.js'

const v6File = (f: string) => readFileSync(new URL(`../../fixtures/ipv6/${f}`, import.meta.url), 'utf8')

describe('iproute2 6.1 in the three DAD states (real outputs)', () => {
  it('JSON: tentative alone while DAD runs, dadfailed and tentative once it failed, neither when usable', () => {
    const addr = (state: string) =>
      parseIpAddr(v6File(`ip-j-${state}.json`))
        .find((i) => i.ifname === 'tapqmv6fx0')!
        .addresses.find((a) => a.local === 'fe80::a9fe:a9fe')
    expect(addr('healthy')).toEqual({family: 'inet6', local: 'fe80::a9fe:a9fe', prefixlen: 64, scope: 'link'})
    expect(addr('tentative')).toMatchObject({tentative: true})
    expect(addr('tentative')?.dadfailed).toBeUndefined()
    expect(addr('dadfailed')).toMatchObject({dadfailed: true, tentative: true})
  })

  it('text and one-line forms say the same', () => {
    const find = (text: string) =>
      parseIpAddr(text)
        .flatMap((i) => i.addresses)
        .find((a) => a.local === 'fe80::a9fe:a9fe')
    expect(find(v6File('ip-healthy.txt'))).toEqual({family: 'inet6', local: 'fe80::a9fe:a9fe', prefixlen: 64, scope: 'link'})
    expect(find(v6File('ip-tentative.txt'))).toMatchObject({tentative: true})
    expect(find(v6File('ip-6-o-tentative.txt'))).toMatchObject({tentative: true})
    expect(find(v6File('ip-dadfailed.txt'))).toMatchObject({dadfailed: true, tentative: true})
    expect(find(v6File('ip-6-o-dadfailed.txt'))).toMatchObject({dadfailed: true, tentative: true})
  })
})

import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {MAX_LEASES, parseLeases} from '../../../src/parse/leases.js'

const fx = (p: string) => readFileSync(new URL(`../../fixtures/leases/${p}`, import.meta.url), 'utf8')

describe('parseLeases on real lease files', () => {
  it('dnsmasq 2.90 after two udhcpc clients (one with client id 01:MAC, one without)', () => {
    expect(parseLeases(fx('dnsmasq-2.90.leases'))).toEqual({
      ipv6: 0,
      leases: [
        {expiry: 1795622418, hostname: 'host-198-51-100-23', ip: '198.51.100.23', line: 1, mac: 'fa:16:3e:3c:51:0e'},
        {clientId: '01:fa:16:3e:7d:b3:b3', expiry: 1795622418, hostname: 'host-198-51-100-149', ip: '198.51.100.149', line: 2, mac: 'fa:16:3e:7d:b3:b3'},
      ],
      skipped: 0,
      truncated: false,
    })
  })

  it("the real Zed node's lease of lab-vm1", () => {
    expect(parseLeases(fx('zed-lab-vm1.leases')).leases).toEqual([
      {clientId: '01:fa:16:3e:7d:b3:b3', expiry: 1795455806, hostname: 'host-198-51-100-149', ip: '198.51.100.149', line: 1, mac: 'fa:16:3e:7d:b3:b3'},
    ])
  })
})

describe('parseLeases on hostile or odd input', () => {
  it('skips lines of the wrong shape, keeps the good ones with their line numbers', () => {
    const text = [
      '1795622418 fa:16:3e:3c:51:0e 198.51.100.23 host-198-51-100-23 *',
      'garbage',
      '1795622418 fa:16:3e:3c:51:0e 999.1.1.1 h *', // not an IPv4 address
      'x795622418 fa:16:3e:3c:51:0e 198.51.100.24 h *', // expiry not a number
      '1795622418 fa:16:3e:3c:51:0e 198.51.100.25 h\u001b[31m *', // escape in the hostname
      '1795622418 zz:16:3e:3c:51:0e 198.51.100.26 h *', // not a MAC
      '1795622418 fa:16:3e:3c:51:0e 198.51.100.27 h * extra', // six fields
      `1795622418 fa:16:3e:3c:51:0e 198.51.100.28 ${'a'.repeat(3000)} *`, // an over-long line
      '',
      '0 20-00:00:fe:80:00:00:00:00:00:00:00:02 198.51.100.29 * *', // InfiniBand (type prefix), infinite lease
    ].join('\r\n')
    const r = parseLeases(text)
    expect(r.leases.map((l) => [l.line, l.ip, l.mac, l.expiry])).toEqual([
      [1, '198.51.100.23', 'fa:16:3e:3c:51:0e', 1795622418],
      [10, '198.51.100.29', '20-00:00:fe:80:00:00:00:00:00:00:00:02', 0],
    ])
    expect(r.skipped).toBe(7)
  })

  it('DHCPv6 lines after the `duid` line name no MAC: counted apart', () => {
    const text =
      '1795622418 fa:16:3e:3c:51:0e 198.51.100.23 * *\nduid 00:01:00:01:2e:d6:1c:3a:fa:16:3e:04:4a:f7\n1795622418 1234 2001:db8::5 * 00:01:00:01:aa:bb\n'
    const r = parseLeases(text)
    expect(r.leases.map((l) => l.ip)).toEqual(['198.51.100.23'])
    expect(r.ipv6).toBe(1)
    expect(r.skipped).toBe(0)
  })

  it('a huge file is read up to MAX_LEASES leases, saying so', () => {
    const line = '1795622418 fa:16:3e:3c:51:0e 198.51.100.23 host-198-51-100-23 *\n'
    const started = Date.now()
    const r = parseLeases(line.repeat(MAX_LEASES + 500))
    expect(r.leases).toHaveLength(MAX_LEASES)
    expect(r.truncated).toBe(true)
    expect(Date.now() - started).toBeLessThan(2000)
  })
})

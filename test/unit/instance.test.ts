// The instance's port from API answers (src/openstack/instance.ts), pure; its mark in the result:
// test/unit/instance-mark.test.ts. Through the built CLI against a stand-in API: test/cli/instance-cli.test.ts.
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {QmError} from '../../src/errors.js'
import {canonicalIp, pickPort, readInstancePort} from '../../src/openstack/instance.js'

// the real Zed lab's VM port (test/fixtures/api/SOURCES.md)
const VM = JSON.parse(readFileSync(new URL('../fixtures/api/zed-vm1-port.json', import.meta.url), 'utf8')).port
const NET2 = 'a3f1c0de-5b6a-4c7d-8e9f-0a1b2c3d4e5f'

const refused = (f: () => unknown): [string, number] | undefined => {
  try {
    f()
    return undefined
  } catch (error) {
    if (!(error instanceof QmError)) throw error
    return [error.message, error.exit]
  }
}

describe('readInstancePort', () => {
  it('the real port: its id, network, IPv4, MAC, the server (device_id) and the host it is bound to', () => {
    expect(readInstancePort(VM, 'port x')).toEqual({
      host: 'lab-host',
      ip: '198.51.100.149',
      ips: ['198.51.100.149'],
      mac: 'fa:16:3e:7d:b3:b3',
      network: '57433c16-aaa7-4968-bf51-91cf533e9e7f',
      owner: 'compute:nova',
      port: 'cb23e312-84d0-4027-8dbf-932acebb37af',
      server: '11111111-2222-4333-8444-555555555555',
    })
  })

  it('the address asked for, however written; else the first IPv4 (the one the metadata agent sees)', () => {
    const dual = {...VM, fixed_ips: [{ip_address: '2001:db8::5'}, {ip_address: '198.51.100.5'}, {ip_address: '198.51.100.6'}]}
    expect(readInstancePort(dual, 'p').ip).toBe('198.51.100.5')
    expect(readInstancePort(dual, 'p', '2001:DB8:0::5').ip).toBe('2001:db8::5')
    expect(readInstancePort(dual, 'p', '198.51.100.6').ip).toBe('198.51.100.6')
  })

  it('a hostile port: an id or network_id that is not a UUID is exit 3; a bad MAC, device_id or address is left out; escapes cut', () => {
    expect(refused(() => readInstancePort({...VM, network_id: '../x'}, 'port p'))).toEqual([
      'port p: the API answered port cb23e312-84d0-4027-8dbf-932acebb37af whose network_id is not a UUID: "../x"',
      3,
    ])
    expect(refused(() => readInstancePort({...VM, id: 7}, 'port p'))?.[1]).toBe(3)
    expect(refused(() => readInstancePort([VM], 'port p'))?.[1]).toBe(3)
    const odd = readInstancePort(
      {...VM, 'binding:host_id': 'a\u001b[2Jb', device_id: 'x; rm -rf /', fixed_ips: [{ip_address: 'nope'}, 'x'], mac_address: 'fa:16:3e:7d:b3:b3\n'},
      'p',
    )
    expect(odd).toMatchObject({host: 'ab', ips: []})
    expect(odd).not.toHaveProperty('mac')
    expect(odd).not.toHaveProperty('server')
    expect(odd).not.toHaveProperty('ip')
  })
})

describe('pickPort', () => {
  const a = readInstancePort(VM, 'p')
  const b = readInstancePort({...VM, id: 'cb23e312-84d0-4027-8dbf-932acebb37a0', network_id: NET2}, 'p')
  const c = readInstancePort({...VM, id: 'cb23e312-84d0-4027-8dbf-932acebb37a1'}, 'p')

  it('one port (listed twice is once); none, several networks or several ports: exit 2 naming them', () => {
    expect(pickPort([a, a], 'server s', undefined)).toBe(a)
    expect(refused(() => pickPort([], 'server s', NET2))).toEqual(['server s has no port on network ' + NET2, 2])
    expect(refused(() => pickPort([a, b], 'server s', undefined))?.[0]).toBe(
      `server s has ports on 2 networks: port ${a.port} on network ${a.network} (198.51.100.149) and port ${b.port} on network ${NET2} (198.51.100.149); give --network NET (one of them)`,
    )
    expect(refused(() => pickPort([a, c], 'server s', undefined))?.[0]).toMatch(/^server s has 2 ports on network \S+: .*; give --port PORT$/)
  })

  it('a long list is cut at ten, the rest counted', () => {
    const many = Array.from({length: 25}, (_, i) => ({...a, network: `${i}`.padStart(8, '0') + a.network.slice(8), port: `p${i}`}))
    expect(refused(() => pickPort(many, 'address x', undefined))?.[0]).toMatch(/ and 15 more; give --network NET/)
  })
})

describe('canonicalIp', () => {
  it('IPv6 as Neutron stores it (RFC 5952), IPv4 as given', () => {
    expect(['2001:DB8:0:0::5', '2001:db8::5', 'fe80:0:0:0:0:0:a9fe:a9fe', '198.51.100.5'].map(canonicalIp)).toEqual([
      '2001:db8::5',
      '2001:db8::5',
      'fe80::a9fe:a9fe',
      '198.51.100.5',
    ])
  })
})

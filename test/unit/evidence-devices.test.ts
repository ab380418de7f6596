// An address listing quoted as evidence (chains/common/evidence.ts devicesShown): one line per device,
// never an `ip -j` JSON document cut mid-way at the clip length.
import {describe, expect, it} from 'vitest'

import {devicesShown} from '../../src/chains/common/evidence.js'
import {diagnoseEvidence} from '../../src/diagnose/service.js'
import {zed} from '../helpers/zed-evidence.js'

// `ip -j addr show` of a namespace whose DHCP port is gone: lo, and a long tail of fields (as iproute2 prints)
const LO_ONLY = JSON.stringify([
  {
    addr_info: [{family: 'inet', local: '127.0.0.1', prefixlen: 8, scope: 'host', label: 'lo', valid_life_time: 4294967295, preferred_life_time: 4294967295}],
    address: '00:00:00:00:00:00',
    broadcast: '00:00:00:00:00:00',
    flags: ['LOOPBACK', 'UP', 'LOWER_UP'],
    group: 'default',
    ifindex: 1,
    ifname: 'lo',
    link_type: 'loopback',
    mtu: 65536,
    operstate: 'UNKNOWN',
    qdisc: 'noqueue',
    txqlen: 1000,
  },
])

describe('devicesShown', () => {
  it('the DHCP device gone: namespace.dhcp-address quotes each device seen, not 1,000 characters of JSON', () => {
    const ev = zed()
    ev.addresses = {argv: ['ip', '-j', '-n', ev.namespace, 'addr', 'show'], exitCode: 0, stderr: '', stdout: LO_ONLY}
    const f = diagnoseEvidence(ev, {noApi: true, probe: false}).findings.find((x) => x.id === 'namespace.dhcp-address')!
    expect(f.status).toBe('fail')
    expect(f.evidence).toEqual([`ip -j -n ${ev.namespace} addr show: lo <LOOPBACK,UP,LOWER_UP> inet 127.0.0.1/8`])
  })

  it('text that is no listing is quoted raw (clipped); many devices end with a count', () => {
    expect(devicesShown({argv: ['ip', 'a'], exitCode: 1, stderr: 'Cannot open network namespace', stdout: ''}, (t) => t)).toEqual([
      'ip a: Cannot open network namespace',
    ])
    const many = JSON.stringify(Array.from({length: 25}, (_, i) => ({addr_info: [], flags: ['UP'], ifindex: i + 1, ifname: `tap${i}`})))
    const lines = devicesShown({argv: ['ip', '-j', 'a'], exitCode: 0, stderr: '', stdout: many}, (t) => t)
    expect(lines).toHaveLength(21)
    expect(lines[0]).toBe('ip -j a: tap0 <UP> no address')
    expect(lines[20]).toBe('ip -j a: and 5 more devices')
  })
})

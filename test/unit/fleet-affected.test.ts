import {describe, expect, it} from 'vitest'

import {judgeFleet} from '../../src/fleet/fleet.js'
import {AFFECTED_SHOWN, renderFleet} from '../../src/render/fleet.js'
import {checkSnapshot} from '../../src/chains/snapshot.js'
import {hostSnapshot, ZED_NET} from '../helpers/fleet-snapshots.js'
import {API, input, LEASES, three, VM1, VM2} from '../helpers/affected-fleet.js'

describe('HostReport.affected', () => {
  it('the broken host lists the two instances that leased from it, with port and device; healthy hosts list none', () => {
    const r = three()
    expect(r.hosts.map((h) => [h.host, h.healthy])).toEqual([
      ['net1', true],
      ['net2', false],
      ['net3', true],
    ])
    expect(r.hosts[0].affected).toBeUndefined() // healthy, though it holds the same lease file
    expect(r.hosts[2].affected).toBeUndefined()
    expect(r.hosts[1].affected).toEqual([
      {device: VM2.device, deviceOwner: 'compute:nova', hostname: 'host-198-51-100-23', ip: VM2.ip, mac: VM2.mac, port: 'cb23e312-84d0-4027-8dbf-932acebb37a1'},
      {
        device: VM1.device,
        deviceOwner: 'compute:nova',
        hostname: 'host-198-51-100-149',
        ip: VM1.ip,
        mac: VM1.mac,
        port: 'cb23e312-84d0-4027-8dbf-932acebb37a0',
      },
    ])
    const text = renderFleet(r, Number.POSITIVE_INFINITY)
    expect(text).toContain('2 instances leased from this host:')
    expect(text).toContain(`${VM1.mac} ${VM1.ip} host-198-51-100-149 port cb23e312-84d0-4027-8dbf-932acebb37a0 device ${VM1.device} (compute:nova)`)
    // listed under net2's fix
    expect(text.indexOf('net2: ')).toBeLessThan(text.indexOf('2 instances leased'))
    expect(JSON.parse(JSON.stringify(r)).hosts[1].affected).toHaveLength(2)
  })

  it('a lease that had ended when the snapshot was taken is marked expired (text and --json); one that never ends (0) is not', () => {
    // the snapshots are taken 2026-11-22T17:33:10Z; 1763800000 is 2025-11-22, 1795622418 2026-11-25
    const r = three(`${LEASES}\n1763800000 fa:16:3e:00:00:98 198.51.100.78 old-vm *\n0 fa:16:3e:00:00:97 198.51.100.79 * *\n`)
    const [, , , old, forever] = [undefined, ...r.hosts[1].affected!]
    expect(old).toEqual({expired: true, hostname: 'old-vm', ip: '198.51.100.78', mac: 'fa:16:3e:00:00:98'})
    expect(forever).toEqual({ip: '198.51.100.79', mac: 'fa:16:3e:00:00:97'})
    expect(r.hosts[1].affected!.slice(0, 2).every((a) => a.expired === undefined)).toBe(true)
    expect(renderFleet(r, Number.POSITIVE_INFINITY)).toContain('      fa:16:3e:00:00:98 198.51.100.78 old-vm (lease expired)')
  })

  it('a lease whose MAC no API port has is listed without port or device', () => {
    const r = three(`${LEASES}\n1795622418 fa:16:3e:00:00:99 198.51.100.77 * *\n`)
    expect(r.hosts[1].affected?.at(-1)).toEqual({ip: '198.51.100.77', mac: 'fa:16:3e:00:00:99'})
  })

  it('a broken host without a lease file (older snapshot) has no affected list', () => {
    const r = judgeFleet(ZED_NET, [input({api: API, host: 'net2', ip: '198.51.100.2'}, true)], {probe: false})
    expect(r.hosts[0].healthy).toBe(false)
    expect(r.hosts[0].affected).toBeUndefined()
  })

  it('the text shows at most AFFECTED_SHOWN, then how many more', () => {
    const many = Array.from(
      {length: AFFECTED_SHOWN + 7},
      (_, i) => `1795622418 fa:16:3e:00:01:${i.toString(16).padStart(2, '0')} 198.51.100.${i + 10} * *`,
    ).join('\n')
    const r = three(many)
    expect(r.hosts[1].affected).toHaveLength(AFFECTED_SHOWN + 7)
    const text = renderFleet(r, Number.POSITIVE_INFINITY)
    expect(text).toContain(`${AFFECTED_SHOWN + 7} instances leased from this host:`)
    expect(text).toContain('and 7 more (--json lists them all)')
    expect(text.match(/fa:16:3e:00:01:/g)).toHaveLength(AFFECTED_SHOWN)
  })

  it('a snapshot with a lease file reads through the schema; one without still reads', () => {
    const read = (s: unknown) => {
      const r = checkSnapshot(JSON.parse(JSON.stringify(s)))
      if (!r.ok) throw new Error(`${r.field}: ${r.problem}`)
      return r.snapshot.networks[0]
    }
    const withLeases = hostSnapshot({host: 'net2', ip: '198.51.100.2', leases: LEASES})
    expect(read(withLeases).leases?.content).toBe(LEASES)
    expect(read(hostSnapshot({host: 'net2', ip: '198.51.100.2'})).leases).toBeUndefined()
    const bad = JSON.parse(JSON.stringify(withLeases))
    bad.networks[0].leases = {path: 5, state: 'present'}
    expect(checkSnapshot(bad)).toMatchObject({field: 'networks[0].leases.path', ok: false})
  })
})

// The instance marked in diagnose's result (src/diagnose/instance.ts), pure: which host's DHCP leases
// file holds its MAC, and its line. Through the built CLI: test/cli/instance-cli.test.ts.
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'

import {instanceJson, instanceLine, leaseLines} from '../../src/diagnose/instance.js'
import {readInstancePort} from '../../src/openstack/instance.js'
import {LEASES} from '../helpers/affected-fleet.js'
import {hostEvidence} from '../helpers/fleet-snapshots.js'

// the real Zed lab's VM port (test/fixtures/api/SOURCES.md)
const VM = JSON.parse(readFileSync(new URL('../fixtures/api/zed-vm1-port.json', import.meta.url), 'utf8')).port
const NET2 = 'a3f1c0de-5b6a-4c7d-8e9f-0a1b2c3d4e5f'

describe('the instance marked', () => {
  const inst = readInstancePort({...VM, network_id: 'debe22fb-0d6c-4b70-9763-b422a9442bb1'}, 'p')
  const net1 = hostEvidence({host: 'net1', ip: '198.51.100.1', leases: LEASES})
  const net2 = hostEvidence({host: 'net2', ip: '198.51.100.2', leases: '1795622418 fa:16:3e:3c:51:0e 198.51.100.23 * *\n'})
  const LINE = '1795622418 fa:16:3e:7d:b3:b3 198.51.100.149 host-198-51-100-149 01:fa:16:3e:7d:b3:b3'

  it('the hosts whose leases file holds its MAC, with the line; [] when none does; absent when none was read', () => {
    expect(leaseLines(net1, inst.mac!)).toEqual([LINE])
    expect(
      instanceJson(inst, [
        {ev: net2, host: 'net2'},
        {ev: net1, host: 'net1'},
      ]).lease,
    ).toEqual([{host: 'net1', line: LINE}])
    expect(instanceJson(inst, [{ev: net2, host: 'net2'}]).lease).toEqual([])
    expect(instanceJson(inst, [{ev: {...net2, leases: undefined}, host: 'net2'}])).not.toHaveProperty('lease')
    // another network's evidence says nothing of this instance
    expect(instanceJson(inst, [{ev: {...net1, network: NET2}, host: 'net1'}])).not.toHaveProperty('lease')
  })

  it('its line', () => {
    expect(instanceLine(instanceJson(inst, [{ev: net1, host: 'net1'}]))).toBe(
      `instance: port ${inst.port}, server ${inst.server}, 198.51.100.149, fa:16:3e:7d:b3:b3, bound to lab-host; leased on net1: ${LINE}`,
    )
  })
})

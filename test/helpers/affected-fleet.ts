// Three hosts of the real Zed network (test/helpers/fleet-snapshots.ts), the second broken, two
// instances leased from the dnsmasq 2.90 lease fixture: the fleet the affected-instances tests judge
// (test/unit/fleet-affected.test.ts, test/cli/fleet-affected.test.ts).
import {readFileSync} from 'node:fs'

import {judgeFleet} from '../../src/fleet/fleet.js'
import type {HostInput} from '../../src/fleet/types.js'
import {type HostSpec, hostSnapshot, ZED_NET} from './fleet-snapshots.js'

export const LEASES = readFileSync(new URL('../fixtures/leases/dnsmasq-2.90.leases', import.meta.url), 'utf8')
export const VM1 = {device: '11111111-2222-4333-8444-555555555555', ip: '198.51.100.149', mac: 'fa:16:3e:7d:b3:b3'}
export const VM2 = {device: '66666666-7777-4888-9999-aaaaaaaaaaaa', ip: '198.51.100.23', mac: 'fa:16:3e:3c:51:0e'}
export const API = {
  agents: ['net1', 'net2', 'net3'],
  instances: [VM1, VM2],
  ports: [
    {host: 'net1', ip: '198.51.100.1'},
    {host: 'net2', ip: '198.51.100.2'},
    {host: 'net3', ip: '198.51.100.3'},
  ],
}
export const input = (spec: HostSpec, broken = false): HostInput => {
  const snapshot = hostSnapshot(spec)
  if (broken) snapshot.networks[0].upstreamSocket.connect = 'ECONNREFUSED'
  return {host: spec.host, snapshot}
}
export const three = (leases = LEASES) =>
  judgeFleet(
    ZED_NET,
    [
      input({api: API, host: 'net1', ip: '198.51.100.1', leases}),
      input({api: API, host: 'net2', ip: '198.51.100.2', leases}, true),
      input({api: API, host: 'net3', ip: '198.51.100.3'}),
    ],
    {probe: false},
  )

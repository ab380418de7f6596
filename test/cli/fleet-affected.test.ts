// The instances a broken host affects, in JUnit, checked against the schema with Debian's xmllint
// (test/fixtures/junit/SOURCES.md). The rest: test/unit/fleet-affected.test.ts.
import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

import {judgeFleet} from '../../src/fleet/fleet.js'
import type {HostInput} from '../../src/fleet/types.js'
import {junitOfFleet} from '../../src/render/junit.js'
import {type HostSpec, hostSnapshot, ZED_NET} from '../helpers/fleet-snapshots.js'

const LEASES = readFileSync(new URL('../fixtures/leases/dnsmasq-2.90.leases', import.meta.url), 'utf8')
const VM1 = {device: '11111111-2222-4333-8444-555555555555', ip: '198.51.100.149', mac: 'fa:16:3e:7d:b3:b3'}
const VM2 = {device: '66666666-7777-4888-9999-aaaaaaaaaaaa', ip: '198.51.100.23', mac: 'fa:16:3e:3c:51:0e'}
const API = {
  agents: ['net1', 'net2', 'net3'],
  instances: [VM1, VM2],
  ports: [
    {host: 'net1', ip: '198.51.100.1'},
    {host: 'net2', ip: '198.51.100.2'},
    {host: 'net3', ip: '198.51.100.3'},
  ],
}
const input = (spec: HostSpec, broken = false): HostInput => {
  const snapshot = hostSnapshot(spec)
  if (broken) snapshot.networks[0].upstreamSocket.connect = 'ECONNREFUSED'
  return {host: spec.host, snapshot}
}
const three = (leases = LEASES) =>
  judgeFleet(
    ZED_NET,
    [
      input({api: API, host: 'net1', ip: '198.51.100.1', leases}),
      input({api: API, host: 'net2', ip: '198.51.100.2', leases}, true),
      input({api: API, host: 'net3', ip: '198.51.100.3'}),
    ],
    {probe: false},
  )

describe('HostReport.affected', () => {
  it("JUnit: the instances are in the broken host's first failure, none elsewhere; the XML stays schema-valid", () => {
    const xml = junitOfFleet(three())
    const failures = [...xml.matchAll(/<failure [^>]*>([^<]*)<\/failure>/g)].map((m) => m[1])
    const withInstances = failures.filter((f) => f.includes('instances leased from this host'))
    expect(withInstances).toHaveLength(1)
    expect(withInstances[0]).toContain(
      `2 instances leased from this host:\n  ${VM2.mac} ${VM2.ip} host-198-51-100-23 port cb23e312-84d0-4027-8dbf-932acebb37a1 device ${VM2.device} (compute:nova)`,
    )
    const r = spawnSync('xmllint', ['--noout', '--schema', fileURLToPath(new URL('../fixtures/junit/junit-10.xsd', import.meta.url)), '-'], {
      encoding: 'utf8',
      input: xml,
    })
    expect(r.status, r.stderr).toBe(0)
  })
})

// The instances a broken host affects, in JUnit, checked against the schema with Debian's xmllint
// (test/fixtures/junit/SOURCES.md). The rest: test/unit/fleet-affected.test.ts.
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

import {junitOfFleet} from '../../src/render/junit.js'
import {three, VM2} from '../helpers/affected-fleet.js'

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

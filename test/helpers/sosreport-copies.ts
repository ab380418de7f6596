// The real sos 4.0 reports of test/fixtures/sosreport/ (SOURCES.md there), read by the DHCP collector's
// sosreport view, and copies of them to make hostile (test/unit/sosreport.test.ts, test/cli/sosreport.test.ts).
import {cpSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, expect} from 'vitest'

import {runChecks} from '../../src/chains/run.js'
import {QmError} from '../../src/errors.js'
import {readSosreport} from '../../src/fleet/sosreport.js'

export const FIXTURES = join(__dirname, '..', 'fixtures', 'sosreport')
export const HEALTHY = join(FIXTURES, 'healthy')
export const DEAD = join(FIXTURES, 'haproxy-dead')
export const NET = '43c92583-885a-40f5-962a-0e0539782df0'
export const NS = `qdhcp-${NET}`

export const tmp = mkdtempSync(join(tmpdir(), 'qm-sos-'))
afterAll(() => rmSync(tmp, {force: true, recursive: true}))
let n = 0
/** a copy of a fixture to change (symlinks copied as symlinks) */
export const copy = (from = HEALTHY) => {
  const dir = join(tmp, `sosreport-net1-2026-11-24-c${n++}`)
  cpSync(from, dir, {recursive: true, verbatimSymlinks: true})
  return dir
}
export const read = (dir: string) => readSosreport(dir, {tool: 'test'})
export const verdicts = async (dir: string) => {
  const {snapshot} = await read(dir)
  const ev = snapshot.networks.find((e) => e.network === NET)!
  return Object.fromEntries(runChecks(ev, {probe: false}).map((f) => [f.id, f]))
}
export const refusal = async (dir: string) => {
  try {
    await read(dir)
  } catch (error) {
    expect(error).toBeInstanceOf(QmError)
    return error as QmError
  }
  throw new Error(`${dir} was read`)
}

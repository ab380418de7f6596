// A snapshot is a file someone handed over: the whole document is checked against one schema. Here
// in-process: every snapshot checked in validates, random damage is rejected naming a field or
// diagnosed without a crash, and the check is cheap. Through the built CLI (exit codes, ids, printed
// fixes): test/cli/snapshot-schema.test.ts.
import fc from 'fast-check'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'

import {diagnoseEvidence} from '../../src/diagnose/service.js'
import {checkSnapshot} from '../../src/chains/snapshot.js'
import {ROOT} from '../helpers/cli.js'

const SEED = `${ROOT}examples/grizzly-seed.snapshot.json`
const seed = () => JSON.parse(readFileSync(SEED, 'utf8'))

/** every snapshot checked in (examples/, test/fixtures/) */
function shipped(): string[] {
  const found: string[] = []
  for (const base of [`${ROOT}examples`, `${ROOT}test/fixtures`]) {
    for (const e of readdirSync(base, {recursive: true, withFileTypes: true})) {
      if (e.isFile() && e.name.endsWith('.snapshot.json')) found.push(join(e.parentPath, e.name))
    }
  }
  return found
}

describe('snapshots that exist stay readable', () => {
  it('every snapshot in examples/ and test/fixtures/ validates', () => {
    const files = shipped()
    expect(files.length).toBeGreaterThanOrEqual(3)
    for (const f of files) expect(checkSnapshot(JSON.parse(readFileSync(f, 'utf8'))), f).toMatchObject({ok: true})
  })
})

describe('a wrong field is exit 2 naming it, never exit 3', () => {
  it('random damage to a real snapshot: rejected naming a field, or diagnosed without a check crashing', () => {
    const base = seed()
    const leaves: string[][] = []
    const walk = (v: unknown, path: string[]) => {
      if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, [...path, k])
      leaves.push(path)
    }
    walk(base, [])
    const value = fc.oneof(
      fc.constant(null),
      fc.integer(),
      fc.double(),
      fc.string(),
      fc.boolean(),
      fc.constant([]),
      fc.constant({}),
      fc.array(fc.constant(null)),
      fc.constant(undefined),
    )
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(...leaves), value), {maxLength: 4, minLength: 1}), (edits) => {
        const doc = structuredClone(base)
        for (const [path, v] of edits) {
          if (path.length === 0) continue
          let at: any = doc
          for (const k of path.slice(0, -1)) at = at?.[k]
          if (at && typeof at === 'object') {
            if (v === undefined) delete at[path.at(-1)!]
            else at[path.at(-1)!] = v
          }
        }
        const r = checkSnapshot(doc)
        if (!r.ok) {
          expect(r.field).not.toBe('')
          return
        }
        for (const ev of r.snapshot.networks) {
          const report = diagnoseEvidence(ev, {probe: false})
          expect(report.findings.filter((f) => f.summary.startsWith('check crashed'))).toEqual([])
        }
      }),
      {numRuns: 400},
    )
  })
})

describe('the schema is cheap', () => {
  it('validates a 20 MB snapshot in well under a second', () => {
    const doc = seed()
    doc.networks[0].sockets.stdout = 'x'.repeat(20 * 1024 * 1024)
    const t = performance.now()
    expect(checkSnapshot(doc).ok).toBe(true)
    expect(performance.now() - t).toBeLessThan(500)
  })
})

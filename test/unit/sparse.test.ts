// evidence/sparse.ts: a mostly-empty file (a cut-down config) written sparse and read back the same.
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {fromSparse, MAX_SPARSE_LINES, sparseProblem, sparseSnapshot, toSparse} from '../../src/evidence/sparse.js'

describe('sparse file content', () => {
  it('reads back exactly what was written, for any text (only exactly-empty lines are left out)', () => {
    const line = fc.oneof(fc.constant(''), fc.constant(''), fc.constant(''), fc.constant('\r'), fc.string({maxLength: 12}))
    fc.assert(
      fc.property(fc.array(line, {maxLength: 200}), (lines) => {
        const text = lines.join('\n')
        const sparse = toSparse(text)
        if (sparse === undefined) return
        expect(sparseProblem(sparse)).toBeUndefined()
        expect(fromSparse(sparse)).toBe(text)
      }),
    )
  })

  it('keeps small or mostly-full files whole', () => {
    expect(toSparse('[DEFAULT]\n\nforce_metadata = True\n')).toBeUndefined()
    expect(toSparse(Array.from({length: 40}, (_, i) => `k${i} = v`).join('\n'))).toBeUndefined()
    expect(toSparse(`[DEFAULT]${'\n'.repeat(30)}x = 1\n`)).toEqual({content: '[DEFAULT]\nx = 1', contentLineCount: 32, contentLines: [1, 31]})
  })

  it('refuses a record that does not add up, before allocating anything', () => {
    expect(sparseProblem({content: 'a', contentLineCount: MAX_SPARSE_LINES + 1, contentLines: [1]})).toMatch(/contentLineCount/)
    expect(sparseProblem({content: 'a\nb', contentLineCount: 5, contentLines: [3, 2]})).toMatch(/increasing/)
    expect(sparseProblem({content: 'a\nb', contentLineCount: 5, contentLines: [1]})).toMatch(/names 1 lines, content holds 2/)
    expect(sparseProblem({content: 'a', contentLineCount: 5, contentLines: [6]})).toMatch(/from 1 to contentLineCount/)
    expect(sparseProblem({content: 'a', contentLineCount: 5, contentLines: [1.5]})).toMatch(/line numbers/)
    expect(sparseProblem({content: 'a\n', contentLineCount: 5, contentLines: [1, 2]})).toMatch(/empty line/)
  })

  it('sparseSnapshot rewrites only file records, in a copy', () => {
    const content = `[DEFAULT]${'\n'.repeat(30)}x = 1\n`
    const snap = {networks: [{config: {content, path: '/etc/neutron/neutron.conf', state: 'present'}, note: {content}}]}
    const out = sparseSnapshot(snap)
    expect(out.networks[0].config).toMatchObject({content: '[DEFAULT]\nx = 1', contentLines: [1, 31]})
    expect(out.networks[0].note).toEqual({content})
    expect(snap.networks[0].config.content).toBe(content)
  })
})

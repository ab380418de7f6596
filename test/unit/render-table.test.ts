// src/render/table.ts: a table of many rows drawn in chunks is the same text as one cli-table3 table,
// and its cost grows with the rows, not their square (issue 22, class 6: 10,000 hosts).
import Table from 'cli-table3'
import {describe, expect, it} from 'vitest'

import {drawTable} from '../../src/render/table.js'

const options = {colWidths: [12, 8, 40], head: ['host', 'status', 'first broken link'], style: {border: [], head: []}, wordWrap: true}
const rows = (n: number) =>
  Array.from({length: n}, (_, i) => [`net-${i}`, i % 7 === 0 ? 'FAIL' : 'ok', i % 5 === 0 ? `proxy.running: ${'long words wrap '.repeat(i % 4)}` : 'healthy'])

describe('drawTable', () => {
  for (const n of [0, 1, 199, 200, 201, 450]) {
    it(`${n} rows: the text of one cli-table3 table`, () => {
      const one = new Table(options)
      one.push(...rows(n))
      expect(drawTable(options, rows(n))).toBe(one.toString())
    })
  }

  it('5 times the rows cost about 5 times the time, not 25 (one cli-table3 table: rows²)', () => {
    const time = (n: number) => {
      const r = rows(n)
      const t0 = performance.now()
      const text = drawTable(options, r)
      const ms = performance.now() - t0
      expect(text.split('\n').filter((l) => l.startsWith('│ net-')).length).toBe(n)
      return ms
    }
    time(400) // warm-up
    expect(time(10_000) / time(2000)).toBeLessThan(12)
  })
})

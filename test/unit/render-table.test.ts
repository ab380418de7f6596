// src/render/table.ts and width.ts: the tables fit the width (issue 21 item 3: COLUMNS or 80 on a pipe,
// --wide for more, no separator line after every row); a table of many rows drawn in chunks is the same
// text as one table, and its cost grows with the rows, not their square (issue 22, class 6: 10,000 hosts).
import {Chalk} from 'chalk'
import {describe, expect, it} from 'vitest'

import {type Column, drawTable} from '../../src/render/table.js'
import {MIN_WIDTH, outputWidth, textWidth, wrapLine} from '../../src/render/width.js'

const columns: Column[] = [{head: 'host', max: 28, min: 8}, {head: 'status'}, {flex: true, head: 'first broken link'}]
const rows = (n: number) =>
  Array.from({length: n}, (_, i) => [`net-${i}`, i % 7 === 0 ? 'FAIL' : 'ok', i % 5 === 0 ? `proxy.running: ${'long words wrap '.repeat(i % 4)}` : 'healthy'])

const UUID = '01cce415-8e2b-4096-92b5-7acc67163d79'
const red = new Chalk({level: 1}).red
const hard = [
  [UUID, red('FAIL'), `proxy.upstream: the proxy forwards to /var/lib/neutron/metadata_proxy, which no process listens on (${UUID})`],
  ['主机-一', 'ok', '健康: 每个环节都已判断'],
  ['net2', 'WARN', `${'x'.repeat(150)} and a path /etc/neutron/plugins/ml2/ml2_conf.ini`],
]
const lengths = (text: string) => text.split('\n').map((l) => textWidth(l))

describe('drawTable', () => {
  for (const n of [0, 1, 199, 200, 201, 450]) {
    it(`${n} rows in chunks: the text of one cli-table3 table`, () => {
      const spec = {columns, rows: rows(n), width: 80}
      expect(drawTable(spec)).toBe(drawTable(spec, Number.POSITIVE_INFINITY))
    })
  }

  it('a rule under the header and no line between the rows', () => {
    const lines = drawTable({columns, rows: rows(12), width: 60}).split('\n')
    expect(lines[0]).toMatch(/^┌─+┬─+┬─+┐$/)
    expect(lines[1]).toMatch(/^│ host +│ status │ first broken link +│$/)
    expect(lines[2]).toMatch(/^├─+┼─+┼─+┤$/)
    expect(lines.at(-1)).toMatch(/^└─+┴─+┴─+┘$/)
    // every line between the rule and the bottom is a row (or a row's wrapped part), none a border
    expect(lines.slice(3, -1).every((l) => /^│ .* │$/.test(l) && !/[─┼├]/.test(l))).toBe(true)
    expect(lines.filter((l) => /^│ net-\d+ /.test(l))).toHaveLength(12)
  })

  for (const width of [MIN_WIDTH, 60, 80, 200]) {
    it(`width ${width}: no line is wider (colour codes and wide characters measured as the terminal shows them)`, () => {
      const text = drawTable({columns, rows: [...hard, ...rows(20)], width})
      expect(Math.max(...lengths(text))).toBeLessThanOrEqual(width)
      // nothing lost or cut: each row's cells, their wrapped parts joined, are the cells given (but the spaces broken at)
      const read: string[][] = []
      const lines = text.split('\n')
      for (const line of lines.slice(lines.findIndex((l) => l.startsWith('├')) + 1, -1)) {
        const cells = line.split('│').slice(1, -1)
        if (cells[1].trim() !== '') read.push(['', '', ''])
        for (const [i, c] of cells.entries()) read.at(-1)![i] += c.replace(/\s/g, '')
      }
      expect(read).toEqual([...hard, ...rows(20)].map((r) => r.map((c) => c.replace(/\s/g, ''))))
    })
  }

  it('a word longer than its column breaks after a / or - rather than anywhere', () => {
    const text = drawTable({columns: [{head: 'k'}, {flex: true, head: 'v'}], rows: [['path', '/var/lib/neutron/ns-metadata-proxy/01cce415.conf']], width: 40})
    const cells = text
      .split('\n')
      .filter((l) => l.startsWith('│ ') && !l.startsWith('│ k '))
      .map((l) => l.split('│')[2].trim())
    expect(cells.join('')).toBe('/var/lib/neutron/ns-metadata-proxy/01cce415.conf')
    expect(cells.slice(0, -1).every((c) => /[/-]$/.test(c))).toBe(true)
  })

  it('--wide (width Infinity): each row on one line, every cell whole', () => {
    const text = drawTable({columns, rows: hard, width: Number.POSITIVE_INFINITY})
    const lines = text.split('\n')
    expect(lines).toHaveLength(3 + hard.length + 1)
    for (const [i, row] of hard.entries()) for (const cell of row) expect(lines[3 + i]).toContain(cell)
    expect(Math.max(...lengths(text))).toBeGreaterThan(150)
  })

  it('the ASCII look of the python clients (+---+, |) with the same rule under the header', () => {
    const lines = drawTable({
      ascii: true,
      columns: [{head: 'Field'}, {flex: true, head: 'Value'}],
      rows: [
        ['gateway_ip', 'None'],
        ['id', UUID],
      ],
      width: 80,
    }).split('\n')
    expect(lines).toEqual([
      '+------------+--------------------------------------+',
      '| Field      | Value                                |',
      '+------------+--------------------------------------+',
      '| gateway_ip | None                                 |',
      `| id         | ${UUID} |`,
      '+------------+--------------------------------------+',
    ])
  })

  it('5 times the rows cost about 5 times the time, not 25 (one cli-table3 table: rows²)', () => {
    const time = (n: number) => {
      const r = rows(n)
      const t0 = performance.now()
      const text = drawTable({columns, rows: r, width: 100})
      const ms = performance.now() - t0
      expect(text.split('\n').filter((l) => l.startsWith('│ net-')).length).toBe(n)
      return ms
    }
    time(400) // warm-up
    expect(time(10_000) / time(2000)).toBeLessThan(12)
  })
})

describe('wrapLine', () => {
  it('breaks at spaces, keeps a run of spaces inside a line, hangs the rest under the indent', () => {
    expect(wrapLine('    inet 198.51.100.2/24    brd 198.51.100.255 scope global tap1', 40, '      ')).toEqual([
      '    inet 198.51.100.2/24    brd',
      '      198.51.100.255 scope global tap1',
    ])
  })

  it('a word too long for any line starts beside the word before it, and breaks after a / or , before a . or -', () => {
    const path = '/var/lib/neutron/external/pids/43c92583-885a-40f5-962a-0e0539782df0.pid.haproxy'
    const lines = wrapLine(`SKIP: ${path} is not running`, 40, '  ')
    expect(lines[0]).toMatch(/^SKIP: \/var\/lib\/neutron\/external\/pids\/$/)
    expect(lines.join('').replace(/ {2}/g, '')).toBe(`SKIP: ${path} is not running`.replace(/ {2}/g, ''))
    expect(lines.every((l) => l.length <= 40)).toBe(true)
    expect(wrapLine('    tag:tag0,option:classless-static-route,169.254.169.254/32,203.0.113.2,0.0.0.0/0', 40, '      ')).toEqual([
      '    tag:tag0,option:classless-static-',
      '      route,169.254.169.254/32,',
      '      203.0.113.2,0.0.0.0/0',
    ])
  })

  it('a line that fits, or no limit, is left alone', () => {
    const long = `a ${'b'.repeat(300)}`
    expect(wrapLine('short', 40)).toEqual(['short'])
    expect(wrapLine(long, Number.POSITIVE_INFINITY)).toEqual([long])
  })
})

describe('outputWidth', () => {
  const pipe = {isTTY: false}
  it("a terminal's columns; on a pipe COLUMNS when a positive integer, else 80; never below the minimum; --wide: no limit", () => {
    expect(outputWidth(false, {columns: 132, isTTY: true}, {COLUMNS: '60'})).toBe(132)
    expect(outputWidth(false, pipe, {COLUMNS: '60'})).toBe(60)
    expect(outputWidth(false, pipe, {COLUMNS: '200'})).toBe(200)
    expect(outputWidth(false, pipe, {})).toBe(80)
    for (const bad of ['0', '-5', 'abc', '', '80px', '1e3']) expect(outputWidth(false, pipe, {COLUMNS: bad})).toBe(80)
    expect(outputWidth(false, pipe, {COLUMNS: '12'})).toBe(MIN_WIDTH)
    expect(outputWidth(true, pipe, {COLUMNS: '60'})).toBe(Number.POSITIVE_INFINITY)
  })
})

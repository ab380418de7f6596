/**
 * The tables of the human output, drawn by cli-table3 to a width (src/render/width.ts): a rule under
 * the header, no line between rows (a row that wraps goes on under its first line, its first column
 * empty), every line at most `width` columns. The columns are as wide as their widest cell; when that
 * is too wide, the `flex` column (the prose) wraps, and when it would be left too narrow the others
 * are squeezed too, down to their `min`. Under --wide (width Infinity) nothing wraps and nothing is cut.
 *
 * The cells are wrapped here, not by cli-table3 (whose word wrap cuts a word longer than its column
 * with an ellipsis and is quadratic in a cell's length). cli-table3 lays a table out by checking each
 * cell against every cell above it (rowSpan conflicts), so one table of N rows costs N²: 10,000 hosts
 * took 16 s for the fleet table alone. With fixed column widths, no spans and no line between rows,
 * tables of CHUNK_ROWS rows each, their borders between them dropped, are the same text as one table.
 */
import Table from 'cli-table3'

import {textWidth, wrapText} from './width.js'

/** Rows drawn per cli-table3 table. */
export const CHUNK_ROWS = 200

/** The prose column is not squeezed below this while another column can give way (an id or UUID column stays whole down to ~60 columns). */
const FLEX_MIN = 20

export interface Column {
  head: string
  /** takes the width the others leave (at most one column: the prose) */
  flex?: boolean
  /** the narrowest its text may be squeezed to (padding excluded; default: its widest cell) */
  min?: number
  /** the widest its text may be when the output has a limit (padding excluded) */
  max?: number
}

export interface TableSpec {
  columns: Column[]
  rows: string[][]
  /** the width of the output: a number of columns, or Infinity (--wide) */
  width: number
  /** the python clients' prettytable look (+---+, |), for cliff-style Field/Value output; else box lines */
  ascii?: boolean
}

const BOX = {mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': ''}
const ASCII = {
  ...BOX,
  bottom: '-',
  'bottom-left': '+',
  'bottom-mid': '+',
  'bottom-right': '+',
  left: '|',
  middle: '|',
  right: '|',
  top: '-',
  'top-left': '+',
  'top-mid': '+',
  'top-right': '+',
}

const widest = (text: string) => text.split('\n').reduce((m, l) => Math.max(m, textWidth(l)), 0)

/** Each column's text width (padding and borders excluded). */
export function columnWidths(columns: readonly Column[], rows: readonly string[][], width: number): number[] {
  const natural = columns.map((c, i) => rows.reduce((m, r) => Math.max(m, widest(r[i] ?? '')), Math.max(1, textWidth(c.head))))
  if (!Number.isFinite(width)) return natural
  const inner = width - (columns.length + 1) - 2 * columns.length
  const w = natural.map((n, i) => (columns[i].flex ? n : Math.min(n, columns[i].max ?? n)))
  const flex = columns.findIndex((c) => c.flex)
  const others = () => w.reduce((s, x, i) => (i === flex ? s : s + x), 0)
  const want = flex < 0 ? 0 : Math.min(natural[flex], FLEX_MIN)
  // squeeze the widest other column by one until the prose has its share, or none can give
  while (inner - others() < want) {
    let j = -1
    for (let i = 0; i < w.length; i++) if (i !== flex && w[i] > (columns[i].min ?? w[i]) && (j < 0 || w[i] > w[j])) j = i
    if (j < 0) break
    w[j]--
  }
  if (flex >= 0) w[flex] = Math.max(1, Math.min(natural[flex], inner - others()))
  return w
}

export function drawTable(spec: TableSpec, chunkRows = CHUNK_ROWS): string {
  const widths = columnWidths(spec.columns, spec.rows, spec.width)
  const wrapRow = (cells: readonly string[]) => widths.map((w, i) => (Number.isFinite(spec.width) ? wrapText(cells[i] ?? '', w) : (cells[i] ?? '')))
  const head = wrapRow(spec.columns.map((c) => c.head))
  const headLines = head.reduce((m, h) => Math.max(m, h.split('\n').length), 1)
  const options = {
    chars: spec.ascii ? ASCII : BOX,
    colWidths: widths.map((w) => w + 2),
    style: {border: [], head: []},
    wordWrap: false,
  }
  const lines: string[] = []
  for (let i = 0; i === 0 || i < spec.rows.length; i += chunkRows) {
    const t = new Table(i === 0 ? {...options, head} : options)
    t.push(...spec.rows.slice(i, i + chunkRows).map(wrapRow))
    const drawn = t.toString().split('\n')
    if (i === 0) {
      // the rule under the header, from the top border: ┌─┬─┐ -> ├─┼─┤ (ASCII: the same +---+)
      const rule = spec.ascii ? drawn[0] : drawn[0].replace('┌', '├').replaceAll('┬', '┼').replace('┐', '┤')
      drawn.splice(1 + headLines, 0, rule)
    }
    // a chunk's top border (after the first) and bottom border (before the last) go: one table's text
    lines.splice(lines.length - (i === 0 ? 0 : 1), i === 0 ? 0 : 1, ...(i === 0 ? drawn : drawn.slice(1)))
  }
  return lines.join('\n')
}

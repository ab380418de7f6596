/**
 * A cli-table3 table of many rows, drawn in chunks. cli-table3 lays a table out by checking each cell
 * against every cell above it (rowSpan conflicts), so one table of N rows costs N²: 10,000 hosts took
 * 16 s for the fleet table alone. With fixed column widths and no spans the chunks line up: each
 * after the first loses its top border for the separator line between rows, and the text is the same
 * as one table's.
 */
import Table from 'cli-table3'

/** Rows drawn per cli-table3 table. */
const CHUNK_ROWS = 200

type Options = ConstructorParameters<typeof Table>[0] & {colWidths: number[]}

export function drawTable(options: Options, rows: string[][]): string {
  const {head, ...rest} = options
  const chunks: string[][] = []
  for (let i = 0; i === 0 || i < rows.length; i += CHUNK_ROWS) {
    const t = new Table(i === 0 ? options : rest)
    t.push(...rows.slice(i, i + CHUNK_ROWS))
    chunks.push(t.toString().split('\n'))
  }
  if (chunks.length === 1) return chunks[0].join('\n')
  // the separator between rows, from the top border: ┌─┬─┐ -> ├─┼─┤
  const separator = chunks[0][0].replace('┌', '├').replaceAll('┬', '┼').replace('┐', '┤')
  const lines = chunks[0].slice(0, -1)
  for (const c of chunks.slice(1, -1)) lines.push(separator, ...c.slice(1, -1))
  lines.push(separator, ...chunks.at(-1)!.slice(1))
  return lines.join('\n')
}

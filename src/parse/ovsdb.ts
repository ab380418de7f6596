/**
 * The `--format=json` output of ovs-vsctl, ovn-sbctl and ovn-nbctl (lib/table.c `table_print_json`):
 * per command one line `{"data":[[cell,...],...],"headings":[column,...]}`. A cell is an OVSDB JSON
 * value (RFC 7047 5.1): an atom (string, number, boolean), `["uuid", U]`, `["named-uuid", N]`,
 * `["set", [atom,...]]` (a set of exactly one element is written as that atom) or
 * `["map", [[key, value],...]]`. Several commands in one call (`cmd -- cmd`) print one line each.
 *
 * The output is untrusted (a snapshot, a damaged DB): anything else is a parse error, never a throw
 * elsewhere, and a row's maps are plain objects without a prototype.
 */

export type OvsdbAtom = string | number | boolean
export type OvsdbCell = OvsdbAtom | OvsdbAtom[] | Record<string, OvsdbAtom>
export type OvsdbRow = Record<string, OvsdbCell>

export interface OvsdbTable {
  headings: string[]
  rows: OvsdbRow[]
}

export class OvsdbFormatError extends Error {}

function atom(x: unknown): OvsdbAtom {
  if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') return x
  if (Array.isArray(x) && x.length === 2 && (x[0] === 'uuid' || x[0] === 'named-uuid') && typeof x[1] === 'string') return x[1]
  throw new OvsdbFormatError(`not an OVSDB atom: ${JSON.stringify(x)?.slice(0, 60)}`)
}

function cell(x: unknown): OvsdbCell {
  if (Array.isArray(x) && x.length === 2 && x[0] === 'set') {
    if (!Array.isArray(x[1])) throw new OvsdbFormatError('a set without a list')
    return x[1].map(atom)
  }
  if (Array.isArray(x) && x.length === 2 && x[0] === 'map') {
    if (!Array.isArray(x[1])) throw new OvsdbFormatError('a map without a list')
    const out: Record<string, OvsdbAtom> = Object.create(null)
    for (const pair of x[1]) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new OvsdbFormatError('a map entry that is not a pair')
      out[String(atom(pair[0]))] = atom(pair[1])
    }
    return out
  }
  return atom(x)
}

/** One command's table. */
export function parseOvsdbTable(doc: unknown): OvsdbTable {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new OvsdbFormatError('not a table object')
  const {headings, data} = doc as {headings?: unknown; data?: unknown}
  if (!Array.isArray(headings) || !headings.every((h) => typeof h === 'string')) throw new OvsdbFormatError('no "headings" list of column names')
  if (!Array.isArray(data)) throw new OvsdbFormatError('no "data" list of rows')
  const rows = data.map((r) => {
    if (!Array.isArray(r) || r.length !== headings.length)
      throw new OvsdbFormatError(`a row of ${Array.isArray(r) ? r.length : 'no'} cells under ${headings.length} headings`)
    const row: OvsdbRow = Object.create(null)
    headings.forEach((h, i) => {
      row[h] = cell(r[i])
    })
    return row
  })
  return {headings, rows}
}

/** Every command's table of one call, in order. */
export function parseOvsdbOutput(stdout: string): OvsdbTable[] {
  const out: OvsdbTable[] = []
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue
    let doc: unknown
    try {
      doc = JSON.parse(line)
    } catch {
      throw new OvsdbFormatError(`not JSON: ${line.slice(0, 60)}`)
    }
    out.push(parseOvsdbTable(doc))
  }
  return out
}

/** The elements of a set column (a set of one is written as the atom itself; an empty one as []). */
export function setOf(c: OvsdbCell | undefined): OvsdbAtom[] {
  if (c === undefined) return []
  if (Array.isArray(c)) return c
  if (typeof c === 'object') return []
  return [c]
}

/** A map column's entries ({} when the cell is not a map). */
export function mapOf(c: OvsdbCell | undefined): Record<string, OvsdbAtom> {
  if (c !== undefined && typeof c === 'object' && !Array.isArray(c)) return c
  return Object.create(null)
}

/** A string column, or an optional one (a set of 0 or 1): the string, else undefined. */
export function strOf(c: OvsdbCell | undefined): string | undefined {
  const [first] = setOf(c)
  return typeof first === 'string' ? first : first === undefined ? undefined : String(first)
}

/** A number column: the number, else undefined. */
export function numOf(c: OvsdbCell | undefined): number | undefined {
  const [first] = setOf(c)
  return typeof first === 'number' ? first : undefined
}

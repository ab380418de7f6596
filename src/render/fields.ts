/** cliff-style output of one API object: the Field/Value table of the seed transcript, or bare values. */
import {usageError} from '../errors.js'
import {drawTable} from './table.js'

function show(v: unknown): string {
  // the openstack CLI's way: a null is None (gateway_ip of a gateway-less subnet, the field this tool is for)
  if (v === null) return 'None'
  if (v === undefined) return ''
  if (typeof v === 'boolean') return v ? 'True' : 'False'
  if (Array.isArray(v)) return v.map(show).join('\n')
  if (typeof v === 'object') return JSON.stringify(v).replace(/":/g, '": ').replace(/,"/g, ', "')
  return String(v)
}

function columns(obj: Record<string, unknown>, wanted: string[] | undefined): string[] {
  const keys = Object.keys(obj).sort()
  if (!wanted || wanted.length === 0) return keys
  for (const c of wanted) if (!keys.includes(c)) throw usageError('bad-column', `no field ${JSON.stringify(c)} (fields: ${keys.join(', ')})`)
  return wanted
}

/** The Field/Value table, fitted to `width` (src/render/width.ts): a long value wraps in its cell, under --wide it does not. */
export function fieldTable(obj: Record<string, unknown>, wanted: string[] | undefined, width: number): string {
  // the python clients' prettytable look (the seed transcript): ASCII, a rule under the header, no lines between rows
  const rows = columns(obj, wanted).map((k) => [k, show(obj[k])])
  return (
    drawTable({
      ascii: true,
      columns: [
        {head: 'Field', min: 8},
        {flex: true, head: 'Value'},
      ],
      rows,
      width,
    }) + '\n'
  )
}

export function fieldValues(obj: Record<string, unknown>, wanted?: string[]): string {
  return (
    columns(obj, wanted)
      .map((k) => show(obj[k]))
      .join('\n') + '\n'
  )
}

export function pickFields(obj: Record<string, unknown>, wanted?: string[]): Record<string, unknown> {
  return Object.fromEntries(columns(obj, wanted).map((k) => [k, obj[k]]))
}

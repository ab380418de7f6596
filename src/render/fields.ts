/** cliff-style output of one API object: the Field/Value table of the seed transcript, or bare values. */
import Table from 'cli-table3'

import {usageError} from '../errors.js'

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

export function fieldTable(obj: Record<string, unknown>, wanted?: string[]): string {
  // the python clients' prettytable look (the seed transcript): ASCII, no lines between rows
  const t = new Table({
    chars: {
      bottom: '-',
      'bottom-left': '+',
      'bottom-mid': '+',
      'bottom-right': '+',
      left: '|',
      'left-mid': '',
      mid: '',
      'mid-mid': '',
      middle: '|',
      right: '|',
      'right-mid': '',
      top: '-',
      'top-left': '+',
      'top-mid': '+',
      'top-right': '+',
    },
    head: ['Field', 'Value'],
    style: {border: [], head: []},
  })
  for (const k of columns(obj, wanted)) t.push([k, show(obj[k])])
  const lines = t.toString().split('\n')
  lines.splice(2, 0, lines[0]) // the rule under the header
  return lines.join('\n') + '\n'
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

/**
 * A reader of OpenStack ini files that sees what oslo.config sees, and remembers every line.
 *
 * oslo.config's parser (oslo_config/iniparser.py) differs from the npm `ini` package:
 * - a line is right-stripped first; an empty line ends a multi-line value;
 * - a line starting with a space or tab continues the previous value (even if it looks like a comment);
 * - `#` and `;` start a comment only at the beginning of a line: `x = True # note` has the value "True # note";
 * - `key = value` and `key: value` both assign; a value wrapped in matching quotes loses them;
 * - section names are taken verbatim (`[ DEFAULT ]` is not DEFAULT); a key before any section is an error;
 * - a key given twice is kept twice and the last one wins for a single-valued option.
 * Booleans (oslo_config/types.py) are `true/1/on/yes` and `false/0/off/no`, any case; anything else makes
 * the agent refuse to start.
 */

import {quotableLine} from './secrets.js'

export type Eol = '' | '\n' | '\r\n'

export interface IniLine {
  /** the line without its end-of-line characters */
  text: string
  eol: Eol
}

export interface Assignment {
  section: string
  key: string
  /** the value as oslo.config sees it (continuations joined with "\n", quotes removed) */
  value: string
  /** index of the key line in `lines` */
  line: number
  /** index of the last continuation line (== line when there is none) */
  endLine: number
}

export interface SectionBlock {
  name: string
  /** index of the `[name]` line */
  header: number
  /** index of the last line of the block (before the next header or at the end of the file) */
  end: number
}

export interface ParsedIni {
  bom: boolean
  lines: IniLine[]
  blocks: SectionBlock[]
  assignments: Assignment[]
}

export class IniSyntaxError extends Error {
  constructor(
    readonly lineNumber: number,
    readonly reason: string,
  ) {
    super(`line ${lineNumber}: ${reason}`)
    this.name = 'IniSyntaxError'
  }
}

export function splitLines(text: string): {bom: boolean; lines: IniLine[]} {
  const bom = text.startsWith('\uFEFF')
  const body = bom ? text.slice(1) : text
  if (body === '') return {bom, lines: []}
  const parts = body.split('\n')
  const lines: IniLine[] = []
  for (let i = 0; i < parts.length; i++) {
    const last = i === parts.length - 1
    if (last && parts[i] === '') break // text ended with a newline
    const raw = parts[i]
    if (last) lines.push({eol: '', text: raw})
    else if (raw.endsWith('\r')) lines.push({eol: '\r\n', text: raw.slice(0, -1)})
    else lines.push({eol: '\n', text: raw})
  }
  return {bom, lines}
}

export function joinLines(bom: boolean, lines: readonly IniLine[]): string {
  return (bom ? '\uFEFF' : '') + lines.map((l) => l.text + l.eol).join('')
}

/** Python's str.isspace() for one UTF-16 code unit (no whitespace lies outside the BMP). */
export function isPySpace(code: number): boolean {
  if (code <= 0x20) return code === 0x20 || (code >= 0x09 && code <= 0x0d) || (code >= 0x1c && code <= 0x1f)
  if (code < 0x85) return false
  return (
    code === 0x85 ||
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000
  )
}

// Python's str.rstrip() / lstrip() / strip(): plain scans, linear in the line's length. (A regex such
// as /\s+$/ is tried at every start position of a run of spaces: quadratic, 28 s for 100k spaces.)
export function rstrip(s: string): string {
  let end = s.length
  while (end > 0 && isPySpace(s.charCodeAt(end - 1))) end--
  return end === s.length ? s : s.slice(0, end)
}

export function lstrip(s: string): string {
  let start = 0
  while (start < s.length && isPySpace(s.charCodeAt(start))) start++
  return start === 0 ? s : s.slice(start)
}

export const strip = (s: string): string => lstrip(rstrip(s))

/**
 * A value as oslo.config reads it from the text after `=`/`:`: stripped, then one pair of matching
 * surrounding quotes removed (iniparser._split_key_value).
 */
export function osloValue(text: string): string {
  const value = strip(text)
  if (value.length >= 2 && value[0] === value.at(-1) && (value[0] === '"' || value[0] === "'")) return value.slice(1, -1)
  return value
}

/** The text to write after `key = ` so that oslo.config reads back exactly `value`. */
export function osloText(value: string): string {
  const looksQuoted = value.length >= 2 && value[0] === value.at(-1) && (value[0] === '"' || value[0] === "'")
  return looksQuoted || strip(value) !== value ? `"${value}"` : value
}

function splitKeyValue(line: string, lineNumber: number): {key: string; value: string} {
  const colon = line.indexOf(':')
  const equal = line.indexOf('=')
  if (colon < 0 && equal < 0)
    throw new IniSyntaxError(lineNumber, `not a section, comment or "key = value": ${JSON.stringify(quotableLine(line).slice(0, 60))}`)
  const at = colon < 0 || (equal >= 0 && equal < colon) ? equal : colon
  const key = strip(line.slice(0, at))
  const value = osloValue(line.slice(at + 1))
  if (!key) throw new IniSyntaxError(lineNumber, 'assignment without a key')
  return {key, value}
}

export function parseIni(text: string): ParsedIni {
  const {bom, lines} = splitLines(text)
  const blocks: SectionBlock[] = []
  const assignments: Assignment[] = []
  let section: string | undefined
  let open: {key: string; line: number; endLine: number; values: string[]} | undefined

  const flush = () => {
    if (!open) return
    if (section === undefined) throw new IniSyntaxError(open.line + 1, `"${open.key}" is outside any [section]`)
    assignments.push({endLine: open.endLine, key: open.key, line: open.line, section, value: open.values.join('\n')})
    open = undefined
  }

  for (let i = 0; i < lines.length; i++) {
    const line = rstrip(lines[i].text)
    if (!line) {
      flush()
      continue
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (!open) throw new IniSyntaxError(i + 1, 'indented line that continues nothing')
      open.values.push(lstrip(line))
      open.endLine = i
      continue
    }
    flush()
    if (line.startsWith('[')) {
      if (!line.endsWith(']')) throw new IniSyntaxError(i + 1, 'section header without a closing "]"')
      if (line.length <= 2) throw new IniSyntaxError(i + 1, 'section header without a name')
      section = line.slice(1, -1)
      if (blocks.length > 0) blocks.at(-1)!.end = i - 1
      blocks.push({end: lines.length - 1, header: i, name: section})
    } else if (line.startsWith('#') || line.startsWith(';')) {
      // comment
    } else {
      const {key, value} = splitKeyValue(line, i + 1)
      open = {endLine: i, key, line: i, values: [value]}
    }
  }
  flush()
  return {assignments, blocks, bom, lines}
}

/** oslo.config's boolean: undefined when the text is not one it accepts. */
export function osloBool(value: string): boolean | undefined {
  const v = value.toLowerCase()
  if (v === 'true' || v === '1' || v === 'on' || v === 'yes') return true
  if (v === 'false' || v === '0' || v === 'off' || v === 'no') return false
  return undefined
}

/** The assignment oslo.config would use for a single-valued option (the last one), if any. */
export function effective(ini: ParsedIni, section: string, key: string): Assignment | undefined {
  let found: Assignment | undefined
  for (const a of ini.assignments) if (a.section === section && a.key === key) found = a
  return found
}

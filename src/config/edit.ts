/**
 * Line-level edits of an oslo.config ini file, as a careful operator would make them in an editor:
 * only the lines that must change are touched; comments, blank lines, key order, spacing style,
 * line endings, a BOM and a missing final newline are kept byte for byte.
 */
import {usageError} from '../errors.js'
import {type Eol, type IniLine, type ParsedIni, isPySpace, joinLines, lstrip, osloBool, osloText, osloValue, parseIni, strip} from './oslo-ini.js'

/** What one key in one section should mean after the edit. */
export interface Wanted {
  section: string
  key: string
  /** what the value must mean as oslo.config reads it (written quoted when it must be) */
  value: string
  /** the value as the operator gave it, checked before anything is written */
  given?: string
  /** the flag that gave it, for messages */
  flag?: string
  /** true when the current value already means what is wanted */
  satisfied: (current: string) => boolean
  /** write the key when it is absent (false when absence already means the wanted value) */
  addIfMissing: boolean
}

export interface LineChange {
  key: string
  action: 'set' | 'add'
  /** 1-based line number in the new text */
  line: number
  from?: string
}

export interface EditResult {
  text: string
  changed: boolean
  changes: LineChange[]
}

export const wantBool = (section: string, key: string, value: boolean, addIfMissing: boolean): Wanted => ({
  addIfMissing,
  key,
  satisfied: (current) => osloBool(current) === value,
  section,
  value: value ? 'True' : 'False',
})

/**
 * A string option. The value given is taken as oslo.config would read it from a line: surrounding
 * whitespace and one pair of matching quotes are not part of it (`' sudo '` and `'"sudo"'` mean
 * `sudo`), so a second identical run finds it satisfied and changes nothing.
 */
export const wantString = (section: string, key: string, given: string, flag?: string): Wanted => {
  const value = osloValue(given)
  return {addIfMissing: true, flag, given, key, satisfied: (current) => current === value, section, value}
}

/** C0 and C1 controls, DEL, and the Unicode line and paragraph separators. */
function controlChar(s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029) return i
  }
  return -1
}

/**
 * The one check every written value, key and section goes through: no character that could end a
 * line or otherwise change the file's structure, and no empty value. Exit 2, before anything is written.
 */
export function validateWanted(w: Wanted): void {
  const name = w.flag ?? `[${w.section}] ${w.key}`
  for (const [what, text] of [
    ['section', w.section],
    ['key', w.key],
    ['value', w.given ?? w.value],
    ['value', w.value],
  ] as const) {
    const at = controlChar(text)
    if (at >= 0) {
      const code = text.charCodeAt(at).toString(16).toUpperCase().padStart(4, '0')
      throw usageError(
        'config-bad-value',
        `${name}: ${what === 'value' ? '' : `${what} `}contains a control character (U+${code} at position ${at}); nothing written`,
      )
    }
  }
  if (strip(w.value) === '')
    throw usageError('config-bad-value', `${name}: empty value (${JSON.stringify(w.given ?? w.value)}, blank as oslo.config reads it); nothing written`)
}

function dominantEol(lines: readonly IniLine[]): Exclude<Eol, ''> {
  let crlf = 0
  let lf = 0
  for (const l of lines) {
    if (l.eol === '\r\n') crlf++
    else if (l.eol === '\n') lf++
  }
  return crlf > lf ? '\r\n' : '\n'
}

/** `key = value` unless the file mostly writes `key=value`. */
function assignmentStyle(ini: ParsedIni): (key: string, value: string) => string {
  let spaced = 0
  let tight = 0
  for (const a of ini.assignments) {
    const t = ini.lines[a.line].text
    const at = separatorAt(t)
    if (at > 0 && !isPySpace(t.charCodeAt(at - 1)) && at + 1 < t.length && !isPySpace(t.charCodeAt(at + 1))) tight++
    else spaced++
  }
  return tight > spaced ? (k, v) => `${k}=${osloText(v)}` : (k, v) => `${k} = ${osloText(v)}`
}

/** Index of the `=` or `:` that oslo.config splits a line at (the first of either), -1 if none. */
function separatorAt(text: string): number {
  const colon = text.indexOf(':')
  const equal = text.indexOf('=')
  return colon < 0 || (equal >= 0 && equal < colon) ? equal : colon
}

/** The line with its value replaced by one oslo.config reads as `value`; its quotes and spacing kept. */
function rewriteValue(text: string, value: string): string {
  const at = separatorAt(text)
  const after = text.slice(at + 1)
  const lead = after.length - lstrip(after).length
  const trimmed = strip(after)
  if (trimmed === '') return text.slice(0, at + 1) + (at > 0 && isPySpace(text.charCodeAt(at - 1)) ? ' ' : '') + osloText(value)
  const start = at + 1 + lead
  const end = start + trimmed.length
  const quoted = trimmed.length >= 2 && trimmed[0] === trimmed.at(-1) && (trimmed[0] === '"' || trimmed[0] === "'")
  // inside the line's own quotes any value reads back as itself: oslo removes exactly one pair
  const newValue = quoted ? trimmed[0] + value + trimmed[0] : osloText(value)
  return text.slice(0, start) + newValue + text.slice(end)
}

/** `# key = ...` / `;key: ...`: the commented default of `key`. A plain scan, linear in the line. */
function isCommentedKey(text: string, key: string): boolean {
  let i = 0
  while (i < text.length && (text[i] === '#' || text[i] === ';')) i++
  if (i === 0) return false
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++
  if (!text.startsWith(key, i)) return false
  i += key.length
  while (i < text.length && (text[i] === ' ' || text[i] === '\t')) i++
  return text[i] === '=' || text[i] === ':'
}

/** Apply every wanted setting to `text`; pure. Throws IniSyntaxError when oslo.config could not read it. */
export function applySettings(text: string, wanted: readonly Wanted[]): EditResult {
  for (const w of wanted) validateWanted(w)
  let current = text
  const changes: LineChange[] = []
  for (const w of wanted) {
    const r = applyOne(current, w)
    current = r.text
    changes.push(...r.changes)
  }
  return {changed: current !== text, changes, text: current}
}

function applyOne(text: string, w: Wanted): EditResult {
  const ini = parseIni(text)
  const lines = ini.lines.map((l) => ({...l}))
  const eol = dominantEol(lines)
  const active = ini.assignments.filter((a) => a.section === w.section && a.key === w.key)

  if (active.length > 0) {
    // Every active line that does not mean the wanted value is rewritten in place (oslo takes the
    // last one, but an operator reading the file must not find a contradicting line above it).
    const changes: LineChange[] = []
    const drop = new Set<number>()
    for (const a of active) {
      if (w.satisfied(a.value)) continue
      lines[a.line] = {...lines[a.line], text: rewriteValue(lines[a.line].text, w.value)}
      for (let i = a.line + 1; i <= a.endLine; i++) drop.add(i)
      changes.push({action: 'set', from: a.value, key: w.key, line: a.line + 1})
    }
    if (changes.length === 0) return {changed: false, changes, text}
    const kept = lines.filter((_, i) => !drop.has(i))
    // line numbers shift up by the dropped continuation lines before them
    for (const c of changes) c.line -= [...drop].filter((d) => d < c.line - 1).length
    // a dropped last line must not take the file's missing-final-newline with it
    if (drop.has(lines.length - 1) && lines.at(-1)!.eol === '') kept.at(-1)!.eol = ''
    return {changed: true, changes, text: joinLines(ini.bom, kept)}
  }

  if (!w.addIfMissing) return {changed: false, changes: [], text}
  const style = assignmentStyle(ini)
  const newLine = style(w.key, w.value)
  const blocks = ini.blocks.filter((b) => b.name === w.section)

  if (blocks.length === 0) {
    // No such section: create it at the top of the file, followed by a blank line.
    const head: IniLine[] = [
      {eol, text: `[${w.section}]`},
      {eol, text: newLine},
    ]
    if (lines.length > 0) head.push({eol, text: ''})
    else head.at(-1)!.eol = text === '' ? eol : ''
    return {changed: true, changes: [{action: 'add', key: w.key, line: 2}], text: joinLines(ini.bom, [...head, ...lines])}
  }

  // Right below the commented default (`# key = default`), else after the last non-blank line of the
  // section's last block.
  let after = -1
  for (const b of blocks) {
    for (let i = b.header + 1; i <= b.end && after < 0; i++) if (isCommentedKey(lines[i].text, w.key)) after = i
  }
  if (after < 0) {
    const b = blocks.at(-1)!
    after = b.header
    for (let i = b.header + 1; i <= b.end; i++) if (strip(lines[i].text) !== '') after = i
  }
  const inserted: IniLine = {eol: lines[after].eol === '' ? '' : lines[after].eol, text: newLine}
  if (lines[after].eol === '') lines[after] = {...lines[after], eol}
  lines.splice(after + 1, 0, inserted)
  return {changed: true, changes: [{action: 'add', key: w.key, line: after + 2}], text: joinLines(ini.bom, lines)}
}

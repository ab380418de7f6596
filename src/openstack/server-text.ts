/**
 * What a server sends is untrusted: its text reaches an operator's terminal, its ids reach paths and
 * command lines, its URLs reach --debug lines. The few helpers every API answer passes through.
 * Every regex here is linear on any input (no nested or overlapping quantifiers).
 */

import {isSecretName} from '../config/secrets.js'

/** A server's id (network, subnet, port) is used only if it is a UUID (the one test, in layout.ts). */
export {isUuid} from '../layout.js'

/** Terminal escape sequences: CSI (ESC [ or 0x9b ... final), OSC (ESC ] or 0x9d ... BEL, ESC \ or 0x9c), any other ESC + one char. */
const CSI = /(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?/g
const OSC = /(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?/g
const ESC = /\x1b[\s\S]?/g
/** C0 controls, DEL, C1 controls (0x9b is an 8-bit CSI), bidi overrides/isolates, zero-width and BOM. */
const CONTROL = /[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g

export const TEXT_MAX = 300

/**
 * Server text made safe to print on one line: escapes and control characters removed (newlines and
 * tabs become spaces), runs of blanks squeezed, and cut at `max` characters with a note saying so.
 */
export function serverText(text: unknown, max = TEXT_MAX): string {
  if (typeof text !== 'string') return text === undefined || text === null ? '' : serverText(shownValue(text), max)
  // work on a bounded prefix: nothing past it is printed anyway
  const bounded = text.length > max * 4 + 1024 ? text.slice(0, max * 4 + 1024) : text
  const clean = bounded
    .replace(OSC, '')
    .replace(CSI, '')
    .replace(ESC, '')
    .replace(/[\t\n\v\f\r]/g, ' ')
    .replace(CONTROL, '')
    .replace(/ {2,}/g, ' ')
    .trim()
  const cut = clean.length > max || bounded.length < text.length
  return cut ? `${clean.slice(0, max).trimEnd()}... (cut at ${max} chars)` : clean
}

/** Only the control characters and escapes removed (no cut): for field values shown in a table. */
export function stripControls(text: string): string {
  return text.replace(OSC, '').replace(CSI, '').replace(ESC, '').replace(CONTROL, '')
}

/** How an id that is not a UUID is shown in a message: quoted, cleaned, short. */
export function showBadId(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(serverText(v, 60)) : v === undefined ? 'none' : typeof v
}

/**
 * A URL as it may be printed: userinfo (`user:pass@`) becomes `***@`, and a query value becomes `***`
 * when its name is a secret's by the rule collect redacts with (isSecretName). Text that is not a URL keeps its shape with any `//user:pass@` hidden the same way.
 */
export function redactUrl(url: string): string {
  let u: URL
  try {
    u = new URL(url)
  } catch {
    // not parseable: hide anything between // and an @ before the next / (linear: the run cannot hold a /)
    return url.replace(/\/\/[^/?#\s]*@/g, '//***@')
  }
  if (u.username || u.password) {
    u.username = '***'
    u.password = ''
  }
  for (const k of [...u.searchParams.keys()]) if (isSecretName(k)) u.searchParams.set(k, '***')
  return u.toString()
}

/** True when a value nests deeper than `limit` arrays/objects (iterative: a 100k-deep answer is fine to ask about). */
export function tooDeep(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 0]]
  while (stack.length > 0) {
    const [v, d] = stack.pop()!
    if (typeof v !== 'object' || v === null) continue
    if (d >= limit) return true
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (typeof child === 'object' && child !== null) stack.push([child, d + 1])
  }
  return false
}

/**
 * A JSON value that is not a string, as text: numbers and booleans as they are, objects and lists as
 * JSON (never String(): `{"toString": 1}` from JSON.parse makes String() throw).
 */
export function shownValue(v: unknown): string {
  if (typeof v !== 'object' || v === null) return String(v)
  try {
    return JSON.stringify(v) ?? typeof v
  } catch {
    return Array.isArray(v) ? 'a list' : 'an object'
  }
}

/**
 * How wide the human output may be, and text fitted to it. On a terminal: its columns; on a pipe
 * (or a file): COLUMNS when it is a positive integer, else 80; never narrower than MIN_WIDTH. `--wide`
 * lifts the limit (Infinity): no line wrapped, no cell cut, each cell on one line for grep.
 * Widths are terminal columns (string-width: a CJK character is two, a colour code none), not bytes.
 */
import stringWidth from 'string-width'

/** Narrower than this, a table of three columns has no room to say anything: lines may run past COLUMNS. */
export const MIN_WIDTH = 40

/** A pipe without COLUMNS: what a terminal has by default. */
export const PIPE_WIDTH = 80

export function outputWidth(wide: boolean, stdout: {isTTY?: boolean; columns?: number} = process.stdout, env: NodeJS.ProcessEnv = process.env): number {
  if (wide) return Number.POSITIVE_INFINITY
  const tty = stdout.isTTY && stdout.columns !== undefined && stdout.columns > 0 ? stdout.columns : undefined
  const fromEnv = /^\s*\d{1,9}\s*$/.test(env.COLUMNS ?? '') ? Number(env.COLUMNS) : 0
  return Math.max(MIN_WIDTH, tty ?? (fromEnv > 0 ? fromEnv : PIPE_WIDTH))
}

const PLAIN = /^[\x20-\x7e]*$/

/** Terminal columns a string takes: printable ASCII is one each (the fast path), the rest as string-width says. */
export function textWidth(text: string): number {
  return PLAIN.test(text) ? text.length : stringWidth(text)
}

/** Where a word too long for a line is best broken: after one of the first (a path, a list), else of the second (a UUID, an address, a check id). */
const BREAK_AFTER = [new Set(['/', ',', ';']), new Set(['-', '.', ':', '=', '_'])]

/** The longest head of `word` that fits in `room` columns (at least one character), broken after BREAK_AFTER when one is in its second half. */
function headOf(word: string, room: number): [string, string] {
  const chars = Array.from(word)
  let used = 0
  let n = 0
  while (n < chars.length) {
    const w = textWidth(chars[n])
    if (used + w > room && n > 0) break
    used += w
    n++
  }
  if (n < chars.length) {
    const at = (set: Set<string>) => {
      for (let i = n; i > Math.ceil(n / 2); i--) if (set.has(chars[i - 1])) return i
      return 0
    }
    n = at(BREAK_AFTER[0]) || at(BREAK_AFTER[1]) || n
  }
  return [chars.slice(0, n).join(''), chars.slice(n).join('')]
}

/** A word that must be broken anyway starts on the line it follows when at least this much of that line is left. */
const FILL_MIN = 12

/**
 * One line of plain text (no newline) as lines of at most `width` columns: broken at spaces (a run of
 * spaces inside a line is kept, as in quoted evidence), a word longer than a line broken inside it.
 * Lines after the first start with `hang` (dropped when it would leave less than half the width).
 */
export function wrapLine(text: string, width: number, hang = ''): string[] {
  if (!Number.isFinite(width) || textWidth(text) <= width) return [text]
  const indent = textWidth(hang) * 2 <= width ? hang : ''
  const lead = /^ */.exec(text)![0]
  const parts = text.slice(lead.length).split(/( +)/)
  const out: string[] = []
  let line = lead
  let used = textWidth(lead)
  let fresh = true // nothing but the indent on this line yet
  for (let i = 0; i < parts.length; i += 2) {
    let word = parts[i]
    const space = i > 0 ? parts[i - 1] : ''
    if (word === '') continue
    const w = textWidth(word)
    if (!fresh && used + textWidth(space) + w <= width) {
      line += space + word
      used += textWidth(space) + w
      continue
    }
    if (!fresh && w > width - textWidth(indent) && width - used - textWidth(space) >= FILL_MIN) {
      // too long for any line: its head fills this one (a path after `SKIP:` starts beside it)
      line += space
      used += textWidth(space)
    } else if (!fresh) {
      out.push(line)
      line = indent
      used = textWidth(indent)
    }
    while (used + textWidth(word) > width) {
      const [head, rest] = headOf(word, width - used)
      out.push(line + head)
      line = indent
      used = textWidth(indent)
      word = rest
    }
    line += word
    used += textWidth(word)
    fresh = false
  }
  out.push(line)
  return out
}

/** Several lines (split at newlines) each wrapped, as one string: a table cell's content. */
export function wrapText(text: string, width: number, hang = ''): string {
  return text
    .split('\n')
    .flatMap((l) => wrapLine(l, width, hang))
    .join('\n')
}

/**
 * A config file cut down for a snapshot (config/secrets.ts keepOnlyKeys: section headers and the
 * switches the checks read, every other line emptied so that line numbers still match the file) is
 * mostly empty lines: neutron.conf is ~2,000 lines, 78 KB of newlines in every snapshot that holds it.
 * In the snapshot such a file is written sparse: `content` holds only its non-empty lines,
 * `contentLines` their 1-based line numbers, `contentLineCount` the file's number of lines; reading
 * the snapshot rebuilds the same text (the schema, snapshot-schema.ts, checks and expands it).
 * Lossless for any text: only lines that are exactly empty are left out.
 */

/** A file's content as the snapshot writes it. */
export interface SparseContent {
  content: string
  contentLines: number[]
  contentLineCount: number
}

/** Files shorter than this, or with fewer empty lines than kept ones, are written as they are. */
const MIN_EMPTY = 16
/**
 * A sparse record that would expand past this many lines is refused (a hostile snapshot's memory):
 * as many as a file of the 4 MiB any file is read up to can hold.
 */
export const MAX_SPARSE_LINES = 4 * 1024 * 1024 + 1

/** `text` as sparse content, or undefined when writing it whole is as small. */
export function toSparse(text: string): SparseContent | undefined {
  const lines = text.split('\n')
  const kept: string[] = []
  const numbers: number[] = []
  lines.forEach((line, i) => {
    if (line === '') return
    kept.push(line)
    numbers.push(i + 1)
  })
  const empty = lines.length - kept.length
  if (empty < MIN_EMPTY || empty < kept.length) return undefined
  return {content: kept.join('\n'), contentLines: numbers, contentLineCount: lines.length}
}

/** Why a sparse record cannot be read back, or undefined when it can. */
export function sparseProblem(s: SparseContent): string | undefined {
  const {contentLines: at, contentLineCount: count} = s
  if (!Number.isInteger(count) || count < 1 || count > MAX_SPARSE_LINES) return `contentLineCount must be a line count (1 to ${MAX_SPARSE_LINES})`
  const kept = s.content.split('\n')
  if (kept.length !== at.length) return `contentLines names ${at.length} lines, content holds ${kept.length}`
  for (let i = 0; i < at.length; i++) {
    if (!Number.isInteger(at[i]) || at[i] < 1 || at[i] > count) return `contentLines must be line numbers from 1 to contentLineCount (${count})`
    if (i > 0 && at[i] <= at[i - 1]) return 'contentLines must be in increasing order'
    if (kept[i] === '') return 'content of a sparse record holds an empty line'
  }
  return undefined
}

/** The whole text of a sparse record (sparseProblem() said nothing against it). */
export function fromSparse(s: SparseContent): string {
  const lines = new Array<string>(s.contentLineCount).fill('')
  const kept = s.content.split('\n')
  s.contentLines.forEach((n, i) => {
    lines[n - 1] = kept[i]
  })
  return lines.join('\n')
}

const isFileRecord = (x: Record<string, unknown>) => typeof x.path === 'string' && typeof x.state === 'string' && typeof x.content === 'string'

/**
 * A copy of a snapshot (any JSON value) for writing: every file record whose content is mostly empty
 * lines written sparse. The snapshot itself is left as it is.
 */
export function sparseSnapshot<T>(value: T): T {
  return sharedLogs(sparseWalk(value), value)
}

/**
 * The log tails one run read are the same records in every network's evidence (up to 512 KiB each):
 * written once, in the first network that has them; a later network names it (`logsSameAs`: its index),
 * and the reader (snapshot-schema.ts) puts them back. A thousand networks do not make a 256 MB file.
 */
function sharedLogs<T>(written: T, original: T): T {
  const nets = (original as {networks?: unknown}).networks
  const out = (written as {networks?: unknown}).networks
  if (!Array.isArray(nets) || !Array.isArray(out)) return written
  const first = new Map<unknown, number>()
  nets.forEach((n, i) => {
    const logs = (n as {logs?: unknown} | null)?.logs
    if (logs === undefined || logs === null) return
    const j = first.get(logs)
    if (j === undefined) first.set(logs, i)
    else {
      const {logs: _, ...rest} = out[i] as Record<string, unknown>
      out[i] = {...rest, logsSameAs: j}
    }
  })
  return written
}

function sparseWalk<T>(value: T): T {
  const walk = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(walk)
    if (x === null || typeof x !== 'object') return x
    const o = x as Record<string, unknown>
    const out: Record<string, unknown> = {}
    for (const [k, val] of Object.entries(o)) out[k] = walk(val)
    if (isFileRecord(o)) {
      const sparse = toSparse(o.content as string)
      if (sparse) Object.assign(out, sparse)
    }
    return out
  }
  return walk(value) as T
}

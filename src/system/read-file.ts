/**
 * Reading a file whose path came from a user, the environment or a state directory: regular files
 * only, never a hang, never an unbounded read.
 *
 * - stat (following symlinks) first: a FIFO, device, socket or directory is refused without being
 *   opened (opening a device can have side effects: a tape rewinds, a watchdog arms);
 * - open O_RDONLY|O_NONBLOCK|O_NOCTTY, so a path swapped for a FIFO in between still cannot block,
 *   and fstat the opened descriptor: that is the file actually read;
 * - read in a bounded loop, at most `maxBytes` (one more byte tells "too large"): a file that grows
 *   while read, or one whose size stat reports as 0 (/proc), is still bounded.
 */
import {closeSync, constants, fstatSync, openSync, readSync, type Stats, statSync} from 'node:fs'
import {lstat, open, stat} from 'node:fs/promises'

import {cannotError, describeSystemError, type QmError, usageError} from '../errors.js'

const FLAGS = constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY

/** Caps: a snapshot holds many files' contents; a config, opts, pid or YAML file is small. */
export const MiB = 1024 * 1024
export const SNAPSHOT_MAX_BYTES = 32 * MiB
export const TEXT_FILE_MAX_BYTES = 4 * MiB

export type ReadResult =
  | {ok: true; text: string; stat: Stats}
  /**
   * missing: no such file (or a dangling symlink); not-regular: a FIFO, device, socket or
   * directory; too-large: over the cap; unreadable: any other error (EACCES, ELOOP, EIO ...)
   */
  | {ok: false; kind: 'missing' | 'not-regular' | 'too-large' | 'unreadable'; code: string; reason: string}

/** What a non-regular file is, in words: "a FIFO", "a directory". */
export function describeType(st: Stats): string {
  if (st.isFIFO()) return 'a FIFO'
  if (st.isCharacterDevice()) return 'a character device'
  if (st.isBlockDevice()) return 'a block device'
  if (st.isDirectory()) return 'a directory'
  if (st.isSocket()) return 'a socket'
  return 'not a regular file'
}

const notRegular = (st: Stats): ReadResult => {
  const what = describeType(st)
  return {code: 'ENOTREG', kind: 'not-regular', ok: false, reason: what === 'not a regular file' ? what : `is ${what}, not a regular file`}
}

const tooLarge = (maxBytes: number): ReadResult => ({
  code: 'EFBIG',
  kind: 'too-large',
  ok: false,
  reason: `larger than ${formatBytes(maxBytes)}, the most read from such a file`,
})

function failure(error: unknown): ReadResult {
  const code = (error as NodeJS.ErrnoException)?.code ?? 'EIO'
  const kind = code === 'ENOENT' ? 'missing' : 'unreadable'
  return {code, kind, ok: false, reason: describeSystemError(error)}
}

export function formatBytes(n: number): string {
  return n >= MiB ? `${+(n / MiB).toFixed(1)} MiB` : n >= 1024 ? `${+(n / 1024).toFixed(1)} KiB` : `${n} bytes`
}

const decode = (chunks: Buffer[], total: number) => Buffer.concat(chunks, total).toString('utf8')

/**
 * Read a regular file, following symlinks; never blocks on a FIFO, never reads more than maxBytes.
 * `lstatOfPath`: the caller's lstat of the same path, if it took one.
 */
const EMPTY: ReadResult = {code: 'ENOENT', kind: 'missing', ok: false, reason: 'an empty path names no file'}

export async function readRegularFile(path: string, maxBytes: number, lstatOfPath?: Stats, opts: {noFollow?: boolean} = {}): Promise<ReadResult> {
  if (path === '') return EMPTY
  try {
    // an lstat the caller already took is the stat when the path is no symlink (one syscall less per file)
    const before = lstatOfPath && !lstatOfPath.isSymbolicLink() ? lstatOfPath : await (opts.noFollow ? lstat(path) : stat(path))
    if (!before.isFile()) return notRegular(before)
    if (before.size > maxBytes) return tooLarge(maxBytes)
    // noFollow: the path was resolved by the caller (sources/rooted.ts): a symlink put there since is not followed
    const fh = await open(path, opts.noFollow ? FLAGS | constants.O_NOFOLLOW : FLAGS)
    try {
      const st = await fh.stat()
      if (!st.isFile()) return notRegular(st)
      if (opts.noFollow && (st.dev !== before.dev || st.ino !== before.ino))
        return {code: 'ECHANGED', kind: 'unreadable', ok: false, reason: 'replaced while it was being read'}
      const chunks: Buffer[] = []
      let total = 0
      for (;;) {
        const want = Math.min(Math.max(st.size - total, 64 * 1024), maxBytes + 1 - total)
        const buf = Buffer.allocUnsafe(want)
        const {bytesRead} = await fh.read(buf, 0, want, null)
        if (bytesRead === 0) break
        chunks.push(buf.subarray(0, bytesRead))
        total += bytesRead
        if (total > maxBytes) return tooLarge(maxBytes)
      }
      return {ok: true, stat: st, text: decode(chunks, total)}
    } finally {
      await fh.close()
    }
  } catch (error) {
    return failure(error)
  }
}

/** The same, synchronously (for code paths that are synchronous today). */
export function readRegularFileSync(path: string, maxBytes: number): ReadResult {
  if (path === '') return EMPTY
  try {
    const before = statSync(path)
    if (!before.isFile()) return notRegular(before)
    if (before.size > maxBytes) return tooLarge(maxBytes)
    const fd = openSync(path, FLAGS)
    try {
      const st = fstatSync(fd)
      if (!st.isFile()) return notRegular(st)
      const chunks: Buffer[] = []
      let total = 0
      for (;;) {
        const want = Math.min(Math.max(st.size - total, 64 * 1024), maxBytes + 1 - total)
        const buf = Buffer.allocUnsafe(want)
        const bytesRead = readSync(fd, buf, 0, want, null)
        if (bytesRead === 0) break
        chunks.push(buf.subarray(0, bytesRead))
        total += bytesRead
        if (total > maxBytes) return tooLarge(maxBytes)
      }
      return {ok: true, stat: st, text: decode(chunks, total)}
    } finally {
      closeSync(fd)
    }
  } catch (error) {
    return failure(error)
  }
}

export interface UserFileOptions {
  maxBytes: number
  /** the error code for a missing or unreadable file (exit 3), e.g. 'snapshot-unreadable' */
  unreadableCode?: string
}

/**
 * The operator-facing error for a failed read: a FIFO, device, directory or over-large file is bad
 * input (exit 2); a missing or unreadable one is "cannot" (exit 3). The message names the path.
 */
export function readError(path: string, r: Exclude<ReadResult, {ok: true}>, unreadableCode = 'file-unreadable'): QmError {
  if (path === '') return usageError('empty-path', r.reason)
  if (r.kind === 'not-regular') return usageError('not-a-regular-file', `${path}: ${r.reason}`)
  if (r.kind === 'too-large') return usageError('file-too-large', `${path}: ${r.reason}`)
  return cannotError(unreadableCode, `${path}: ${r.reason}`)
}

/** Read a file a user named (a flag, an env var): its text, or a QmError naming the path. */
export async function readUserFile(path: string, opts: UserFileOptions): Promise<string> {
  const r = await readRegularFile(path, opts.maxBytes)
  if (!r.ok) throw readError(path, r, opts.unreadableCode)
  return r.text
}

export function readUserFileSync(path: string, opts: UserFileOptions): string {
  const r = readRegularFileSync(path, opts.maxBytes)
  if (!r.ok) throw readError(path, r, opts.unreadableCode)
  return r.text
}

/**
 * A path a user named that will be read later: refuse it now (exit 2) when it exists and is not a
 * regular file or is over the cap. A missing file is left to the caller (often a finding, not an error).
 */
export async function refuseIrregular(path: string, maxBytes: number): Promise<void> {
  let st: Stats
  try {
    st = await stat(path)
  } catch {
    return
  }
  if (!st.isFile()) throw readError(path, notRegular(st) as Exclude<ReadResult, {ok: true}>)
  if (st.size > maxBytes) throw readError(path, tooLarge(maxBytes) as Exclude<ReadResult, {ok: true}>)
}

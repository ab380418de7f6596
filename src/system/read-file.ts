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

export type TailResult =
  | {ok: true; text: string; offset: number; size: number; stat: Stats}
  | {ok: false; kind: 'missing' | 'not-regular' | 'symlink' | 'unreadable'; code: string; reason: string}

/**
 * The end of a log: at most `maxBytes` read backwards from its end (a 2 GB file costs what a small one
 * does), whole lines only: when the read starts inside the file, the partial first line is dropped
 * (`offset` is where the first kept line starts). Regular files only, never a hang (O_NONBLOCK, fstat
 * of what was opened). The last component is never followed when it is a symlink (O_NOFOLLOW): a log
 * is a file the service writes, and a link there (to /etc/shadow) is not read.
 */
export async function readTail(path: string, maxBytes: number): Promise<TailResult> {
  if (path === '') return {code: 'ENOENT', kind: 'missing', ok: false, reason: 'an empty path names no file'}
  try {
    const before = await lstat(path)
    if (before.isSymbolicLink()) return {code: 'ELOOP', kind: 'symlink', ok: false, reason: 'is a symlink: not followed (a log is a regular file)'}
    if (!before.isFile()) return notRegular(before) as TailResult
    const fh = await open(path, FLAGS | constants.O_NOFOLLOW)
    try {
      const st = await fh.stat()
      if (!st.isFile()) return notRegular(st) as TailResult
      if (st.dev !== before.dev || st.ino !== before.ino) return {code: 'ECHANGED', kind: 'unreadable', ok: false, reason: 'replaced while it was being read'}
      const start = Math.max(0, st.size - maxBytes)
      const want = st.size - start
      const buf = Buffer.alloc(want)
      let got = 0
      while (got < want) {
        const {bytesRead} = await fh.read(buf, got, want - got, start + got)
        if (bytesRead === 0) break
        got += bytesRead
      }
      let body = buf.subarray(0, got)
      let offset = start
      if (start > 0) {
        // the read began inside a line: keep from the next one (a window without one, a sparse file's hole or
        // one huge line, is kept whole for the caller to judge)
        const nl = body.indexOf(10)
        if (nl >= 0) {
          body = body.subarray(nl + 1)
          offset = start + nl + 1
        }
      }
      return {offset, ok: true, size: st.size, stat: st, text: body.toString('utf8')}
    } finally {
      await fh.close()
    }
  } catch (error) {
    const r = failure(error)
    if (r.ok) throw error
    const code = r.code
    if (code === 'ELOOP') return {code, kind: 'symlink', ok: false, reason: 'is a symlink: not followed (a log is a regular file)'}
    return r as TailResult
  }
}

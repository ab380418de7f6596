/**
 * Writing a report to a path the operator gave (diagnose --junit FILE): all or nothing.
 *
 * The text goes to a temp file in the same directory (O_EXCL, O_NOFOLLOW, 0644 less the umask),
 * fsynced, then renamed over the destination: a CI job that reads the file while quantum-meta runs, or
 * after it was killed, sees the previous report or the new one, never half of one. A destination that
 * exists and is not a regular file (a FIFO, a directory, a device, a socket) is refused (exit 2):
 * renaming over a FIFO would replace it, and whoever reads it would wait forever. A symlink is
 * followed: its target is replaced, the link kept. A directory that is missing or not writable is
 * exit 3. checkReportPath() runs before the (possibly long) diagnosis, so a bad path fails at once.
 */
import {randomBytes} from 'node:crypto'
import {constants as fsc} from 'node:fs'
import {access, lstat, open, readlink, realpath, rename, stat, unlink} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'

import {cannotError, describeSystemError, QmError, usageError} from '../errors.js'
import {debug} from '../output.js'
import {describeType} from './read-file.js'

/** The path written in the end: the given one, or a symlink's target. Throws the one-line error. */
export async function checkReportPath(flag: string, path: string): Promise<string> {
  if (path === '') throw usageError('empty-path', `${flag}: empty path`)
  let target = resolve(path)
  try {
    const l = await lstat(target)
    if (l.isSymbolicLink()) {
      try {
        target = await realpath(target)
      } catch (error) {
        // a dangling link: write where it points, if that directory exists
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
        target = resolve(dirname(target), await readlink(target))
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw cannotError('report-unwritable', `${flag} ${path}: ${describeSystemError(error)}`)
  }
  try {
    const st = await stat(target)
    if (!st.isFile()) throw usageError('report-not-regular', `${flag} ${path}: is ${describeType(st)}, not a regular file (give a file path)`)
  } catch (error) {
    if (error instanceof QmError) throw error
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw cannotError('report-unwritable', `${flag} ${path}: ${describeSystemError(error)}`)
  }
  const dir = dirname(target)
  try {
    const d = await stat(dir)
    if (!d.isDirectory()) throw usageError('report-not-regular', `${flag} ${path}: ${dir} is ${describeType(d)}, not a directory`)
    await access(dir, fsc.W_OK | fsc.X_OK)
  } catch (error) {
    if (error instanceof QmError) throw error
    throw cannotError('report-unwritable', `${flag} ${path}: cannot write in ${dir}: ${describeSystemError(error)}`)
  }
  return target
}

async function writeAll(fh: import('node:fs/promises').FileHandle, data: Buffer): Promise<void> {
  let off = 0
  while (off < data.length) {
    const {bytesWritten} = await fh.write(data, off, data.length - off)
    off += bytesWritten
  }
}

/** Write `text` to `target` (from checkReportPath) atomically: temp file, fsync, rename. */
export async function writeReportAtomic(flag: string, path: string, target: string, text: string): Promise<void> {
  const temp = join(dirname(target), `.${basename(target)}.qm-tmp-${process.pid}-${randomBytes(4).toString('hex')}`)
  const data = Buffer.from(text, 'utf8')
  debug(`write ${target} (temp file ${temp}, fsync, rename)`)
  try {
    const fh = await open(temp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o644)
    try {
      await writeAll(fh, data)
      await fh.sync()
    } finally {
      await fh.close()
    }
    // the destination may have become a FIFO or directory since the check: refuse it still
    const now = await stat(target).catch(() => undefined)
    if (now && !now.isFile()) throw usageError('report-not-regular', `${flag} ${path}: is ${describeType(now)}, not a regular file (give a file path)`)
    await rename(temp, target)
  } catch (error) {
    await unlink(temp).catch(() => {})
    if (error instanceof QmError) throw error
    throw cannotError('report-unwritable', `${flag} ${path}: ${describeSystemError(error)}; nothing written`)
  }
}

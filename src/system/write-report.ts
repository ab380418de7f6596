/**
 * Writing a report to a path the operator gave (diagnose --junit FILE, collect --output FILE): all or nothing.
 *
 * The text goes to a temp file in the same directory (O_EXCL, O_NOFOLLOW, 0644 less the umask),
 * fsynced, then renamed over the destination: a CI job that reads the file while quantum-meta runs, or
 * after it was killed, sees the previous report or the new one, never half of one. A destination that
 * exists and is not a regular file (a FIFO, a directory, a device, a socket) is refused (exit 2):
 * renaming over a FIFO would replace it, and whoever reads it would wait forever. A symlink is
 * followed: its target is replaced, the link kept; but, as the kernel's protected_symlinks rule
 * would have it (the links are resolved here, so the kernel's rule never sees them), not a link in a
 * sticky world-writable directory (/tmp) owned by neither the caller nor that directory's owner:
 * another user's link there is exit 2 (root replaced a user's 0600 file that way). A path leading into
 * /proc (`/dev/stdout`, `/dev/fd/N`: a file this process has open) or to the very file stdout or
 * stderr writes to is exit 2 too: renaming over it replaces the file the shell redirected to
 * (`--junit /dev/stdout --json > f`). A directory that is missing or not writable is exit 3.
 * checkReportPath() runs before the (possibly long) diagnosis, so a bad path fails at once.
 */
import {randomBytes} from 'node:crypto'
import {constants as fsc, fstatSync, type Stats} from 'node:fs'
import {access, lstat, open, readlink, rename, stat, unlink} from 'node:fs/promises'
import {basename, dirname, join, resolve} from 'node:path'

import {cannotError, describeSystemError, QmError, usageError} from '../errors.js'
import {debug} from '../output.js'
import {describeType} from './read-file.js'

/** As many links as the kernel follows in one path (ELOOP after that). */
const MAX_HOPS = 40

/** the sticky bit (S_ISVTX; node's fs.constants leaves it out) */
const STICKY = 0o1000

const inProc = (p: string) => p === '/proc' || p.startsWith('/proc/')

/**
 * The kernel's fs.protected_symlinks rule for one link: in a sticky directory writable by all, only a
 * link owned by the caller or by the directory's owner is followed.
 */
async function checkLinkOwner(flag: string, path: string, link: string, l: Stats): Promise<void> {
  const dir = dirname(link)
  const d = await stat(dir)
  const euid = process.geteuid?.()
  if ((d.mode & STICKY) !== 0 && (d.mode & fsc.S_IWOTH) !== 0 && l.uid !== euid && l.uid !== d.uid)
    throw usageError(
      'report-symlink-refused',
      `${flag} ${path}: ${link === resolve(path) ? '' : `${link} is `}a symlink owned by uid ${l.uid} in the shared directory ${dir} (sticky, writable by all): not followed, as the kernel's protected_symlinks would not (give a path of your own)`,
    )
}

/** The same file as this process's stdout or stderr (`--junit f > f`). */
function isOurOutput(st: Stats): boolean {
  for (const fd of [1, 2]) {
    try {
      const o = fstatSync(fd)
      if (o.dev === st.dev && o.ino === st.ino) return true
    } catch {
      // closed: nothing to compare
    }
  }
  return false
}

/**
 * The path written in the end: the given one, or a symlink's target. Throws the one-line error.
 * `onStdout` says where the text goes without the flag (said when FILE is where stdout goes).
 */
export async function checkReportPath(flag: string, path: string, onStdout = '--format junit prints the XML on stdout'): Promise<string> {
  if (path === '') throw usageError('empty-path', `${flag}: empty path`)
  let target = resolve(path)
  // the links of the last component, one hop at a time (a directory on the way is the kernel's to
  // follow, with its own protected_symlinks rule, when the file is written)
  for (let hops = 0; ; hops++) {
    if (inProc(target))
      throw usageError(
        'report-not-regular',
        `${flag} ${path}: leads to ${target}, a file this process has open (stdout, stderr): give a file path (${onStdout})`,
      )
    let l: Stats
    try {
      l = await lstat(target)
    } catch (error) {
      // missing (a dangling link: write where it points, if that directory exists)
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') break
      throw cannotError('report-unwritable', `${flag} ${path}: ${describeSystemError(error)}`)
    }
    if (!l.isSymbolicLink()) break
    if (hops === MAX_HOPS) throw cannotError('report-unwritable', `${flag} ${path}: too many levels of symbolic links`)
    await checkLinkOwner(flag, path, target, l)
    target = resolve(dirname(target), await readlink(target))
  }
  try {
    const st = await stat(target)
    if (!st.isFile()) throw usageError('report-not-regular', `${flag} ${path}: is ${describeType(st)}, not a regular file (give a file path)`)
    if (isOurOutput(st)) throw usageError('report-not-regular', `${flag} ${path}: is where stdout goes: give another file (${onStdout})`)
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

/** Write `text` to `target` (from checkReportPath) atomically: temp file, fsync, rename; `mode` less the umask. */
export async function writeReportAtomic(flag: string, path: string, target: string, text: string, mode = 0o644): Promise<void> {
  const temp = join(dirname(target), `.${basename(target)}.qm-tmp-${process.pid}-${randomBytes(4).toString('hex')}`)
  const data = Buffer.from(text, 'utf8')
  debug(`write ${target} (temp file ${temp}, fsync, rename)`)
  try {
    const fh = await open(temp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, mode)
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

/**
 * Reading and writing the agent's config file safely: never created, never half-written.
 * A write goes to a temp file in the same directory: every byte written (a short write is retried,
 * an error aborts), fsync, its size checked, then renamed over the file and the directory fsynced.
 * Owner and mode are kept, a symlink is followed to its target and stays a link. A backup is written
 * the same way under a name nobody else has (O_EXCL). On any error before the rename the original
 * is untouched and no temp file or half-written backup is left.
 */
import {constants as fsc} from 'node:fs'
import {type FileHandle, access, open, readFile, readdir, realpath, rename, stat, unlink} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

import {QmError, cannotError, describeSystemError, usageError} from '../errors.js'
import {debug} from '../output.js'

export interface LoadedConfig {
  /** the path as given */
  path: string
  /** the file actually read and written (symlinks resolved) */
  target: string
  text: string
  /** the bytes read, as they were */
  bytes: Buffer
  /**
   * how `text` was decoded: UTF-8, or byte for byte (latin1) when the file is not valid UTF-8
   * (py2-era files with Latin-1 comments); it is encoded back the same way, so unchanged lines keep
   * every byte
   */
  encoding: 'utf8' | 'latin1'
  mode: number
  uid: number
  gid: number
}

const MAX_BYTES = 4 * 1024 * 1024

export async function loadConfig(path: string): Promise<LoadedConfig> {
  let target: string
  try {
    target = await realpath(path)
  } catch (error) {
    throw cannotError('config-missing', `${path}: ${describeSystemError(error)} (the file is never created; pass --config-file)`)
  }
  debug(`read ${target}${target === path ? '' : ` (via ${path})`}`)
  let st
  try {
    st = await stat(target)
  } catch (error) {
    throw cannotError('config-unreadable', `${path}: ${describeSystemError(error)}`)
  }
  if (st.isDirectory()) throw usageError('config-not-file', `${path}: is a directory, not an ini file`)
  if (!st.isFile()) throw usageError('config-not-file', `${path}: not a regular file`)
  if (st.size > MAX_BYTES) throw usageError('config-not-ini', `${path}: ${st.size} bytes is too large for an agent config file`)
  let buf: Buffer
  try {
    buf = await readFile(target)
  } catch (error) {
    throw cannotError('config-unreadable', `${path}: ${describeSystemError(error)}`)
  }
  if (buf.includes(0)) throw usageError('config-not-ini', `${path}: binary file (NUL bytes), not an ini file; left untouched`)
  let text: string
  let encoding: LoadedConfig['encoding'] = 'utf8'
  try {
    text = new TextDecoder('utf-8', {fatal: true, ignoreBOM: true}).decode(buf)
  } catch {
    // not UTF-8: decode byte for byte; the parser then decides whether it is an ini file at all
    encoding = 'latin1'
    text = buf.toString('latin1')
    debug(`${target} is not UTF-8; read byte for byte (Latin-1), and only ASCII is written into it`)
  }
  return {bytes: buf, encoding, gid: st.gid, mode: st.mode & 0o7777, path, target, text, uid: st.uid}
}

/** 20261124T111039.123Z: UTC, to the millisecond, sortable. */
function stamp(now: Date): string {
  return now.toISOString().replaceAll(/[-:]/g, '')
}

/** Refuse up front what would fail half-way: a file or directory nobody may write. */
export async function checkWritable(cfg: LoadedConfig): Promise<void> {
  const dir = dirname(cfg.target)
  if ((cfg.mode & 0o222) === 0) {
    throw cannotError('config-read-only', `${cfg.path}: read-only file (mode ${cfg.mode.toString(8).padStart(4, '0')}); left untouched`)
  }
  try {
    const ds = await stat(dir)
    if ((ds.mode & 0o222) === 0) {
      throw cannotError('config-read-only', `${dir}: read-only directory (mode ${(ds.mode & 0o7777).toString(8).padStart(4, '0')}); ${cfg.path} left untouched`)
    }
    await access(dir, fsc.W_OK)
    await access(cfg.target, fsc.W_OK)
  } catch (error) {
    if (error instanceof QmError) throw error
    throw cannotError('config-read-only', `${cfg.path}: cannot write: ${describeSystemError(error)}; left untouched`)
  }
}

const isNoSpace = (error: unknown) => ['ENOSPC', 'EDQUOT'].includes((error as NodeJS.ErrnoException)?.code ?? '')
const noSpaceReason = (error: unknown) => ((error as NodeJS.ErrnoException)?.code === 'EDQUOT' ? 'disk quota exceeded' : 'no space left on device')

/** A write that stored fewer bytes than asked and reported no error. */
class ShortWrite extends Error {
  constructor(
    readonly written: number,
    readonly wanted: number,
  ) {
    super(`short write (${written} of ${wanted} bytes)`)
  }
}

/** Every byte of `data` into the file: a short write is continued, an error (ENOSPC...) is thrown. */
async function writeAll(fh: FileHandle, data: Buffer): Promise<void> {
  let off = 0
  while (off < data.length) {
    const {bytesWritten} = await fh.write(data, off, data.length - off, off)
    if (bytesWritten <= 0) throw new ShortWrite(off, data.length)
    off += bytesWritten
  }
}

/**
 * Create `dest` (O_EXCL: never an existing file) with owner and mode of the config and exactly
 * `data` in it, fsynced and its size checked. On any error it is removed again.
 */
async function writeNewFile(dest: string, data: Buffer, cfg: LoadedConfig): Promise<void> {
  // 0600 until owner and mode are set: the content is never readable by more than the original allows
  const fh = await open(dest, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL | fsc.O_NOFOLLOW, 0o600)
  try {
    if (process.getuid?.() === 0) await fh.chown(cfg.uid, cfg.gid)
    await fh.chmod(cfg.mode)
    await writeAll(fh, data)
    await fh.sync()
    const {size} = await fh.stat()
    if (size !== data.length) throw new ShortWrite(size, data.length)
    await fh.close()
  } catch (error) {
    await fh.close().catch(() => {})
    await unlink(dest).catch(() => {})
    throw error
  }
}

/**
 * Keep a copy of the original next to it, with the same owner and mode: the bytes read (under the
 * lock, so exactly what this run edits). The name is unique: UTC time to the millisecond, plus
 * `-N` when that name exists (created with O_EXCL, never overwritten). Returns its path.
 */
async function backup(cfg: LoadedConfig, now: Date): Promise<string> {
  const base = join(dirname(cfg.target), `${basename(cfg.target)}.qm-backup-${stamp(now)}`)
  for (let n = 0; ; n++) {
    const dest = n === 0 ? base : `${base}-${n}`
    debug(`backup ${cfg.target} -> ${dest}`)
    try {
      await writeNewFile(dest, cfg.bytes, cfg)
      return dest
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || n >= 1000) throw error
    }
  }
}

async function fsyncDir(dir: string): Promise<void> {
  const fd = await open(dir, 'r')
  try {
    await fd.sync()
  } finally {
    await fd.close()
  }
}

function writeError(cfg: LoadedConfig, error: unknown) {
  if (error instanceof QmError) return error
  if (isNoSpace(error)) return cannotError('config-no-space', `${cfg.path}: ${noSpaceReason(error)}; ${cfg.path} left untouched`)
  const reason = error instanceof ShortWrite ? error.message : describeSystemError(error)
  return cannotError('config-write-failed', `${cfg.path}: cannot write: ${reason}; left untouched`)
}

/**
 * Temp files of this config left by a run that was killed mid-write. Only the lock's holder creates
 * them, and the caller holds the lock, so every one that exists now is debris.
 */
async function removeDebris(cfg: LoadedConfig): Promise<void> {
  const prefix = `${basename(cfg.target)}.qm-tmp-`
  const dir = dirname(cfg.target)
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(prefix)) continue
    debug(`remove ${join(dir, name)}, left by an earlier run that was stopped mid-write`)
    await unlink(join(dir, name)).catch(() => {})
  }
}

/**
 * Replace the file's content atomically. With `keepBackup`, the original is copied first;
 * if the write then fails, that copy is removed again so nothing is left behind.
 * The caller holds the file's lock (lock.ts) and read `cfg` under it.
 */
export async function writeConfig(cfg: LoadedConfig, text: string, keepBackup: boolean, now = new Date()): Promise<string | null> {
  await checkWritable(cfg)
  const data = Buffer.from(text, cfg.encoding)
  let backupPath: string | null = null
  const dir = dirname(cfg.target)
  // node:crypto only here, where a file is written: loading it costs every `enable --check` ~10 ms of start-up
  const {randomBytes} = await import('node:crypto')
  const temp = join(dir, `${basename(cfg.target)}.qm-tmp-${process.pid}-${randomBytes(4).toString('hex')}`)
  await removeDebris(cfg)
  try {
    if (keepBackup) backupPath = await backup(cfg, now)
    debug(`write ${cfg.target} (temp file ${temp}, fsync, size check, rename)`)
    await writeNewFile(temp, data, cfg)
    await rename(temp, cfg.target)
  } catch (error) {
    await unlink(temp).catch(() => {})
    if (backupPath) await unlink(backupPath).catch(() => {})
    throw writeError(cfg, error)
  }
  try {
    await fsyncDir(dir)
  } catch (error) {
    // the new content is in place; only its durability across a crash is in doubt
    throw cannotError('config-write-failed', `${cfg.path}: written, but syncing ${dir} failed: ${describeSystemError(error)}`)
  }
  return backupPath
}

/**
 * Reading and writing the agent's config file safely: never created, never half-written.
 * A write goes to a temp file in the same directory (fsync, rename, then fsync of the directory),
 * keeps owner and mode, follows a symlink to its target and keeps the link.
 */
import {constants as fsc} from 'node:fs'
import {access, copyFile, chown, chmod, open, readFile, realpath, stat, unlink} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'

import {QmError, cannotError, describeSystemError, usageError} from '../errors.js'
import {debug} from '../output.js'

export interface LoadedConfig {
  /** the path as given */
  path: string
  /** the file actually read and written (symlinks resolved) */
  target: string
  text: string
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
  try {
    text = new TextDecoder('utf-8', {fatal: true, ignoreBOM: true}).decode(buf)
  } catch {
    throw usageError('config-not-ini', `${path}: not UTF-8 text, not an ini file; left untouched`)
  }
  return {gid: st.gid, mode: st.mode & 0o7777, path, target, text, uid: st.uid}
}

function stamp(now: Date): string {
  return now.toISOString().replaceAll(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')
}

/** Refuse up front what would fail half-way: a file or directory nobody may write. */
async function checkWritable(cfg: LoadedConfig): Promise<void> {
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

/** Keep a copy of the original next to it, with the same owner and mode. Returns its path. */
async function backup(cfg: LoadedConfig, now: Date): Promise<string> {
  const dest = join(dirname(cfg.target), `${basename(cfg.target)}.qm-backup-${stamp(now)}`)
  debug(`backup ${cfg.target} -> ${dest}`)
  await copyFile(cfg.target, dest, fsc.COPYFILE_EXCL)
  await chmod(dest, cfg.mode)
  if (process.getuid?.() === 0) await chown(dest, cfg.uid, cfg.gid)
  return dest
}

async function fsyncDir(dir: string): Promise<void> {
  const fd = await open(dir, 'r')
  try {
    await fd.sync()
  } finally {
    await fd.close()
  }
}

/**
 * Replace the file's content atomically. With `keepBackup`, the original is copied first;
 * if the write then fails, that copy is removed again so nothing is left behind.
 */
export async function writeConfig(cfg: LoadedConfig, text: string, keepBackup: boolean, now = new Date()): Promise<string | null> {
  await checkWritable(cfg)
  let backupPath: string | null = null
  try {
    if (keepBackup) backupPath = await backup(cfg, now)
    debug(`write ${cfg.target} (temp file in ${dirname(cfg.target)}, fsync, rename)`)
    const {default: writeFileAtomic} = await import('write-file-atomic')
    await writeFileAtomic(cfg.target, text, {chown: {gid: cfg.gid, uid: cfg.uid}, encoding: 'utf8', fsync: true, mode: cfg.mode})
    await fsyncDir(dirname(cfg.target))
  } catch (error) {
    if (backupPath) await unlink(backupPath).catch(() => {})
    if (error instanceof QmError) throw error
    throw cannotError('config-write-failed', `${cfg.path}: cannot write: ${describeSystemError(error)}; left untouched`)
  }
  return backupPath
}

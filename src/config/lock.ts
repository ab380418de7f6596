/**
 * One quantum-meta at a time edits a config file: a lock beside it, `FILE.qm-lock`.
 *
 * The lock is a symbolic link whose target names its holder (`quantum-meta pid=N start=T boot=B`):
 * symlink(2) creates it with its content in one atomic step and fails with EEXIST when it exists, so
 * there is never an empty or half-written lock to misread. A lock whose holder is gone (the pid is
 * dead, or reused by another process: a different start time, or a different boot) is stale and is
 * taken over; taking over is itself serialized by `FILE.qm-lock.break`, so two runs that both find a
 * stale lock cannot remove each other's fresh one. A run that cannot get the lock within the wait
 * gives up with exit 3 "busy". Nothing is held across `--restart`.
 */
import {readFileSync} from 'node:fs'
import {readlink, realpath, symlink, unlink} from 'node:fs/promises'
import {basename, dirname, join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {cannotError, describeSystemError} from '../errors.js'
import {debug} from '../output.js'

export const LOCK_WAIT_MS = 5000

export interface ConfigLock {
  path: string
  release(): Promise<void>
}

/** The lock of a config file: beside the file itself (symlinks resolved), so every path to it shares one lock. */
export function lockPathFor(target: string): string {
  return join(dirname(target), `${basename(target)}.qm-lock`)
}

interface Holder {
  pid: number
  start?: string
  boot?: string
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** Field 22 of /proc/PID/stat: the process's start time in clock ticks since boot. */
function startTicks(pid: number): string | undefined {
  const stat = readProc(`/proc/${pid}/stat`)
  if (stat === undefined) return undefined
  // the command name (field 2) is in parentheses and may hold spaces or ')': split after the last ')'
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
}

const bootId = () => readProc('/proc/sys/kernel/random/boot_id')?.trim()

function describeSelf(): string {
  const parts = [`quantum-meta pid=${process.pid}`]
  const start = startTicks(process.pid)
  if (start) parts.push(`start=${start}`)
  const boot = bootId()
  if (boot) parts.push(`boot=${boot}`)
  return parts.join(' ')
}

function parseHolder(text: string): Holder | undefined {
  if (!text.startsWith('quantum-meta ')) return undefined
  const fields = new Map(
    text
      .split(' ')
      .slice(1)
      .map((f) => [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)] as const),
  )
  const pid = Number(fields.get('pid'))
  if (!Number.isInteger(pid) || pid <= 0) return undefined
  return {boot: fields.get('boot'), pid, start: fields.get('start')}
}

/** Is the holder certainly gone? Unknown lock contents are never judged stale. */
function isStale(h: Holder): boolean {
  if (h.boot !== undefined) {
    const boot = bootId()
    if (boot !== undefined && boot !== h.boot) return true
  }
  if (h.pid === process.pid) return false
  try {
    process.kill(h.pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
  if (h.start !== undefined) {
    const start = startTicks(h.pid)
    if (start !== undefined && start !== h.start) return true
  }
  return false
}

async function readHolder(path: string): Promise<string | undefined> {
  try {
    return await readlink(path)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    // EINVAL: something else than our symlink sits there; report it as held by an unknown holder
    if (code === 'EINVAL') return '(not a quantum-meta lock)'
    throw error
  }
}

function lockError(file: string, lockPath: string, error: unknown) {
  const e = error as NodeJS.ErrnoException
  if (e.code === 'ENOSPC') return cannotError('config-no-space', `${file}: no space left on device; ${file} left untouched`)
  if (e.code === 'EDQUOT') return cannotError('config-no-space', `${file}: disk quota exceeded; ${file} left untouched`)
  return cannotError('config-write-failed', `${file}: cannot create the lock ${lockPath}: ${describeSystemError(error)}; left untouched`)
}

/** Remove a stale lock, only if it still is the one judged stale, and only one run at a time. */
async function breakStale(lockPath: string, seen: string, me: string): Promise<boolean> {
  const breakPath = `${lockPath}.break`
  try {
    await symlink(me, breakPath)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    // another run is breaking it right now; a break lock of a dead run is removed (it holds nothing else)
    const other = await readHolder(breakPath)
    const h = other === undefined ? undefined : parseHolder(other)
    if (h && isStale(h)) await unlink(breakPath).catch(() => {})
    return false
  }
  try {
    if ((await readHolder(lockPath)) === seen) {
      debug(`lock ${lockPath} held by a process that is gone (${seen}): taken over`)
      await unlink(lockPath).catch(() => {})
      return true
    }
    return false
  } finally {
    await unlink(breakPath).catch(() => {})
  }
}

/**
 * Take the lock of the config file at `path` (symlinks resolved), waiting up to `waitMs` for another
 * run to finish. Throws QmError exit 3 "busy: ..." when it does not.
 */
export async function acquireConfigLock(path: string, waitMs = LOCK_WAIT_MS): Promise<ConfigLock> {
  let target: string
  try {
    target = await realpath(path)
  } catch (error) {
    throw cannotError('config-missing', `${path}: ${describeSystemError(error)}`)
  }
  const lockPath = lockPathFor(target)
  const me = describeSelf()
  const deadline = Date.now() + waitMs
  let holder = ''
  for (let attempt = 0; ; attempt++) {
    try {
      await symlink(me, lockPath)
      debug(`lock ${lockPath} taken (${me})`)
      return {
        path: lockPath,
        async release() {
          // only our own lock is removed (nobody else removes a live one, see breakStale)
          if ((await readHolder(lockPath).catch(() => undefined)) === me) await unlink(lockPath).catch(() => {})
        },
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw lockError(path, lockPath, error)
    }
    const seen = await readHolder(lockPath).catch(() => undefined)
    if (seen === undefined) continue // released in between: try again at once
    holder = seen
    const h = parseHolder(seen)
    if (h && isStale(h)) {
      let removed: boolean
      try {
        removed = await breakStale(lockPath, seen, me)
      } catch (error) {
        throw lockError(path, lockPath, error)
      }
      if (removed) continue
    }
    if (Date.now() >= deadline) break
    if (attempt === 0) debug(`lock ${lockPath} held (${seen}); waiting up to ${waitMs} ms`)
    await sleep(20 + Math.floor(Math.random() * 30))
  }
  const who = parseHolder(holder)
  throw cannotError(
    'config-busy',
    `busy: another quantum-meta is editing ${path} (${who ? `pid ${who.pid}` : holder} holds ${lockPath}); try again, or remove the lock if no quantum-meta runs`,
  )
}
